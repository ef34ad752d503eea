/* The NATS auth-callout client: an unprivileged process connected to the
 * chat's NATS server as the callout service. For each authorization request
 * it asks the verifier whether the client proved a key, looks the key up in
 * the registry (read-only), and publishes the answer the verifier signed. */
#include <errno.h>
#include <nats/nats.h>
#include <openssl/crypto.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "common/proc/child.h"
#include "common/kez/ed25519.h"
#include "common/proc/ipc.h"
#include "common/proc/sandbox.h"
#include "common/base/log.h"
#include "common/nats/nkeys.h"
#include "common/kez/api_error.h"
#include "common/kez/registry.h"

#define AUTH_SUBJECT      "$SYS.REQ.USER.AUTH"
#define VERIFIER_WAIT_MS  1500 /* nats-server waits 2 s by default for an answer */

struct callout {
	const struct child_context *ctx;
	struct registry             registry;
	struct ipc_channel          to_verifier;
	uint64_t                    next_id;
	natsConnection             *nc;
	uint8_t                     seed[32]; /* the service's own nkey seed */
	unsigned char              *reply_buf;
};

static struct callout co;

/* libnats asks for the nonce signature when it connects as the service. */
static natsStatus sign_nonce(char **err_text, unsigned char **signature, int *signature_len, const char *nonce,
			     void *closure)
{
	(void)err_text;
	(void)closure;
	unsigned char *sig = malloc(ED25519_SIG_LEN);
	if (!sig || ed25519_sign(co.seed, (const uint8_t *)nonce, strlen(nonce), sig) < 0) {
		free(sig);
		return NATS_ERR;
	}
	*signature = sig;
	*signature_len = ED25519_SIG_LEN;
	return NATS_OK;
}

static void on_disconnected(natsConnection *nc, void *closure)
{
	(void)nc;
	(void)closure;
	log_warn("disconnected from NATS; reconnecting");
}

static void on_reconnected(natsConnection *nc, void *closure)
{
	(void)nc;
	(void)closure;
	log_info("reconnected to NATS");
}

/* One request to the verifier and its answer. 0, or -1 when it did not
 * answer in time. The reply (head + response bytes) lands in co.reply_buf. */
static ssize_t ask_verifier(const struct ipc_nats_request *rq, const char *data, size_t len)
{
	static unsigned char msg[IPC_MAX_BODY];
	if (sizeof *rq + len > sizeof msg)
		return -1;
	memcpy(msg, rq, sizeof *rq);
	memcpy(msg + sizeof *rq, data, len);
	uint64_t id = ++co.next_id;
	if (ipc_send(&co.to_verifier, IPC_NATS_REQUEST, 0, id, msg, sizeof *rq + len) < 0)
		return -1;
	struct timespec start;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		(void)ipc_flush(&co.to_verifier);
		struct ipc_header h;
		ssize_t n = ipc_recv(co.to_verifier.fd, &h, co.reply_buf, IPC_MAX_BODY);
		if (n >= (ssize_t)sizeof(struct ipc_nats_reply) && h.type == IPC_NATS_REPLY && h.id == id)
			return n;
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EPROTO)
			return -1;
		if (n >= 0)
			continue; /* a stale answer to an earlier, abandoned request */
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		long waited = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
		if (waited >= VERIFIER_WAIT_MS)
			return -1;
		struct pollfd pfd = { .fd = co.to_verifier.fd,
				      .events = POLLIN | (ipc_pending(&co.to_verifier) ? POLLOUT : 0) };
		(void)poll(&pfd, 1, (int)(VERIFIER_WAIT_MS - waited));
	}
}

static void publish(const char *reply_to, const unsigned char *data, size_t len)
{
	natsStatus s = natsConnection_Publish(co.nc, reply_to, data, (int)len);
	if (s != NATS_OK)
		log_warn("cannot publish an authorization answer: %s", natsStatus_GetText(s));
}

static void handle_request(natsMsg *msg)
{
	const char *reply_to = natsMsg_GetReply(msg);
	const char *data = natsMsg_GetData(msg);
	int len = natsMsg_GetDataLength(msg);
	if (!reply_to || !data || len <= 0)
		return;
	struct ipc_nats_request rq;
	memset(&rq, 0, sizeof rq);
	const char *xkey = NULL;
	if (natsMsgHeader_Get(msg, "Nats-Server-Xkey", &xkey) == NATS_OK && xkey)
		snprintf(rq.server_xkey, sizeof rq.server_xkey, "%s", xkey);
	rq.stage = NATS_STAGE_CHECK;
	ssize_t n = ask_verifier(&rq, data, (size_t)len);
	if (n < 0) {
		log_warn("the verifier did not answer an authorization request; the client is refused");
		return;
	}
	struct ipc_nats_reply reply;
	memcpy(&reply, co.reply_buf, sizeof reply);
	reply.detail[sizeof reply.detail - 1] = '\0';
	if (reply.error != API_OK) {
		log_warn("unanswerable authorization request: %s", reply.detail);
		return;
	}
	if (reply.has_key) {
		struct registry_record rec;
		int found = registry_find_key(&co.registry, reply.client_key, &rec);
		rq.stage = NATS_STAGE_ANSWER;
		rq.registered = found == 1;
		if (found == 1) {
			rq.handle_len = (uint8_t)rec.handle_len;
			memcpy(rq.handle, rec.handle, rec.handle_len);
		}
		n = ask_verifier(&rq, data, (size_t)len);
		if (n < 0) {
			log_warn("the verifier did not sign an answer; the client is refused");
			return;
		}
		memcpy(&reply, co.reply_buf, sizeof reply);
		reply.detail[sizeof reply.detail - 1] = '\0';
		if (found == 1 && reply.error == API_OK && !reply.detail[0])
			log_info("NATS access granted to %s", rec.handle);
	}
	if (reply.detail[0])
		log_info("NATS access refused: %s", reply.detail);
	if ((size_t)n > sizeof reply)
		publish(reply_to, co.reply_buf + sizeof reply, (size_t)n - sizeof reply);
}

static int connect_nats(const struct config *cfg, natsSubscription **sub)
{
	natsOptions *opts = NULL;
	natsStatus s = natsOptions_Create(&opts);
	if (s == NATS_OK)
		s = natsOptions_SetURL(opts, cfg->nats_url);
	if (s == NATS_OK)
		s = natsOptions_SetName(opts, "kez-chat-server auth callout");
	if (s == NATS_OK)
		s = natsOptions_SetMaxReconnect(opts, -1);
	if (s == NATS_OK)
		s = natsOptions_SetReconnectWait(opts, 250);
	if (s == NATS_OK)
		s = natsOptions_SetRetryOnFailedConnect(opts, true, NULL, NULL);
	if (s == NATS_OK)
		s = natsOptions_SetDisconnectedCB(opts, on_disconnected, NULL);
	if (s == NATS_OK)
		s = natsOptions_SetReconnectedCB(opts, on_reconnected, NULL);
	if (s == NATS_OK && co.ctx->nats_keys->has_service) {
		uint8_t pub[32];
		char public_text[NKEY_PUBLIC_LEN + 1];
		if (ed25519_public_key(co.seed, pub) < 0)
			s = NATS_ERR;
		nkey_encode_public(NKEY_PREFIX_USER, pub, public_text);
		if (s == NATS_OK)
			s = natsOptions_SetNKey(opts, public_text, sign_nonce, NULL);
	} else if (s == NATS_OK) {
		s = natsOptions_SetUserInfo(opts, cfg->nats_user, cfg->nats_password ? cfg->nats_password : "");
	}
	if (s == NATS_OK) {
		s = natsConnection_Connect(&co.nc, opts);
		if (s == NATS_NOT_YET_CONNECTED) {
			log_warn("NATS at %s is not reachable yet; retrying", cfg->nats_url);
			s = NATS_OK;
		}
	}
	if (s == NATS_OK)
		s = natsConnection_SubscribeSync(sub, co.nc, AUTH_SUBJECT);
	natsOptions_Destroy(opts);
	if (s != NATS_OK) {
		log_error("cannot use NATS at %s: %s", cfg->nats_url, natsStatus_GetText(s));
		return -1;
	}
	return 0;
}

int nats_client_run(const struct child_context *ctx)
{
	volatile int *stop = child_stop_flag();
	const struct config *cfg = ctx->cfg;
	char err[512];
	co.ctx = ctx;
	memcpy(co.seed, ctx->nats_keys->service_seed, sizeof co.seed);
	if (registry_open(&co.registry, cfg->db_path, cfg->map_size, false, err, sizeof err) < 0) {
		log_error("%s", err);
		return CHILD_EXIT_STARTUP;
	}
	if (child_drop_privileges(cfg) < 0 || sandbox_enter(ctx) < 0)
		return CHILD_EXIT_STARTUP;
	co.reply_buf = malloc(IPC_MAX_BODY);
	if (!co.reply_buf)
		return CHILD_EXIT_STARTUP;
	ipc_channel_init(&co.to_verifier, ctx->verifier_fd, 64);
	uint32_t r = 0;
	if (getrandom(&r, sizeof r, 0) == sizeof r)
		co.next_id = (uint64_t)r << 32;
	natsSubscription *sub = NULL;
	if (connect_nats(cfg, &sub) < 0)
		return 1;
	child_wipe_nats_password(cfg); /* libnats keeps its own copy for reconnects */
	log_info("serving the NATS auth callout on %s", cfg->nats_url);
	while (!*stop) {
		natsMsg *msg = NULL;
		natsStatus s = natsSubscription_NextMsg(&msg, sub, 500);
		if (s == NATS_OK) {
			handle_request(msg);
			natsMsg_Destroy(msg);
		} else if (s != NATS_TIMEOUT) {
			log_warn("NATS subscription: %s", natsStatus_GetText(s));
			struct timespec pause = { 0, 200 * 1000 * 1000 };
			nanosleep(&pause, NULL);
		}
	}
	natsSubscription_Destroy(sub);
	natsConnection_Destroy(co.nc);
	nats_Close();
	OPENSSL_cleanse(co.seed, sizeof co.seed);
	ipc_channel_clear(&co.to_verifier);
	registry_close(&co.registry);
	free(co.reply_buf);
	return 0;
}
