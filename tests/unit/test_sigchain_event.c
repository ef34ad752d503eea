/* One sigchain event: rows 3–13 of SIGCHAIN.md's POST table. Each case
 * breaks one row of an otherwise valid, signed event and expects exactly
 * that row's error; where two rows break, the earlier must answer. */
#include <jansson.h>
#include <openssl/evp.h>

#include "common/kez/ed25519.h"
#include "common/kez/jcs.h"
#include "common/kez/key_text.h"
#include "common/kez/rfc3339.h"
#include "common/kez/sigchain_event.h"
#include "sigchain_fixture.h"
#include "unit.h"

#define SMALL_ORDER_KEY "ed25519:0100000000000000000000000000000000000000000000000000000000000000"
#define HASH_ZERO       "sha256:0000000000000000000000000000000000000000000000000000000000000000"

/* Parse, then (when that passes) verify: the error of rows 3–13. */
static enum api_error check_text(const char *text, const char *chain_hex, char *detail, size_t len)
{
	struct sigchain_event ev;
	sigchain_event_init(&ev);
	enum api_error e = sc_parse(text, chain_hex, &ev, detail, len);
	if (e == API_OK)
		e = sigchain_event_verify(&ev, detail, len);
	sigchain_event_free(&ev);
	return e;
}

struct mutation {
	const char    *from, *to;
	enum api_error want;
};

static void expect_mutations(const char *valid, const char *hex, const struct mutation *m, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char *text = sc_replace(valid, m[i].from, m[i].to);
		if (!CHECK(text)) {
			unit_fail(__FILE__, __LINE__, "mutation %zu: '%s' is not in the event", i, m[i].from);
			continue;
		}
		char detail[256];
		enum api_error e = check_text(text, hex, detail, sizeof detail);
		if (e != m[i].want)
			unit_fail(__FILE__, __LINE__, "'%s' -> '%s': got %s (%s), expected %s", m[i].from, m[i].to,
				  api_error_info(e)->code, detail, api_error_info(m[i].want)->code);
		else if (e != API_OK && detail[0] == '\0')
			unit_fail(__FILE__, __LINE__, "'%s' -> '%s': no message", m[i].from, m[i].to);
		free(text);
	}
}

UNIT_TEST(sigchain_event_valid_fields)
{
	struct sc_key k;
	sc_key_make(1, &k);
	struct buf t;
	buf_init(&t, SC_MAX);
	REQUIRE(sc_event(&t, &k, k.pub, 1, NULL, SIGCHAIN_OP_ADD, "2026-12-01T09:59:59.25+00:00",
			 json_pack("{s:s, s:s}", "subject", "github:tudisco", "proof", "https://x.example/p")) == 0);
	struct sigchain_event ev;
	sigchain_event_init(&ev);
	char detail[256];
	CHECK_EQ_INT(sc_parse(t.data, k.hex, &ev, detail, sizeof detail), API_OK);
	CHECK_EQ_INT(sigchain_event_verify(&ev, detail, sizeof detail), API_OK);
	CHECK_EQ_MEM(ev.f.chain, k.pub, 32);
	CHECK_EQ_MEM(ev.f.signing_key, k.pub, 32);
	CHECK_EQ_INT(ev.f.seq, 1);
	CHECK(!ev.f.has_prev);
	CHECK_EQ_INT(ev.f.op, SIGCHAIN_OP_ADD);
	CHECK_EQ_INT(ev.f.created_at.seconds, SC_NOW - 1);
	CHECK_EQ_INT(ev.f.created_at.nanos, 250000000);
	/* The event was built as JCS: its canonical form is the text itself,
	 * and the hash is SHA-256 over exactly those bytes. */
	CHECK_EQ_INT(ev.event_jcs.len, t.len);
	CHECK(ev.event_jcs.len == t.len && memcmp(ev.event_jcs.data, t.data, t.len) == 0);
	uint8_t want[32];
	unsigned n = 0;
	CHECK(EVP_Digest(t.data, t.len, want, &n, EVP_sha256(), NULL) == 1);
	CHECK_EQ_MEM(ev.f.hash, want, 32);
	/* The signed bytes are JCS(payload): the unknown "proof" member is in them. */
	CHECK(ev.payload_jcs.len > 0 && memmem(ev.payload_jcs.data, ev.payload_jcs.len, "\"proof\"", 7) != NULL);
	CHECK(ed25519_verify(k.pub, (const uint8_t *)ev.payload_jcs.data, ev.payload_jcs.len, ev.sig));

	/* Whitespace and member order are not part of the hash: a re-spaced
	 * copy of the same event has the same hash. */
	json_t *doc = json_loads(t.data, 0, NULL);
	char *spaced = json_dumps(doc, JSON_INDENT(3));
	struct sigchain_event ev2;
	sigchain_event_init(&ev2);
	CHECK(spaced && sc_parse(spaced, k.hex, &ev2, detail, sizeof detail) == API_OK);
	CHECK_EQ_MEM(ev2.f.hash, ev.f.hash, 32);
	free(spaced);
	json_decref(doc);
	sigchain_event_free(&ev2);
	sigchain_event_free(&ev);
	buf_free(&t);
}

UNIT_TEST(sigchain_event_rows_3_to_8)
{
	struct sc_key k, other;
	sc_key_make(1, &k);
	sc_key_make(2, &other);
	struct buf t;
	buf_init(&t, SC_MAX);
	REQUIRE(sc_event(&t, &k, k.pub, 1, NULL, SIGCHAIN_OP_ADD, SC_NOW_TXT,
			 json_pack("{s:s}", "subject", "github:tudisco")) == 0);
	char chain_upper[96], key_member[96];
	snprintf(chain_upper, sizeof chain_upper, "\"chain\":\"%s\"", k.text);
	for (char *p = chain_upper + 17; *p; p++)
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 'a' + 'A');
	char chain_member[96];
	snprintf(chain_member, sizeof chain_member, "\"chain\":\"%s\"", k.text);
	snprintf(key_member, sizeof key_member, "\"key\":\"%s\"", k.text);
	const struct mutation m[] = {
		/* 3 */
		{ "\"subject\":\"github:tudisco\"", "\"subject\":\"github:tudisco\",\"subject\":\"x:y\"", API_MALFORMED_JSON },
		{ "\"subject\":\"github:tudisco\"", "\"subject\":\"github:\\ud800\"", API_MALFORMED_JSON },
		{ "\"subject\":\"github:tudisco\"", "\"subject\":\"github:\xff\"", API_MALFORMED_JSON },
		{ "{\"kez\"", "[{\"kez\"", API_MALFORMED_JSON },
		/* 4, before 5 (alg also broken) */
		{ "{\"kez\":\"sigchain_event\"", "{\"extra\":1,\"kez\":\"sigchain_event\"", API_INVALID_ENVELOPE },
		{ "\"alg\":\"ed25519-sha512-jcs\"", "\"alg\":\"x\",\"extra\":1", API_INVALID_ENVELOPE },
		{ "\"kez\":\"sigchain_event\"", "\"kez\":\"handle_registration\"", API_INVALID_ENVELOPE },
		{ "\"type\":\"kez.sigchain.event\"", "\"type\":\"kez.chat.handle_registration\"", API_INVALID_ENVELOPE },
		{ "\"version\":1}", "\"version\":1.0}", API_INVALID_ENVELOPE },
		{ "\"version\":1}", "\"version\":1e0}", API_INVALID_ENVELOPE },
		{ "\"version\":1}", "\"version\":2}", API_INVALID_ENVELOPE },
		{ "\"seq\":1,", "\"seq\":1.0,", API_INVALID_ENVELOPE },
		{ "\"seq\":1,", "\"seq\":1e0,", API_INVALID_ENVELOPE },
		{ "\"seq\":1,", "\"seq\":0,", API_INVALID_ENVELOPE },
		{ "\"seq\":1,", "\"seq\":2147483648,", API_INVALID_ENVELOPE },
		{ "\"seq\":1,", "\"seq\":\"1\",", API_INVALID_ENVELOPE },
		{ "\"seq\":1,", "", API_INVALID_ENVELOPE },
		{ "\"prev\":null", "\"prev\":0", API_INVALID_ENVELOPE },
		{ "\"prev\":null,", "", API_INVALID_ENVELOPE },
		{ "\"body\":{\"subject\":\"github:tudisco\"}", "\"body\":[]", API_INVALID_ENVELOPE },
		{ "\"op\":\"add\"", "\"op\":null", API_INVALID_ENVELOPE },
		{ "\"created_at\":\"" SC_NOW_TXT "\",", "", API_INVALID_ENVELOPE },
		{ "\"alg\":\"ed25519-sha512-jcs\"", "\"alg\":5", API_INVALID_ENVELOPE },
		/* 5, before 6 */
		{ "\"alg\":\"ed25519-sha512-jcs\",\"key\":\"ed25519:", "\"alg\":\"ed25519\",\"key\":\"ED25519:", API_UNSUPPORTED_ALGORITHM },
		/* 6 */
		{ chain_member, chain_upper, API_INVALID_KEY },
		{ chain_member, "\"chain\":\"" SMALL_ORDER_KEY "\"", API_INVALID_KEY },
		{ key_member, "\"key\":\"" SMALL_ORDER_KEY "\"", API_INVALID_KEY },
		{ key_member, "\"key\":\"ed25519:00\"", API_INVALID_KEY },
		/* 7, before 8 */
		{ "\"op\":\"add\"", "\"op\":\"delete\"", API_UNSUPPORTED_OP },
		{ "\"op\":\"add\"", "\"op\":\"Add\"", API_UNSUPPORTED_OP },
	};
	expect_mutations(t.data, k.hex, m, sizeof m / sizeof m[0]);

	char detail[256];
	/* 6: the path's hex itself */
	char upper[65];
	for (int i = 0; i < 65; i++)
		upper[i] = (k.hex[i] >= 'a' && k.hex[i] <= 'f') ? (char)(k.hex[i] - 32) : k.hex[i];
	CHECK_EQ_INT(check_text(t.data, upper, detail, sizeof detail), API_INVALID_KEY);
	CHECK_EQ_INT(check_text(t.data, "abc", detail, sizeof detail), API_INVALID_KEY);
	/* 7: another chain's path; and the chain checked before the op */
	CHECK_EQ_INT(check_text(t.data, other.hex, detail, sizeof detail), API_CHAIN_MISMATCH);
	char *both = sc_replace(t.data, "\"op\":\"add\"", "\"op\":\"x\"");
	CHECK(both && check_text(both, other.hex, detail, sizeof detail) == API_CHAIN_MISMATCH);
	free(both);
	/* no path (a chain read from a file): rows 6 and 7 check the event alone */
	CHECK_EQ_INT(check_text(t.data, NULL, detail, sizeof detail), API_OK);
	CHECK_EQ_INT(check_text(t.data, k.hex, detail, sizeof detail), API_OK);
	buf_free(&t);
}

UNIT_TEST(sigchain_event_rows_9_to_13)
{
	struct sc_key k;
	sc_key_make(1, &k);
	struct buf t, t2;
	buf_init(&t, SC_MAX);
	buf_init(&t2, SC_MAX);
	REQUIRE(sc_event(&t, &k, k.pub, 1, NULL, SIGCHAIN_OP_ADD, SC_NOW_TXT,
			 json_pack("{s:s}", "subject", "github:tudisco")) == 0);
	uint8_t h[32];
	memset(h, 0xab, sizeof h);
	REQUIRE(sc_event(&t2, &k, k.pub, 2, h, SIGCHAIN_OP_REVOKE, SC_NOW_TXT, json_pack("{s:i}", "seq", 1)) == 0);
	const struct mutation m[] = {
		/* 9, before 10 and 11 */
		{ "\"subject\":\"github:tudisco\"", "\"subject\":\"github\"", API_INVALID_EVENT },
		{ "\"subject\":\"github:tudisco\"}", "\"subjects\":\"a:b\"}", API_INVALID_EVENT },
		{ "\"subject\":\"github:tudisco\"", "\"subject\":7", API_INVALID_EVENT },
		{ "\"subject\":\"github:tudisco\"},\"chain\"", "\"subject\":\"x:a b\"},\"chain\"", API_INVALID_EVENT },
		{ "\"prev\":null", "\"prev\":\"" HASH_ZERO "\",\"x\":\"\\u0000\"", API_INVALID_EVENT },
		/* 10 */
		{ "\"prev\":null", "\"prev\":\"" HASH_ZERO "\"", API_INVALID_EVENT },
		/* 11, before 12 */
		{ SC_NOW_TXT, "2026-12-01 10:00:00Z", API_INVALID_TIMESTAMP },
		{ SC_NOW_TXT, "2026-02-29T10:00:00Z", API_INVALID_TIMESTAMP },
		{ SC_NOW_TXT, "2026-12-01T10:00:00.Z", API_INVALID_TIMESTAMP },
		/* 12: up to 300 s ahead; the text changed, so row 13 then fails */
		{ SC_NOW_TXT, "2026-12-01T10:05:01Z", API_FUTURE_TIMESTAMP },
		{ SC_NOW_TXT, "2026-12-01T10:05:00.000000001Z", API_FUTURE_TIMESTAMP },
		{ SC_NOW_TXT, "2026-12-01T11:05:00+01:00", API_INVALID_SIGNATURE },
		{ SC_NOW_TXT, "2026-12-01T10:05:00Z", API_INVALID_SIGNATURE },
		{ SC_NOW_TXT, "2001-01-01T00:00:00Z", API_INVALID_SIGNATURE },
		/* 13 */
		{ "\"subject\":\"github:tudisco\"", "\"subject\":\"github:tudisco\",\"x\":1", API_INVALID_SIGNATURE },
		{ "\"sig\":\"", "\"sig\":\"0", API_INVALID_SIGNATURE },
	};
	expect_mutations(t.data, k.hex, m, sizeof m / sizeof m[0]);
	const struct mutation m2[] = {
		{ "\"body\":{\"seq\":1}", "\"body\":{\"seq\":0}", API_INVALID_EVENT },
		{ "\"body\":{\"seq\":1}", "\"body\":{\"seq\":1.0}", API_INVALID_EVENT },
		{ "\"body\":{\"seq\":1}", "\"body\":{\"seq\":1e0}", API_INVALID_EVENT },
		{ "\"body\":{\"seq\":1}", "\"body\":{\"seq\":-1}", API_INVALID_EVENT },
		{ "\"body\":{\"seq\":1}", "\"body\":{\"seq\":\"1\"}", API_INVALID_EVENT },
		{ "\"body\":{\"seq\":1}", "\"body\":{}", API_INVALID_EVENT },
		/* 9 before 10 */
		{ "\"body\":{\"seq\":1}", "\"body\":{\"seq\":0},\"zz\":0", API_INVALID_EVENT },
		/* 10 */
		{ "\"prev\":\"sha256:abab", "\"prev\":\"sha256:ABAB", API_INVALID_EVENT },
		{ "\"prev\":\"sha256:", "\"prev\":\"sha512:", API_INVALID_EVENT },
		{ "\"prev\":\"sha256:abab", "\"prev\":\"sha256:ab", API_INVALID_EVENT },
		/* a revoke of a later seq passes row 9 (row 18 decides); the text changed */
		{ "\"body\":{\"seq\":1}", "\"body\":{\"seq\":99999999999}", API_INVALID_SIGNATURE },
	};
	expect_mutations(t2.data, k.hex, m2, sizeof m2 / sizeof m2[0]);
	char *null_prev = sc_replace(t2.data, "\"prev\":\"sha256:", "\"prev\":null,\"x\":\"");
	char detail[256];
	CHECK(null_prev && check_text(null_prev, k.hex, detail, sizeof detail) == API_INVALID_EVENT);
	free(null_prev);
	buf_free(&t);
	buf_free(&t2);
}

UNIT_TEST(sigchain_event_ops)
{
	struct sc_key k, next;
	sc_key_make(1, &k);
	sc_key_make(2, &next);
	struct buf t;
	buf_init(&t, SC_MAX);
	uint8_t h[32] = { 1 };
	char detail[256];
	struct sigchain_event ev;
	sigchain_event_init(&ev);

	REQUIRE(sc_event(&t, &k, k.pub, 5, h, SIGCHAIN_OP_ROTATE, SC_NOW_TXT, json_pack("{s:s}", "new_key", next.text)) == 0);
	CHECK_EQ_INT(sc_parse(t.data, k.hex, &ev, detail, sizeof detail), API_OK);
	CHECK_EQ_INT(ev.f.op, SIGCHAIN_OP_ROTATE);
	CHECK_EQ_MEM(ev.f.new_key, next.pub, 32);
	CHECK(ev.f.has_prev && memcmp(ev.f.prev, h, 32) == 0);
	CHECK_EQ_INT(ev.f.seq, 5);
	REQUIRE(sc_event(&t, &k, k.pub, 5, h, SIGCHAIN_OP_ROTATE, SC_NOW_TXT,
			 json_pack("{s:s}", "new_key", SMALL_ORDER_KEY)) == 0);
	CHECK_EQ_INT(sc_parse(t.data, k.hex, &ev, detail, sizeof detail), API_INVALID_EVENT);
	REQUIRE(sc_event(&t, &k, k.pub, 5, h, SIGCHAIN_OP_ROTATE, SC_NOW_TXT, json_pack("{s:s}", "new_key", next.hex)) == 0);
	CHECK_EQ_INT(sc_parse(t.data, k.hex, &ev, detail, sizeof detail), API_INVALID_EVENT);
	REQUIRE(sc_event(&t, &k, k.pub, 5, h, SIGCHAIN_OP_ROTATE, SC_NOW_TXT, json_pack("{}")) == 0);
	CHECK_EQ_INT(sc_parse(t.data, k.hex, &ev, detail, sizeof detail), API_INVALID_EVENT);

	/* a revoke's seq past any chain is valid here, capped */
	REQUIRE(sc_event(&t, &k, k.pub, 5, h, SIGCHAIN_OP_REVOKE, SC_NOW_TXT,
			 json_pack("{s:I}", "seq", (json_int_t)1 << 40)) == 0);
	CHECK_EQ_INT(sc_parse(t.data, k.hex, &ev, detail, sizeof detail), API_OK);
	CHECK_EQ_INT(ev.f.revoke_seq, (long long)SIGCHAIN_MAX_SEQ + 1);

	/* An integer too big for json_int_t elsewhere makes every number a
	 * double; JCS writes it as the double it is, so the signature made
	 * over that form still verifies, and seq is still read. */
	REQUIRE(sc_event(&t, &k, k.pub, 3, h, SIGCHAIN_OP_ADD, SC_NOW_TXT,
			 json_pack("{s:s, s:f}", "subject", "a:b", "n", 1e29)) == 0);
	char *big = sc_replace(t.data, "1e+29", "100000000000000000000000000000");
	CHECK(big != NULL);
	CHECK_EQ_INT(sc_parse(big, k.hex, &ev, detail, sizeof detail), API_OK);
	CHECK_EQ_INT(ev.f.seq, 3);
	CHECK_EQ_INT(sigchain_event_verify(&ev, detail, sizeof detail), API_OK);
	free(big);
	sigchain_event_free(&ev);
	buf_free(&t);
}

UNIT_TEST(sigchain_subjects)
{
	static const char *const good[] = {
		"github:tudisco", "dns:kez.lat", "did:plc:abc", "mastodon:@jason@server.social", "a:x",
		"a-1:\xc3\xa9t\xc3\xa9", "abcdefghijklmnopqrstuvwxyz012345:x", "x:\xf0\x9f\x98\x80",
		"x:\xe2\x80\x8b", /* U+200B is not White_Space */
	};
	static const char *const bad[] = {
		"github", ":x", "github:", "GitHub:x", "1github:x", "-a:x", "git_hub:x", "abcdefghijklmnopqrstuvwxyz0123456:x",
		"x:a b", "x:a\tb", "x:\x7f", "x:a\xc2\x85", "x:\xc2\xa0", "x:\xe1\x9a\x80", "x:\xe2\x80\x80", "x:\xe2\x80\x8a",
		"x:\xe2\x80\xa8", "x:\xe2\x80\xa9", "x:\xe2\x80\xaf", "x:\xe2\x81\x9f", "x:\xe3\x80\x80", "x:\xc2\x9f",
		"x:\xff", "x:\xc0\xaf", "x:\xed\xa0\x80",
	};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		if (!sigchain_subject_is_valid(good[i], strlen(good[i])))
			unit_fail(__FILE__, __LINE__, "good subject %zu refused", i);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (sigchain_subject_is_valid(bad[i], strlen(bad[i])))
			unit_fail(__FILE__, __LINE__, "bad subject %zu accepted", i);
	CHECK(!sigchain_subject_is_valid("x:\0", 3));
	/* 256 code points at most, counted as code points, not bytes */
	char s[2 + 257 * 2 + 1];
	memcpy(s, "x:", 2);
	for (int i = 0; i < 257; i++)
		memcpy(s + 2 + 2 * i, "\xc3\xa9", 2);
	CHECK(sigchain_subject_is_valid(s, 2 + 256 * 2));
	CHECK(!sigchain_subject_is_valid(s, 2 + 257 * 2));
}

UNIT_TEST(sigchain_instants_and_wire)
{
	int64_t s;
	int32_t ns;
	CHECK(rfc3339_parse_ns("2026-12-01T10:00:00.5Z", 22, &s, &ns) == 0 && s == SC_NOW && ns == 500000000);
	const char *long_frac = "2026-12-01T10:00:00.123456789987Z";
	CHECK(rfc3339_parse_ns(long_frac, strlen(long_frac), &s, &ns) == 0 && ns == 123456789);
	CHECK(rfc3339_parse_ns("2026-12-01T11:00:00.000000001+01:00", 35, &s, &ns) == 0 && s == SC_NOW && ns == 1);
	CHECK(rfc3339_parse("2026-12-01T10:00:00.9Z", 22, &s) == 0 && s == SC_NOW);
	struct sigchain_instant a = { 10, 5 }, b = { 10, 6 }, c = { 11, 0 };
	CHECK(sigchain_instant_compare(a, b) < 0 && sigchain_instant_compare(b, a) > 0);
	CHECK(sigchain_instant_compare(b, c) < 0 && sigchain_instant_compare(a, a) == 0);

	struct sigchain_fields f, g;
	memset(&f, 0, sizeof f);
	memset(f.chain, 1, 32);
	f.seq = 7;
	f.has_prev = true;
	memset(f.prev, 2, 32);
	f.op = SIGCHAIN_OP_REVOKE;
	f.revoke_seq = 3;
	f.created_at = (struct sigchain_instant){ -5, 999999999 };
	memset(f.signing_key, 4, 32);
	memset(f.hash, 5, 32);
	uint8_t wire[SIGCHAIN_FIELDS_WIRE_LEN];
	sigchain_fields_encode(&f, wire);
	CHECK_EQ_INT(sigchain_fields_decode(wire, &g), 0);
	CHECK(memcmp(&f, &g, sizeof f) == 0);
	wire[32 + 4] = 0; /* seq 7 without prev */
	CHECK_EQ_INT(sigchain_fields_decode(wire, &g), -1);

	char text[SIGCHAIN_HASH_TEXT_LEN + 1];
	uint8_t back[32];
	sigchain_hash_format(f.hash, text);
	CHECK(sigchain_hash_parse(text, strlen(text), back) == 0 && memcmp(back, f.hash, 32) == 0);
}

UNIT_TEST(sigchain_event_reused)
{
	struct sc_key k;
	sc_key_make(1, &k);
	struct buf big, small;
	buf_init(&big, SC_MAX);
	buf_init(&small, SC_MAX);
	char pad[2001];
	memset(pad, 'p', 2000);
	pad[2000] = '\0';
	REQUIRE(sc_event(&big, &k, k.pub, 1, NULL, SIGCHAIN_OP_ADD, SC_NOW_TXT,
			 json_pack("{s:s, s:s}", "subject", "a:b", "pad", pad)) == 0);
	REQUIRE(sc_event(&small, &k, k.pub, 1, NULL, SIGCHAIN_OP_ADD, SC_NOW_TXT, json_pack("{s:s}", "subject", "a:b")) == 0);
	struct sigchain_event ev;
	sigchain_event_init(&ev);
	char detail[256];
	/* one event struct through a large event, a small one and a failure */
	CHECK_EQ_INT(sc_parse(big.data, k.hex, &ev, detail, sizeof detail), API_OK);
	CHECK_EQ_INT(ev.event_jcs.len, big.len);
	CHECK_EQ_INT(sc_parse(small.data, k.hex, &ev, detail, sizeof detail), API_OK);
	CHECK(ev.event_jcs.len == small.len && memcmp(ev.event_jcs.data, small.data, small.len) == 0);
	CHECK_EQ_INT(sigchain_event_verify(&ev, detail, sizeof detail), API_OK);
	CHECK_EQ_INT(sc_parse("{}", k.hex, &ev, detail, sizeof detail), API_INVALID_ENVELOPE);
	CHECK_EQ_INT(ev.event_jcs.len, 0);
	CHECK_EQ_INT(ev.payload_jcs.len, 0);
	CHECK_EQ_INT(sigchain_event_verify(&ev, detail, sizeof detail), API_INVALID_SIGNATURE);
	sigchain_event_free(&ev);
	buf_free(&big);
	buf_free(&small);
}
