/* The auth callout's logic (common/nats_auth.h): requests shaped as
 * nats-server 2.10 writes them (server/auth_callout.go), nonce signatures in
 * both encodings clients use, and the answers' claims. */
#include <openssl/evp.h>

#include "common/enc/base64url.h"
#include "common/kez/ed25519.h"
#include "common/nats/nats_auth.h"
#include "common/nats/nats_jwt.h"
#include "unit.h"

#define NOW 1763000000

#define ISSUER_SEED_HEX "d1ad4cbafc2a4b627f75645c241b7d84f79d30d42f769d4e5efafac7f1256a03"
#define ISSUER_PUBLIC   "ABJHLOVMPA4CI6R5KLNGOB4GSLNIY7IOUPAJC4YFNDLQVIOBYQGUWVLA"
/* The client: the nkeys README pair. */
#define CLIENT_SEED_HEX "ac44f543a24bd7e4a66613d0ebfb68c3bd8097e0c1d3669a296223ab1b5d71f3"
#define CLIENT_KEY_HEX  "f9ef2fc40899bc63a7218e9035b36f17254e54bccff8a16712890640f30b5674"
#define CLIENT_NKEY     "UD466L6EBCM3YY5HEGHJANNTN4LSKTSUXTH7RILHCKEQMQHTBNLHJJXT"
#define USER_NKEY       "UDCIBGGGHCJBQPOO4SCJJBHZDR37NQGGCIWMNG2DDAKJ6WMKBMAKXIMO"
#define CURVE_PUBLIC    "XAB3NANV3M6N7AHSQP2U5FRWKKUT7EG2ZXXABV4XVXYQRJGM4S2CZGHT"
#define NONCE           "xTN8uBDAvzdHxjs"

/* A server key of our own (tests only). */
static void server_key(uint8_t seed[32], char id[NKEY_PUBLIC_LEN + 1])
{
	uint8_t pub[32];
	memset(seed, 0x5e, 32);
	if (ed25519_public_key(seed, pub) < 0)
		unit_fail(__FILE__, __LINE__, "no key");
	nkey_encode_public(NKEY_PREFIX_SERVER, pub, id);
}

static void client_sig(const char *nonce, bool url, char *out, size_t cap)
{
	uint8_t seed[32], sig[64];
	unit_hex(CLIENT_SEED_HEX, seed, 32);
	if (ed25519_sign(seed, (const uint8_t *)nonce, strlen(nonce), sig) < 0)
		unit_fail(__FILE__, __LINE__, "cannot sign");
	if (url) {
		struct buf b;
		buf_init(&b, cap - 1);
		base64url_encode(sig, 64, &b);
		buf_putc(&b, '\0');
		memcpy(out, b.data, b.len);
		buf_free(&b);
	} else {
		EVP_EncodeBlock((unsigned char *)out, sig, 64); /* padded standard base64, as nats.js sends */
	}
}

/* The claims of a request as nats-server makes them; tests then change them. */
static json_t *request_claims(const char *server_id, const char *sig)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:I, s:I,"
			 " s:{s:{s:s, s:s, s:s, s:s}, s:s, s:{s:s, s:I, s:s, s:s, s:s, s:s, s:s},"
			 " s:{s:s, s:s, s:s, s:s, s:i}, s:s, s:i}}",
			 "jti", "X", "aud", NATS_AUTH_AUDIENCE, "iss", server_id, "sub", ISSUER_PUBLIC, "iat",
			 (json_int_t)NOW, "exp", (json_int_t)(NOW + 2), "nats",
			 "server_id", "name", "nats-1", "host", "0.0.0.0", "id", server_id, "version", "2.10.27",
			 "user_nkey", USER_NKEY,
			 "client_info", "host", "127.0.0.1", "id", (json_int_t)7, "user", CLIENT_NKEY, "name", "kez-web",
			 "kind", "Client", "type", "websocket", "nonce", NONCE,
			 "connect_opts", "nkey", CLIENT_NKEY, "sig", sig, "lang", "nats.js", "version", "2.29.0",
			 "protocol", 1, "type", "authorization_request", "version", 2);
}

static void sign_request(json_t *claims, const uint8_t seed[32], struct buf *out)
{
	out->len = 0;
	if (nats_jwt_encode(claims, seed, out) < 0)
		unit_fail(__FILE__, __LINE__, "cannot sign the request");
}

/* A good request, after `change` was applied to its claims. */
static int parse_changed(void (*change)(json_t *), struct nats_auth_request *r, char *err, size_t errlen)
{
	uint8_t seed[32];
	char id[NKEY_PUBLIC_LEN + 1], sig[100];
	server_key(seed, id);
	client_sig(NONCE, true, sig, sizeof sig);
	json_t *claims = request_claims(id, sig);
	if (change)
		change(claims);
	struct buf jwt;
	buf_init(&jwt, NATS_JWT_MAX);
	sign_request(claims, seed, &jwt);
	int rc = nats_auth_parse_request(jwt.data, jwt.len, ISSUER_PUBLIC, NOW, r, err, errlen);
	buf_free(&jwt);
	json_decref(claims);
	return rc;
}

static json_t *nats_of(json_t *claims)
{
	return json_object_get(claims, "nats");
}

UNIT_TEST(nats_auth_parses_a_request)
{
	struct nats_auth_request r;
	char err[200] = "";
	if (!CHECK_EQ_INT(parse_changed(NULL, &r, err, sizeof err), 0)) {
		unit_fail(__FILE__, __LINE__, "%s", err);
		return;
	}
	char id[NKEY_PUBLIC_LEN + 1];
	uint8_t seed[32], key[32];
	server_key(seed, id);
	CHECK_EQ_STR(r.server_id, id);
	CHECK_EQ_STR(r.server_name, "nats-1");
	CHECK_EQ_STR(r.user_nkey, USER_NKEY);
	CHECK_EQ_STR(r.issuer_account, ISSUER_PUBLIC);
	CHECK(!r.has_server_xkey);
	CHECK_EQ_INT(r.expires, NOW + 2);
	CHECK_EQ_INT(r.client_key_state, NATS_FIELD_PRESENT);
	unit_hex(CLIENT_KEY_HEX, key, 32);
	CHECK_EQ_MEM(r.client_key, key, 32);
	CHECK_EQ_INT(r.sig_state, NATS_FIELD_PRESENT);
	CHECK(r.has_nonce);
	CHECK_EQ_STR(r.nonce, NONCE);
	CHECK_EQ_INT(r.client_id, 7);
	CHECK_EQ_STR(r.client_host, "127.0.0.1");
	CHECK_EQ_STR(r.client_name, "kez-web");
	CHECK_EQ_STR(r.client_kind, "Client");
	CHECK_EQ_STR(r.client_type, "websocket");
	CHECK_EQ_INT(nats_auth_check_nonce(&r), NATS_NONCE_OK);
}

static void set_std_sig(json_t *c)
{
	char sig[100];
	client_sig(NONCE, false, sig, sizeof sig);
	CHECK_EQ_INT(strlen(sig), 88);
	CHECK(sig[87] == '=');
	json_object_set_new(json_object_get(nats_of(c), "connect_opts"), "sig", json_string(sig));
}

static void drop_nkey(json_t *c) { json_object_del(json_object_get(nats_of(c), "connect_opts"), "nkey"); }
static void account_nkey(json_t *c)
{
	json_object_set_new(json_object_get(nats_of(c), "connect_opts"), "nkey", json_string(ISSUER_PUBLIC));
}
static void drop_sig_and_nonce(json_t *c)
{
	json_object_del(json_object_get(nats_of(c), "connect_opts"), "sig");
	json_object_del(json_object_get(nats_of(c), "client_info"), "nonce");
}
static void drop_sig(json_t *c) { json_object_del(json_object_get(nats_of(c), "connect_opts"), "sig"); }
static void garbage_sig(json_t *c)
{
	json_object_set_new(json_object_get(nats_of(c), "connect_opts"), "sig", json_string("not base64!"));
}
static void short_sig(json_t *c)
{
	json_object_set_new(json_object_get(nats_of(c), "connect_opts"), "sig", json_string("AAAA"));
}
static void other_nonce(json_t *c)
{
	json_object_set_new(json_object_get(nats_of(c), "client_info"), "nonce", json_string("xTN8uBDAvzdHxjt"));
}
/* Trap: the signature is over the nonce text, not its base64-decoded bytes. */
static void sig_over_decoded_nonce(json_t *c)
{
	uint8_t raw[16], seed[32], sig[64];
	int n = base64_decode_any(NONCE, strlen(NONCE), raw, sizeof raw);
	unit_hex(CLIENT_SEED_HEX, seed, 32);
	if (n <= 0 || ed25519_sign(seed, raw, (size_t)n, sig) < 0)
		unit_fail(__FILE__, __LINE__, "cannot sign");
	struct buf b;
	buf_init(&b, 200);
	base64url_encode(sig, 64, &b);
	buf_putc(&b, '\0');
	json_object_set_new(json_object_get(nats_of(c), "connect_opts"), "sig", json_string(b.data));
	buf_free(&b);
}
/* Someone else's key, with the original signature. */
static void other_key(json_t *c)
{
	json_object_set_new(json_object_get(nats_of(c), "connect_opts"), "nkey", json_string(USER_NKEY));
}

UNIT_TEST(nats_auth_nonce_check_reasons)
{
	const struct {
		void (*change)(json_t *);
		enum nats_nonce_check want;
	} cases[] = {
		{ set_std_sig, NATS_NONCE_OK },
		{ drop_nkey, NATS_NONCE_NO_KEY },
		{ account_nkey, NATS_NONCE_BAD_KEY },
		{ drop_sig_and_nonce, NATS_NONCE_NO_NONCE },
		{ drop_sig, NATS_NONCE_NO_SIG },
		{ garbage_sig, NATS_NONCE_BAD_SIG_TEXT },
		{ short_sig, NATS_NONCE_BAD_SIG_TEXT },
		{ other_nonce, NATS_NONCE_BAD_SIG },
		{ sig_over_decoded_nonce, NATS_NONCE_BAD_SIG },
		{ other_key, NATS_NONCE_BAD_SIG },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct nats_auth_request r;
		char err[200] = "";
		if (!CHECK_EQ_INT(parse_changed(cases[i].change, &r, err, sizeof err), 0)) {
			unit_fail(__FILE__, __LINE__, "case %zu: %s", i, err);
			continue;
		}
		enum nats_nonce_check got = nats_auth_check_nonce(&r);
		if (got != cases[i].want)
			unit_fail(__FILE__, __LINE__, "case %zu: \"%s\", expected \"%s\"", i, nats_nonce_check_text(got),
				  nats_nonce_check_text(cases[i].want));
	}
	/* every result has its own words */
	for (int a = NATS_NONCE_OK; a <= NATS_NONCE_BAD_SIG; a++)
		for (int b = a + 1; b <= NATS_NONCE_BAD_SIG; b++)
			CHECK(strcmp(nats_nonce_check_text((enum nats_nonce_check)a),
				     nats_nonce_check_text((enum nats_nonce_check)b)) != 0);
}

static void wrong_aud(json_t *c) { json_object_set_new(c, "aud", json_string("nats-authorization-response")); }
static void no_aud(json_t *c) { json_object_del(c, "aud"); }
static void wrong_type(json_t *c) { json_object_set_new(nats_of(c), "type", json_string("user")); }
static void version_1(json_t *c) { json_object_set_new(nats_of(c), "version", json_integer(1)); }
static void version_text(json_t *c) { json_object_set_new(nats_of(c), "version", json_string("2")); }
static void no_version(json_t *c) { json_object_del(nats_of(c), "version"); }
static void other_server_id(json_t *c)
{
	char id[NKEY_PUBLIC_LEN + 1];
	uint8_t key[32] = { 9 };
	nkey_encode_public(NKEY_PREFIX_SERVER, key, id);
	json_object_set_new(json_object_get(nats_of(c), "server_id"), "id", json_string(id));
}
static void expired(json_t *c) { json_object_set_new(c, "exp", json_integer(NOW - NATS_AUTH_LEEWAY - 1)); }
static void no_exp(json_t *c) { json_object_del(c, "exp"); }
static void bad_user_nkey(json_t *c) { json_object_set_new(nats_of(c), "user_nkey", json_string(ISSUER_PUBLIC)); }
static void no_user_nkey(json_t *c) { json_object_del(nats_of(c), "user_nkey"); }
static void bad_xkey(json_t *c)
{
	json_object_set_new(json_object_get(nats_of(c), "server_id"), "xkey", json_string(CLIENT_NKEY));
}
static void set_nonce(json_t *c, json_t *nonce) { json_object_set_new(json_object_get(nats_of(c), "client_info"), "nonce", nonce); }
static void long_nonce(json_t *c)
{
	char nonce[NATS_AUTH_NONCE_LEN + 60];
	memset(nonce, 'n', sizeof nonce - 1);
	nonce[sizeof nonce - 1] = '\0';
	set_nonce(c, json_string(nonce));
}
/* Signatures made over anything but a server's nonce must not pass as one. */
static void nonce_14(json_t *c) { set_nonce(c, json_string("xTN8uBDAvzdHxj")); }
static void nonce_16(json_t *c) { set_nonce(c, json_string("xTN8uBDAvzdHxjsA")); }
static void nonce_padded(json_t *c) { set_nonce(c, json_string("xTN8uBDAvzdHxj=")); }
static void nonce_std_b64(json_t *c) { set_nonce(c, json_string("xTN8uBDAvzdHx+/")); }
static void nonce_json(json_t *c) { set_nonce(c, json_string("{\"handle\":\"a\"}")); }
static void nonce_empty(json_t *c) { set_nonce(c, json_string("")); }
static void nonce_number(json_t *c) { set_nonce(c, json_integer(123456789012345)); }
static void wrong_sub(json_t *c) { json_object_set_new(c, "sub", json_string("AAXR4BVLIYMYDEJVJGLJ4CD7CTD7UORAM6BC5ETATCAY2UAVMHP3HUEC")); }
static void user_sub(json_t *c) { json_object_set_new(c, "sub", json_string(CLIENT_NKEY)); }
static void no_iat(json_t *c) { json_object_del(c, "iat"); }
static void future_iat(json_t *c) { json_object_set_new(c, "iat", json_integer(NOW + NATS_AUTH_LEEWAY + 1)); }

UNIT_TEST(nats_auth_refuses_requests_that_are_not_genuine)
{
	const struct {
		void (*change)(json_t *);
		const char *reason;
	} cases[] = {
		{ wrong_aud, "aud" },           { no_aud, "aud" },
		{ wrong_type, "nats.type" },    { version_1, "version" },
		{ version_text, "version" },    { no_version, "version" },
		{ other_server_id, "issuer" },  { expired, "expired" },
		{ no_exp, "exp" },              { bad_user_nkey, "user_nkey" },
		{ no_user_nkey, "user_nkey" },  { bad_xkey, "xkey" },
		{ long_nonce, "nonce" },        { nonce_14, "nonce" },
		{ nonce_16, "nonce" },          { nonce_padded, "nonce" },
		{ nonce_std_b64, "nonce" },     { nonce_json, "nonce" },
		{ nonce_empty, "nonce" },       { nonce_number, "nonce" },
		{ wrong_sub, "sub" },           { user_sub, "sub" },
		{ no_iat, "iat" },              { future_iat, "future" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct nats_auth_request r;
		char err[200] = "";
		CHECK_EQ_INT(parse_changed(cases[i].change, &r, err, sizeof err), -1);
		if (!strstr(err, cases[i].reason))
			unit_fail(__FILE__, __LINE__, "case %zu: \"%s\" does not say \"%s\"", i, err, cases[i].reason);
		CHECK_EQ_STR(r.user_nkey, ""); /* nothing half-filled is left */
	}
}

static void just_in_leeway(json_t *c)
{
	json_object_set_new(c, "exp", json_integer(NOW - NATS_AUTH_LEEWAY));
	json_object_set_new(c, "iat", json_integer(NOW + NATS_AUTH_LEEWAY));
}
static void with_xkey(json_t *c)
{
	json_object_set_new(json_object_get(nats_of(c), "server_id"), "xkey", json_string(CURVE_PUBLIC));
}
static void odd_client_texts(json_t *c)
{
	json_t *info = json_object_get(nats_of(c), "client_info");
	char name[NATS_AUTH_TEXT_MAX + 20];
	/* 62 ASCII bytes, then a 2-byte character across the cut */
	memset(name, 'a', 62);
	memcpy(name + 62, "\xc3\xa9zz", 5);
	json_object_set_new(info, "name", json_string(name));
	json_object_set_new(info, "host", json_string("1.2.3.4\n[FAKE] log line\x7f"));
	json_object_del(info, "kind");
	json_object_set_new(info, "id", json_integer(-1));
}

UNIT_TEST(nats_auth_request_details)
{
	struct nats_auth_request r;
	char err[200] = "";
	CHECK_EQ_INT(parse_changed(just_in_leeway, &r, err, sizeof err), 0);
	REQUIRE(parse_changed(with_xkey, &r, err, sizeof err) == 0);
	CHECK(r.has_server_xkey);
	CHECK_EQ_STR(r.server_xkey, CURVE_PUBLIC);
	uint8_t want[32];
	REQUIRE(nkey_decode_public(CURVE_PUBLIC, NKEY_PUBLIC_LEN, NKEY_PREFIX_CURVE, want) == 0);
	CHECK_EQ_MEM(r.server_xkey_key, want, 32);
	REQUIRE(parse_changed(odd_client_texts, &r, err, sizeof err) == 0);
	CHECK_EQ_INT(strlen(r.client_name), 62);
	CHECK_EQ_STR(r.client_host, "1.2.3.4?[FAKE] log line?");
	CHECK_EQ_STR(r.client_kind, "");
	CHECK_EQ_INT(r.client_id, 0);
	CHECK_EQ_INT(nats_auth_check_nonce(&r), NATS_NONCE_OK);
}

UNIT_TEST(nats_auth_refuses_requests_not_signed_by_the_server)
{
	uint8_t seed[32], other[32];
	char id[NKEY_PUBLIC_LEN + 1], sig[100], err[200] = "";
	server_key(seed, id);
	client_sig(NONCE, true, sig, sizeof sig);
	json_t *claims = request_claims(id, sig);
	struct buf jwt;
	buf_init(&jwt, NATS_JWT_MAX);
	sign_request(claims, seed, &jwt);
	struct nats_auth_request r;
	REQUIRE(nats_auth_parse_request(jwt.data, jwt.len, ISSUER_PUBLIC, NOW, &r, err, sizeof err) == 0);
	/* a flipped signature byte */
	jwt.data[jwt.len - 5] = jwt.data[jwt.len - 5] == 'A' ? 'B' : 'A';
	CHECK_EQ_INT(nats_auth_parse_request(jwt.data, jwt.len, ISSUER_PUBLIC, NOW, &r, err, sizeof err), -1);
	CHECK(strstr(err, "signature") != NULL);
	/* signed by an account key claiming to be a server: the kind is wrong */
	unit_hex(ISSUER_SEED_HEX, other, 32);
	json_object_set_new(claims, "iss", json_string(ISSUER_PUBLIC));
	json_object_set_new(json_object_get(nats_of(claims), "server_id"), "id", json_string(ISSUER_PUBLIC));
	sign_request(claims, other, &jwt);
	CHECK_EQ_INT(nats_auth_parse_request(jwt.data, jwt.len, ISSUER_PUBLIC, NOW, &r, err, sizeof err), -1);
	CHECK(strstr(err, "issuer") != NULL);
	CHECK_EQ_INT(nats_auth_parse_request("eyJ", 3, ISSUER_PUBLIC, NOW, &r, err, sizeof err), -1);
	buf_free(&jwt);
	json_decref(claims);
}

UNIT_TEST(nats_auth_user_claims_shape)
{
	struct nats_auth_request r;
	char err[200] = "";
	REQUIRE(parse_changed(NULL, &r, err, sizeof err) == 0);
	json_t *claims = nats_auth_user_claims(&r, ISSUER_PUBLIC, "KEZ", "alice", r.client_key, NOW, 3600);
	REQUIRE(claims != NULL);
	json_t *want = json_loads("{\"sub\":\"" USER_NKEY "\",\"iss\":\"" ISSUER_PUBLIC "\",\"aud\":\"KEZ\","
				  "\"name\":\"alice\",\"iat\":1763000000,\"exp\":1763003600,\"nats\":{"
				  "\"pub\":{\"allow\":[\"kez.inbox.*.>\"]},"
				  "\"sub\":{\"allow\":[\"kez.inbox."
				  "f9ef2fc40899bc63a7218e9035b36f17254e54bccff8a16712890640f30b5674.>\",\"_INBOX."
				  "f9ef2fc40899bc63a7218e9035b36f17254e54bccff8a16712890640f30b5674.>\"]},"
				  "\"resp\":{\"max\":1,\"ttl\":60000000000},"
				  "\"subs\":-1,\"data\":-1,\"payload\":-1,\"type\":\"user\",\"version\":2}}",
				  JSON_REJECT_DUPLICATES, NULL);
	REQUIRE(want != NULL);
	if (!CHECK(json_equal(claims, want))) {
		char *got = json_dumps(claims, JSON_COMPACT);
		unit_fail(__FILE__, __LINE__, "got %s", got);
		free(got);
	}
	json_decref(want);
	json_decref(claims);

	/* arguments that make no valid user */
	CHECK(nats_auth_user_claims(&r, ISSUER_PUBLIC, "KEZ", "Alice!", r.client_key, NOW, 3600) == NULL);
	CHECK(nats_auth_user_claims(&r, ISSUER_PUBLIC, "KEZ", "", r.client_key, NOW, 3600) == NULL);
	CHECK(nats_auth_user_claims(&r, ISSUER_PUBLIC, "KEZ", NULL, r.client_key, NOW, 3600) == NULL);
	CHECK(nats_auth_user_claims(&r, ISSUER_PUBLIC, "", "alice", r.client_key, NOW, 3600) == NULL);
	CHECK(nats_auth_user_claims(&r, USER_NKEY, "KEZ", "alice", r.client_key, NOW, 3600) == NULL);
	CHECK(nats_auth_user_claims(&r, ISSUER_PUBLIC, "KEZ", "alice", r.client_key, NOW, 0) == NULL);
	CHECK(nats_auth_user_claims(&r, ISSUER_PUBLIC, "KEZ", "alice", r.client_key, NOW, INT64_MAX) == NULL);
	struct nats_auth_request empty;
	memset(&empty, 0, sizeof empty);
	CHECK(nats_auth_user_claims(&empty, ISSUER_PUBLIC, "KEZ", "alice", r.client_key, NOW, 3600) == NULL);
}

/* A grant end to end: user JWT inside a response JWT, both signed by the
 * issuer, read back as nats-server would. */
UNIT_TEST(nats_auth_grant_and_refusal_responses)
{
	struct nats_auth_request r;
	char err[200] = "";
	REQUIRE(parse_changed(NULL, &r, err, sizeof err) == 0);
	uint8_t issuer_seed[32];
	unit_hex(ISSUER_SEED_HEX, issuer_seed, 32);

	json_t *user = nats_auth_user_claims(&r, ISSUER_PUBLIC, "KEZ", "alice", r.client_key, NOW, 3600);
	struct buf user_jwt, response;
	buf_init(&user_jwt, NATS_JWT_MAX);
	buf_init(&response, NATS_JWT_MAX);
	REQUIRE(nats_jwt_encode(user, issuer_seed, &user_jwt) == 0 && buf_putc(&user_jwt, '\0') == 0);
	json_t *grant = nats_auth_response_claims(&r, ISSUER_PUBLIC, user_jwt.data, NULL, NOW);
	REQUIRE(grant != NULL);
	REQUIRE(nats_jwt_encode(grant, issuer_seed, &response) == 0);

	json_t *back = nats_jwt_decode(response.data, response.len, NKEY_PREFIX_ACCOUNT, NULL, err, sizeof err);
	REQUIRE(back != NULL);
	CHECK_EQ_STR(json_string_value(json_object_get(back, "sub")), USER_NKEY);
	CHECK_EQ_STR(json_string_value(json_object_get(back, "aud")), r.server_id);
	CHECK_EQ_STR(json_string_value(json_object_get(back, "iss")), ISSUER_PUBLIC);
	CHECK_EQ_INT(json_integer_value(json_object_get(back, "iat")), NOW);
	CHECK_EQ_INT(strlen(json_string_value(json_object_get(back, "jti"))), NATS_JWT_JTI_LEN);
	json_t *nats = json_object_get(back, "nats");
	CHECK_EQ_STR(json_string_value(json_object_get(nats, "type")), "authorization_response");
	CHECK_EQ_INT(json_integer_value(json_object_get(nats, "version")), 2);
	CHECK(json_object_get(nats, "error") == NULL);
	const char *inner = json_string_value(json_object_get(nats, "jwt"));
	REQUIRE(inner != NULL);
	json_t *user_back = nats_jwt_decode(inner, strlen(inner), NKEY_PREFIX_ACCOUNT, NULL, err, sizeof err);
	REQUIRE(user_back != NULL);
	CHECK_EQ_STR(json_string_value(json_object_get(user_back, "sub")), USER_NKEY);
	CHECK_EQ_STR(json_string_value(json_object_get(user_back, "name")), "alice");
	json_decref(user_back);
	json_decref(back);
	json_decref(grant);

	json_t *refusal = nats_auth_response_claims(&r, ISSUER_PUBLIC, NULL, "the key is not registered", NOW);
	REQUIRE(refusal != NULL);
	nats = json_object_get(refusal, "nats");
	CHECK_EQ_STR(json_string_value(json_object_get(nats, "error")), "the key is not registered");
	CHECK(json_object_get(nats, "jwt") == NULL);
	json_decref(refusal);

	/* exactly one of a grant or a refusal, from an account issuer */
	CHECK(nats_auth_response_claims(&r, ISSUER_PUBLIC, user_jwt.data, "no", NOW) == NULL);
	CHECK(nats_auth_response_claims(&r, ISSUER_PUBLIC, NULL, NULL, NOW) == NULL);
	CHECK(nats_auth_response_claims(&r, ISSUER_PUBLIC, "", "", NOW) == NULL);
	CHECK(nats_auth_response_claims(&r, r.server_id, NULL, "no", NOW) == NULL);
	buf_free(&user_jwt);
	buf_free(&response);
	json_decref(user);
}

/* A request nats-server 2.10.27 sent on loopback (auth_callout with an xkey;
 * this is the opened form), for a libnats 3.4.1 client with a throwaway key:
 * its sig is unpadded base64url. */
static const char server_request[] =
	"eyJ0eXAiOiJKV1QiLCJhbGciOiJlZDI1NTE5LW5rZXkifQ.eyJhdWQiOiJuYXRzLWF1dGhvcml6YXRpb24tcmVxdWVzdCIsImV4c"
	"CI6MTc5NTM1NjQ3NywianRpIjoiT01GUFZUVkNZQ0ZKVk1TTEwyNVcyWTIzREpXMkVORlZGWllPRkNQQVVCSE5FQjdEVlBLQSIsI"
	"mlhdCI6MTc5NTM1NjQ3NSwiaXNzIjoiTkFYRUhJQ0haTEtDTFBTM1RaWUxLUzRXR0E0TlBPNVJSU0E2VUpGUVJHUktJT0hUWUw1U"
	"01MWlMiLCJzdWIiOiJBQ0lQWExSSDNNTkRNVTNCQ1VUTFpFT05aT1hFRU1TRkhZRFI0SVdXTUFYUU1VNTdCTFdEQ1QyNiIsIm5hd"
	"HMiOnsic2VydmVyX2lkIjp7Im5hbWUiOiJOQVhFSElDSFpMS0NMUFMzVFpZTEtTNFdHQTROUE81UlJTQTZVSkZRUkdSS0lPSFRZT"
	"DVTTUxaUyIsImhvc3QiOiIxMjcuMC4wLjEiLCJpZCI6Ik5BWEVISUNIWkxLQ0xQUzNUWllMS1M0V0dBNE5QTzVSUlNBNlVKRlFSR"
	"1JLSU9IVFlMNVNNTFpTIiwidmVyc2lvbiI6IjIuMTAuMjciLCJ4a2V5IjoiWENIR0NaUkZOREhYS0hTSFlYREFSNlFBVEpFVDJYQ"
	"TdKUVpGSjZMWkZURlRVN1hTQlo3UVFWRlEifSwidXNlcl9ua2V5IjoiVUJJNEtTT083N1hUWUROTExUN1dUTkhGWE1ZTkdYWkJDR"
	"EdMVk9PS0ZFSlhYTFhYQTZLRzdPV1giLCJjbGllbnRfaW5mbyI6eyJob3N0IjoiMTI3LjAuMC4xIiwiaWQiOjgsInVzZXIiOiJVQ"
	"VdCVUszRUU1Q0ZRQ1lISFZRQjI1WlMyTVhXV0E0NVpXUTJWVEgyTVFMVFVPR0JLWVkzMlJDTCIsImtpbmQiOiJDbGllbnQiLCJ0e"
	"XBlIjoibmF0cyIsIm5vbmNlIjoiZnFpbHBPN0JJUU1MZnE0In0sImNvbm5lY3Rfb3B0cyI6eyJua2V5IjoiVUFXQlVLM0VFNUNGU"
	"UNZSEhWUUIyNVpTMk1YV1dBNDVaV1EyVlRIMk1RTFRVT0dCS1lZMzJSQ0wiLCJzaWciOiJjWU5yaXlUdTRsM0JKVkRDWmt6OWVmZ"
	"TYxcWRHN3gzN2RZU3lBdER6TlR3R0E5QjVfX2lxSzROeTFzZkJqcFRrWUhsdC1tWmpFeHl1LWhuMFBGdU5BZyIsImxhbmciOiJDI"
	"iwidmVyc2lvbiI6IjMuNC4xIiwicHJvdG9jb2wiOjF9LCJ0eXBlIjoiYXV0aG9yaXphdGlvbl9yZXF1ZXN0IiwidmVyc2lvbiI6M"
	"n19.XUkmIvBs62xiJNyCWIntY2v1MwOjutcLPKVvjotpfo6V1c3GiTiwjJtBtZ5XfM3onR0IpkqLvTn8xHWSaWW_CA";
#define SERVER_REQUEST_IAT    1795356475
#define SERVER_REQUEST_ISSUER "ACIPXLRH3MNDMU3BCUTLZEONZOXEEMSFHYDR4IWWMAXQMU57BLWDCT26"

UNIT_TEST(nats_auth_reads_a_request_from_nats_server)
{
	struct nats_auth_request r;
	char err[200] = "";
	if (!CHECK_EQ_INT(nats_auth_parse_request(server_request, strlen(server_request), SERVER_REQUEST_ISSUER,
						  SERVER_REQUEST_IAT, &r, err, sizeof err),
			  0)) {
		unit_fail(__FILE__, __LINE__, "%s", err);
		return;
	}
	CHECK_EQ_STR(r.server_id, "NAXEHICHZLKCLPS3TZYLKS4WGA4NPO5RRSA6UJFQRGRKIOHTYL5SMLZS");
	CHECK_EQ_STR(r.user_nkey, "UBI4KSOO77XTYDNLLT7WTNHFXMYNGXZBCDGLVOOKFEJXXLXXA6KG7OWX");
	CHECK_EQ_STR(r.issuer_account, "ACIPXLRH3MNDMU3BCUTLZEONZOXEEMSFHYDR4IWWMAXQMU57BLWDCT26");
	CHECK(r.has_server_xkey);
	CHECK_EQ_STR(r.server_xkey, "XCHGCZRFNDHXKHSHYXDAR6QATJET2XA7JQZFJ6LZFTFTU7XSBZ7QQVFQ");
	CHECK_EQ_INT(r.expires, SERVER_REQUEST_IAT + 2);
	CHECK_EQ_STR(r.nonce, "fqilpO7BIQMLfq4");
	CHECK_EQ_STR(r.client_kind, "Client");
	CHECK_EQ_STR(r.client_type, "nats");
	CHECK_EQ_INT(r.client_id, 8);
	uint8_t key[32];
	REQUIRE(nkey_decode_public("UAWBUK3EE5CFQCYHHVQB25ZS2MXWWA45ZWQ2VTH2MQLTUOGBKYY32RCL", NKEY_PUBLIC_LEN,
				   NKEY_PREFIX_USER, key) == 0);
	CHECK_EQ_INT(r.client_key_state, NATS_FIELD_PRESENT);
	CHECK_EQ_MEM(r.client_key, key, 32);
	CHECK_EQ_INT(nats_auth_check_nonce(&r), NATS_NONCE_OK);
	/* the same request, read too late */
	CHECK_EQ_INT(nats_auth_parse_request(server_request, strlen(server_request), SERVER_REQUEST_ISSUER,
					     SERVER_REQUEST_IAT + 2 + NATS_AUTH_LEEWAY + 1, &r, err, sizeof err),
		     -1);
	CHECK(strstr(err, "expired") != NULL);
	/* too early (a clock far behind), and for another callout */
	CHECK_EQ_INT(nats_auth_parse_request(server_request, strlen(server_request), SERVER_REQUEST_ISSUER,
					     SERVER_REQUEST_IAT - NATS_AUTH_LEEWAY - 1, &r, err, sizeof err),
		     -1);
	CHECK(strstr(err, "future") != NULL);
	CHECK_EQ_INT(nats_auth_parse_request(server_request, strlen(server_request), ISSUER_PUBLIC, SERVER_REQUEST_IAT,
					     &r, err, sizeof err),
		     -1);
	CHECK(strstr(err, "sub") != NULL);
}
