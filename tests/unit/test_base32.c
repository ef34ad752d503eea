/* RFC 4648 base32 without padding, strict decoding (common/base32.h). */
#include "common/enc/base32.h"
#include "unit.h"

/* RFC 4648 §10, with the padding taken off. */
static const struct {
	const char *plain, *encoded;
} rfc4648[] = {
	{ "", "" },           { "f", "MY" },          { "fo", "MZXQ" },         { "foo", "MZXW6" },
	{ "foob", "MZXW6YQ" }, { "fooba", "MZXW6YTB" }, { "foobar", "MZXW6YTBOI" },
};

UNIT_TEST(base32_rfc4648_vectors)
{
	for (size_t i = 0; i < sizeof rfc4648 / sizeof rfc4648[0]; i++) {
		size_t n = strlen(rfc4648[i].plain);
		char text[32];
		CHECK_EQ_INT(base32_encode((const uint8_t *)rfc4648[i].plain, n, text, sizeof text),
			     strlen(rfc4648[i].encoded));
		CHECK_EQ_STR(text, rfc4648[i].encoded);
		CHECK_EQ_INT(BASE32_ENCODED_LEN(n), strlen(rfc4648[i].encoded));
		uint8_t back[16];
		CHECK_EQ_INT(base32_decode(rfc4648[i].encoded, strlen(rfc4648[i].encoded), back, sizeof back), n);
		CHECK_EQ_MEM(back, rfc4648[i].plain, n);
	}
}

UNIT_TEST(base32_round_trip_every_length)
{
	uint8_t data[64], back[64];
	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (uint8_t)(i * 37 + 11);
	for (size_t n = 0; n <= sizeof data; n++) {
		char text[BASE32_ENCODED_LEN(64) + 1];
		int len = base32_encode(data, n, text, sizeof text);
		REQUIRE(len == (int)BASE32_ENCODED_LEN(n));
		CHECK_EQ_INT(base32_decode(text, (size_t)len, back, sizeof back), n);
		CHECK_EQ_MEM(back, data, n);
	}
}

UNIT_TEST(base32_refuses_what_no_encoder_writes)
{
	const char *bad[] = {
		"mzxw6",      /* lowercase */
		"MZXw6",
		"MY======",   /* padding */
		"MY=",
		"MZXW1",      /* not in the alphabet */
		"MZXW8",
		"MZXW0",
		"MZ XW",
		"M",          /* lengths that hold no whole last byte */
		"MZX",
		"MZXW6Y",
		"MZXW6YTBO",
		"MZ",         /* non-zero trailing bits ("MY" is "f") */
		"MZXR",
		"MZXW7",
	};
	uint8_t out[16];
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (base32_decode(bad[i], strlen(bad[i]), out, sizeof out) != -1)
			unit_fail(__FILE__, __LINE__, "accepted \"%s\"", bad[i]);
	/* a NUL inside counts as a character, and is not one of the alphabet */
	CHECK(base32_decode("MZ\0W6", 5, out, sizeof out) == -1);
}

UNIT_TEST(base32_respects_capacities)
{
	uint8_t out[3];
	CHECK_EQ_INT(base32_decode("MZXW6", 5, out, 3), 3);
	CHECK_EQ_INT(base32_decode("MZXW6YQ", 7, out, 3), -1);
	char text[8];
	CHECK_EQ_INT(base32_encode((const uint8_t *)"foob", 4, text, 8), 7);
	CHECK_EQ_INT(base32_encode((const uint8_t *)"foob", 4, text, 7), -1); /* no room for the NUL */
}
