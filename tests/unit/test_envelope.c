/* Checks 3–13 of the register table, each failing alone, in order. */
#include <jansson.h>
#include <time.h>

#include "common/ed25519.h"
#include "common/envelope.h"
#include "common/jcs.h"
#include "common/key_text.h"
#include "common/rfc3339.h"
#include "unit.h"

#define NOW 1779678000 /* 2026-05-25T03:00:00Z */

struct fixture {
	uint8_t              seed[32], pub[32];
	struct reserved_list reserved;
	struct envelope_policy policy;
};

static void fixture_init(struct fixture *f)
{
	ed25519_generate(f->seed, f->pub);
	reserved_list_init(&f->reserved);
	f->policy = (struct envelope_policy){ .server = "kez.lat", .reserved = &f->reserved, .now = NOW };
}

static json_t *payload_for(const struct fixture *f, const char *handle)
{
	char key[KEY_TEXT_LEN + 1];
	key_text_format(f->pub, key);
	return json_pack("{s:s, s:i, s:s, s:s, s:s, s:s}", "type", "kez.chat.handle_registration", "version", 1,
			 "handle", handle, "primary", key, "server", "kez.lat", "created_at", "2026-05-25T03:00:00Z");
}

/* Signs the payload as it stands and returns the envelope text. */
static char *envelope_text(const struct fixture *f, json_t *payload)
{
	struct buf canon;
	buf_init(&canon, 1 << 16);
	jcs_serialize(payload, &canon);
	uint8_t sig[64];
	ed25519_sign(f->seed, (const uint8_t *)canon.data, canon.len, sig);
	buf_free(&canon);
	char sig_hex[129], key[KEY_TEXT_LEN + 1];
	hex_encode(sig, 64, sig_hex);
	key_text_format(f->pub, key);
	json_t *env = json_pack("{s:s, s:O, s:{s:s, s:s, s:s}}", "kez", "handle_registration", "payload", payload,
				"signature", "alg", "ed25519-sha512-jcs", "key", key, "sig", sig_hex);
	char *text = json_dumps(env, JSON_COMPACT);
	json_decref(env);
	return text;
}

static enum api_error check_text(const struct fixture *f, const char *text, struct envelope_result *r)
{
	char detail[160];
	return envelope_check(text, strlen(text), &f->policy, r, detail, sizeof detail);
}

/* Builds a valid envelope, lets `mutate` spoil it, and checks the answer. */
static void expect(const struct fixture *f, enum api_error want, void (*mutate)(json_t *env), int line)
{
	json_t *payload = payload_for(f, "tudisco");
	char *text = envelope_text(f, payload);
	json_t *env = json_loads(text, 0, NULL);
	free(text);
	mutate(env);
	text = json_dumps(env, JSON_COMPACT);
	struct envelope_result r;
	enum api_error got = check_text(f, text, &r);
	if (got != want)
		unit_fail(__FILE__, line, "got %s, expected %s for %s", api_error_info(got)->code,
			  api_error_info(want)->code, text);
	free(text);
	json_decref(env);
	json_decref(payload);
}

static void set_payload(json_t *env, const char *k, json_t *v) { json_object_set_new(json_object_get(env, "payload"), k, v); }
static void set_sig(json_t *env, const char *k, json_t *v) { json_object_set_new(json_object_get(env, "signature"), k, v); }

static void m_none(json_t *e) { (void)e; }
static void m_kez(json_t *e) { json_object_set_new(e, "kez", json_string("other")); }
static void m_payload_not_object(json_t *e) { json_object_set_new(e, "payload", json_string("x")); }
static void m_type(json_t *e) { set_payload(e, "type", json_string("kez.chat.other")); }
static void m_version_two(json_t *e) { set_payload(e, "version", json_integer(2)); }
static void m_version_string(json_t *e) { set_payload(e, "version", json_string("1")); }
static void m_version_real(json_t *e) { set_payload(e, "version", json_real(1.5)); }
static void m_handle_number(json_t *e) { set_payload(e, "handle", json_integer(5)); }
static void m_sig_missing(json_t *e) { json_object_del(json_object_get(e, "signature"), "sig"); }
/* each of these also breaks a later check, to prove the order */
static void m_alg(json_t *e) { set_sig(e, "alg", json_string("ed448")); set_payload(e, "handle", json_string("X")); }
static void m_key_upper(json_t *e)
{
	const char *k = json_string_value(json_object_get(json_object_get(e, "payload"), "primary"));
	char up[KEY_TEXT_LEN + 1];
	snprintf(up, sizeof up, "%s", k);
	for (char *p = up + 8; *p; p++)
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 32);
	set_payload(e, "primary", json_string(up));
	set_payload(e, "server", json_string("elsewhere"));
}
static void m_key_short(json_t *e) { set_sig(e, "key", json_string("ed25519:abcd")); }
static void m_mismatch(json_t *e)
{
	set_sig(e, "key", json_string("ed25519:0000000000000000000000000000000000000000000000000000000000000000"));
	set_payload(e, "handle", json_string("x"));
}
static void m_server(json_t *e) { set_payload(e, "server", json_string("kez.example")); set_payload(e, "handle", json_string("admin")); }
static void m_handle_upper(json_t *e) { set_payload(e, "handle", json_string("Tudisco")); }
static void m_handle_short(json_t *e) { set_payload(e, "handle", json_string("ab")); }
static void m_reserved(json_t *e) { set_payload(e, "handle", json_string("admin")); set_payload(e, "created_at", json_string("bad")); }
static void m_timestamp(json_t *e) { set_payload(e, "created_at", json_string("2026-05-25 03:00:00")); }
static void m_stale(json_t *e) { set_payload(e, "created_at", json_string("2026-05-25T02:54:59Z")); }
static void m_future(json_t *e) { set_payload(e, "created_at", json_string("2026-05-25T03:05:01Z")); }
static void m_edge_ok(json_t *e) { (void)e; }
static void m_sig_upper(json_t *e)
{
	char s[129];
	snprintf(s, sizeof s, "%s", json_string_value(json_object_get(json_object_get(e, "signature"), "sig")));
	for (char *p = s; *p; p++)
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 32);
	set_sig(e, "sig", json_string(s));
}
static void m_sig_short(json_t *e) { set_sig(e, "sig", json_string("abcd")); }
static void m_tampered(json_t *e) { set_payload(e, "created_at", json_string("2026-05-25T03:00:01Z")); }
static void m_extra_member(json_t *e) { set_payload(e, "note", json_string("added after signing")); }

UNIT_TEST(envelope_each_check_in_order)
{
	struct fixture f;
	fixture_init(&f);
	expect(&f, API_OK, m_none, __LINE__);
	expect(&f, API_INVALID_ENVELOPE, m_kez, __LINE__);
	expect(&f, API_INVALID_ENVELOPE, m_payload_not_object, __LINE__);
	expect(&f, API_INVALID_ENVELOPE, m_type, __LINE__);
	expect(&f, API_INVALID_ENVELOPE, m_version_two, __LINE__);
	expect(&f, API_INVALID_ENVELOPE, m_version_string, __LINE__);
	expect(&f, API_INVALID_ENVELOPE, m_version_real, __LINE__);
	expect(&f, API_INVALID_ENVELOPE, m_handle_number, __LINE__);
	expect(&f, API_INVALID_ENVELOPE, m_sig_missing, __LINE__);
	expect(&f, API_UNSUPPORTED_ALGORITHM, m_alg, __LINE__);
	expect(&f, API_INVALID_KEY, m_key_upper, __LINE__);
	expect(&f, API_INVALID_KEY, m_key_short, __LINE__);
	expect(&f, API_KEY_MISMATCH, m_mismatch, __LINE__);
	expect(&f, API_WRONG_SERVER, m_server, __LINE__);
	expect(&f, API_INVALID_HANDLE, m_handle_upper, __LINE__);
	expect(&f, API_INVALID_HANDLE, m_handle_short, __LINE__);
	expect(&f, API_HANDLE_RESERVED, m_reserved, __LINE__);
	expect(&f, API_INVALID_TIMESTAMP, m_timestamp, __LINE__);
	expect(&f, API_STALE_TIMESTAMP, m_stale, __LINE__);
	expect(&f, API_STALE_TIMESTAMP, m_future, __LINE__);
	expect(&f, API_INVALID_SIGNATURE, m_sig_upper, __LINE__);
	expect(&f, API_INVALID_SIGNATURE, m_sig_short, __LINE__);
	expect(&f, API_INVALID_SIGNATURE, m_tampered, __LINE__);
	expect(&f, API_INVALID_SIGNATURE, m_extra_member, __LINE__);
	f.policy.now = NOW + 300; /* exactly at the edge of the window */
	expect(&f, API_OK, m_edge_ok, __LINE__);
	reserved_list_free(&f.reserved);
}

UNIT_TEST(envelope_malformed_json)
{
	struct fixture f;
	fixture_init(&f);
	struct envelope_result r;
	const char *bad[] = {
		"", "[]", "\"x\"", "{", "{\"kez\":1,\"kez\":2}",
		"{\"payload\":{\"a\":{\"b\":1,\"b\":2}}}",
		"{\"kez\":\"\xff\"}",             /* invalid UTF-8 */
		"{\"kez\":\"\xed\xa0\x80\"}",     /* an encoded surrogate */
		"{\"kez\":\"\\ud800\"}",          /* a lone surrogate escape */
		"{\"kez\":\"\\udc00\\ud800\"}",
		"{\"a\":1} {\"b\":2}",
		"{\"a\":NaN}",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (check_text(&f, bad[i], &r) != API_MALFORMED_JSON)
			unit_fail(__FILE__, __LINE__, "not malformed_json: %s", bad[i]);
	reserved_list_free(&f.reserved);
}

UNIT_TEST(envelope_exotic_payloads_verify)
{
	struct fixture f;
	fixture_init(&f);
	json_t *payload = payload_for(&f, "tudisco");
	json_object_set_new(payload, "\xf0\x9f\x98\x80 emoji", json_string("\xe2\x82\xac \xef\xac\xb3 \\ \" / \x01"));
	json_object_set_new(payload, "\xef\xac\xb3", json_real(1e21));
	json_object_set_new(payload, "numbers", json_pack("[f, f, f, I]", 0.1, -0.0, 1e-7, (json_int_t)9007199254740993LL));
	json_object_set_new(payload, "nested", json_pack("{s:[{s:n}, b]}", "z", "a", 1));
	char *text = envelope_text(&f, payload);
	struct envelope_result r;
	CHECK_EQ_INT(check_text(&f, text, &r), API_OK);
	CHECK_EQ_STR(r.handle, "tudisco");
	CHECK(memcmp(r.primary, f.pub, 32) == 0);
	free(text);
	json_decref(payload);

	/* An integer beyond 64 bits is valid JSON and is signed as a double. */
	payload = payload_for(&f, "bignum");
	json_object_set_new(payload, "big", json_real(1e30));
	text = envelope_text(&f, payload);
	/* Swap jansson's rendering of the number for a 31-digit integer literal. */
	char *at = strstr(text, "\"big\":");
	CHECK(at != NULL);
	if (at) {
		at += 6;
		size_t skip = strcspn(at, ",}");
		char body[4096];
		snprintf(body, sizeof body, "%.*s1000000000000000000000000000000%s", (int)(at - text), text, at + skip);
		CHECK_EQ_INT(check_text(&f, body, &r), API_OK);
	}
	free(text);
	json_decref(payload);
	reserved_list_free(&f.reserved);
}
