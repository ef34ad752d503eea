#include "signer/nats_callout.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/kez/api_error.h"
#include "common/enc/base64url.h"
#include "common/kez/ed25519.h"
#include "common/kez/key_text.h"
#include "common/base/log.h"
#include "common/nats/nats_jwt.h"
#include "common/nats/nkeys.h"
#include "common/nats/xkey.h"

/* What a verified authorization request says. */
struct auth_request {
	char    server_id[NKEY_PUBLIC_LEN + 1];
	char    user_nkey[NKEY_PUBLIC_LEN + 1];
	bool    has_client_key;
	uint8_t client_key[32];
	bool    nonce_signed; /* the client signed the server's nonce with client_key */
	char    why[IPC_DETAIL_MAX];
};

static const char *string_at(json_t *claims, const char *a, const char *b)
{
	json_t *v = json_object_get(claims, a);
	return json_string_value(b ? json_object_get(v, b) : v);
}

/* -1: not a genuine request (nothing to answer); 0: parsed (the client may
 * still have failed to prove its key: see nonce_signed and why). */
static int parse_request(const char *data, size_t len, int64_t now, struct auth_request *r)
{
	memset(r, 0, sizeof *r);
	uint8_t server_key[32];
	json_t *claims = nats_jwt_decode(data, len, NKEY_PREFIX_SERVER, server_key, r->why, sizeof r->why);
	if (!claims)
		return -1;
	json_t *nats = json_object_get(claims, "nats");
	const char *aud = string_at(claims, "aud", NULL);
	const char *type = json_string_value(json_object_get(nats, "type"));
	const char *iss = string_at(claims, "iss", NULL);
	const char *server_id = json_string_value(json_object_get(json_object_get(nats, "server_id"), "id"));
	const char *user_nkey = json_string_value(json_object_get(nats, "user_nkey"));
	json_t *exp = json_object_get(claims, "exp");
	uint8_t scratch[32];
	int rc = -1;
	if (!aud || strcmp(aud, "nats-authorization-request") != 0)
		snprintf(r->why, sizeof r->why, "aud is not nats-authorization-request");
	else if (!type || strcmp(type, "authorization_request") != 0)
		snprintf(r->why, sizeof r->why, "nats.type is not authorization_request");
	else if (!server_id || strcmp(server_id, iss) != 0)
		snprintf(r->why, sizeof r->why, "nats.server_id.id is not the issuer");
	else if (json_is_integer(exp) && json_integer_value(exp) + 5 < now)
		snprintf(r->why, sizeof r->why, "the request has expired");
	else if (!user_nkey || nkey_decode_public(user_nkey, strlen(user_nkey), NKEY_PREFIX_USER, scratch) < 0)
		snprintf(r->why, sizeof r->why, "nats.user_nkey is not a user nkey");
	else
		rc = 0;
	if (rc == 0) {
		snprintf(r->server_id, sizeof r->server_id, "%s", server_id);
		snprintf(r->user_nkey, sizeof r->user_nkey, "%s", user_nkey);
		json_t *opts = json_object_get(nats, "connect_opts");
		const char *nkey = json_string_value(json_object_get(opts, "nkey"));
		const char *sig = json_string_value(json_object_get(opts, "sig"));
		const char *nonce = json_string_value(json_object_get(json_object_get(nats, "client_info"), "nonce"));
		uint8_t sig_bytes[ED25519_SIG_LEN];
		if (!nkey || nkey_decode_public(nkey, strlen(nkey), NKEY_PREFIX_USER, r->client_key) < 0) {
			snprintf(r->why, sizeof r->why, "the client sent no user nkey");
		} else {
			r->has_client_key = true;
			/* The server does not check this when it calls out: the nonce
			 * text as sent is what the client signed. */
			if (!nonce || !sig)
				snprintf(r->why, sizeof r->why, "the client did not sign a nonce");
			else if (base64_decode_any(sig, strlen(sig), sig_bytes, sizeof sig_bytes) != ED25519_SIG_LEN ||
				 !ed25519_verify(r->client_key, (const uint8_t *)nonce, strlen(nonce), sig_bytes))
				snprintf(r->why, sizeof r->why, "the nonce signature does not verify");
			else
				r->nonce_signed = true;
		}
	}
	json_decref(claims);
	return rc;
}

static json_t *user_claims(const struct config *cfg, const struct nats_keys *keys, const struct auth_request *r, const char *handle, int64_t now)
{
	char hex[65], inbox[128];
	hex_encode(r->client_key, 32, hex);
	snprintf(inbox, sizeof inbox, "kez.inbox.%s.>", hex);
	return json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:{s:{s:[s,s]}, s:{s:[s,s]}, s:i, s:i, s:i, s:s, s:i}}",
			 "iss", keys->issuer_public, "sub", r->user_nkey, "aud", cfg->nats_account, "name", handle,
			 "iat", (json_int_t)now, "exp", (json_int_t)(now + cfg->nats_user_ttl), "nats",
			 "pub", "allow", "kez.inbox.*.>", "_INBOX.>",
			 "sub", "allow", inbox, "_INBOX.>",
			 "subs", -1, "data", -1, "payload", -1, "type", "user", "version", 2);
}

/* The signed authorization response: a grant (user JWT) or a refusal. */
static int sign_response(const struct config *cfg, const struct nats_keys *keys, const struct auth_request *r, const char *handle, int64_t now,
			 struct buf *out)
{
	json_t *inner = json_pack("{s:s, s:i}", "type", "authorization_response", "version", 2);
	int rc = -1;
	if (handle) {
		json_t *user = user_claims(cfg, keys, r, handle, now);
		struct buf user_jwt;
		buf_init(&user_jwt, NATS_JWT_MAX);
		if (user && nats_jwt_encode(user, keys->issuer_seed, &user_jwt) == 0 && buf_putc(&user_jwt, '\0') == 0)
			rc = json_object_set_new(inner, "jwt", json_string(user_jwt.data));
		buf_free(&user_jwt);
		json_decref(user);
	} else {
		rc = json_object_set_new(inner, "error", json_string(r->why[0] ? r->why : "refused"));
	}
	json_t *claims = json_pack("{s:s, s:s, s:s, s:I, s:o}", "iss", keys->issuer_public, "sub", r->user_nkey,
				   "aud", r->server_id, "iat", (json_int_t)now, "nats", inner);
	if (rc == 0 && claims)
		rc = nats_jwt_encode(claims, keys->issuer_seed, out);
	else
		rc = -1;
	json_decref(claims);
	return rc;
}

static void handle(const struct config *cfg, const struct nats_keys *keys, const struct ipc_nats_request *rq,
		   const char *data, size_t len, struct ipc_nats_reply *reply, struct buf *response, uint8_t *opened,
		   size_t opened_cap)
{
	memset(reply, 0, sizeof *reply);
	if (!keys->has_issuer) {
		reply->error = API_NOT_IMPLEMENTED;
		return;
	}
	int64_t now = (int64_t)time(NULL);
	/* A sealed request: open it with our curve key, and seal the answer back. */
	uint8_t server_xkey[32];
	bool sealed = rq->server_xkey[0] != '\0';
	if (sealed) {
		int n = -1;
		if (!opened)
			snprintf(reply->detail, sizeof reply->detail, "out of memory");
		else if (!keys->has_xkey)
			snprintf(reply->detail, sizeof reply->detail, "the request is sealed but --nats-xkey-seed is not set");
		else if (nkey_decode_public(rq->server_xkey, strlen(rq->server_xkey), NKEY_PREFIX_CURVE, server_xkey) < 0 ||
			 (n = xkey_open(keys->xkey_seed, server_xkey, (const uint8_t *)data, len, opened, opened_cap)) < 0)
			snprintf(reply->detail, sizeof reply->detail, "the sealed request does not open with our xkey");
		if (n < 0) {
			reply->error = opened ? API_BAD_REQUEST : API_INTERNAL;
			return;
		}
		data = (const char *)opened;
		len = (size_t)n;
	}
	struct auth_request r;
	if (parse_request(data, len, now, &r) < 0) {
		reply->error = API_BAD_REQUEST;
		snprintf(reply->detail, sizeof reply->detail, "%s", r.why);
		return;
	}
	const char *grant = NULL;
	char handle[HANDLE_MAX_LEN + 1];
	if (r.nonce_signed && rq->stage == NATS_STAGE_CHECK) {
		/* Genuine and proven: the asker looks the key up and comes back. */
		reply->has_key = 1;
		memcpy(reply->client_key, r.client_key, 32);
		return;
	}
	if (r.nonce_signed && rq->stage == NATS_STAGE_ANSWER) {
		if (rq->registered && rq->handle_len <= HANDLE_MAX_LEN && handle_is_valid(rq->handle, rq->handle_len)) {
			memcpy(handle, rq->handle, rq->handle_len);
			handle[rq->handle_len] = '\0';
			grant = handle;
		} else {
			snprintf(r.why, sizeof r.why, "the key is not registered");
		}
	}
	snprintf(reply->detail, sizeof reply->detail, "%s", grant ? "" : r.why);
	struct buf signed_jwt;
	buf_init(&signed_jwt, NATS_JWT_MAX * 2);
	int rc = sign_response(cfg, keys, &r, grant, now, &signed_jwt);
	if (rc == 0)
		rc = sealed ? xkey_seal(keys->xkey_seed, server_xkey, (const uint8_t *)signed_jwt.data, signed_jwt.len,
					response)
			    : buf_append(response, signed_jwt.data, signed_jwt.len);
	buf_free(&signed_jwt);
	if (rc < 0) {
		reply->error = API_INTERNAL;
		log_error("cannot sign a NATS authorization response");
	}
}

void nats_callout_handle(const struct config *cfg, const struct nats_keys *keys, const struct ipc_nats_request *rq, const char *data, size_t len,
			 struct ipc_nats_reply *reply, struct buf *response)
{
	/* A sealed request opens into a buffer of its own (heap, not static). */
	bool sealed = rq->server_xkey[0] != '\0';
	uint8_t *opened = sealed ? malloc(IPC_MAX_BODY) : NULL;
	handle(cfg, keys, rq, data, len, reply, response, opened, IPC_MAX_BODY);
	free(opened);
}
