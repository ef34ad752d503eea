#include "common/kez/envelope.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common/base/buf.h"
#include "common/kez/ed25519.h"
#include "common/kez/jcs.h"
#include "common/kez/json_body.h"
#include "common/kez/key_text.h"
#include "common/kez/rfc3339.h"

#define ENVELOPE_KIND "handle_registration"
#define PAYLOAD_TYPE  "kez.chat.handle_registration"
#define ALGORITHM     "ed25519-sha512-jcs"

#define QUOTE_MAX JSON_QUOTE_MAX

/* --- messages ------------------------------------------------------------ */

/* A client's string, to be shown between quotes. */

/* "payload.handle is missing; ..." or "... must be a string, not a number". */
static enum api_error say_wrong_kind(const struct json_detail *d, const char *path, const char *want, const json_t *v)
{
	if (!v)
		return json_say(d, API_INVALID_ENVELOPE, "%s is missing; it must be %s", path, want);
	return json_say(d, API_INVALID_ENVELOPE, "%s must be %s, not %s", path, want, json_kind_of(v));
}

/* --- check 4: the shape --------------------------------------------------- */

static bool string_is(const json_t *v, const char *want)
{
	size_t n = strlen(want);
	return json_is_string(v) && json_string_length(v) == n && memcmp(json_string_value(v), want, n) == 0;
}

/* The integer 1; 1.0 only when every number had to be read as a double and
 * the two can no longer be told apart. */
static bool version_is_one(const json_t *v, bool numbers_as_reals)
{
	if (json_is_integer(v))
		return json_integer_value(v) == 1;
	return numbers_as_reals && json_is_real(v) && json_real_value(v) == 1.0;
}

struct string_member {
	bool        in_payload; /* else in signature */
	const char *name, *path;
};

static const struct string_member required_strings[] = {
	{ true, "handle", "payload.handle" },   { true, "primary", "payload.primary" },
	{ true, "server", "payload.server" },   { true, "created_at", "payload.created_at" },
	{ false, "alg", "signature.alg" },      { false, "key", "signature.key" },
	{ false, "sig", "signature.sig" },
};

static enum api_error check_shape(json_t *root, bool numbers_as_reals, const struct json_detail *d)
{
	json_t *kez = json_object_get(root, "kez");
	if (!string_is(kez, ENVELOPE_KIND))
		return json_say(d, API_INVALID_ENVELOPE, "kez %s \"" ENVELOPE_KIND "\"", kez ? "must be" : "is missing; it must be");
	json_t *payload = json_object_get(root, "payload");
	if (!json_is_object(payload))
		return say_wrong_kind(d, "payload", "an object", payload);
	json_t *signature = json_object_get(root, "signature");
	if (!json_is_object(signature))
		return say_wrong_kind(d, "signature", "an object", signature);
	if (!string_is(json_object_get(payload, "type"), PAYLOAD_TYPE))
		return json_say(d, API_INVALID_ENVELOPE, "payload.type must be \"" PAYLOAD_TYPE "\"");
	if (!version_is_one(json_object_get(payload, "version"), numbers_as_reals))
		return json_say(d, API_INVALID_ENVELOPE, "payload.version must be the integer 1");
	for (size_t i = 0; i < sizeof required_strings / sizeof required_strings[0]; i++) {
		const struct string_member *m = &required_strings[i];
		json_t *v = json_object_get(m->in_payload ? payload : signature, m->name);
		if (!json_is_string(v))
			return say_wrong_kind(d, m->path, "a string", v);
	}
	return API_OK;
}

/* --- check 13: what fails before canonicalization ---------------------- */

/* S, little-endian, against the group order L = 2^252 + 2774...8493, also
 * little-endian; compared from the most significant byte down. */
static bool s_is_reduced(const uint8_t s[32])
{
	static const uint8_t order[32] = {
		0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,
	};
	for (int i = 31; i >= 0; i--)
		if (s[i] != order[i])
			return s[i] < order[i];
	return false; /* S = L */
}

/* --- checks 3 to 13 --------------------------------------------------------- */

static enum api_error check_decoded(json_t *root, bool numbers_as_reals, size_t body_len,
				    const struct envelope_policy *policy, struct envelope_result *out,
				    const struct json_detail *d)
{
	char q[QUOTE_MAX + 4];

	/* 4 */
	enum api_error e = check_shape(root, numbers_as_reals, d);
	if (e != API_OK)
		return e;
	json_t *payload = json_object_get(root, "payload"), *signature = json_object_get(root, "signature");
	json_t *handle = json_object_get(payload, "handle"), *primary = json_object_get(payload, "primary");
	json_t *server = json_object_get(payload, "server"), *created = json_object_get(payload, "created_at");
	json_t *alg = json_object_get(signature, "alg"), *key = json_object_get(signature, "key");
	json_t *sig = json_object_get(signature, "sig");

	/* 5 */
	if (!string_is(alg, ALGORITHM)) {
		json_quote_string(alg, q);
		return json_say(d, API_UNSUPPORTED_ALGORITHM, "signature.alg is \"%s\"; only \"" ALGORITHM "\" is supported", q);
	}

	/* 6: length-checked parses, so a NUL inside a string is simply not a key */
	uint8_t primary_key[ED25519_KEY_LEN], signing_key[ED25519_KEY_LEN];
	if (key_text_parse(json_string_value(primary), json_string_length(primary), primary_key) < 0)
		return json_say(d, API_INVALID_KEY, "payload.primary must be \"ed25519:\" followed by 64 lowercase hex digits");
	if (key_text_parse(json_string_value(key), json_string_length(key), signing_key) < 0)
		return json_say(d, API_INVALID_KEY, "signature.key must be \"ed25519:\" followed by 64 lowercase hex digits");
	/* A small-order point is no one's key, though "signatures" verify under
	 * it for a share of all payloads: binding a handle to it would be a forgery. */
	if (ed25519_is_small_order(primary_key))
		return json_say(d, API_INVALID_KEY, "payload.primary is a point of small order, not a usable public key");

	/* 7: one text form per key, so equal bytes mean equal strings */
	if (memcmp(primary_key, signing_key, sizeof primary_key) != 0)
		return json_say(d, API_KEY_MISMATCH, "signature.key must equal payload.primary");

	/* 8: exactly, byte for byte */
	if (!string_is(server, policy->server)) {
		json_quote_string(server, q);
		return json_say(d, API_WRONG_SERVER, "payload.server is \"%s\" but this server is \"%.60s\"", q, policy->server);
	}

	/* 9, 10: as sent; a handle with capitals is invalid, not lowercased */
	const char *h = json_string_value(handle);
	size_t h_len = json_string_length(handle);
	if (!handle_is_valid(h, h_len)) {
		json_quote_string(handle, q);
		return json_say(d, API_INVALID_HANDLE,
			   "\"%s\" is not a handle: use 3 to 32 of a-z, 0-9, _ and -, starting with a letter or digit", q);
	}
	if (reserved_list_contains(policy->reserved, h, h_len))
		return json_say(d, API_HANDLE_RESERVED, "the handle \"%.*s\" is reserved", (int)h_len, h);

	/* 11, 12 */
	int64_t created_at;
	if (rfc3339_parse(json_string_value(created), json_string_length(created), &created_at) < 0) {
		json_quote_string(created, q);
		return json_say(d, API_INVALID_TIMESTAMP,
			   "payload.created_at \"%s\" is not an RFC 3339 date-time such as 2026-05-25T03:00:00Z", q);
	}
	int64_t skew = created_at - policy->now;
	if (skew > ENVELOPE_MAX_SKEW || skew < -ENVELOPE_MAX_SKEW)
		return json_say(d, API_STALE_TIMESTAMP, "payload.created_at is %lld seconds %s the server's clock; the limit is %d",
			   (long long)(skew < 0 ? -skew : skew), skew < 0 ? "behind" : "ahead of", ENVELOPE_MAX_SKEW);

	/* 13 */
	uint8_t sig_bytes[ED25519_SIG_LEN];
	if (hex_decode_lower(json_string_value(sig), json_string_length(sig), sig_bytes, sizeof sig_bytes) < 0)
		return json_say(d, API_INVALID_SIGNATURE, "signature.sig must be 128 lowercase hex digits");
	/* A signature whose S is not below the group order verifies over no
	 * message (RFC 8032 §5.1.7): refused without canonicalizing anything. */
	if (!s_is_reduced(sig_bytes + 32))
		return json_say(d, API_INVALID_SIGNATURE, "the signature does not verify: its S half is not below the group order");
	/* Only a runaway is stopped: numbers may legitimately grow ("1e20" is
	 * written as 21 digits), strings never do, so 6 times the body is
	 * more than any payload inside it needs. */
	struct buf canonical;
	buf_init(&canonical, body_len < (SIZE_MAX - 64) / 6 ? 6 * body_len + 64 : SIZE_MAX);
	bool verified = jcs_serialize(payload, &canonical) == 0 &&
			ed25519_verify(primary_key, (const uint8_t *)canonical.data, canonical.len, sig_bytes);
	buf_free(&canonical);
	if (!verified)
		return json_say(d, API_INVALID_SIGNATURE, "the signature does not verify over the JCS form of the payload");

	memcpy(out->handle, h, h_len);
	out->handle[h_len] = '\0';
	out->handle_len = h_len;
	memcpy(out->primary, primary_key, sizeof out->primary);
	return API_OK;
}

enum api_error envelope_check(const char *body, size_t len, const struct envelope_policy *policy,
			      struct envelope_result *out, char *detail, size_t detail_len)
{
	const struct json_detail d = { detail, detail ? detail_len : 0 };
	if (d.cap)
		detail[0] = '\0';

	/* 3: json_body_load applies the cost caps first, on the raw bytes */
	bool numbers_as_reals;
	json_t *root = json_body_load(body, len, &numbers_as_reals, d.text, d.cap);
	if (!root)
		return API_MALFORMED_JSON;
	enum api_error e = check_decoded(root, numbers_as_reals, len, policy, out, &d);
	json_decref(root);
	return e;
}
