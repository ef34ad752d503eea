/* NATS JWTs (common/nats_jwt.h): tokens made by nsc (from nats-server's
 * configs/one.creds and configs/js-op.conf), their jti recomputed, round
 * trips and tampering. */
#include <openssl/evp.h>

#include "common/enc/base32.h"
#include "common/enc/base64url.h"
#include "common/kez/ed25519.h"
#include "common/nats/nats_jwt.h"
#include "common/nats/nkeys.h"
#include "unit.h"

/* A user JWT issued by account ABVRZ… (nats-server configs/one.creds). */
static const char user_jwt[] =
	"eyJ0eXAiOiJKV1QiLCJhbGciOiJlZDI1NTE5LW5rZXkifQ.eyJqdGkiOiJHRUNQVEpISE1TM01DTUtMVFBHWUdBTzQ1R1E2TjZRUFlXUTRHUExBRUIzM1ZDUkpOUlZRIiwiaWF0IjoxNjE2MjQ3MjMyLCJpc3MiOiJBQlZSWktKNlo3TklNUElZSlJDSEVZRlJVTzdFTk42TldPS1FERkxGREZWUFNNMzZVUFgyVUNQUCIsIm5hbWUiOiJvbmUiLCJzdWIiOiJVRENJQkdHR0hDSkJRUE9PNFNDSkpCSFpEUjM3TlFHR0NJV01ORzJEREFLSjZXTUtCTUFLWElNTyIsIm5hdHMiOnsicHViIjp7fSwic3ViIjp7fSwic3VicyI6LTEsImRhdGEiOi0xLCJwYXlsb2FkIjotMSwidHlwZSI6InVzZXIiLCJ2ZXJzaW9uIjoyfX0.VLhSDtGZEF_jdvgmhgkdISXAt5wFMMZxxwm5w8UrsnlM1hkUvtxBlTe4IP0xJIf4xf8JOR2Bmf73xUGJKUZECQ";
/* A self-signed operator JWT (nats-server configs/js-op.conf). */
static const char operator_jwt[] =
	"eyJ0eXAiOiJKV1QiLCJhbGciOiJlZDI1NTE5LW5rZXkifQ.eyJqdGkiOiIyUkc0WjJKVzYzSUtBS1czSFg0SkpMQVhRN1ZSM0NKVlRQU1FHUVRCU0ZFQjVKTkNISUpRIiwiaWF0IjoxNjE2MTg2MjAxLCJpc3MiOiJPRDRNNklBQUtRU000RFFTTFdaSVZCQUNZVFlTMlM2WFFTN1U2N1hYWVhKNDRJTE5FMzVZUEdKSyIsIm5hbWUiOiJqcy10ZXN0Iiwic3ViIjoiT0Q0TTZJQUFLUVNNNERRU0xXWklWQkFDWVRZUzJTNlhRUzdVNjdYWFlYSjQ0SUxORTM1WVBHSksiLCJuYXRzIjp7InR5cGUiOiJvcGVyYXRvciIsInZlcnNpb24iOjJ9fQ.VkjSK2BlMmtYfVJSkC9aZEFvjg4BXzbd0oXkQa3Rlkhh8EuSRU7-Tp1zUm1SveBb6dZXsE51vhIQFQY66fO0Bw";

/* The nats-server tests' callout issuer (auth_callout_test.go). */
#define ISSUER_SEED_HEX "d1ad4cbafc2a4b627f75645c241b7d84f79d30d42f769d4e5efafac7f1256a03"
#define ISSUER_PUBLIC   "ABJHLOVMPA4CI6R5KLNGOB4GSLNIY7IOUPAJC4YFNDLQVIOBYQGUWVLA"
#define SOME_USER       "UD466L6EBCM3YY5HEGHJANNTN4LSKTSUXTH7RILHCKEQMQHTBNLHJJXT"

UNIT_TEST(nats_jwt_decodes_tokens_made_by_nsc)
{
	char err[200] = "";
	uint8_t issuer[32], want[32];
	json_t *claims = nats_jwt_decode(user_jwt, strlen(user_jwt), NKEY_PREFIX_ACCOUNT, issuer, err, sizeof err);
	if (!CHECK(claims != NULL)) {
		unit_fail(__FILE__, __LINE__, "%s", err);
		return;
	}
	CHECK_EQ_STR(json_string_value(json_object_get(claims, "name")), "one");
	CHECK_EQ_STR(json_string_value(json_object_get(claims, "sub")),
		     "UDCIBGGGHCJBQPOO4SCJJBHZDR37NQGGCIWMNG2DDAKJ6WMKBMAKXIMO");
	CHECK_EQ_INT(json_integer_value(json_object_get(json_object_get(claims, "nats"), "version")), 2);
	REQUIRE(nkey_decode_public("ABVRZKJ6Z7NIMPIYJRCHEYFRUO7ENN6NWOKQDFLFDFVPSM36UPX2UCPP", NKEY_PUBLIC_LEN,
				   NKEY_PREFIX_ACCOUNT, want) == 0);
	CHECK_EQ_MEM(issuer, want, 32);
	json_decref(claims);

	claims = nats_jwt_decode(operator_jwt, strlen(operator_jwt), NKEY_PREFIX_OPERATOR, NULL, err, sizeof err);
	CHECK(claims != NULL);
	CHECK_EQ_STR(json_string_value(json_object_get(claims, "name")), "js-test");
	json_decref(claims);

	/* the same tokens, expected from another kind of issuer */
	CHECK(nats_jwt_decode(user_jwt, strlen(user_jwt), NKEY_PREFIX_SERVER, issuer, err, sizeof err) == NULL);
	CHECK(strstr(err, "issuer") != NULL);
	CHECK(nats_jwt_decode(operator_jwt, strlen(operator_jwt), NKEY_PREFIX_ACCOUNT, issuer, err, sizeof err) == NULL);
}

/* The jti rule, checked against the ids nsc wrote into both tokens. */
UNIT_TEST(nats_jwt_jti_matches_nsc)
{
	const char *tokens[] = { user_jwt, operator_jwt };
	const uint8_t prefixes[] = { NKEY_PREFIX_ACCOUNT, NKEY_PREFIX_OPERATOR };
	for (size_t i = 0; i < 2; i++) {
		char err[200];
		json_t *claims = nats_jwt_decode(tokens[i], strlen(tokens[i]), prefixes[i], NULL, err, sizeof err);
		REQUIRE(claims != NULL);
		char want[NATS_JWT_JTI_LEN + 1];
		snprintf(want, sizeof want, "%s", json_string_value(json_object_get(claims, "jti")));
		json_object_set_new(claims, "jti", json_string("something else"));
		CHECK_EQ_INT(nats_jwt_set_jti(claims), 0);
		CHECK_EQ_STR(json_string_value(json_object_get(claims, "jti")), want);
		json_decref(claims);
	}
}

static void jti_of_text(const char *text, char out[NATS_JWT_JTI_LEN + 1])
{
	uint8_t digest[32];
	unsigned n = 0;
	if (EVP_Digest(text, strlen(text), digest, &n, EVP_sha512_256(), NULL) != 1 || n != 32 ||
	    base32_encode(digest, 32, out, NATS_JWT_JTI_LEN + 1) != NATS_JWT_JTI_LEN)
		unit_fail(__FILE__, __LINE__, "cannot hash");
}

/* Go's encoding/json: fixed field order, empty and 0 left out, HTML-safe
 * escapes, \u2028 and \u2029 escaped, other UTF-8 as it is. */
UNIT_TEST(nats_jwt_jti_hashes_standard_claims_as_go_writes_them)
{
	json_t *claims = json_pack("{s:s, s:s, s:I, s:s, s:s, s:I, s:s, s:{s:s}}", "sub", SOME_USER, "name",
				   "a<b>&\"c\"\\\n\t\x01\b\f\xc3\xa9\xe2\x80\xa8\xe2\x80\xa9", "iat", (json_int_t)1700000000,
				   "iss", ISSUER_PUBLIC, "aud", "", "nbf", (json_int_t)0, "jti", "old", "nats", "type",
				   "user");
	REQUIRE(claims != NULL);
	char want[NATS_JWT_JTI_LEN + 1];
	jti_of_text("{\"iat\":1700000000,\"iss\":\"" ISSUER_PUBLIC "\","
		    "\"name\":\"a\\u003cb\\u003e\\u0026\\\"c\\\"\\\\\\n\\t\\u0001\\b\\f\xc3\xa9\\u2028\\u2029\","
		    "\"sub\":\"" SOME_USER "\"}",
		    want);
	CHECK_EQ_INT(nats_jwt_set_jti(claims), 0);
	CHECK_EQ_STR(json_string_value(json_object_get(claims, "jti")), want);
	/* exp and aud when set, in their places */
	json_object_set_new(claims, "exp", json_integer(-5));
	json_object_set_new(claims, "aud", json_string("KEZ"));
	json_object_set_new(claims, "name", json_string("alice"));
	jti_of_text("{\"aud\":\"KEZ\",\"exp\":-5,\"iat\":1700000000,\"iss\":\"" ISSUER_PUBLIC "\",\"name\":\"alice\","
		    "\"sub\":\"" SOME_USER "\"}",
		    want);
	CHECK_EQ_INT(nats_jwt_set_jti(claims), 0);
	CHECK_EQ_STR(json_string_value(json_object_get(claims, "jti")), want);
	/* a standard claim of the wrong type */
	json_object_set_new(claims, "exp", json_string("soon"));
	CHECK_EQ_INT(nats_jwt_set_jti(claims), -1);
	json_object_set_new(claims, "exp", json_integer(1));
	json_object_set_new(claims, "iss", json_integer(1));
	CHECK_EQ_INT(nats_jwt_set_jti(claims), -1);
	json_decref(claims);
	CHECK_EQ_INT(nats_jwt_set_jti(NULL), -1);
}

static json_t *sample_claims(void)
{
	return json_pack("{s:s, s:s, s:s, s:I, s:{s:s, s:i}}", "sub", SOME_USER, "iss", ISSUER_PUBLIC, "aud", "KEZ",
			 "iat", (json_int_t)1700000000, "nats", "type", "user", "version", 2);
}

UNIT_TEST(nats_jwt_encode_round_trip)
{
	uint8_t seed[32], pub[32];
	REQUIRE(unit_hex(ISSUER_SEED_HEX, seed, 32) == 32);
	json_t *claims = sample_claims();
	struct buf jwt;
	buf_init(&jwt, NATS_JWT_MAX);
	REQUIRE(nats_jwt_encode(claims, seed, &jwt) == 0);
	CHECK(jwt.len > 3 && memcmp(jwt.data, "eyJ0eXAiOiJKV1QiLCJhbGciOiJlZDI1NTE5LW5rZXkifQ.", 47) == 0);
	char err[200] = "";
	uint8_t issuer[32];
	json_t *back = nats_jwt_decode(jwt.data, jwt.len, NKEY_PREFIX_ACCOUNT, issuer, err, sizeof err);
	if (CHECK(back != NULL)) {
		CHECK(json_equal(back, claims));
		CHECK_EQ_INT(strlen(json_string_value(json_object_get(back, "jti"))), NATS_JWT_JTI_LEN);
		REQUIRE(ed25519_public_key(seed, pub) == 0);
		CHECK_EQ_MEM(issuer, pub, 32);
	} else {
		unit_fail(__FILE__, __LINE__, "%s", err);
	}
	json_decref(back);

	/* the two-step way (the verifier's) makes the same token: Ed25519 is
	 * deterministic */
	struct buf split;
	buf_init(&split, NATS_JWT_MAX);
	uint8_t sig[64];
	REQUIRE(nats_jwt_signing_input(claims, &split) == 0);
	REQUIRE(ed25519_sign(seed, (const uint8_t *)split.data, split.len, sig) == 0);
	REQUIRE(nats_jwt_append_signature(&split, sig) == 0);
	CHECK(split.len == jwt.len && memcmp(split.data, jwt.data, jwt.len) == 0);
	/* and so does a seed expanded once (the verifier's threads sign so) */
	struct ed25519_keypair kp, other;
	REQUIRE(ed25519_keypair_from_seed(&kp, seed) == 0);
	split.len = 0;
	REQUIRE(nats_jwt_encode_keypair(claims, &kp, &split) == 0);
	CHECK(split.len == jwt.len && memcmp(split.data, jwt.data, jwt.len) == 0);
	/* a keypair that is not the issuer's signs nothing */
	uint8_t seed2[32];
	memset(seed2, 7, sizeof seed2);
	REQUIRE(ed25519_keypair_from_seed(&other, seed2) == 0);
	split.len = 0;
	CHECK_EQ_INT(nats_jwt_encode_keypair(claims, &other, &split), -1);
	CHECK_EQ_INT(split.len, 0);
	ed25519_keypair_wipe(&kp);
	ed25519_keypair_wipe(&other);
	buf_free(&split);
	buf_free(&jwt);
	json_decref(claims);
}

UNIT_TEST(nats_jwt_encode_refusals)
{
	uint8_t seed[32], other[32];
	REQUIRE(unit_hex(ISSUER_SEED_HEX, seed, 32) == 32);
	memset(other, 7, sizeof other);
	struct buf jwt;
	buf_init(&jwt, NATS_JWT_MAX);
	REQUIRE(buf_append_str(&jwt, "keep") == 0);
	json_t *claims = sample_claims();
	/* a seed that is not the issuer's */
	CHECK_EQ_INT(nats_jwt_encode(claims, other, &jwt), -1);
	/* no subject */
	json_object_set_new(claims, "sub", json_string(""));
	CHECK_EQ_INT(nats_jwt_encode(claims, seed, &jwt), -1);
	CHECK_EQ_INT(nats_jwt_signing_input(claims, &jwt), -1);
	json_object_del(claims, "sub");
	CHECK_EQ_INT(nats_jwt_signing_input(claims, &jwt), -1);
	json_object_set_new(claims, "sub", json_string(SOME_USER));
	/* no issuer */
	json_object_del(claims, "iss");
	CHECK_EQ_INT(nats_jwt_signing_input(claims, &jwt), -1);
	json_object_set_new(claims, "iss", json_string(ISSUER_PUBLIC));
	/* too large for a NATS JWT */
	static char big[NATS_JWT_MAX];
	memset(big, 'x', sizeof big - 1);
	json_object_set_new(claims, "big", json_string(big));
	CHECK_EQ_INT(nats_jwt_encode(claims, seed, &jwt), -1);
	/* none of that left anything behind */
	CHECK(jwt.len == 4 && memcmp(jwt.data, "keep", 4) == 0);
	/* an output buffer too small: nothing half-written either */
	json_object_del(claims, "big");
	struct buf small;
	buf_init(&small, 100);
	CHECK_EQ_INT(nats_jwt_encode(claims, seed, &small), -1);
	CHECK_EQ_INT(small.len, 0);
	buf_free(&small);
	buf_free(&jwt);
	json_decref(claims);
}

/* A token from parts, signed with seed over "header.payload". */
static void make_token(const char *header, const char *payload, const uint8_t seed[32], struct buf *out)
{
	base64url_encode((const uint8_t *)header, strlen(header), out);
	buf_putc(out, '.');
	base64url_encode((const uint8_t *)payload, strlen(payload), out);
	uint8_t sig[64];
	if (ed25519_sign(seed, (const uint8_t *)out->data, out->len, sig) < 0)
		unit_fail(__FILE__, __LINE__, "cannot sign");
	nats_jwt_append_signature(out, sig);
}

static bool refused(const char *jwt, size_t len, const char *reason)
{
	char err[200] = "";
	json_t *claims = nats_jwt_decode(jwt, len, NKEY_PREFIX_ACCOUNT, NULL, err, sizeof err);
	json_decref(claims);
	if (claims || !strstr(err, reason)) {
		unit_fail(__FILE__, __LINE__, "%.60s…: %s (expected a refusal for \"%s\")", jwt, claims ? "accepted" : err,
			  reason);
		return false;
	}
	return true;
}

UNIT_TEST(nats_jwt_refuses_tampering)
{
	size_t len = strlen(user_jwt);
	char copy[sizeof user_jwt];
	/* every character of the signature and some of the payload */
	for (size_t i = len - 86; i < len; i++) {
		memcpy(copy, user_jwt, sizeof copy);
		copy[i] = copy[i] == 'A' ? 'B' : 'A';
		char err[200];
		json_t *claims = nats_jwt_decode(copy, len, NKEY_PREFIX_ACCOUNT, NULL, err, sizeof err);
		if (claims)
			unit_fail(__FILE__, __LINE__, "accepted with signature character %zu changed", i);
		json_decref(claims);
	}
	memcpy(copy, user_jwt, sizeof copy);
	copy[100] = copy[100] == 'A' ? 'B' : 'A';
	refused(copy, len, "");
	/* cut, extended, parts missing or extra */
	refused(user_jwt, len - 1, "signature");
	refused(user_jwt, 0, "three parts");
	memcpy(copy, user_jwt, sizeof copy);
	copy[len - 86 - 1] = '_'; /* the second dot */
	refused(copy, len, "three parts");
	struct buf b;
	buf_init(&b, 2 * NATS_JWT_MAX);
	buf_append(&b, user_jwt, len);
	buf_append_str(&b, ".");
	refused(b.data, b.len, "three parts");
	b.len = len;
	buf_append_str(&b, "==");
	refused(b.data, b.len, "signature");
	/* longer than any NATS JWT */
	b.len = 0;
	for (int i = 0; i <= NATS_JWT_MAX; i++)
		buf_putc(&b, 'e');
	refused(b.data, b.len, "longer");
	buf_free(&b);
}

UNIT_TEST(nats_jwt_checks_header_and_claims)
{
	uint8_t seed[32];
	REQUIRE(unit_hex(ISSUER_SEED_HEX, seed, 32) == 32);
	const char *payload = "{\"iss\":\"" ISSUER_PUBLIC "\",\"sub\":\"" SOME_USER "\"}";
	struct buf t;
	buf_init(&t, NATS_JWT_MAX);
	const char *headers_ok[] = { "{\"typ\":\"JWT\",\"alg\":\"ed25519-nkey\"}", "{\"alg\":\"ED25519-NKEY\",\"typ\":\"jwt\"}" };
	for (size_t i = 0; i < 2; i++) {
		t.len = 0;
		make_token(headers_ok[i], payload, seed, &t);
		char err[200] = "";
		json_t *claims = nats_jwt_decode(t.data, t.len, NKEY_PREFIX_ACCOUNT, NULL, err, sizeof err);
		if (!CHECK(claims != NULL))
			unit_fail(__FILE__, __LINE__, "header %zu: %s", i, err);
		json_decref(claims);
	}
	/* validly signed, but not a v2 nkey JWT header */
	const char *headers_bad[] = {
		"{\"typ\":\"JWT\",\"alg\":\"ed25519\"}", /* v1: signs the payload alone */
		"{\"typ\":\"JWT\",\"alg\":\"EdDSA\"}",
		"{\"typ\":\"JWS\",\"alg\":\"ed25519-nkey\"}",
		"{\"alg\":\"ed25519-nkey\"}",
		"{\"typ\":\"JWT\",\"alg\":\"ed25519-nkey\",\"alg\":\"ed25519-nkey\"}",
		"[]",
		"",
	};
	for (size_t i = 0; i < sizeof headers_bad / sizeof headers_bad[0]; i++) {
		t.len = 0;
		make_token(headers_bad[i], payload, seed, &t);
		refused(t.data, t.len, "header");
	}
	/* validly signed, but the claims are not a JSON object or not unique */
	const char *claims_bad[] = {
		"[1]",
		"\"text\"",
		"{\"iss\":\"" ISSUER_PUBLIC "\",\"iss\":\"" ISSUER_PUBLIC "\"}",
		"{\"iss\":\"" ISSUER_PUBLIC "\"",
		"",
	};
	for (size_t i = 0; i < sizeof claims_bad / sizeof claims_bad[0]; i++) {
		t.len = 0;
		make_token(headers_ok[0], claims_bad[i], seed, &t);
		refused(t.data, t.len, "claims");
	}
	/* no issuer, an issuer with a bad checksum, another key's signature */
	t.len = 0;
	make_token(headers_ok[0], "{\"sub\":\"" SOME_USER "\"}", seed, &t);
	refused(t.data, t.len, "issuer");
	t.len = 0;
	make_token(headers_ok[0], "{\"iss\":\"ABJHLOVMPA4CI6R5KLNGOB4GSLNIY7IOUPAJC4YFNDLQVIOBYQGUWVLB\"}", seed, &t);
	refused(t.data, t.len, "issuer");
	uint8_t other[32];
	memset(other, 3, sizeof other);
	t.len = 0;
	make_token(headers_ok[0], payload, other, &t);
	refused(t.data, t.len, "does not verify");
	buf_free(&t);
}
