/* The registration envelope: checks 3–13 of the register table. Each case
 * breaks one check (and, where it proves the order, a later one too) of an
 * otherwise valid, correctly signed envelope and expects exactly that
 * check's error. */
#include <jansson.h>

#include "common/kez/ed25519.h"
#include "common/kez/envelope.h"
#include "common/kez/jcs.h"
#include "common/kez/key_text.h"
#include "unit.h"

#define NOW 1779678000 /* 2026-05-25T03:00:00Z */

/* RFC 8032 TEST 1's key pair: fixed, so the golden envelopes below hold. */
#define SEED_HEX  "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"
#define KEY1      "ed25519:d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
#define KEY1_UPPER "ed25519:D75A980182B10AB7D54BFED3C964073A0EE172F3DAA62325AF021A68F707511A"
#define KEY2      "ed25519:3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c"

struct fixture {
	uint8_t                seed[32], pub[32];
	struct reserved_list   reserved;
	struct envelope_policy policy;
};

static bool fixture_init(struct fixture *f)
{
	memset(f, 0, sizeof *f);
	if (unit_hex(SEED_HEX, f->seed, 32) != 32 || ed25519_public_key(f->seed, f->pub) < 0 ||
	    reserved_list_init(&f->reserved) < 0)
		return false;
	f->policy = (struct envelope_policy){ .server = "kez.lat", .reserved = &f->reserved, .now = NOW };
	return true;
}

static void fixture_free(struct fixture *f)
{
	reserved_list_free(&f->reserved);
}

/* The detail must be a short printable sentence whatever the client sent. */
static void check_detail_is_clean(const char *detail, size_t cap, int line)
{
	size_t n = strnlen(detail, cap);
	if (n == cap)
		unit_fail(__FILE__, line, "detail is not NUL-terminated");
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)detail[i] < 0x20 || (unsigned char)detail[i] >= 0x7f) {
			unit_fail(__FILE__, line, "detail has byte 0x%02x: %s", (unsigned char)detail[i], detail);
			break;
		}
}

struct outcome {
	enum api_error         error;
	char                   detail[160]; /* IPC_DETAIL_MAX, what the verifier passes */
	struct envelope_result result;
};

static enum api_error run(const struct fixture *f, const char *body, size_t len, struct outcome *o, int line)
{
	memset(o, 0, sizeof *o);
	o->error = envelope_check(body, len, &f->policy, &o->result, o->detail, sizeof o->detail);
	check_detail_is_clean(o->detail, sizeof o->detail, line);
	if (o->error != API_OK && o->detail[0] == '\0')
		unit_fail(__FILE__, line, "no detail for %s", api_error_info(o->error)->code);
	return o->error;
}

static void expect_text(const struct fixture *f, const char *body, size_t len, enum api_error want, int line)
{
	struct outcome o;
	if (run(f, body, len, &o, line) != want)
		unit_fail(__FILE__, line, "got %s (%s), expected %s for %.*s", api_error_info(o.error)->code, o.detail,
			  api_error_info(want)->code, (int)(len > 300 ? 300 : len), body);
}

#define EXPECT_TEXT(body, want) expect_text(&f, body, sizeof body - 1, want, __LINE__)

/* --- envelopes built as jansson values --------------------------------- */

static json_t *valid_envelope(void)
{
	return json_pack("{s:s, s:{s:s, s:i, s:s, s:s, s:s, s:s}, s:{s:s, s:s, s:s}}", "kez", "handle_registration",
			 "payload", "type", "kez.chat.handle_registration", "version", 1, "handle", "tudisco", "primary",
			 KEY1, "server", "kez.lat", "created_at", "2026-05-25T03:00:00Z", "signature", "alg",
			 "ed25519-sha512-jcs", "key", KEY1, "sig", "to be signed");
}

/* Signs the payload as it now stands (if it is an object) into signature.sig. */
static void sign_payload(const struct fixture *f, json_t *env)
{
	json_t *payload = json_object_get(env, "payload");
	json_t *signature = json_object_get(env, "signature");
	if (!json_is_object(payload) || !json_is_object(signature))
		return;
	struct buf canon;
	buf_init(&canon, 1 << 16);
	uint8_t sig[64];
	char hex[129];
	if (jcs_serialize(payload, &canon) == 0 && ed25519_sign(f->seed, (const uint8_t *)canon.data, canon.len, sig) == 0) {
		hex_encode(sig, 64, hex);
		json_object_set_new(signature, "sig", json_string(hex));
	}
	buf_free(&canon);
}

/* One change to an envelope: `path` is "member" or "object.member", `json`
 * the new value as JSON text, NULL to remove the member. */
struct edit {
	const char *path, *json;
};

static void apply(json_t *env, const struct edit *e)
{
	char parent_name[32];
	const char *dot = strchr(e->path, '.');
	json_t *parent = env;
	const char *member = e->path;
	if (dot) {
		snprintf(parent_name, sizeof parent_name, "%.*s", (int)(dot - e->path), e->path);
		parent = json_object_get(env, parent_name);
		member = dot + 1;
	}
	if (!json_is_object(parent))
		return;
	if (!e->json) {
		json_object_del(parent, member);
		return;
	}
	json_error_t err;
	json_t *v = json_loads(e->json, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
	if (!v)
		unit_fail(__FILE__, __LINE__, "test data: %s is not JSON: %s", e->json, err.text);
	else
		json_object_set_new(parent, member, v);
}

#define MAX_EDITS 3

struct envelope_case {
	int            line;
	enum api_error want;
	/* Edits under "payload" are made before signing, so the signature
	 * still covers them; the others after. */
	struct edit    edits[MAX_EDITS];
	/* Payload edits made after signing. */
	struct edit    tamper[MAX_EDITS];
	const char    *detail; /* a part the detail must contain, or NULL */
};

static char *build(const struct fixture *f, const struct envelope_case *c)
{
	json_t *env = valid_envelope();
	for (int i = 0; i < MAX_EDITS && c->edits[i].path; i++)
		if (strncmp(c->edits[i].path, "payload", 7) == 0)
			apply(env, &c->edits[i]);
	sign_payload(f, env);
	for (int i = 0; i < MAX_EDITS && c->edits[i].path; i++)
		if (strncmp(c->edits[i].path, "payload", 7) != 0)
			apply(env, &c->edits[i]);
	for (int i = 0; i < MAX_EDITS && c->tamper[i].path; i++)
		apply(env, &c->tamper[i]);
	char *text = json_dumps(env, JSON_COMPACT);
	json_decref(env);
	return text;
}

static void run_cases(const struct fixture *f, const struct envelope_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct envelope_case *c = &cases[i];
		char *text = build(f, c);
		if (!text) {
			unit_fail(__FILE__, c->line, "cannot build the envelope");
			continue;
		}
		struct outcome o;
		if (run(f, text, strlen(text), &o, c->line) != c->want)
			unit_fail(__FILE__, c->line, "got %s (%s), expected %s for %s", api_error_info(o.error)->code,
				  o.detail, api_error_info(c->want)->code, text);
		else if (c->detail && !strstr(o.detail, c->detail))
			unit_fail(__FILE__, c->line, "detail \"%s\" does not say \"%s\"", o.detail, c->detail);
		else if (c->want == API_OK && (strcmp(o.result.handle, "tudisco") != 0 || o.result.handle_len != 7))
			unit_fail(__FILE__, c->line, "result handle is \"%s\"", o.result.handle);
		free(text);
	}
}

#define CASES(f, table) run_cases(f, table, sizeof table / sizeof table[0])
#define E(...) { __VA_ARGS__ }
#define NONE { { NULL, NULL } }

UNIT_TEST(envelope_valid_passes)
{
	struct fixture f;
	REQUIRE(fixture_init(&f));
	static const struct envelope_case cases[] = {
		{ __LINE__, API_OK, NONE, NONE, NULL },
		/* members the server does not know are allowed everywhere (and signed in the payload) */
		{ __LINE__, API_OK, E({ "payload.note", "\"hello \\u00e9 \\ud83d\\ude00\"" }, { "signature.comment", "[1,2]" },
				      { "extra", "{\"x\":null}" }), NONE, NULL },
		/* the window's edges, either side, in any offset */
		{ __LINE__, API_OK, E({ "payload.created_at", "\"2026-05-25T02:55:00Z\"" }), NONE, NULL },
		{ __LINE__, API_OK, E({ "payload.created_at", "\"2026-05-25T03:05:00Z\"" }), NONE, NULL },
		{ __LINE__, API_OK, E({ "payload.created_at", "\"2026-05-25T05:05:00+02:00\"" }), NONE, NULL },
		{ __LINE__, API_OK, E({ "payload.created_at", "\"2026-05-24T22:55:00.999-04:00\"" }), NONE, NULL },
	};
	CASES(&f, cases);

	struct envelope_case plain = { __LINE__, API_OK, NONE, NONE, NULL };
	char *text = build(&f, &plain);
	struct outcome o;
	CHECK_EQ_INT(run(&f, text, strlen(text), &o, __LINE__), API_OK);
	CHECK_EQ_STR(o.result.handle, "tudisco");
	CHECK_EQ_INT(o.result.handle_len, 7);
	CHECK_EQ_MEM(o.result.primary, f.pub, 32);
	CHECK_EQ_STR(o.detail, "");
	/* the same body with no room for a detail at all */
	struct envelope_result r;
	CHECK_EQ_INT(envelope_check(text, strlen(text), &f.policy, &r, NULL, 0), API_OK);
	free(text);
	fixture_free(&f);
}

/* Check 4: the shape, every member of it. */
UNIT_TEST(envelope_check4_invalid_envelope)
{
	struct fixture f;
	REQUIRE(fixture_init(&f));
	static const struct envelope_case cases[] = {
		{ __LINE__, API_INVALID_ENVELOPE, E({ "kez", "\"other\"" }), NONE, "kez must be" },
		{ __LINE__, API_INVALID_ENVELOPE, E({ "kez", NULL }), NONE, "kez is missing; it must be \"handle_registration\"" },
		{ __LINE__, API_INVALID_ENVELOPE, E({ "kez", "1" }), NONE, "kez" },
		{ __LINE__, API_INVALID_ENVELOPE, E({ "kez", "\"Handle_registration\"" }), NONE, "kez" },
		{ __LINE__, API_INVALID_ENVELOPE, E({ "kez", "\"handle_registration\\u0000\"" }), NONE, "kez" },
		{ __LINE__, API_INVALID_ENVELOPE, E({ "payload", NULL }), NONE, "payload is missing; it must be an object" },
		{ __LINE__, API_INVALID_ENVELOPE, E({ "payload", "[]" }), NONE, "payload must be an object, not an array" },
		{ __LINE__, API_INVALID_ENVELOPE, E({ "payload", "\"x\"" }), NONE, "payload" },
		{ __LINE__, API_INVALID_ENVELOPE, E({ "signature", NULL }), NONE, "signature is missing; it must be an object" },
		{ __LINE__, API_INVALID_ENVELOPE, E({ "signature", "null" }), NONE, "signature must be an object, not null" },
		{ __LINE__, API_INVALID_ENVELOPE, E({ "signature", "[\"ed25519-sha512-jcs\"]" }), NONE, "signature" },
		{ __LINE__, API_INVALID_ENVELOPE, E({ "payload.type", "\"kez.chat.other\"" }), NONE, "payload.type" },
		{ __LINE__, API_INVALID_ENVELOPE, E({ "payload.type", NULL }), NONE, "payload.type" },
		{ __LINE__, API_INVALID_ENVELOPE, E({ "payload.type", "7" }), NONE, "payload.type" },
		{ __LINE__, API_INVALID_ENVELOPE, E({ "payload.version", "2" }), NONE, "payload.version must be the integer 1" },
		{ __LINE__, API_INVALID_ENVELOPE, E({ "payload.version", "0" }), NONE, "payload.version" },
		{ __LINE__, API_INVALID_ENVELOPE, E({ "payload.version", "-1" }), NONE, "payload.version" },
		{ __LINE__, API_INVALID_ENVELOPE, E({ "payload.version", "\"1\"" }), NONE, "payload.version" },
		{ __LINE__, API_INVALID_ENVELOPE, E({ "payload.version", "true" }), NONE, "payload.version" },
		{ __LINE__, API_INVALID_ENVELOPE, E({ "payload.version", "1.0" }), NONE, "payload.version" },
		{ __LINE__, API_INVALID_ENVELOPE, E({ "payload.version", "1.5" }), NONE, "payload.version" },
		{ __LINE__, API_INVALID_ENVELOPE, E({ "payload.version", "null" }), NONE, "payload.version" },
		{ __LINE__, API_INVALID_ENVELOPE, E({ "payload.version", "[1]" }), NONE, "payload.version" },
		{ __LINE__, API_INVALID_ENVELOPE, E({ "payload.version", NULL }), NONE, "payload.version" },
		{ __LINE__, API_INVALID_ENVELOPE, E({ "payload.handle", "5" }), NONE, "payload.handle must be a string, not a number" },
		{ __LINE__, API_INVALID_ENVELOPE, E({ "payload.handle", NULL }), NONE, "payload.handle is missing; it must be a string" },
		{ __LINE__, API_INVALID_ENVELOPE, E({ "payload.handle", "[\"tudisco\"]" }), NONE, "payload.handle" },
		{ __LINE__, API_INVALID_ENVELOPE, E({ "payload.primary", "null" }), NONE, "payload.primary" },
		{ __LINE__, API_INVALID_ENVELOPE, E({ "payload.primary", NULL }), NONE, "payload.primary" },
		{ __LINE__, API_INVALID_ENVELOPE, E({ "payload.server", "{}" }), NONE, "payload.server must be a string, not an object" },
		{ __LINE__, API_INVALID_ENVELOPE, E({ "payload.server", NULL }), NONE, "payload.server" },
		{ __LINE__, API_INVALID_ENVELOPE, E({ "payload.created_at", "1779678000" }), NONE, "payload.created_at" },
		{ __LINE__, API_INVALID_ENVELOPE, E({ "payload.created_at", NULL }), NONE, "payload.created_at" },
		{ __LINE__, API_INVALID_ENVELOPE, E({ "signature.alg", "false" }), NONE, "signature.alg must be a string, not a boolean" },
		{ __LINE__, API_INVALID_ENVELOPE, E({ "signature.alg", NULL }), NONE, "signature.alg" },
		{ __LINE__, API_INVALID_ENVELOPE, E({ "signature.key", "32" }), NONE, "signature.key" },
		{ __LINE__, API_INVALID_ENVELOPE, E({ "signature.key", NULL }), NONE, "signature.key" },
		{ __LINE__, API_INVALID_ENVELOPE, E({ "signature.sig", "null" }), NONE, "signature.sig must be a string, not null" },
		{ __LINE__, API_INVALID_ENVELOPE, E({ "signature.sig", NULL }), NONE, "signature.sig" },
		/* before any later check */
		{ __LINE__, API_INVALID_ENVELOPE, E({ "kez", "\"x\"" }, { "signature.alg", "\"ed448\"" }), NONE, "kez" },
		{ __LINE__, API_INVALID_ENVELOPE, E({ "payload.version", "2" }, { "payload.handle", "\"X\"" }), NONE, "version" },
		{ __LINE__, API_INVALID_ENVELOPE, E({ "signature.sig", "1" }, { "payload.primary", "\"bad\"" }), NONE, "signature.sig" },
	};
	CASES(&f, cases);
	/* an empty object is JSON, just not an envelope */
	EXPECT_TEXT("{}", API_INVALID_ENVELOPE);
	fixture_free(&f);
}

/* Checks 5 to 8. */
UNIT_TEST(envelope_checks5to8_algorithm_keys_server)
{
	struct fixture f;
	REQUIRE(fixture_init(&f));
	static const struct envelope_case cases[] = {
		/* 5 */
		{ __LINE__, API_UNSUPPORTED_ALGORITHM, E({ "signature.alg", "\"ed448\"" }), NONE, "\"ed448\"" },
		{ __LINE__, API_UNSUPPORTED_ALGORITHM, E({ "signature.alg", "\"\"" }), NONE, NULL },
		{ __LINE__, API_UNSUPPORTED_ALGORITHM, E({ "signature.alg", "\"ED25519-SHA512-JCS\"" }), NONE, NULL },
		{ __LINE__, API_UNSUPPORTED_ALGORITHM, E({ "signature.alg", "\"ed25519-sha512-jcs \"" }), NONE, NULL },
		{ __LINE__, API_UNSUPPORTED_ALGORITHM, E({ "signature.alg", "\"ed25519-sha512-jcs\\u0000\"" }), NONE, NULL },
		{ __LINE__, API_UNSUPPORTED_ALGORITHM, E({ "signature.alg", "\"ed25519\"" }, { "signature.key", "\"x\"" }), NONE, NULL },
		/* 6 */
		{ __LINE__, API_INVALID_KEY, E({ "payload.primary", "\"" KEY1_UPPER "\"" }), NONE, "payload.primary" },
		{ __LINE__, API_INVALID_KEY, E({ "payload.primary", "\"ed25519:abcd\"" }), NONE, "payload.primary" },
		{ __LINE__, API_INVALID_KEY, E({ "payload.primary", "\"d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a\"" }), NONE, "payload.primary" },
		{ __LINE__, API_INVALID_KEY, E({ "payload.primary", "\"ed25519:d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707\\u000011a\"" }), NONE, "payload.primary" },
		{ __LINE__, API_INVALID_KEY, E({ "payload.primary", "\"\"" }), NONE, "payload.primary" },
		{ __LINE__, API_INVALID_KEY, E({ "signature.key", "\"" KEY1_UPPER "\"" }), NONE, "signature.key" },
		{ __LINE__, API_INVALID_KEY, E({ "signature.key", "\"ed25519:abcd\"" }), NONE, "signature.key" },
		{ __LINE__, API_INVALID_KEY, E({ "signature.key", "\"" KEY1 " \"" }), NONE, "signature.key" },
		{ __LINE__, API_INVALID_KEY, E({ "payload.primary", "\"" KEY1_UPPER "\"" }, { "signature.key", "\"" KEY1_UPPER "\"" }), NONE, NULL },
		{ __LINE__, API_INVALID_KEY, E({ "payload.primary", "\"" KEY1_UPPER "\"" }, { "payload.server", "\"elsewhere\"" }), NONE, NULL },
		/* 7 */
		{ __LINE__, API_KEY_MISMATCH, E({ "signature.key", "\"" KEY2 "\"" }), NONE, "signature.key must equal payload.primary" },
		{ __LINE__, API_KEY_MISMATCH, E({ "signature.key", "\"" KEY2 "\"" }, { "payload.server", "\"elsewhere\"" }), NONE, NULL },
		{ __LINE__, API_KEY_MISMATCH, E({ "payload.primary", "\"" KEY2 "\"" }, { "payload.handle", "\"x\"" }), NONE, NULL },
		/* 8: byte for byte */
		{ __LINE__, API_WRONG_SERVER, E({ "payload.server", "\"kez.example\"" }), NONE, "payload.server is \"kez.example\" but this server is \"kez.lat\"" },
		{ __LINE__, API_WRONG_SERVER, E({ "payload.server", "\"KEZ.LAT\"" }), NONE, NULL },
		{ __LINE__, API_WRONG_SERVER, E({ "payload.server", "\"kez.lat.\"" }), NONE, NULL },
		{ __LINE__, API_WRONG_SERVER, E({ "payload.server", "\" kez.lat\"" }), NONE, NULL },
		{ __LINE__, API_WRONG_SERVER, E({ "payload.server", "\"kez.la\"" }), NONE, NULL },
		{ __LINE__, API_WRONG_SERVER, E({ "payload.server", "\"kez.lat\\u0000\"" }), NONE, NULL },
		{ __LINE__, API_WRONG_SERVER, E({ "payload.server", "\"\"" }), NONE, NULL },
		{ __LINE__, API_WRONG_SERVER, E({ "payload.server", "\"https://kez.lat\"" }), NONE, NULL },
		{ __LINE__, API_WRONG_SERVER, E({ "payload.server", "\"kez.example\"" }, { "payload.handle", "\"admin\"" }), NONE, NULL },
	};
	CASES(&f, cases);
	fixture_free(&f);
}

/* Checks 9 to 12. */
UNIT_TEST(envelope_checks9to12_handle_and_time)
{
	struct fixture f;
	REQUIRE(fixture_init(&f));
	static const struct envelope_case cases[] = {
		/* 9: as sent, never lowercased */
		{ __LINE__, API_INVALID_HANDLE, E({ "payload.handle", "\"Tudisco\"" }), NONE, "\"Tudisco\" is not a handle" },
		{ __LINE__, API_INVALID_HANDLE, E({ "payload.handle", "\"ADMIN\"" }), NONE, NULL },
		{ __LINE__, API_INVALID_HANDLE, E({ "payload.handle", "\"ab\"" }), NONE, NULL },
		{ __LINE__, API_INVALID_HANDLE, E({ "payload.handle", "\"\"" }), NONE, NULL },
		{ __LINE__, API_INVALID_HANDLE, E({ "payload.handle", "\"abcdefghijklmnopqrstuvwxyz0123456\"" }), NONE, NULL },
		{ __LINE__, API_INVALID_HANDLE, E({ "payload.handle", "\"_abc\"" }), NONE, NULL },
		{ __LINE__, API_INVALID_HANDLE, E({ "payload.handle", "\"-abc\"" }), NONE, NULL },
		{ __LINE__, API_INVALID_HANDLE, E({ "payload.handle", "\"al ice\"" }), NONE, NULL },
		{ __LINE__, API_INVALID_HANDLE, E({ "payload.handle", "\"alice@kez.lat\"" }), NONE, NULL },
		{ __LINE__, API_INVALID_HANDLE, E({ "payload.handle", "\"abc\\u0000\"" }), NONE, NULL },
		{ __LINE__, API_INVALID_HANDLE, E({ "payload.handle", "\"\\u00e9t\\u00e9\"" }), NONE, NULL },
		{ __LINE__, API_INVALID_HANDLE, E({ "payload.handle", "\"tudisco\\n\"" }), NONE, NULL },
		{ __LINE__, API_INVALID_HANDLE, E({ "payload.handle", "\"Admin\"" }, { "payload.created_at", "\"bad\"" }), NONE, NULL },
		/* 10 */
		{ __LINE__, API_HANDLE_RESERVED, E({ "payload.handle", "\"admin\"" }), NONE, "the handle \"admin\" is reserved" },
		{ __LINE__, API_HANDLE_RESERVED, E({ "payload.handle", "\"no-reply\"" }), NONE, NULL },
		{ __LINE__, API_HANDLE_RESERVED, E({ "payload.handle", "\"everyone\"" }), NONE, NULL },
		{ __LINE__, API_HANDLE_RESERVED, E({ "payload.handle", "\"kez\"" }), NONE, NULL },
		{ __LINE__, API_HANDLE_RESERVED, E({ "payload.handle", "\"mod\"" }, { "payload.created_at", "\"bad\"" }), NONE, NULL },
		/* near misses are not reserved */
		{ __LINE__, API_OK, E({ "payload.handle", "\"tudisco\"" }, { "payload.note", "\"admins is not admin\"" }), NONE, NULL },
		/* 11 */
		{ __LINE__, API_INVALID_TIMESTAMP, E({ "payload.created_at", "\"2026-05-25 03:00:00Z\"" }), NONE, "2026-05-25 03:00:00Z" },
		{ __LINE__, API_INVALID_TIMESTAMP, E({ "payload.created_at", "\"2026-05-25T03:00:00\"" }), NONE, NULL },
		{ __LINE__, API_INVALID_TIMESTAMP, E({ "payload.created_at", "\"2026-05-25T03:00Z\"" }), NONE, NULL },
		{ __LINE__, API_INVALID_TIMESTAMP, E({ "payload.created_at", "\"26-05-25T03:00:00Z\"" }), NONE, NULL },
		{ __LINE__, API_INVALID_TIMESTAMP, E({ "payload.created_at", "\"2026-02-30T03:00:00Z\"" }), NONE, NULL },
		{ __LINE__, API_INVALID_TIMESTAMP, E({ "payload.created_at", "\"2026-05-25T24:00:00Z\"" }), NONE, NULL },
		{ __LINE__, API_INVALID_TIMESTAMP, E({ "payload.created_at", "\"2026-05-25T03:00:00.Z\"" }), NONE, NULL },
		{ __LINE__, API_INVALID_TIMESTAMP, E({ "payload.created_at", "\"2026-05-25T03:00:00Z \"" }), NONE, NULL },
		{ __LINE__, API_INVALID_TIMESTAMP, E({ "payload.created_at", "\"2026-05-25T03:00:00Z\\u0000\"" }), NONE, NULL },
		{ __LINE__, API_INVALID_TIMESTAMP, E({ "payload.created_at", "\"\"" }), NONE, NULL },
		{ __LINE__, API_INVALID_TIMESTAMP, E({ "payload.created_at", "\"yesterday\"" }, { "signature.sig", "\"00\"" }), NONE, NULL },
		/* 12: 300 s either side, no more */
		{ __LINE__, API_STALE_TIMESTAMP, E({ "payload.created_at", "\"2026-05-25T02:54:59Z\"" }), NONE, "301 seconds behind" },
		{ __LINE__, API_STALE_TIMESTAMP, E({ "payload.created_at", "\"2026-05-25T03:05:01Z\"" }), NONE, "301 seconds ahead" },
		{ __LINE__, API_STALE_TIMESTAMP, E({ "payload.created_at", "\"2026-05-25T03:05:01+00:00\"" }), NONE, NULL },
		{ __LINE__, API_STALE_TIMESTAMP, E({ "payload.created_at", "\"2026-05-25T03:00:00+02:00\"" }), NONE, NULL },
		{ __LINE__, API_STALE_TIMESTAMP, E({ "payload.created_at", "\"2020-01-01T00:00:00Z\"" }), NONE, NULL },
		{ __LINE__, API_STALE_TIMESTAMP, E({ "payload.created_at", "\"9999-12-31T23:59:59Z\"" }), NONE, NULL },
		{ __LINE__, API_STALE_TIMESTAMP, E({ "payload.created_at", "\"0000-01-01T00:00:00Z\"" }), NONE, NULL },
		{ __LINE__, API_STALE_TIMESTAMP, E({ "payload.created_at", "\"2020-01-01T00:00:00Z\"" }, { "signature.sig", "\"00\"" }), NONE, NULL },
	};
	CASES(&f, cases);
	fixture_free(&f);
}

/* Check 13: the text of the signature, then the signature itself. */
UNIT_TEST(envelope_check13_invalid_signature)
{
	struct fixture f;
	REQUIRE(fixture_init(&f));
	static const char zeros[] = "\"" "00000000000000000000000000000000000000000000000000000000000000000000000000000000"
				    "000000000000000000000000000000000000000000000000" "\"";
	static const struct envelope_case cases[] = {
		{ __LINE__, API_INVALID_SIGNATURE, E({ "signature.sig", "\"abcd\"" }), NONE, "128 lowercase hex digits" },
		{ __LINE__, API_INVALID_SIGNATURE, E({ "signature.sig", "\"\"" }), NONE, "128 lowercase hex digits" },
		{ __LINE__, API_INVALID_SIGNATURE, E({ "signature.sig", zeros }), NONE, "does not verify" },
		/* payload changed after signing: a member's value, an added or removed member */
		{ __LINE__, API_INVALID_SIGNATURE, NONE, E({ "payload.created_at", "\"2026-05-25T03:00:01Z\"" }), "does not verify" },
		{ __LINE__, API_INVALID_SIGNATURE, NONE, E({ "payload.note", "\"added after signing\"" }), NULL },
		{ __LINE__, API_INVALID_SIGNATURE, E({ "payload.note", "\"signed\"" }), E({ "payload.note", NULL }), NULL },
		{ __LINE__, API_INVALID_SIGNATURE, E({ "payload.n", "1" }), E({ "payload.n", "2" }), NULL },
		{ __LINE__, API_INVALID_SIGNATURE, E({ "payload.n", "1" }), E({ "payload.n", "\"1\"" }), NULL },
		{ __LINE__, API_INVALID_SIGNATURE, E({ "payload.s", "\"\\u00e9\"" }), E({ "payload.s", "\"e\\u0301\"" }), NULL },
		{ __LINE__, API_INVALID_SIGNATURE, E({ "payload.version", "1" }), E({ "payload.handle", "\"tudisco2\"" }), NULL },
	};
	CASES(&f, cases);

	/* the right signature, spelled with capitals, 127 or 129 digits, or 0x-prefixed */
	struct envelope_case plain = { __LINE__, API_OK, NONE, NONE, NULL };
	char *text = build(&f, &plain);
	REQUIRE(text != NULL);
	json_t *env = json_loads(text, 0, NULL);
	free(text);
	REQUIRE(env != NULL);
	json_t *signature = json_object_get(env, "signature");
	char good[129], spoiled[140];
	snprintf(good, sizeof good, "%s", json_string_value(json_object_get(signature, "sig")));
	for (int variant = 0; variant < 5; variant++) {
		switch (variant) {
		case 0:
			for (int i = 0; i <= 128; i++)
				spoiled[i] = (good[i] >= 'a' && good[i] <= 'f') ? (char)(good[i] - 32) : good[i];
			break;
		case 1: snprintf(spoiled, sizeof spoiled, "%.127s", good); break;
		case 2: snprintf(spoiled, sizeof spoiled, "%s0", good); break;
		case 3: snprintf(spoiled, sizeof spoiled, "0x%.126s", good); break;
		case 4: snprintf(spoiled, sizeof spoiled, "%.64s", good); break;
		}
		json_object_set_new(signature, "sig", json_string(spoiled));
		char *body = json_dumps(env, JSON_COMPACT);
		struct outcome o;
		if (run(&f, body, strlen(body), &o, __LINE__) != API_INVALID_SIGNATURE)
			unit_fail(__FILE__, __LINE__, "variant %d: got %s", variant, api_error_info(o.error)->code);
		free(body);
	}

	/* a signature over another serialization of the same payload (jansson's
	 * own, indented and in insertion order) is not a signature over JCS */
	json_t *payload = json_object_get(env, "payload");
	char *loose = json_dumps(payload, JSON_INDENT(2));
	uint8_t sig[64];
	char hex[129];
	REQUIRE(loose != NULL && ed25519_sign(f.seed, (const uint8_t *)loose, strlen(loose), sig) == 0);
	hex_encode(sig, 64, hex);
	free(loose);
	json_object_set_new(signature, "sig", json_string(hex));
	char *body = json_dumps(env, JSON_COMPACT);
	struct outcome o;
	CHECK_EQ_INT(run(&f, body, strlen(body), &o, __LINE__), API_INVALID_SIGNATURE);
	free(body);

	/* the right bytes signed by another key (which is then both primary and key) */
	uint8_t other_seed[32], other_pub[32];
	char other_key[KEY_TEXT_LEN + 1];
	REQUIRE(ed25519_generate(other_seed, other_pub) == 0);
	key_text_format(other_pub, other_key);
	json_object_set_new(payload, "primary", json_string(other_key));
	json_object_set_new(signature, "key", json_string(other_key));
	sign_payload(&f, env); /* with the fixture's seed, not other_seed */
	body = json_dumps(env, JSON_COMPACT);
	CHECK_EQ_INT(run(&f, body, strlen(body), &o, __LINE__), API_INVALID_SIGNATURE);
	free(body);
	json_decref(env);
	fixture_free(&f);
}

/* Check 3: anything that is not one JSON object in UTF-8 without
 * duplicate names, at any depth. */
UNIT_TEST(envelope_check3_malformed_json)
{
	struct fixture f;
	REQUIRE(fixture_init(&f));
	static const char *const bad[] = {
		"", " ", "[]", "[{}]", "\"x\"", "1", "null", "true", "{", "}", "{}}", "{} {}", "{}x", "{\"a\":}",
		"{\"a\":1,}", "{\"a\" 1}", "{'a':1}", "{a:1}", "{\"a\":1 /* c */}", "{\"a\":NaN}", "{\"a\":Infinity}",
		"{\"a\":-Infinity}", "{\"a\":01}", "{\"a\":1.}", "{\"a\":.5}", "{\"a\":+1}", "{\"a\":0x10}",
		"{\"a\":1e400}", "{\"a\":-1e400}", "{\"a\":tru}", "{\"a\":\"\\x41\"}", "{\"a\":\"\\u12\"}",
		"{\"a\":\"unterminated}",
		/* duplicate names, at the top and deep down */
		"{\"kez\":1,\"kez\":2}",
		"{\"kez\":\"handle_registration\",\"kez\":\"handle_registration\"}",
		"{\"payload\":{\"a\":{\"b\":1,\"b\":2}}}",
		"{\"payload\":{\"list\":[1,{\"x\":[{\"y\":0,\"y\":0}]}]}}",
		"{\"payload\":{\"handle\":\"a\",\"handle\":\"b\"}}",
		"{\"signature\":{\"sig\":\"a\",\"sig\":\"a\"}}",
		"{\"a\":1,\"\\u0061\":2}", /* the same name, escaped */
		/* not UTF-8 */
		"{\"kez\":\"\xff\"}", "{\"kez\":\"\xc0\x80\"}", "{\"kez\":\"\xc3\"}", "{\"kez\":\"\xe2\x82\"}",
		"{\"kez\":\"\xf4\x90\x80\x80\"}", "{\"kez\":\"\xf8\x88\x80\x80\x80\"}", "{\"k\xff\":1}",
		"{\"kez\":\"\xed\xa0\x80\"}", /* an encoded surrogate */
		"\xef\xbb\xbf{}",           /* a byte-order mark */
		/* lone surrogates, written as escapes */
		"{\"kez\":\"\\ud800\"}", "{\"kez\":\"\\udc00\"}", "{\"kez\":\"\\ud800\\u0041\"}",
		"{\"kez\":\"\\udc00\\ud800\"}", "{\"kez\":\"x\\ud83d\"}", "{\"\\ud800\":1}",
		"{\"payload\":{\"note\":[\"\\udfff\"]}}",
		/* raw control characters inside strings */
		"{\"kez\":\"a\x01\"}", "{\"kez\":\"a\nb\"}", "{\"kez\":\"\t\"}",
	};
	struct outcome o;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (run(&f, bad[i], strlen(bad[i]), &o, __LINE__) != API_MALFORMED_JSON)
			unit_fail(__FILE__, __LINE__, "not malformed_json but %s: %s", api_error_info(o.error)->code, bad[i]);
	/* NUL bytes in the body itself */
	EXPECT_TEXT("{\"kez\":1}\0", API_MALFORMED_JSON);
	EXPECT_TEXT("{\"kez\"\0:1}", API_MALFORMED_JSON);
	EXPECT_TEXT("\0{}", API_MALFORMED_JSON);
	/* jansson cannot hold U+0000 in a member name (only in values), so a
	 * body with one is refused here rather than misread */
	EXPECT_TEXT("{\"a\\u0000b\":1}", API_MALFORMED_JSON);
	/* a NULL body with length 0 */
	CHECK_EQ_INT(run(&f, NULL, 0, &o, __LINE__), API_MALFORMED_JSON);
	/* the detail says why, without echoing raw bytes */
	CHECK_EQ_INT(run(&f, "{\"kez\":\"\xff\"}", 10, &o, __LINE__), API_MALFORMED_JSON);
	CHECK(strstr(o.detail, "not valid JSON") != NULL);
	CHECK_EQ_INT(run(&f, "{\"a\":{\"b\":1,\"b\":2}}", 19, &o, __LINE__), API_MALFORMED_JSON);
	CHECK(strstr(o.detail, "duplicate") != NULL);
	CHECK_EQ_INT(run(&f, "[{}]", 4, &o, __LINE__), API_MALFORMED_JSON);
	CHECK(strstr(o.detail, "array") != NULL);
	/* whitespace around the object is fine */
	EXPECT_TEXT(" \t\r\n{}\n ", API_INVALID_ENVELOPE);
	fixture_free(&f);
}

/* --- envelopes written as text ------------------------------------------ */

/* An envelope around `payload_text` exactly as written, signed over the JCS
 * form of that text (numbers read as doubles, as JCS reads them). */
static char *envelope_around(const struct fixture *f, const char *payload_text)
{
	json_error_t err;
	json_t *payload = json_loads(payload_text, JSON_ALLOW_NUL | JSON_REJECT_DUPLICATES | JSON_DECODE_INT_AS_REAL, &err);
	if (!payload) {
		unit_fail(__FILE__, __LINE__, "test data: %s", err.text);
		return NULL;
	}
	struct buf canon;
	buf_init(&canon, 1 << 16);
	uint8_t sig[64];
	char hex[129];
	bool ok = jcs_serialize(payload, &canon) == 0 &&
		  ed25519_sign(f->seed, (const uint8_t *)canon.data, canon.len, sig) == 0;
	buf_free(&canon);
	json_decref(payload);
	if (!ok)
		return NULL;
	hex_encode(sig, 64, hex);
	struct buf body;
	buf_init(&body, 1 << 16);
	if (buf_printf(&body, "{\"kez\":\"handle_registration\",\"payload\":%s,\"signature\":{\"alg\":\"ed25519-sha512-jcs\","
			      "\"key\":\"" KEY1 "\",\"sig\":\"%s\"}}", payload_text, hex) < 0 || buf_putc(&body, '\0') < 0) {
		buf_free(&body);
		return NULL;
	}
	return body.data;
}

static void expect_payload(const struct fixture *f, const char *payload_text, enum api_error want, int line)
{
	char *body = envelope_around(f, payload_text);
	if (!body) {
		unit_fail(__FILE__, line, "cannot build the envelope");
		return;
	}
	expect_text(f, body, strlen(body), want, line);
	free(body);
}

#define BASE(handle)                                                                                       \
	"\"type\":\"kez.chat.handle_registration\",\"handle\":\"" handle "\",\"primary\":\"" KEY1 "\","    \
	"\"server\":\"kez.lat\",\"created_at\":\"2026-05-25T03:00:00Z\""

/* Integers beyond json_int_t are valid JSON: the body is read again with
 * every number as a double, and then version may only be told as 1.0. */
UNIT_TEST(envelope_big_integers)
{
	struct fixture f;
	REQUIRE(fixture_init(&f));
	expect_payload(&f, "{" BASE("bignum") ",\"version\":1,\"big\":1000000000000000000000000000000}", API_OK, __LINE__);
	expect_payload(&f, "{" BASE("bignum") ",\"version\":1,\"neg\":-123456789012345678901234}", API_OK, __LINE__);
	expect_payload(&f, "{" BASE("bignum") ",\"version\":1,\"deep\":[{\"x\":[18446744073709551616]}]}", API_OK, __LINE__);
	expect_payload(&f, "{" BASE("bignum") ",\"version\":1.0,\"big\":1e0,\"n\":99999999999999999999}", API_OK, __LINE__);
	expect_payload(&f, "{" BASE("bignum") ",\"version\":2,\"big\":100000000000000000000000}", API_INVALID_ENVELOPE, __LINE__);
	expect_payload(&f, "{" BASE("bignum") ",\"version\":\"1\",\"big\":100000000000000000000000}", API_INVALID_ENVELOPE, __LINE__);
	expect_payload(&f, "{" BASE("bignum") ",\"version\":1.5,\"big\":100000000000000000000000}", API_INVALID_ENVELOPE, __LINE__);
	/* the largest and smallest json_int_t still decode as integers */
	expect_payload(&f, "{" BASE("bignum") ",\"version\":1,\"max\":9223372036854775807,\"min\":-9223372036854775808}", API_OK, __LINE__);
	/* without an overflow anywhere, 1.0 is not the integer 1 (however it is written) */
	expect_payload(&f, "{" BASE("tudisco") ",\"version\":1.0}", API_INVALID_ENVELOPE, __LINE__);
	expect_payload(&f, "{" BASE("tudisco") ",\"version\":1e0}", API_INVALID_ENVELOPE, __LINE__);
	expect_payload(&f, "{" BASE("tudisco") ",\"version\":10e-1}", API_INVALID_ENVELOPE, __LINE__);
	/* a big integer outside the payload also switches the mode, harmlessly */
	char *body = envelope_around(&f, "{" BASE("tudisco") ",\"version\":1}");
	REQUIRE(body != NULL);
	size_t n = strlen(body);
	char *bigger = malloc(n + 64);
	REQUIRE(bigger != NULL);
	snprintf(bigger, n + 64, "%.*s,\"n\":123456789012345678901234567890}", (int)(n - 1), body);
	expect_text(&f, bigger, strlen(bigger), API_OK, __LINE__);
	free(bigger);
	free(body);
	fixture_free(&f);
}

/* Valid but unusual payloads verify: numbers in any spelling, unicode in
 * names and values, escapes, nesting. */
UNIT_TEST(envelope_exotic_payloads_verify)
{
	struct fixture f;
	REQUIRE(fixture_init(&f));
	static const char *const extras[] = {
		",\"n\":[1e21,1E21,1e+21,0.1,1e-7,-0,-0.0,0e5,1.5e300,5e-324,1e-400,9007199254740993,4.50,2e-3]",
		",\"\\u20ac\":1,\"\\r\":2,\"\\ufb33\":3,\"1\":4,\"\\ud83d\\ude00\":5,\"\\u0080\":6,\"\\u00f6\":7",
		",\"\xf0\x9f\x98\x80 raw\":\"\xe2\x82\xac \xef\xac\xb3 \xc3\xb6\",\"\\uffff\":0,\"\\ud800\\udc00\":0",
		",\"s\":\"\\u0000\\u001f\\b\\f\\n\\r\\t\\\"\\\\\\/\\u2028\\u007f\"",
		",\"nested\":{\"z\":[[],{},[{\"b\":null,\"a\":true,\"c\":[false,[[[]]]]}]],\"a\":{\"y\":{},\"x\":[]}}",
		",\"\":\"an empty name\",\"  \":\"spaces\"",
		",\"long\":\"" "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" "\"",
	};
	char payload[2048];
	for (size_t i = 0; i < sizeof extras / sizeof extras[0]; i++) {
		snprintf(payload, sizeof payload, "{" BASE("tudisco") ",\"version\":1%s}", extras[i]);
		expect_payload(&f, payload, API_OK, __LINE__);
		/* and with the required members after the extra ones */
		snprintf(payload, sizeof payload, "{\"version\":1%s," BASE("tudisco") "}", extras[i]);
		expect_payload(&f, payload, API_OK, __LINE__);
	}
	/* a payload made only of numbers that grow the most when canonicalized,
	 * as many as the cost caps allow */
	struct buf many;
	buf_init(&many, 1 << 16);
	buf_append_str(&many, "{" BASE("tudisco") ",\"version\":1,\"grow\":[1e20");
	for (int i = 0; i < 240; i++)
		buf_append_str(&many, ",1e20");
	buf_append_str(&many, "]}");
	buf_putc(&many, '\0');
	expect_payload(&f, many.data, API_OK, __LINE__);
	buf_free(&many);
	fixture_free(&f);
}

/* Envelopes signed outside this code base: the canonical form made by an
 * ECMAScript engine (JSON.parse, default key sort, JSON.stringify), the
 * signature by another Ed25519 implementation, both over RFC 8032 TEST 1's
 * key. */
UNIT_TEST(envelope_golden_independent)
{
	struct fixture f;
	REQUIRE(fixture_init(&f));
	static const char exotic[] =
		"{\"kez\":\"handle_registration\",\"payload\":"
		"{\n  \"\\u20ac\": \"Euro Sign\", \"\\r\": \"Carriage Return\", \"\\ufb33\": \"Hebrew Letter Dalet With Dagesh\", \"1\": \"One\",\n"
		"  \"\\ud83d\\ude00\": \"Emoji: Grinning Face\", \"\\u0080\": \"Control\", \"\\u00f6\": \"Latin Small Letter O With Diaeresis\",\n"
		"  \"\\uffff\": \"last of the BMP\", \"\\ud800\\udc00\": \"first astral\",\n"
		"  \"numbers\": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001, 1e21, 1e-7, 0.1, -0, -0.0, 9007199254740993, 100, 1e20, 5e-324],\n"
		"  \"string\": \"\\u20ac$\\u000F\\u000aA'\\u0042\\u0022\\u005c\\\\\\\"\\/\\u2028\\u007f\\u0000\",\n"
		"  \"nested\": {\"z\": [[], {}, [{\"b\": null, \"a\": true}]], \"a\": false, \"\": \"empty name\"},\n"
		"  \"type\":\"kez.chat.handle_registration\",\"version\":1,\"handle\":\"tudisco\",\"primary\":\"" KEY1 "\","
		"\"server\":\"kez.lat\",\"created_at\":\"2026-05-25T03:00:00Z\"\n}"
		",\"signature\":{\"alg\":\"ed25519-sha512-jcs\",\"key\":\"" KEY1 "\",\"sig\":\""
		"e5cb3388cdc42fe120d9e7ef55ae9d4b0f95fe67c4234922b94f39ac403d4fdc"
		"95fd8c42f6fc9c5e0dfb17814de9d063921efb176dd7b5ee0131a888104def0c\"}}";
	static const char bigint[] =
		"{\"kez\":\"handle_registration\",\"payload\":"
		"{\"type\":\"kez.chat.handle_registration\",\"version\":1,\"handle\":\"bignum\",\"primary\":\"" KEY1 "\","
		"\"server\":\"kez.lat\",\"created_at\":\"2026-05-25T03:00:00Z\",\"big\":1000000000000000000000000000000,"
		"\"neg\":-123456789012345678901234,\"small\":7}"
		",\"signature\":{\"alg\":\"ed25519-sha512-jcs\",\"key\":\"" KEY1 "\",\"sig\":\""
		"2a1b317d102fd4d430bdfec1abfcc84e85d4d1c9535bf996061927936f6ebcff"
		"aa6d73362da1b26e260fd88938ced395f8219563152bdb47e8fbdf2f80a5720c\"}}";
	struct outcome o;
	CHECK_EQ_INT(run(&f, exotic, sizeof exotic - 1, &o, __LINE__), API_OK);
	CHECK_EQ_STR(o.result.handle, "tudisco");
	CHECK_EQ_MEM(o.result.primary, f.pub, 32);
	CHECK_EQ_INT(run(&f, bigint, sizeof bigint - 1, &o, __LINE__), API_OK);
	CHECK_EQ_STR(o.result.handle, "bignum");
	/* one byte of the exotic payload changed (Euro -> Eurp): no longer */
	char changed[sizeof exotic];
	memcpy(changed, exotic, sizeof exotic);
	char *at = strstr(changed, "Euro Sign");
	REQUIRE(at != NULL);
	at[3] = 'p';
	CHECK_EQ_INT(run(&f, changed, sizeof changed - 1, &o, __LINE__), API_INVALID_SIGNATURE);
	fixture_free(&f);
}

/* The sentences: specific, short, printable, whatever the client sent. */
UNIT_TEST(envelope_detail_sentences)
{
	struct fixture f;
	REQUIRE(fixture_init(&f));
	static const struct envelope_case cases[] = {
		/* client text is cut short and stripped of control characters and quotes */
		{ __LINE__, API_INVALID_HANDLE,
		  E({ "payload.handle", "\"\\u0001\\u001b[31mred\\\"quote\\\\ and a very long tail that goes on and on and on\"" }),
		  NONE, "\"??[31mred?quote? and a very long tail th...\" is not a handle" },
		{ __LINE__, API_WRONG_SERVER, E({ "payload.server", "\"\\n\\u00e9vil.example\"" }), NONE, "\"???vil.example\"" },
		{ __LINE__, API_UNSUPPORTED_ALGORITHM, E({ "signature.alg", "\"\\u0000rsa\"" }), NONE, "\"?rsa\"" },
		{ __LINE__, API_STALE_TIMESTAMP, E({ "payload.created_at", "\"2026-05-25T04:00:00Z\"" }), NONE,
		  "payload.created_at is 3600 seconds ahead of the server's clock; the limit is 300" },
	};
	CASES(&f, cases);

	/* a tiny detail buffer is filled, never overrun */
	char small[12];
	memset(small, 'x', sizeof small);
	struct envelope_result r;
	CHECK_EQ_INT(envelope_check("[]", 2, &f.policy, &r, small, 8), API_MALFORMED_JSON);
	CHECK_EQ_INT(strlen(small), 7);
	CHECK(small[8] == 'x');
	CHECK_EQ_INT(envelope_check("[]", 2, &f.policy, &r, NULL, 0), API_MALFORMED_JSON);
	fixture_free(&f);
}

/* The operator's own reserved names count like the built-in ones, and the
 * server name is whatever the policy says. */
UNIT_TEST(envelope_policy_is_respected)
{
	struct fixture f;
	REQUIRE(fixture_init(&f));
	expect_payload(&f, "{" BASE("tudisco") ",\"version\":1}", API_OK, __LINE__);
	struct reserved_list only_tudisco = { NULL, 0 };
	char (*name)[HANDLE_MAX_LEN + 1] = calloc(1, sizeof *name);
	REQUIRE(name != NULL);
	strcpy(*name, "tudisco");
	only_tudisco.names = name;
	only_tudisco.count = 1;
	f.policy.reserved = &only_tudisco;
	expect_payload(&f, "{" BASE("tudisco") ",\"version\":1}", API_HANDLE_RESERVED, __LINE__);
	f.policy.reserved = &f.reserved;
	free(name);
	f.policy.server = "chat.example.org";
	expect_payload(&f, "{" BASE("tudisco") ",\"version\":1}", API_WRONG_SERVER, __LINE__);
	f.policy.server = "kez.lat";
	f.policy.now = NOW + 301;
	expect_payload(&f, "{" BASE("tudisco") ",\"version\":1}", API_STALE_TIMESTAMP, __LINE__);
	f.policy.now = NOW - 300;
	expect_payload(&f, "{" BASE("tudisco") ",\"version\":1}", API_OK, __LINE__);
	fixture_free(&f);
}

/* `levels` arrays nested inside the payload, or `elements` numbers in one
 * array there, signed: the envelope itself has 12 members (3 at the top, 6
 * in the payload, 3 in the signature) at 2 levels, the extra member 1. */
static char *costly_payload(int levels, int elements)
{
	struct buf p;
	buf_init(&p, 1 << 16);
	int rc = buf_append_str(&p, "{" BASE("tudisco") ",\"version\":1,\"x\":");
	for (int i = 0; rc == 0 && i < levels; i++)
		rc = buf_putc(&p, '[');
	for (int i = 0; rc == 0 && i < elements; i++)
		rc = buf_printf(&p, "%s%.17g", i ? "," : "[", 1.0 / (3.0 + i));
	if (rc == 0 && elements)
		rc = buf_putc(&p, ']');
	for (int i = 0; rc == 0 && i < levels; i++)
		rc = buf_putc(&p, ']');
	if (rc < 0 || (!levels && !elements && buf_append_str(&p, "null") < 0) || buf_append_str(&p, "}") < 0 ||
	    buf_putc(&p, '\0') < 0) {
		buf_free(&p);
		return NULL;
	}
	return p.data;
}

/* API.md §5: more than 64 levels, or more than 256 members and elements in
 * all, is malformed_json (check 3) before anything is canonicalized, and so
 * wins over every later check. */
UNIT_TEST(envelope_cost_caps)
{
	struct fixture f;
	REQUIRE(fixture_init(&f));
	static const struct {
		int            levels, elements;
		enum api_error want;
	} cases[] = {
		{ 62, 0, API_OK },             /* 2 + 62 = 64 levels */
		{ 63, 0, API_MALFORMED_JSON }, /* 65 */
		{ 0, 243, API_OK },            /* 12 + 1 + 243 = 256 */
		{ 0, 244, API_MALFORMED_JSON },
		{ 0, 660, API_MALFORMED_JSON },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *payload = costly_payload(cases[i].levels, cases[i].elements);
		char *body = payload ? envelope_around(&f, payload) : NULL;
		free(payload);
		if (!body) {
			unit_fail(__FILE__, __LINE__, "cannot build case %zu", i);
			continue;
		}
		struct outcome o;
		if (run(&f, body, strlen(body), &o, __LINE__) != cases[i].want)
			unit_fail(__FILE__, __LINE__, "case %zu: got %s (%s)", i, api_error_info(o.error)->code, o.detail);
		else if (cases[i].want == API_MALFORMED_JSON && !strstr(o.detail, cases[i].levels ? "64 levels" : "256 members"))
			unit_fail(__FILE__, __LINE__, "case %zu: detail \"%s\"", i, o.detail);
		/* the same body with a later check broken as well still says malformed_json */
		char *sig = strstr(body, "\"sig\":\"");
		if (sig && cases[i].want == API_MALFORMED_JSON) {
			sig[7] = sig[7] == '0' ? '1' : '0'; /* a signature that does not verify */
			CHECK_EQ_INT(run(&f, body, strlen(body), &o, __LINE__), API_MALFORMED_JSON);
			memcpy(strstr(body, "handle_registration"), "handle_registrati0n", 19); /* check 4 */
			CHECK_EQ_INT(run(&f, body, strlen(body), &o, __LINE__), API_MALFORMED_JSON);
		}
		free(body);
	}
	fixture_free(&f);
}

/* S + L is the same signature to a careless verifier, but S must be below
 * the group order: refused, and without canonicalizing the payload. */
UNIT_TEST(envelope_check13_unreduced_s)
{
	struct fixture f;
	REQUIRE(fixture_init(&f));
	static const uint8_t order[32] = {
		0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,
	};
	char *body = envelope_around(&f, "{" BASE("tudisco") ",\"version\":1}");
	REQUIRE(body != NULL);
	expect_text(&f, body, strlen(body), API_OK, __LINE__);
	char *hex = strstr(body, "\"sig\":\"");
	REQUIRE(hex != NULL);
	hex += 7;
	uint8_t sig[64];
	REQUIRE(hex_decode_lower(hex, 128, sig, 64) == 0);
	unsigned carry = 0;
	for (int i = 0; i < 32; i++) {
		unsigned sum = sig[32 + i] + order[i] + carry;
		sig[32 + i] = (uint8_t)sum;
		carry = sum >> 8;
	}
	CHECK_EQ_INT(carry, 0);
	char text[129];
	hex_encode(sig, 64, text);
	memcpy(hex, text, 128);
	struct outcome o;
	CHECK_EQ_INT(run(&f, body, strlen(body), &o, __LINE__), API_INVALID_SIGNATURE);
	CHECK(strstr(o.detail, "group order") != NULL);
	/* and S = L exactly */
	memcpy(sig + 32, order, 32);
	hex_encode(sig, 64, text);
	memcpy(hex, text, 128);
	CHECK_EQ_INT(run(&f, body, strlen(body), &o, __LINE__), API_INVALID_SIGNATURE);
	CHECK(strstr(o.detail, "group order") != NULL);
	/* L - 1 is reduced: it gets as far as the verification, which fails */
	sig[32] = 0xec;
	hex_encode(sig, 64, text);
	memcpy(hex, text, 128);
	CHECK_EQ_INT(run(&f, body, strlen(body), &o, __LINE__), API_INVALID_SIGNATURE);
	CHECK(strstr(o.detail, "does not verify over the JCS form") != NULL);
	free(body);
	fixture_free(&f);
}
