#include "common/envelope.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/buf.h"
#include "common/ed25519.h"
#include "common/jcs.h"
#include "common/key_text.h"
#include "common/rfc3339.h"

#define ENVELOPE_KIND "handle_registration"
#define PAYLOAD_TYPE  "kez.chat.handle_registration"
#define ALGORITHM     "ed25519-sha512-jcs"

static enum api_error say(char *detail, size_t cap, enum api_error e, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static enum api_error say(char *detail, size_t cap, enum api_error e, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, cap, fmt, ap);
	va_end(ap);
	return e;
}

/* Client text quoted in a message: short, printable ASCII only. */
static void quote(const json_t *s, char out[48])
{
	const char *v = json_string_value(s);
	size_t n = json_string_length(s), o = 0;
	for (size_t i = 0; i < n && o < 40; i++)
		out[o++] = (v[i] >= 0x20 && v[i] < 0x7f && v[i] != '"' && v[i] != '\\') ? v[i] : '?';
	if (n > 40) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
}

static bool string_is(const json_t *v, const char *want)
{
	return json_is_string(v) && json_string_length(v) == strlen(want) &&
	       memcmp(json_string_value(v), want, strlen(want)) == 0;
}

static json_t *decode(const char *body, size_t len, bool *numbers_as_reals)
{
	json_error_t err;
	size_t flags = JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL;
	json_t *root = json_loadb(body, len, flags, &err);
	*numbers_as_reals = false;
	/* Integers beyond 64 bits are still valid JSON: JCS reads every number
	 * as a double anyway. */
	if (!root && json_error_code(&err) == json_error_numeric_overflow) {
		root = json_loadb(body, len, flags | JSON_DECODE_INT_AS_REAL, &err);
		*numbers_as_reals = true;
	}
	return root;
}

/* The integer 1; when every number had to be read as a double, 1.0 is all
 * that can be told. */
static bool version_is_one(const json_t *v, bool numbers_as_reals)
{
	if (json_is_integer(v))
		return json_integer_value(v) == 1;
	return numbers_as_reals && json_is_real(v) && json_real_value(v) == 1.0;
}

enum api_error envelope_check(const char *body, size_t len, const struct envelope_policy *policy,
			      struct envelope_result *out, char *detail, size_t cap)
{
	detail[0] = '\0';
	bool numbers_as_reals;
	json_t *root = decode(body, len, &numbers_as_reals);
	if (!root || !json_is_object(root)) {
		json_decref(root);
		return say(detail, cap, API_MALFORMED_JSON,
			   "the body must be one JSON object in UTF-8 without duplicate member names");
	}
	enum api_error e = API_OK;
	json_t *payload = json_object_get(root, "payload");
	json_t *signature = json_object_get(root, "signature");
	json_t *handle = json_object_get(payload, "handle");
	json_t *primary = json_object_get(payload, "primary");
	json_t *server = json_object_get(payload, "server");
	json_t *created = json_object_get(payload, "created_at");
	json_t *alg = json_object_get(signature, "alg");
	json_t *key = json_object_get(signature, "key");
	json_t *sig = json_object_get(signature, "sig");
	char q[48];

	/* 4: the shape */
	if (!string_is(json_object_get(root, "kez"), ENVELOPE_KIND))
		e = say(detail, cap, API_INVALID_ENVELOPE, "kez must be \"" ENVELOPE_KIND "\"");
	else if (!json_is_object(payload) || !json_is_object(signature))
		e = say(detail, cap, API_INVALID_ENVELOPE, "payload and signature must be objects");
	else if (!string_is(json_object_get(payload, "type"), PAYLOAD_TYPE))
		e = say(detail, cap, API_INVALID_ENVELOPE, "payload.type must be \"" PAYLOAD_TYPE "\"");
	else if (!version_is_one(json_object_get(payload, "version"), numbers_as_reals))
		e = say(detail, cap, API_INVALID_ENVELOPE, "payload.version must be the integer 1");
	else if (!json_is_string(handle) || !json_is_string(primary) || !json_is_string(server) ||
		 !json_is_string(created))
		e = say(detail, cap, API_INVALID_ENVELOPE,
			"payload.handle, primary, server and created_at must be strings");
	else if (!json_is_string(alg) || !json_is_string(key) || !json_is_string(sig))
		e = say(detail, cap, API_INVALID_ENVELOPE, "signature.alg, key and sig must be strings");
	if (e != API_OK)
		goto done;

	/* 5 */
	if (!string_is(alg, ALGORITHM)) {
		quote(alg, q);
		e = say(detail, cap, API_UNSUPPORTED_ALGORITHM, "signature.alg is \"%s\"; only \"" ALGORITHM "\" is supported", q);
		goto done;
	}
	/* 6, 7 */
	uint8_t primary_key[32], signing_key[32];
	if (key_text_parse(json_string_value(primary), json_string_length(primary), primary_key) < 0) {
		e = say(detail, cap, API_INVALID_KEY, "payload.primary must be \"ed25519:\" followed by 64 lowercase hex digits");
		goto done;
	}
	if (key_text_parse(json_string_value(key), json_string_length(key), signing_key) < 0) {
		e = say(detail, cap, API_INVALID_KEY, "signature.key must be \"ed25519:\" followed by 64 lowercase hex digits");
		goto done;
	}
	if (memcmp(primary_key, signing_key, sizeof primary_key) != 0) {
		e = say(detail, cap, API_KEY_MISMATCH, "signature.key must equal payload.primary");
		goto done;
	}
	/* 8 */
	if (!string_is(server, policy->server)) {
		quote(server, q);
		e = say(detail, cap, API_WRONG_SERVER, "payload.server is \"%s\" but this server is \"%.100s\"", q, policy->server);
		goto done;
	}
	/* 9, 10 */
	const char *h = json_string_value(handle);
	size_t h_len = json_string_length(handle);
	if (!handle_is_valid(h, h_len)) {
		quote(handle, q);
		e = say(detail, cap, API_INVALID_HANDLE,
			"\"%s\" is not a handle: use 3 to 32 characters of a-z, 0-9, _ and -, starting with a letter or digit", q);
		goto done;
	}
	if (reserved_list_contains(policy->reserved, h, h_len)) {
		e = say(detail, cap, API_HANDLE_RESERVED, "the handle \"%s\" is reserved", h);
		goto done;
	}
	/* 11, 12 */
	int64_t created_at;
	if (rfc3339_parse(json_string_value(created), json_string_length(created), &created_at) < 0) {
		e = say(detail, cap, API_INVALID_TIMESTAMP, "payload.created_at must be an RFC 3339 date-time, e.g. 2026-05-25T03:00:00Z");
		goto done;
	}
	int64_t skew = created_at - policy->now;
	if (skew > ENVELOPE_MAX_SKEW || skew < -ENVELOPE_MAX_SKEW) {
		e = say(detail, cap, API_STALE_TIMESTAMP,
			"payload.created_at is %lld seconds %s the server's clock; the limit is %d",
			(long long)(skew < 0 ? -skew : skew), skew < 0 ? "behind" : "ahead of", ENVELOPE_MAX_SKEW);
		goto done;
	}
	/* 13 */
	uint8_t sig_bytes[ED25519_SIG_LEN];
	if (hex_decode_lower(json_string_value(sig), json_string_length(sig), sig_bytes, sizeof sig_bytes) < 0) {
		e = say(detail, cap, API_INVALID_SIGNATURE, "signature.sig must be 128 lowercase hex digits");
		goto done;
	}
	struct buf canonical;
	buf_init(&canonical, 4 * len + 64);
	bool verified = jcs_serialize(payload, &canonical) == 0 &&
			ed25519_verify(primary_key, (const uint8_t *)canonical.data, canonical.len, sig_bytes);
	buf_free(&canonical);
	if (!verified) {
		e = say(detail, cap, API_INVALID_SIGNATURE, "the signature does not verify over the JCS form of the payload");
		goto done;
	}
	memcpy(out->handle, h, h_len);
	out->handle[h_len] = '\0';
	out->handle_len = h_len;
	memcpy(out->primary, primary_key, sizeof out->primary);
done:
	json_decref(root);
	return e;
}
