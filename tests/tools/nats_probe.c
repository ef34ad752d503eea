/* nats-probe: a real libnats client for the tests.
 *   nats-probe URL SEED|- [--wrong-sig] [--inbox-prefix PREFIX] [--connects N] [ACTION...]
 * SEED is a file holding a user nkey seed (SU...), "-" connects without one.
 * --inbox-prefix sets the client's inbox prefix (replies to its requests).
 * Actions, in order: "sub SUBJECT", "pub SUBJECT TEXT", "recv SECONDS",
 * "request SUBJECT TEXT" (waits 3 s for the reply), "serve SECONDS" (answers
 * one request on the last subscription with "answer:TEXT"), "wait MS".
 * Prints one line per event: connected, connect-error, sub-ok, pub-ok,
 * received, reply, request-error, served, async-error, timeout; exits 0 once
 * connected. */
#include <nats/nats.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/kez/ed25519.h"
#include "common/nats/nkeys.h"

static uint8_t     seed[32];
static bool        wrong_signature;
static const char *inbox_prefix;

static natsStatus sign(char **err, unsigned char **sig, int *sig_len, const char *nonce, void *closure)
{
	(void)err;
	(void)closure;
	uint8_t key[32], pub[32];
	memcpy(key, seed, 32);
	if (wrong_signature && ed25519_generate(key, pub) < 0)
		return NATS_ERR;
	*sig = malloc(64);
	if (!*sig || ed25519_sign(key, (const uint8_t *)nonce, strlen(nonce), *sig) < 0)
		return NATS_ERR;
	*sig_len = 64;
	return NATS_OK;
}

static void on_error(natsConnection *nc, natsSubscription *sub, natsStatus err, void *closure)
{
	(void)sub;
	(void)closure;
	const char *text = NULL;
	natsConnection_GetLastError(nc, &text);
	printf("async-error: %s\n", text ? text : natsStatus_GetText(err));
	fflush(stdout);
}

static natsConnection *connect(const char *url, bool with_key)
{
	natsOptions *opts = NULL;
	natsConnection *nc = NULL;
	natsOptions_Create(&opts);
	natsOptions_SetURL(opts, url);
	natsOptions_SetTimeout(opts, 5000);
	natsOptions_SetMaxReconnect(opts, 0);
	natsOptions_SetErrorHandler(opts, on_error, NULL);
	if (inbox_prefix)
		natsOptions_SetCustomInboxPrefix(opts, inbox_prefix);
	if (with_key) {
		uint8_t pub[32];
		char text[NKEY_PUBLIC_LEN + 1];
		ed25519_public_key(seed, pub);
		nkey_encode_public(NKEY_PREFIX_USER, pub, text);
		natsOptions_SetNKey(opts, text, sign, NULL);
	}
	natsStatus s = natsConnection_Connect(&nc, opts);
	natsOptions_Destroy(opts);
	if (s != NATS_OK) {
		const char *text = nats_GetLastError(NULL);
		printf("connect-error: %s\n", text ? text : natsStatus_GetText(s));
		return NULL;
	}
	return nc;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: nats-probe URL SEED|- [--wrong-sig] [--connects N] [ACTION...]\n");
		return 2;
	}
	bool with_key = strcmp(argv[2], "-") != 0;
	char err[256];
	if (with_key && nkey_read_seed_file(argv[2], NKEY_PREFIX_USER, seed, err, sizeof err) < 0) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	int a = 3, connects = 0;
	for (; a < argc; a++) {
		if (strcmp(argv[a], "--wrong-sig") == 0)
			wrong_signature = true;
		else if (strcmp(argv[a], "--inbox-prefix") == 0 && a + 1 < argc)
			inbox_prefix = argv[++a];
		else if (strcmp(argv[a], "--connects") == 0 && a + 1 < argc)
			connects = atoi(argv[++a]);
		else
			break;
	}
	if (connects > 0) {
		/* Each attempt must end in an answer (accepted or refused), never in silence. */
		int ok = 0, refused = 0;
		for (int i = 0; i < connects; i++) {
			struct timespec t0, t1;
			clock_gettime(CLOCK_MONOTONIC, &t0);
			natsConnection *nc = connect(argv[1], with_key);
			clock_gettime(CLOCK_MONOTONIC, &t1);
			if (nc) {
				ok++;
				natsConnection_Destroy(nc);
			} else {
				refused++;
			}
			double ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
			printf("attempt %d %s %.1f ms\n", i, nc ? "ok" : "refused", ms);
		}
		printf("connects ok %d refused %d\n", ok, refused);
		nats_Close();
		return 0;
	}
	/* libnats now and then connects without signing the nonce, and is
	 * refused for it; a real client reconnects, so this one tries again. */
	natsConnection *nc = NULL;
	for (int attempt = 0; attempt < 3 && !nc; attempt++)
		nc = connect(argv[1], with_key);
	if (!nc) {
		nats_Close();
		return 1;
	}
	printf("connected\n");
	fflush(stdout);
	natsSubscription *sub = NULL;
	for (; a < argc; a++) {
		if (strcmp(argv[a], "sub") == 0 && a + 1 < argc) {
			const char *subject = argv[++a];
			natsStatus s = natsConnection_SubscribeSync(&sub, nc, subject);
			if (s == NATS_OK)
				s = natsConnection_FlushTimeout(nc, 2000);
			printf(s == NATS_OK ? "sub-ok %s\n" : "sub-error %s\n", subject);
		} else if (strcmp(argv[a], "pub") == 0 && a + 2 < argc) {
			const char *subject = argv[++a], *text = argv[++a];
			natsStatus s = natsConnection_PublishString(nc, subject, text);
			if (s == NATS_OK)
				s = natsConnection_FlushTimeout(nc, 2000);
			printf(s == NATS_OK ? "pub-ok %s\n" : "pub-error %s\n", subject);
		} else if (strcmp(argv[a], "recv") == 0 && a + 1 < argc && sub) {
			natsMsg *msg = NULL;
			natsStatus s = natsSubscription_NextMsg(&msg, sub, atoi(argv[++a]) * 1000);
			if (s == NATS_OK) {
				printf("received %.*s\n", natsMsg_GetDataLength(msg), natsMsg_GetData(msg));
				natsMsg_Destroy(msg);
			} else {
				printf("timeout\n");
			}
		} else if (strcmp(argv[a], "request") == 0 && a + 2 < argc) {
			const char *subject = argv[++a], *text = argv[++a];
			natsMsg *reply = NULL;
			natsStatus s = natsConnection_RequestString(&reply, nc, subject, text, 3000);
			if (s == NATS_OK)
				printf("reply %.*s\n", natsMsg_GetDataLength(reply), natsMsg_GetData(reply));
			else
				printf("request-error %s\n", natsStatus_GetText(s));
			natsMsg_Destroy(reply);
		} else if (strcmp(argv[a], "serve") == 0 && a + 1 < argc && sub) {
			natsMsg *msg = NULL;
			natsStatus s = natsSubscription_NextMsg(&msg, sub, atoi(argv[++a]) * 1000);
			if (s == NATS_OK && natsMsg_GetReply(msg)) {
				char answer[512];
				snprintf(answer, sizeof answer, "answer:%.*s", natsMsg_GetDataLength(msg), natsMsg_GetData(msg));
				s = natsConnection_PublishString(nc, natsMsg_GetReply(msg), answer);
				if (s == NATS_OK)
					s = natsConnection_FlushTimeout(nc, 2000);
				printf(s == NATS_OK ? "served %s\n" : "serve-error %s\n", natsMsg_GetReply(msg));
			} else {
				printf("timeout\n");
			}
			natsMsg_Destroy(msg);
		} else if (strcmp(argv[a], "wait") == 0 && a + 1 < argc) {
			struct timespec pause = { 0, atoi(argv[++a]) * 1000000L };
			nanosleep(&pause, NULL);
		}
		fflush(stdout);
	}
	/* Permission violations arrive asynchronously. */
	struct timespec pause = { 0, 300 * 1000 * 1000 };
	nanosleep(&pause, NULL);
	natsSubscription_Destroy(sub);
	natsConnection_Destroy(nc);
	nats_Close();
	return 0;
}
