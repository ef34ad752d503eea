/* The NATS auth-callout client: an unprivileged process connected to the
 * chat's NATS server as the callout service. It passes each authorization
 * request to the verifier, which checks it, looks the key up and signs the
 * answer, and publishes that answer; it decides nothing itself. */
#include <errno.h>
#include <nats/nats.h>
#include <openssl/crypto.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "common/base/clock.h"
#include "common/proc/ipc_drain.h"
#include "common/proc/sandbox.h"
#include "common/base/log.h"
#include "common/kez/ed25519.h"
#include "common/nats/nkeys.h"
#include "common/proc/child.h"
#include "common/proc/ipc.h"
#include "common/proc/nats_ask.h"

#define AUTH_SUBJECT       "$SYS.REQ.USER.AUTH"
#define VERIFIER_WAIT_MS   1500 /* nats-server waits 2 s by default for an answer */
#define GENERATION_POLL_MS 50   /* how soon a respawned verifier is asked again */
#define BATCH_MAX          64   /* requests out at the verifier at once */
/* After the broker closed the connection: the first wait, and the longest. */
#define RECONNECT_PAUSE_MS     1000
#define RECONNECT_PAUSE_MAX_MS 30000

struct pending_ask;

struct callout {
	const struct child_context *ctx;
	struct ipc_channel          to_verifier;
	uint64_t                    next_id;
	natsConnection             *nc;
	uint8_t                     seed[32]; /* the service's own nkey seed */
	struct ipc_receiver         rx;
	struct pending_ask         *batch;     /* the requests out at the verifier */
	unsigned                    n_batch, n_left;
	uint64_t                    first_id;  /* batch[i] is asked under first_id + i */
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

/* One authorization request of a batch: the message it came in, and
 * whether its answer has been passed on. */
struct pending_ask {
	natsMsg    *msg;
	const char *reply_to, *data, *xkey;
	size_t      len;
	bool        answered;
};

static void publish(const char *reply_to, const unsigned char *data, size_t len)
{
	natsStatus s = natsConnection_Publish(co.nc, reply_to, data, (int)len);
	if (s != NATS_OK)
		log_warn("cannot publish an authorization answer: %s", natsStatus_GetText(s));
}

/* An answer to a request of the current batch is passed on as it comes,
 * in whatever order the verifier's threads finish; any other is a stale
 * answer to an earlier, abandoned request. */
static int on_reply(void *arg, struct ipc_channel *ch, const struct ipc_header *h, const void *body, size_t len)
{
	(void)arg;
	(void)ch;
	if (h->type != IPC_NATS_REPLY || co.n_batch == 0 || h->id < co.first_id || h->id - co.first_id >= co.n_batch)
		return 0;
	struct pending_ask *p = &co.batch[h->id - co.first_id];
	struct nats_ask_answer a;
	if (p->answered)
		return 0;
	if (nats_ask_read_reply(body, len, &a) < 0) {
		log_warn("dropped a malformed answer from the verifier");
		return 0;
	}
	p->answered = true;
	co.n_left--;
	nats_ask_log(&a, "");
	if (a.error == API_OK)
		publish(p->reply_to, a.response, a.response_len);
	return 0;
}

static void send_unanswered(void)
{
	for (unsigned i = 0; i < co.n_batch; i++) {
		struct pending_ask *p = &co.batch[i];
		if (!p->answered && nats_ask_send(&co.to_verifier, co.first_id + i, p->xkey, p->data, p->len) < 0) {
			p->answered = true; /* it cannot be asked: the client is refused */
			co.n_left--;
			log_warn("cannot pass an authorization request to the verifier; the client is refused");
		}
	}
}

/* Waits for the batch's answers, re-sending to a verifier that replaced
 * the one they went to (a dead verifier's unread questions are lost),
 * until all came or the time nats-server waits is nearly up. */
static void await_batch(void)
{
	struct shared_state *st = co.ctx->state;
	unsigned generation = atomic_load(&st->verifier_generation);
	long long deadline = monotonic_ms() + VERIFIER_WAIT_MS;
	while (co.n_left > 0) {
		(void)ipc_flush(&co.to_verifier);
		enum ipc_drain_result r = ipc_drain(&co.rx, &co.to_verifier, 0);
		if (co.n_left == 0)
			break;
		if (r == IPC_DRAIN_GONE) {
			log_warn("the verifier link is closed");
			break;
		}
		long long left = deadline - monotonic_ms();
		if (left <= 0)
			break;
		unsigned now_generation = atomic_load(&st->verifier_generation);
		if (now_generation != generation && atomic_load(&st->verifier_ready)) {
			generation = now_generation;
			log_info("re-sending %u authorization request(s) to the new verifier", co.n_left);
			send_unanswered();
		}
		if (r == IPC_DRAIN_MORE)
			continue;
		struct pollfd pfd = { .fd = co.to_verifier.fd,
				      .events = POLLIN | (ipc_pending(&co.to_verifier) ? POLLOUT : 0) };
		(void)poll(&pfd, 1, (int)(left < GENERATION_POLL_MS ? left : GENERATION_POLL_MS));
	}
	if (co.n_left > 0)
		log_warn("the verifier did not answer %u authorization request(s); those clients are refused", co.n_left);
}

/* `first` and whatever else is already waiting (up to BATCH_MAX) go to the
 * verifier together, so that its threads verify them side by side. */
static void handle_batch(natsMsg *first, natsSubscription *sub)
{
	struct pending_ask asks[BATCH_MAX];
	unsigned n = 0;
	asks[n++] = (struct pending_ask){ .msg = first };
	int waiting = 0, bytes = 0;
	while (n < BATCH_MAX && natsSubscription_GetPending(sub, &waiting, &bytes) == NATS_OK && waiting > 0) {
		natsMsg *m = NULL;
		if (natsSubscription_NextMsg(&m, sub, 1) != NATS_OK)
			break;
		asks[n++] = (struct pending_ask){ .msg = m };
	}
	co.batch = asks;
	co.n_batch = n;
	co.n_left = n;
	co.first_id = co.next_id + 1;
	co.next_id += n;
	for (unsigned i = 0; i < n; i++) {
		struct pending_ask *p = &asks[i];
		p->reply_to = natsMsg_GetReply(p->msg);
		p->data = natsMsg_GetData(p->msg);
		int len = natsMsg_GetDataLength(p->msg);
		p->len = len > 0 ? (size_t)len : 0;
		if (natsMsgHeader_Get(p->msg, "Nats-Server-Xkey", &p->xkey) != NATS_OK || (p->xkey && !p->xkey[0]))
			p->xkey = NULL;
		if (!p->reply_to || !p->data || len <= 0) {
			p->answered = true;
			co.n_left--;
		}
	}
	send_unanswered();
	await_batch();
	co.batch = NULL;
	co.n_batch = co.n_left = 0;
	for (unsigned i = 0; i < n; i++)
		natsMsg_Destroy(asks[i].msg);
}

/* A broker that was down at start: libnats keeps trying in the background
 * (so that a stop request is never stuck in a blocking connect) and says
 * here when it got through. */
static void on_connected(natsConnection *nc, void *closure)
{
	(void)nc;
	log_info("serving the NATS auth callout on %s", ((const struct config *)closure)->nats_url);
}

/* The options of every connection this process makes, kept for its life:
 * they hold libnats's copy of the password, which the config no longer has
 * once the first connection is made. */
static natsOptions *make_options(const struct config *cfg)
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
		s = natsOptions_SetRetryOnFailedConnect(opts, true, on_connected, (void *)cfg);
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
	if (s != NATS_OK) {
		log_error("cannot use NATS at %s: %s", cfg->nats_url, natsStatus_GetText(s));
		natsOptions_Destroy(opts);
		return NULL;
	}
	return opts;
}

/* 0: connected, or trying in the background; 1: the connection is closed
 * already (the broker refused the login); -1: no connection can be made. */
static int connect_nats(const struct config *cfg, natsOptions *opts, natsSubscription **sub)
{
	natsStatus s = natsConnection_Connect(&co.nc, opts);
	if (s == NATS_OK)
		log_info("serving the NATS auth callout on %s", cfg->nats_url);
	if (s == NATS_NOT_YET_CONNECTED) {
		log_warn("NATS at %s is not reachable yet; retrying in the background", cfg->nats_url);
		s = NATS_OK;
	}
	if (s == NATS_OK)
		s = natsConnection_SubscribeSync(sub, co.nc, AUTH_SUBJECT);
	if (s == NATS_CONNECTION_CLOSED && co.nc)
		return 1;
	if (s != NATS_OK) {
		log_error("cannot use NATS at %s: %s", cfg->nats_url, natsStatus_GetText(s));
		return -1;
	}
	return 0;
}

/* libnats gives a connection up for good when the broker refuses the
 * login (a key it does not list yet, say) and keeps trying only while it
 * cannot reach it: after a refusal, a new connection, each one a while
 * later than the one before, so that a fixed broker is served again
 * without a restart. As connect_nats; 0 too when asked to stop. */
static int connect_again(const struct config *cfg, natsOptions *opts, natsSubscription **sub,
			 unsigned *pause_ms, volatile int *stop)
{
	const char *why = NULL;
	natsConnection_GetLastError(co.nc, &why);
	log_warn("NATS at %s closed the connection (%s); connecting again in %u ms", cfg->nats_url,
		 why && why[0] ? why : "no reason given", *pause_ms);
	for (unsigned waited = 0; waited < *pause_ms && !*stop; waited += 100) {
		struct timespec step = { 0, 100 * 1000 * 1000 };
		nanosleep(&step, NULL);
	}
	*pause_ms = *pause_ms * 2 > RECONNECT_PAUSE_MAX_MS ? RECONNECT_PAUSE_MAX_MS : *pause_ms * 2;
	natsSubscription_Destroy(*sub);
	*sub = NULL;
	natsConnection_Destroy(co.nc);
	co.nc = NULL;
	return *stop ? 0 : connect_nats(cfg, opts, sub);
}

int nats_client_run(const struct child_context *ctx)
{
	volatile int *stop = child_stop_flag();
	const struct config *cfg = ctx->cfg;
	co.ctx = ctx;
	memcpy(co.seed, ctx->nats_keys->service_seed, sizeof co.seed);
	if (child_drop_privileges(cfg) < 0 || sandbox_enter(ctx) < 0)
		return CHILD_EXIT_STARTUP;
	if (ipc_receiver_init(&co.rx, IPC_ROLE_NATS, on_reply, NULL) < 0)
		return CHILD_EXIT_STARTUP;
	ipc_channel_init(&co.to_verifier, ctx->verifier_fd, IPC_ROLE_VERIFIER, IPC_QUEUE_DEFAULT_BYTES);
	uint32_t r = 0;
	if (getrandom(&r, sizeof r, 0) == sizeof r)
		co.next_id = (uint64_t)r << 32;
	natsSubscription *sub = NULL;
	natsOptions *opts = make_options(cfg);
	int state = opts ? connect_nats(cfg, opts, &sub) : -1;
	if (state < 0) {
		natsSubscription_Destroy(sub);
		natsConnection_Destroy(co.nc);
		natsOptions_Destroy(opts);
		return 1;
	}
	child_wipe_nats_password(cfg); /* the options keep libnats's copy, for reconnects */
	unsigned pause_ms = RECONNECT_PAUSE_MS;
	int rc = 0;
	while (!*stop) {
		if (state > 0) {
			state = connect_again(cfg, opts, &sub, &pause_ms, stop);
			if (state < 0) {
				rc = 1;
				break;
			}
			continue;
		}
		natsMsg *msg = NULL;
		natsStatus s = natsSubscription_NextMsg(&msg, sub, 500);
		/* Let in again: a later refusal starts over at the first wait. */
		if (s == NATS_OK || (s == NATS_TIMEOUT && natsConnection_Status(co.nc) == NATS_CONN_STATUS_CONNECTED))
			pause_ms = RECONNECT_PAUSE_MS;
		if (s == NATS_OK) {
			handle_batch(msg, sub);
		} else if (s == NATS_CONNECTION_CLOSED) {
			state = 1;
		} else if (s != NATS_TIMEOUT) {
			log_warn("NATS subscription: %s", natsStatus_GetText(s));
			struct timespec pause = { 0, 200 * 1000 * 1000 };
			nanosleep(&pause, NULL);
		}
	}
	natsSubscription_Destroy(sub);
	natsConnection_Destroy(co.nc);
	natsOptions_Destroy(opts);
	nats_Close();
	OPENSSL_cleanse(co.seed, sizeof co.seed);
	ipc_channel_clear(&co.to_verifier);
	ipc_receiver_free(&co.rx);
	return rc;
}
