#include "common/nats/nats_auth.h"

#include <stdio.h>
#include <string.h>

#include "common/enc/base64url.h"
#include "common/kez/ed25519.h"
#include "common/kez/handle.h"
#include "common/kez/key_text.h"
#include "common/nats/nats_jwt.h"

static const char *string_in(json_t *object, const char *name)
{
	return json_string_value(json_object_get(object, name));
}

static bool same(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

/* A client-chosen text for the log: cut to fit (never inside a UTF-8
 * sequence), control characters shown as '?'. */
static void copy_for_log(char *dst, size_t cap, const char *src)
{
	size_t n = src ? strlen(src) : 0;
	if (n > cap - 1) {
		n = cap - 1;
		while (n > 0 && ((unsigned char)src[n] & 0xc0) == 0x80)
			n--;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)src[i];
		dst[i] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	dst[n] = '\0';
}

static bool is_nkey(const char *text, uint8_t prefix)
{
	uint8_t key[32];
	return text && nkey_decode_public(text, strlen(text), prefix, key) == 0;
}

/* Copies a public nkey text that decodes as `prefix`. 0, or -1. */
static int take_nkey(const char *text, uint8_t prefix, char out[NKEY_PUBLIC_LEN + 1], uint8_t key[32])
{
	uint8_t scratch[32];
	if (!text || nkey_decode_public(text, strlen(text), prefix, key ? key : scratch) < 0)
		return -1;
	memcpy(out, text, NKEY_PUBLIC_LEN + 1);
	return 0;
}

/* The parts of the request that make it genuine and answerable. */
static int read_server_fields(json_t *claims, const char *issuer_account, int64_t now, struct nats_auth_request *out,
			      char *err, size_t errlen)
{
	json_t *nats = json_object_get(claims, "nats");
	json_t *server = json_object_get(nats, "server_id");
	json_t *version = json_object_get(nats, "version");
	json_t *exp = json_object_get(claims, "exp");
	json_t *iat = json_object_get(claims, "iat");
	const char *xkey = string_in(server, "xkey");
	if (!same(string_in(claims, "aud"), NATS_AUTH_AUDIENCE))
		snprintf(err, errlen, "aud is not %s", NATS_AUTH_AUDIENCE);
	else if (!same(string_in(nats, "type"), "authorization_request"))
		snprintf(err, errlen, "nats.type is not authorization_request");
	else if (!json_is_integer(version) || json_integer_value(version) != 2)
		snprintf(err, errlen, "nats.version is not 2");
	else if (!same(string_in(server, "id"), string_in(claims, "iss")))
		snprintf(err, errlen, "nats.server_id.id is not the issuer");
	else if (!same(string_in(claims, "sub"), issuer_account))
		snprintf(err, errlen, "sub is not the callout's issuer account");
	else if (!json_is_integer(iat))
		snprintf(err, errlen, "the request has no iat");
	else if (json_integer_value(iat) > now + NATS_AUTH_LEEWAY)
		snprintf(err, errlen, "the request is issued in the future (iat %lld)", (long long)json_integer_value(iat));
	else if (!json_is_integer(exp))
		snprintf(err, errlen, "the request has no exp");
	else if (json_integer_value(exp) < now - NATS_AUTH_LEEWAY)
		snprintf(err, errlen, "the request has expired (exp %lld)", (long long)json_integer_value(exp));
	else if (take_nkey(string_in(nats, "user_nkey"), NKEY_PREFIX_USER, out->user_nkey, NULL) < 0)
		snprintf(err, errlen, "nats.user_nkey is not a user nkey");
	else if (xkey && take_nkey(xkey, NKEY_PREFIX_CURVE, out->server_xkey, out->server_xkey_key) < 0)
		snprintf(err, errlen, "nats.server_id.xkey is not a curve nkey");
	else {
		memcpy(out->server_id, string_in(claims, "iss"), NKEY_PUBLIC_LEN + 1);
		out->has_server_xkey = xkey != NULL;
		out->expires = (int64_t)json_integer_value(exp);
		snprintf(out->issuer_account, sizeof out->issuer_account, "%s", issuer_account);
		copy_for_log(out->server_name, sizeof out->server_name, string_in(server, "name"));
		return 0;
	}
	return -1;
}

/* Exactly what nats-server sends: NATS_AUTH_NONCE_LEN base64url characters. */
static bool is_server_nonce(const char *s)
{
	size_t n = strlen(s);
	if (n != NATS_AUTH_NONCE_LEN)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return false;
	}
	return true;
}

/* What the client sent: recorded, judged later by nats_auth_check_nonce().
 * Only the nonce is the server's, and it must look like one. */
static int read_client_fields(json_t *claims, struct nats_auth_request *out, char *err, size_t errlen)
{
	json_t *nats = json_object_get(claims, "nats");
	json_t *info = json_object_get(nats, "client_info");
	json_t *opts = json_object_get(nats, "connect_opts");
	json_t *nonce_value = json_object_get(info, "nonce");
	const char *nonce = json_string_value(nonce_value);
	if (nonce_value && (!nonce || !is_server_nonce(nonce))) {
		snprintf(err, errlen, "nats.client_info.nonce is not a server's nonce");
		return -1;
	}
	if (nonce) {
		out->has_nonce = true;
		memcpy(out->nonce, nonce, NATS_AUTH_NONCE_LEN + 1);
	}
	const char *nkey = string_in(opts, "nkey");
	if (nkey && nkey[0])
		out->client_key_state = nkey_decode_public(nkey, strlen(nkey), NKEY_PREFIX_USER, out->client_key) == 0
						? NATS_FIELD_PRESENT
						: NATS_FIELD_MALFORMED;
	const char *sig = string_in(opts, "sig");
	if (sig && sig[0])
		out->sig_state = base64_decode_any(sig, strlen(sig), out->sig, sizeof out->sig) == ED25519_SIG_LEN
					 ? NATS_FIELD_PRESENT
					 : NATS_FIELD_MALFORMED;
	json_t *id = json_object_get(info, "id");
	if (json_is_integer(id) && json_integer_value(id) >= 0)
		out->client_id = (uint64_t)json_integer_value(id);
	copy_for_log(out->client_host, sizeof out->client_host, string_in(info, "host"));
	copy_for_log(out->client_name, sizeof out->client_name, string_in(info, "name"));
	copy_for_log(out->client_kind, sizeof out->client_kind, string_in(info, "kind"));
	copy_for_log(out->client_type, sizeof out->client_type, string_in(info, "type"));
	return 0;
}

int nats_auth_parse_request(const char *jwt, size_t len, const char *issuer_account, int64_t now,
			    struct nats_auth_request *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	if (!is_nkey(issuer_account, NKEY_PREFIX_ACCOUNT)) {
		snprintf(err, errlen, "no callout issuer account to check the request against");
		return -1;
	}
	json_t *claims = nats_jwt_decode(jwt, len, NKEY_PREFIX_SERVER, NULL, err, errlen);
	if (!claims)
		return -1;
	int rc = read_server_fields(claims, issuer_account, now, out, err, errlen) == 0 &&
				 read_client_fields(claims, out, err, errlen) == 0
			 ? 0
			 : -1;
	json_decref(claims);
	if (rc < 0)
		memset(out, 0, sizeof *out);
	return rc;
}

enum nats_nonce_check nats_auth_check_nonce(const struct nats_auth_request *r)
{
	if (r->client_key_state == NATS_FIELD_ABSENT)
		return NATS_NONCE_NO_KEY;
	if (r->client_key_state != NATS_FIELD_PRESENT)
		return NATS_NONCE_BAD_KEY;
	if (!r->has_nonce)
		return NATS_NONCE_NO_NONCE;
	if (r->sig_state == NATS_FIELD_ABSENT)
		return NATS_NONCE_NO_SIG;
	if (r->sig_state != NATS_FIELD_PRESENT)
		return NATS_NONCE_BAD_SIG_TEXT;
	if (!ed25519_verify(r->client_key, (const uint8_t *)r->nonce, strlen(r->nonce), r->sig))
		return NATS_NONCE_BAD_SIG;
	return NATS_NONCE_OK;
}

const char *nats_nonce_check_text(enum nats_nonce_check result)
{
	switch (result) {
	case NATS_NONCE_OK: return "the client signed the nonce";
	case NATS_NONCE_NO_KEY: return "the client sent no nkey";
	case NATS_NONCE_BAD_KEY: return "the client's nkey is not a user nkey";
	case NATS_NONCE_NO_NONCE: return "the client signed no nonce";
	case NATS_NONCE_NO_SIG: return "the client sent no nonce signature";
	case NATS_NONCE_BAD_SIG_TEXT: return "the client's nonce signature is not 64 bytes of base64";
	case NATS_NONCE_BAD_SIG: return "the client's nonce signature does not verify";
	}
	return "unknown nonce check result";
}

json_t *nats_auth_user_claims(const struct nats_auth_request *r, const char *issuer_account_pub,
			      const char *account_name, const char *handle, const uint8_t key[32], int64_t now,
			      int64_t ttl_seconds)
{
	if (!is_nkey(r->user_nkey, NKEY_PREFIX_USER) || !is_nkey(issuer_account_pub, NKEY_PREFIX_ACCOUNT) ||
	    !account_name || !account_name[0] || !handle || !handle_is_valid(handle, strlen(handle)) || ttl_seconds <= 0 ||
	    now < 0 || now > INT64_MAX - ttl_seconds)
		return NULL;
	char hex[65], inbox[sizeof "kez.inbox." + 64 + sizeof ".>"], replies[sizeof "_INBOX." + 64 + sizeof ".>"];
	hex_encode(key, 32, hex);
	snprintf(inbox, sizeof inbox, "kez.inbox.%s.>", hex);
	snprintf(replies, sizeof replies, "_INBOX.%s.>", hex);
	/* subs/data/payload -1 is "no limit" (what nats jwt's NewUserClaims
	 * sets); absent would read as 0. resp.ttl is a Go duration: ns. */
	return json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:{s:{s:[s]}, s:{s:[s,s]}, s:{s:i, s:I}, s:i, s:i, s:i, s:s, s:i}}",
			 "sub", r->user_nkey, "iss", issuer_account_pub, "aud", account_name, "name", handle,
			 "iat", (json_int_t)now, "exp", (json_int_t)(now + ttl_seconds),
			 "nats",
			 "pub", "allow", "kez.inbox.*.>",
			 "sub", "allow", inbox, replies,
			 "resp", "max", 1, "ttl", (json_int_t)NATS_AUTH_RESP_TTL_S * 1000000000,
			 "subs", -1, "data", -1, "payload", -1, "type", "user", "version", 2);
}

json_t *nats_auth_response_claims(const struct nats_auth_request *r, const char *issuer_account_pub,
				  const char *user_jwt, const char *error, int64_t now)
{
	bool grant = user_jwt && user_jwt[0], refusal = error && error[0];
	if (grant == refusal || !is_nkey(r->user_nkey, NKEY_PREFIX_USER) || !is_nkey(r->server_id, NKEY_PREFIX_SERVER) ||
	    !is_nkey(issuer_account_pub, NKEY_PREFIX_ACCOUNT))
		return NULL;
	return json_pack("{s:s, s:s, s:s, s:I, s:{s:s, s:s, s:i}}", "sub", r->user_nkey, "iss", issuer_account_pub,
			 "aud", r->server_id, "iat", (json_int_t)now, "nats", grant ? "jwt" : "error",
			 grant ? user_jwt : error, "type", "authorization_response", "version", 2);
}
