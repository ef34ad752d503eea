/* The callout's whole decision (common/nats/nats_answer.h): which requests
 * get no answer at all, which a signed refusal, and which a grant — and that
 * the registry is asked only about a key the client proved. */
#include "common/enc/base64url.h"
#include "common/kez/ed25519.h"
#include "common/nats/nats_answer.h"
#include "common/nats/nats_auth.h"
#include "common/nats/nats_jwt.h"
#include "unit.h"

#define ISSUER_SEED_HEX "d1ad4cbafc2a4b627f75645c241b7d84f79d30d42f769d4e5efafac7f1256a03"
#define ISSUER_PUBLIC   "ABJHLOVMPA4CI6R5KLNGOB4GSLNIY7IOUPAJC4YFNDLQVIOBYQGUWVLA"
#define USER_NKEY       "UDCIBGGGHCJBQPOO4SCJJBHZDR37NQGGCIWMNG2DDAKJ6WMKBMAKXIMO"
#define CURVE_PUBLIC    "XAB3NANV3M6N7AHSQP2U5FRWKKUT7EG2ZXXABV4XVXYQRJGM4S2CZGHT"
#define NONCE           "fqilpO7BIQMLfq4"
#define NOW             1795356475

struct registry_stub {
	int      answer; /* what the look-up returns */
	unsigned calls;
	uint8_t  asked[32];
};

static int stub_lookup(void *ctx, const uint8_t key[32], char handle[HANDLE_MAX_LEN + 1])
{
	struct registry_stub *r = ctx;
	r->calls++;
	memcpy(r->asked, key, 32);
	if (r->answer == 1)
		memcpy(handle, "alice", 6);
	return r->answer;
}

static uint8_t issuer_seed[32], server_seed[32], client_seed[32], client_key[32];

static void keys(void)
{
	uint8_t pub[32];
	unit_hex(ISSUER_SEED_HEX, issuer_seed, 32);
	memset(server_seed, 0x33, 32);
	memset(client_seed, 0x44, 32);
	if (ed25519_public_key(client_seed, client_key) < 0 || ed25519_public_key(server_seed, pub) < 0)
		unit_fail(__FILE__, __LINE__, "no keys");
}

/* A request as nats-server makes it, then `change`d; `sealed_xkey` names the
 * server's curve key in server_id. */
static void make_request(void (*change)(json_t *), const char *sealed_xkey, struct buf *out)
{
	uint8_t server_pub[32], sig[64];
	char server_id[NKEY_PUBLIC_LEN + 1], client_nkey[NKEY_PUBLIC_LEN + 1];
	keys();
	(void)ed25519_public_key(server_seed, server_pub);
	nkey_encode_public(NKEY_PREFIX_SERVER, server_pub, server_id);
	nkey_encode_public(NKEY_PREFIX_USER, client_key, client_nkey);
	(void)ed25519_sign(client_seed, (const uint8_t *)NONCE, strlen(NONCE), sig);
	struct buf sig_text;
	buf_init(&sig_text, 200);
	(void)base64url_encode(sig, 64, &sig_text);
	(void)buf_putc(&sig_text, '\0');
	json_t *claims = json_pack("{s:s, s:s, s:s, s:I, s:I, s:{s:{s:s, s:s}, s:s, s:{s:s, s:s}, s:{s:s, s:s}, s:s, s:i}}",
				   "aud", NATS_AUTH_AUDIENCE, "iss", server_id, "sub", ISSUER_PUBLIC, "iat",
				   (json_int_t)NOW, "exp", (json_int_t)NOW + 2, "nats", "server_id", "id", server_id,
				   "name", "n1", "user_nkey", USER_NKEY, "client_info", "nonce", NONCE, "kind", "Client",
				   "connect_opts", "nkey", client_nkey, "sig", sig_text.data, "type",
				   "authorization_request", "version", 2);
	buf_free(&sig_text);
	if (sealed_xkey)
		json_object_set_new(json_object_get(json_object_get(claims, "nats"), "server_id"), "xkey",
				    json_string(sealed_xkey));
	if (change)
		change(claims);
	out->len = 0;
	if (!claims || nats_jwt_encode(claims, server_seed, out) < 0)
		unit_fail(__FILE__, __LINE__, "cannot sign the request");
	json_decref(claims);
}

static enum nats_answer_kind answer(void (*change)(json_t *), struct registry_stub *reg, struct nats_answer *a,
				    struct buf *out)
{
	struct buf jwt;
	buf_init(&jwt, NATS_JWT_MAX);
	make_request(change, NULL, &jwt);
	const struct nats_answer_signer s = { issuer_seed, ISSUER_PUBLIC, "KEZ", 3600, NULL };
	enum nats_answer_kind k = nats_answer_request(&s, jwt.data, jwt.len, NULL, NOW, stub_lookup, reg, a, out);
	buf_free(&jwt);
	return k;
}

/* The response's nats claims, checked as nats-server would read them. */
static json_t *response_nats(const struct buf *out)
{
	char err[200];
	json_t *claims = nats_jwt_decode(out->data, out->len, NKEY_PREFIX_ACCOUNT, NULL, err, sizeof err);
	if (!claims) {
		unit_fail(__FILE__, __LINE__, "%s", err);
		return NULL;
	}
	json_t *nats = json_incref(json_object_get(claims, "nats"));
	CHECK_EQ_STR(json_string_value(json_object_get(claims, "sub")), USER_NKEY);
	json_decref(claims);
	return nats;
}

UNIT_TEST(nats_answer_grants_a_registered_key_its_own_inboxes)
{
	struct registry_stub reg = { .answer = 1 };
	struct nats_answer a;
	struct buf out;
	buf_init(&out, NATS_JWT_MAX * 2);
	REQUIRE(answer(NULL, &reg, &a, &out) == NATS_ANSWER_GRANTED);
	CHECK_EQ_STR(a.handle, "alice");
	CHECK_EQ_INT(reg.calls, 1);
	CHECK_EQ_MEM(reg.asked, client_key, 32);
	json_t *nats = response_nats(&out);
	const char *jwt = json_string_value(json_object_get(nats, "jwt"));
	REQUIRE(jwt != NULL);
	char err[200];
	json_t *user = nats_jwt_decode(jwt, strlen(jwt), NKEY_PREFIX_ACCOUNT, NULL, err, sizeof err);
	REQUIRE(user != NULL);
	CHECK_EQ_STR(json_string_value(json_object_get(user, "name")), "alice");
	char *text = json_dumps(user, JSON_COMPACT);
	CHECK(text && !strstr(text, "\"_INBOX.>\""));
	free(text);
	json_t *perms = json_object_get(user, "nats");
	CHECK_EQ_INT(json_array_size(json_object_get(json_object_get(perms, "pub"), "allow")), 1);
	CHECK_EQ_INT(json_integer_value(json_object_get(json_object_get(perms, "resp"), "max")), 1);
	json_decref(user);
	json_decref(nats);
	buf_free(&out);
}

UNIT_TEST(nats_answer_refuses_with_reasons)
{
	const struct {
		int         registry;
		const char *why;
	} cases[] = {
		{ 0, "the key is not registered" },
		{ -1, "the registry could not be read" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct registry_stub reg = { .answer = cases[i].registry };
		struct nats_answer a;
		struct buf out;
		buf_init(&out, NATS_JWT_MAX * 2);
		CHECK_EQ_INT(answer(NULL, &reg, &a, &out), NATS_ANSWER_REFUSED);
		CHECK_EQ_STR(a.why, cases[i].why);
		CHECK_EQ_STR(a.handle, "");
		json_t *nats = response_nats(&out);
		CHECK_EQ_STR(json_string_value(json_object_get(nats, "error")), cases[i].why);
		CHECK(json_object_get(nats, "jwt") == NULL);
		json_decref(nats);
		buf_free(&out);
	}
}

static void bad_sig(json_t *c)
{
	json_t *opts = json_object_get(json_object_get(c, "nats"), "connect_opts");
	json_object_set_new(opts, "sig", json_string("AAAA"));
}

UNIT_TEST(nats_answer_asks_the_registry_only_about_a_proven_key)
{
	struct registry_stub reg = { .answer = 1 };
	struct nats_answer a;
	struct buf out;
	buf_init(&out, NATS_JWT_MAX * 2);
	CHECK_EQ_INT(answer(bad_sig, &reg, &a, &out), NATS_ANSWER_REFUSED);
	CHECK_EQ_INT(reg.calls, 0);
	CHECK(strstr(a.why, "nonce signature") != NULL);
	buf_free(&out);
}

static void wrong_sub(json_t *c) { json_object_set_new(c, "sub", json_string(USER_NKEY)); }
static void short_nonce(json_t *c)
{
	json_object_set_new(json_object_get(json_object_get(c, "nats"), "client_info"), "nonce",
			    json_string("fqilpO7BIQMLfq"));
}
static void no_exp(json_t *c) { json_object_del(c, "exp"); }

UNIT_TEST(nats_answer_leaves_forged_requests_unanswered)
{
	void (*changes[])(json_t *) = { wrong_sub, short_nonce, no_exp };
	for (size_t i = 0; i < sizeof changes / sizeof changes[0]; i++) {
		struct registry_stub reg = { .answer = 1 };
		struct nats_answer a;
		struct buf out;
		buf_init(&out, NATS_JWT_MAX * 2);
		CHECK_EQ_INT(answer(changes[i], &reg, &a, &out), NATS_ANSWER_NONE);
		CHECK_EQ_INT(out.len, 0);
		CHECK_EQ_INT(reg.calls, 0);
		CHECK(a.why[0] != '\0');
		buf_free(&out);
	}
	/* sealed by one server key while naming another */
	struct buf jwt, out;
	buf_init(&jwt, NATS_JWT_MAX);
	buf_init(&out, NATS_JWT_MAX * 2);
	make_request(NULL, CURVE_PUBLIC, &jwt);
	const struct nats_answer_signer s = { issuer_seed, ISSUER_PUBLIC, "KEZ", 3600, NULL };
	struct registry_stub reg = { .answer = 1 };
	struct nats_answer a;
	CHECK_EQ_INT(nats_answer_request(&s, jwt.data, jwt.len, "XCHGCZRFNDHXKHSHYXDAR6QATJET2XA7JQZFJ6LZFTFTU7XSBZ7QQVFQ",
					 NOW, stub_lookup, &reg, &a, &out),
		     NATS_ANSWER_NONE);
	CHECK_EQ_INT(nats_answer_request(&s, jwt.data, jwt.len, CURVE_PUBLIC, NOW, stub_lookup, &reg, &a, &out),
		     NATS_ANSWER_GRANTED);
	buf_free(&jwt);
	buf_free(&out);
}
