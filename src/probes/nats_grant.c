/* The verifier must decide from what it knows: whatever a worker sends it,
 * a key that no handle has gets no NATS grant. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "common/base/clock.h"
#include "common/base/log.h"
#include "common/enc/base64url.h"
#include "common/kez/ed25519.h"
#include "common/nats/nats_auth.h"
#include "common/nats/nats_jwt.h"
#include "common/nats/nkeys.h"
#include "common/proc/nats_ask.h"
#include "common/proc/child.h"
#include "probes/await_datagram.h"
#include "probes/probes.h"

#define PROBE_WAIT_MS 3000
/* A slot no connection has: a late reply is dropped as stale. */
#define PROBE_ID      (((uint64_t)UINT32_MAX << 32) | 1)

/* Unpadded base64url of n bytes, NUL-terminated, into `out`. 0, or -1. */
static int b64url_text(const uint8_t *in, size_t n, char *out, size_t cap)
{
	struct buf b;
	buf_init(&b, cap);
	int rc = base64url_encode(in, n, &b) == 0 && buf_putc(&b, '\0') == 0 ? 0 : -1;
	if (rc == 0)
		memcpy(out, b.data, b.len);
	buf_free(&b);
	return rc;
}

/* A request as nats-server 2.10 makes it, for a fresh client key. 0, or -1. */
static int make_request(const char *issuer, struct buf *jwt)
{
	uint8_t server_seed[32], server_pub[32], client_seed[32], client_pub[32], conn_seed[32], conn_pub[32];
	uint8_t nonce_raw[11], sig[64];
	char server_id[NKEY_PUBLIC_LEN + 1], client_nkey[NKEY_PUBLIC_LEN + 1], user_nkey[NKEY_PUBLIC_LEN + 1];
	char nonce[32], sig_text[100];
	if (ed25519_generate(server_seed, server_pub) < 0 || ed25519_generate(client_seed, client_pub) < 0 ||
	    ed25519_generate(conn_seed, conn_pub) < 0 || getrandom(nonce_raw, sizeof nonce_raw, 0) != sizeof nonce_raw ||
	    b64url_text(nonce_raw, sizeof nonce_raw, nonce, sizeof nonce) < 0 ||
	    ed25519_sign(client_seed, (const uint8_t *)nonce, strlen(nonce), sig) < 0 ||
	    b64url_text(sig, sizeof sig, sig_text, sizeof sig_text) < 0)
		return -1;
	nkey_encode_public(NKEY_PREFIX_SERVER, server_pub, server_id);
	nkey_encode_public(NKEY_PREFIX_USER, client_pub, client_nkey);
	nkey_encode_public(NKEY_PREFIX_USER, conn_pub, user_nkey);
	json_int_t now = (json_int_t)time(NULL);
	json_t *claims = json_pack("{s:s, s:s, s:s, s:I, s:I, s:{s:{s:s, s:s, s:s, s:s}, s:s,"
				   " s:{s:s, s:i, s:s, s:s, s:s, s:s}, s:{s:s, s:s, s:s, s:s, s:i}, s:s, s:i}}",
				   "aud", NATS_AUTH_AUDIENCE, "iss", server_id, "sub", issuer, "iat", now, "exp", now + 2,
				   "nats", "server_id", "name", "probe", "host", "127.0.0.1", "id", server_id, "version",
				   "2.10.27", "user_nkey", user_nkey, "client_info", "host", "127.0.0.1", "id", 1, "user",
				   client_nkey, "kind", "Client", "type", "nats", "nonce", nonce, "connect_opts", "nkey",
				   client_nkey, "sig", sig_text, "lang", "C", "version", "3.4.1", "protocol", 1, "type",
				   "authorization_request", "version", 2);
	int rc = claims ? nats_jwt_encode(claims, server_seed, jwt) : -1;
	json_decref(claims);
	return rc;
}

/* What the verifier said, as a short text. */
static void await_answer(struct ipc_channel *ch, char *result, size_t cap)
{
	unsigned char *body = malloc(IPC_MAX_BODY);
	snprintf(result, cap, "no answer");
	long long deadline = monotonic_ms() + PROBE_WAIT_MS;
	struct ipc_header h;
	ssize_t n;
	while (body && (n = probe_await_datagram(ch, deadline, &h, body)) >= 0) {
		if (h.type != IPC_NATS_REPLY || h.id != PROBE_ID)
			continue;
		struct nats_ask_answer a;
		if (nats_ask_read_reply(body, (size_t)n, &a) < 0)
			snprintf(result, cap, "a malformed answer");
		else if (a.error != API_OK)
			snprintf(result, cap, "no answer (%s)", a.detail);
		else if (a.granted)
			snprintf(result, cap, "granted to %s", a.handle);
		else
			snprintf(result, cap, "refused (%s)", a.detail);
		break;
	}
	free(body);
}

void probe_nats_grant(const struct child_context *ctx, struct ipc_channel *to_verifier)
{
	if (!getenv("KEZ_TEST_PROBE") || !ctx->nats_keys->has_issuer)
		return;
	char result[IPC_DETAIL_MAX + 32] = "cannot make the request";
	struct buf jwt;
	buf_init(&jwt, NATS_JWT_MAX);
	if (make_request(ctx->nats_keys->issuer_public, &jwt) == 0) {
		if (nats_ask_send(to_verifier, PROBE_ID, NULL, jwt.data, jwt.len) < 0)
			snprintf(result, sizeof result, "cannot ask the verifier");
		else
			await_answer(to_verifier, result, sizeof result);
	}
	buf_free(&jwt);
	log_info("probe worker: grant for unregistered key: %s", result);
}
