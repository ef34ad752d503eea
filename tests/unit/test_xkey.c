/* xkeys and the "xkv1" sealed form (common/xkey.h). */
#include "common/enc/base64url.h"
#include "common/nats/nats_jwt.h"
#include "common/nats/nkeys.h"
#include "common/nats/xkey.h"
#include "unit.h"

/* The curve pair of nats-server's auth callout tests (auth_callout_test.go). */
#define CURVE_SEED   "SXAAXMRAEP6JWWHNB6IKFL554IE6LZVT6EY5MBRICPILTLOPHAG73I3YX4"
#define CURVE_PUBLIC "XAB3NANV3M6N7AHSQP2U5FRWKKUT7EG2ZXXABV4XVXYQRJGM4S2CZGHT"

UNIT_TEST(xkey_public_key_of_a_known_seed)
{
	REQUIRE(xkey_init() == 0);
	uint8_t seed[32], pub[32], prefix = 0;
	REQUIRE(nkey_decode_seed(CURVE_SEED, NKEY_SEED_LEN, &prefix, seed) == 0);
	CHECK_EQ_INT(prefix, NKEY_PREFIX_CURVE);
	REQUIRE(xkey_public_from_seed(seed, pub) == 0);
	char text[NKEY_PUBLIC_LEN + 1];
	nkey_encode_public(NKEY_PREFIX_CURVE, pub, text);
	CHECK_EQ_STR(text, CURVE_PUBLIC);
}

struct pair {
	uint8_t secret[32], pub[32];
};

static void make_pair(struct pair *p, uint8_t fill)
{
	memset(p->secret, fill, 32);
	p->secret[0] = (uint8_t)(fill + 1);
	if (xkey_public_from_seed(p->secret, p->pub) < 0)
		unit_fail(__FILE__, __LINE__, "no public key");
}

UNIT_TEST(xkey_seal_open_round_trip)
{
	REQUIRE(xkey_init() == 0);
	struct pair server, service;
	make_pair(&server, 0x11);
	make_pair(&service, 0x22);
	const char *jwt = "eyJ0eXAiOiJKV1QiLCJhbGciOiJlZDI1NTE5LW5rZXkifQ.payload.signature";
	size_t len = strlen(jwt);
	struct buf sealed;
	buf_init(&sealed, 4096);
	REQUIRE(xkey_seal(server.secret, service.pub, (const uint8_t *)jwt, len, &sealed) == 0);
	CHECK_EQ_INT(sealed.len, len + XKEY_OVERHEAD);
	CHECK(memcmp(sealed.data, "xkv1", 4) == 0);
	CHECK(xkey_is_sealed((const uint8_t *)sealed.data, sealed.len));
	CHECK(!xkey_is_sealed((const uint8_t *)jwt, len));
	uint8_t out[256];
	CHECK_EQ_INT(xkey_open(service.secret, server.pub, (const uint8_t *)sealed.data, sealed.len, out, sizeof out),
		     len);
	CHECK_EQ_MEM(out, jwt, len);
	/* the plaintext is not in the sealed form, and each seal has its own nonce */
	CHECK(memmem(sealed.data, sealed.len, "eyJ", 3) == NULL);
	struct buf again;
	buf_init(&again, 4096);
	REQUIRE(xkey_seal(server.secret, service.pub, (const uint8_t *)jwt, len, &again) == 0);
	CHECK(memcmp(again.data + 4, sealed.data + 4, XKEY_NONCE_LEN) != 0);
	/* an empty message seals too */
	again.len = 0;
	REQUIRE(xkey_seal(service.secret, server.pub, NULL, 0, &again) == 0);
	CHECK_EQ_INT(xkey_open(server.secret, service.pub, (const uint8_t *)again.data, again.len, out, sizeof out), 0);
	buf_free(&again);
	buf_free(&sealed);
}

UNIT_TEST(xkey_refuses_tampering_and_wrong_keys)
{
	REQUIRE(xkey_init() == 0);
	struct pair server, service, stranger;
	make_pair(&server, 0x31);
	make_pair(&service, 0x42);
	make_pair(&stranger, 0x53);
	const char *msg = "a response JWT";
	struct buf sealed;
	buf_init(&sealed, 4096);
	REQUIRE(xkey_seal(service.secret, server.pub, (const uint8_t *)msg, strlen(msg), &sealed) == 0);
	uint8_t out[256];
	/* every byte matters: version, nonce, ciphertext, tag */
	for (size_t i = 0; i < sealed.len; i++) {
		sealed.data[i] ^= 0x01;
		if (xkey_open(server.secret, service.pub, (const uint8_t *)sealed.data, sealed.len, out, sizeof out) != -1)
			unit_fail(__FILE__, __LINE__, "opened with byte %zu changed", i);
		sealed.data[i] ^= 0x01;
	}
	/* cut short, down to less than a header */
	for (size_t n = 0; n < sealed.len; n++)
		if (xkey_open(server.secret, service.pub, (const uint8_t *)sealed.data, n, out, sizeof out) != -1)
			unit_fail(__FILE__, __LINE__, "opened the first %zu bytes", n);
	/* from someone else, or for someone else */
	CHECK_EQ_INT(xkey_open(server.secret, stranger.pub, (const uint8_t *)sealed.data, sealed.len, out, sizeof out), -1);
	CHECK_EQ_INT(xkey_open(stranger.secret, service.pub, (const uint8_t *)sealed.data, sealed.len, out, sizeof out),
		     -1);
	/* too little room for the plaintext */
	CHECK_EQ_INT(xkey_open(server.secret, service.pub, (const uint8_t *)sealed.data, sealed.len, out, strlen(msg) - 1),
		     -1);
	CHECK_EQ_INT(xkey_open(server.secret, service.pub, (const uint8_t *)sealed.data, sealed.len, out, strlen(msg)),
		     strlen(msg));
	buf_free(&sealed);
	/* an output buffer too small to seal into stays as it was */
	struct buf small;
	buf_init(&small, XKEY_OVERHEAD + 3);
	CHECK_EQ_INT(xkey_seal(service.secret, server.pub, (const uint8_t *)msg, strlen(msg), &small), -1);
	CHECK_EQ_INT(small.len, 0);
	buf_free(&small);
}

/* A request nats-server 2.10.27 sealed on loopback (base64 here) to the
 * service key below, with the server's own xkey from its Nats-Server-Xkey
 * header: Go's nkeys made it, libsodium opens it. */
static const char sealed_by_server[] =
	"eGt2MbannySgL8kWzg9d+46yt6D1D89S2bxHVxPtvu926aGr9DX5GpWxWxUd5QqDbO228RaKsLyK0E+e6GeEjRkbL+gfyBK4cUeO"
	"OWWCBd3wSWvh6vHkpffbWQMqQaMz91HJDHw8KX6SJl3m2UQKPCgakO7x/HKKFwRQY+6RgYcysdUnDDaUCJua0/wTPtkOdligWz+v"
	"V93Pbiba8b8yiyI3oqGVaOpWOoPROGVVzb0cCewxo/MLpZLbKeMqlwRAhq/xlKrKW4ujw+KwsW2/soM+xD6mVp6PuU6LhHMNOLfM"
	"JYNKJ4tv6xQQGxR4Dd9XC4d79vzl7rKuFAIQ3EDvSdvndznAE20/TZDsiHX6EFBuWZBRnyoSVkQmqC7F+t3m9XWWWF+YBDn3xT+r"
	"AtvttSzZD/2tfK88uFeY0F0JkSF+7tSAweWTLXHA61HnXG3ei3kosL7+N9v+gbgR30rVFjRAtgAK9Lsn/joShNQsc4aNPBizdbZ6"
	"4C5T6lpsLxyFV54UFO3+a1EA81Pdw9EV5IyuIyth5Q3hjVHGEgWgemd7851mIp0TAjWdCc0ASSqg6DXdNeN4f9G+G2eOs9QMwfjx"
	"bBwlAwfQUVPSwVUnf/Ze6RuI+ZQ2EQC9CwxZY8hFuFQ1DV9uYCOyNVPh4vYZBFw0WReGfqWgOVnwmzcwW1DtmvIqDUTGbuBpOoLb"
	"3v/9mJkm/E/OPU4uKi9IQRKAaq8oUgxqiY2uM0Xc43XFn2ImFgAwZ/r6lzxz22Y5NTq+tw1ONHFZITl6R+wJS1nTPc8bgT8Jdphf"
	"/ONmLNrKG2NBpbQcC9wUzXEweZFMR9FpirqJpxhEdzyqTzNqwOlXwmwUBKI4KqcRau8xhtHYdGP1NBi40XiqAbgotAs2VoPGXwzc"
	"lC4AAaxhVyA4cnzy0MubHEVjKjIBTUW+s1JhxFKgEtAsNpJUETfvX5akf8+w/EXFH6i+GLENVjEnTqe/wQHv8IiRk9MKiWD4HYu7"
	"bLtbDQEkpLMJz3dSybLBqiQjUNNIRXmXo1CQRn0JLmeov1hbq+2CxfGr2KK4E+MtNZnyWIcE/COyciBAekXGsBIYtmtNtBRnMYAs"
	"QBhtfksVhc1MOIWimMz6GWuMf+XyOAyDkRYC3rnrXdfrCJvDvAWAl+khwuDczZ7EteO24HrVXeog+B3TPPWFBxIqEmmFvwUjxrNH"
	"3xHhulxgqipMuSjdpE9VczKFWJ7ZkYmrGF1HqRarjl/eFm1iY7Ocy4tFBaw+Em5yL43F1dy2rBWreunFrpeooS4GhGV4mVknhtRV"
	"GT25/rsusI+JcH7NDbwwFYVtLeQgnqUAc3ie7U3x/CZbN3p24yUmS5kaR8IyUxAteojBLwQx07b2hWmvvKemIoFQdqsJuS3Ey/Jj"
	"2RR+SWBQIkqFmYqAL2Wqd0Zn5F/EPxOH3yCBtz5jQVa3qx2E3w1NLqopwnMYYXh8NELTGJvQgj5KnB5nDYtTT18oEgfbp/LVeE9K"
	"edyxwj7wMadR5sPSlkyoSF5tMvralDWqZV5ydoO1gMaPZZb9XFL9Xjrv1f/yzZchu9EZDbFNGBh/xfED1UqsXJ36CUpHI9O17MBo"
	"GaoPhmhNIou+H4ZqA6Rhm5JaCYJBOZSxSSaWaW9Li3NU67CRfaMVlF4otidgeKpdJF3Hev63y2EKrohG7MsXuiCVvtL+LkbbXs+5"
	"HQDvlDMN+0wjZTWV2ZCggB+1J365frqTHW2LtKhDv034jD2f+fQ/8Du8NNJ5tPhbz+Qm/MV9v0/4AiDpDfIdNGW2v7YYCMB5kuR/"
	"X+Y8hfP27M/IJIQiglYm4tDffOPjBjfbYDweoFiKslASBLsx3FkkOFg/tyTBRXoMWvJFtC1BnUP0yG8VQZOwzYco4ZV8INjfztht"
	"jTDZzhQIUqO5Z1XKmlZvKht56/8gMqKK82WnEA1trYDcty+WJnKJOotgHvn6Sl7sISXnf/tIpPpiD6qDA1rDF5wzlopNm/Egftxw"
	"nuQpp1ce4Nxvx3IAjTspkfWX0JHjPMDDFSoJdfCBnCxMmw==";
#define SERVICE_XKEY_SEED_HEX "2fa3e1b44ab6773d74ae351f36ac58f7cf1a269a2fa16718ad442a4103ef5c15"
#define SERVICE_XKEY_PUBLIC   "XAHGNES3KOMSOSQ4ROGOU5BOT5PBAXU22GGHTTKHO3EAJU5YAXQRR3MS"
#define SERVER_XKEY_PUBLIC    "XCHGCZRFNDHXKHSHYXDAR6QATJET2XA7JQZFJ6LZFTFTU7XSBZ7QQVFQ"

UNIT_TEST(xkey_opens_a_request_sealed_by_nats_server)
{
	REQUIRE(xkey_init() == 0);
	uint8_t seed[32], pub[32], server[32];
	REQUIRE(unit_hex(SERVICE_XKEY_SEED_HEX, seed, 32) == 32);
	REQUIRE(xkey_public_from_seed(seed, pub) == 0);
	char text[NKEY_PUBLIC_LEN + 1];
	nkey_encode_public(NKEY_PREFIX_CURVE, pub, text);
	CHECK_EQ_STR(text, SERVICE_XKEY_PUBLIC);
	REQUIRE(nkey_decode_public(SERVER_XKEY_PUBLIC, NKEY_PUBLIC_LEN, NKEY_PREFIX_CURVE, server) == 0);

	static uint8_t sealed[2048], opened[2048];
	int n = base64_decode_any(sealed_by_server, strlen(sealed_by_server), sealed, sizeof sealed);
	REQUIRE(n == 1534);
	CHECK(xkey_is_sealed(sealed, (size_t)n));
	int len = xkey_open(seed, server, sealed, (size_t)n, opened, sizeof opened);
	REQUIRE(len == n - (int)XKEY_OVERHEAD);
	CHECK(memcmp(opened, "eyJ0eXAiOiJKV1QiLCJhbGciOiJlZDI1NTE5LW5rZXkifQ.", 47) == 0);
	char err[200] = "";
	json_t *claims = nats_jwt_decode((const char *)opened, (size_t)len, NKEY_PREFIX_SERVER, NULL, err, sizeof err);
	if (!CHECK(claims != NULL))
		unit_fail(__FILE__, __LINE__, "%s", err);
	CHECK_EQ_STR(json_string_value(json_object_get(json_object_get(json_object_get(claims, "nats"), "server_id"),
							"xkey")),
		     SERVER_XKEY_PUBLIC);
	json_decref(claims);
}
