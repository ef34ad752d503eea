/* base64url encoding; decoding base64url and standard base64, padded or not
 * (common/base64url.h). */
#include <openssl/evp.h>

#include "common/enc/base64url.h"
#include "unit.h"

static const struct {
	const char *plain, *encoded;
} rfc4648[] = {
	{ "", "" },          { "f", "Zg" },         { "fo", "Zm8" },          { "foo", "Zm9v" },
	{ "foob", "Zm9vYg" }, { "fooba", "Zm9vYmE" }, { "foobar", "Zm9vYmFy" },
};

static void encode_to(const uint8_t *in, size_t n, char *out, size_t cap)
{
	struct buf b;
	buf_init(&b, cap - 1);
	if (base64url_encode(in, n, &b) == 0 && buf_putc(&b, '\0') == 0)
		memcpy(out, b.data, b.len);
	else
		unit_fail(__FILE__, __LINE__, "base64url_encode failed for %zu bytes", n);
	buf_free(&b);
}

UNIT_TEST(base64url_rfc4648_vectors)
{
	for (size_t i = 0; i < sizeof rfc4648 / sizeof rfc4648[0]; i++) {
		size_t n = strlen(rfc4648[i].plain);
		char text[32] = "";
		encode_to((const uint8_t *)rfc4648[i].plain, n, text, sizeof text);
		CHECK_EQ_STR(text, rfc4648[i].encoded);
		CHECK_EQ_INT(BASE64URL_ENCODED_LEN(n), strlen(rfc4648[i].encoded));
		uint8_t back[16];
		CHECK_EQ_INT(base64url_decode(text, strlen(text), back, sizeof back), n);
		CHECK_EQ_MEM(back, rfc4648[i].plain, n);
		CHECK_EQ_INT(base64_decode_any(text, strlen(text), back, sizeof back), n);
	}
}

UNIT_TEST(base64url_uses_the_url_alphabet)
{
	const uint8_t data[] = { 0xfb, 0xff, 0xbf };
	char text[8] = "";
	encode_to(data, 3, text, sizeof text);
	CHECK_EQ_STR(text, "-_-_");
	encode_to(data, 2, text, sizeof text);
	CHECK_EQ_STR(text, "-_8");
}

/* Every form a client may send for the same bytes decodes alike. */
UNIT_TEST(base64url_decode_any_takes_both_alphabets_padded_or_not)
{
	const char *forms[] = { "-_8", "-_8=", "+/8", "+/8=" };
	for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
		uint8_t out[4];
		if (CHECK_EQ_INT(base64_decode_any(forms[i], strlen(forms[i]), out, sizeof out), 2)) {
			CHECK_EQ_INT(out[0], 0xfb);
			CHECK_EQ_INT(out[1], 0xff);
		}
	}
	uint8_t out[4];
	CHECK_EQ_INT(base64_decode_any("Zg==", 4, out, sizeof out), 1);
	CHECK_EQ_INT(out[0], 'f');
	CHECK_EQ_INT(base64_decode_any("Zm8=", 4, out, sizeof out), 2);
	/* only the unpadded url form is a JWT part */
	CHECK_EQ_INT(base64url_decode("-_8", 3, out, sizeof out), 2);
	CHECK_EQ_INT(base64url_decode("-_8=", 4, out, sizeof out), -1);
	CHECK_EQ_INT(base64url_decode("+/8", 3, out, sizeof out), -1);
	CHECK_EQ_INT(base64url_decode("Zg==", 4, out, sizeof out), -1);
}

UNIT_TEST(base64url_refuses_what_no_encoder_writes)
{
	const char *bad[] = {
		"-/8",       /* both alphabets at once */
		"+_8",
		"Zg=",       /* padding that does not fill the group */
		"Zg===",
		"Zm9v=",
		"Zm9vZg=",
		"====",
		"=Zg",
		"Zg==Zg==",  /* padding inside */
		"Z",         /* a lone character past full groups */
		"Zm9vY",
		"Zh",        /* non-zero trailing bits ("Zg" is "f") */
		"Zm9",
		"Zh==",
		"Zm 9v",     /* white space, other characters */
		"Zm9v\n",
		"Zm.v",
		"Zm9v!",
	};
	uint8_t out[16];
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (base64_decode_any(bad[i], strlen(bad[i]), out, sizeof out) != -1)
			unit_fail(__FILE__, __LINE__, "base64_decode_any accepted \"%s\"", bad[i]);
		if (base64url_decode(bad[i], strlen(bad[i]), out, sizeof out) != -1)
			unit_fail(__FILE__, __LINE__, "base64url_decode accepted \"%s\"", bad[i]);
	}
	CHECK_EQ_INT(base64_decode_any("Zm\0v", 4, out, sizeof out), -1);
}

/* libcrypto's encoder (standard, padded) against the decoder, and the url
 * encoder against it with the alphabet swapped and the padding dropped. */
UNIT_TEST(base64url_agrees_with_libcrypto)
{
	uint8_t data[100], back[100];
	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (uint8_t)(i * 151 + 7);
	for (size_t n = 0; n <= sizeof data; n++) {
		char std[4 * 34 + 1], url[4 * 34 + 1] = "";
		int len = EVP_EncodeBlock((unsigned char *)std, data, (int)n);
		REQUIRE(len >= 0);
		CHECK_EQ_INT(base64_decode_any(std, (size_t)len, back, sizeof back), n);
		CHECK_EQ_MEM(back, data, n);
		encode_to(data, n, url, sizeof url);
		while (len > 0 && std[len - 1] == '=')
			std[--len] = '\0';
		for (int i = 0; i < len; i++)
			std[i] = std[i] == '+' ? '-' : std[i] == '/' ? '_' : std[i];
		CHECK_EQ_STR(url, std);
	}
}

UNIT_TEST(base64url_respects_limits)
{
	uint8_t out[2];
	CHECK_EQ_INT(base64_decode_any("Zm8", 3, out, 2), 2);
	CHECK_EQ_INT(base64_decode_any("Zm9v", 4, out, 2), -1);
	struct buf b;
	buf_init(&b, 3);
	CHECK_EQ_INT(base64url_encode((const uint8_t *)"fo", 2, &b), 0);
	CHECK_EQ_INT(base64url_encode((const uint8_t *)"f", 1, &b), -1);
	CHECK_EQ_INT(b.len, 3);
	buf_free(&b);
}
