/* Keys ("ed25519:" + 64 lowercase hex) and lowercase hex (API.md §2). */
#include "common/kez/key_text.h"
#include "unit.h"

#define GOOD_KEY "ed25519:d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"

UNIT_TEST(key_text_parse_and_format)
{
	uint8_t key[32];
	REQUIRE(key_text_parse(GOOD_KEY, strlen(GOOD_KEY), key) == 0);
	CHECK_EQ_INT(key[0], 0xd7);
	CHECK_EQ_INT(key[31], 0x1a);
	char back[KEY_TEXT_LEN + 1];
	key_text_format(key, back);
	CHECK_EQ_STR(back, GOOD_KEY);
	CHECK_EQ_INT(strlen(back), KEY_TEXT_LEN);

	uint8_t all[32];
	for (int i = 0; i < 32; i++)
		all[i] = (uint8_t)(i * 8 + 7);
	key_text_format(all, back);
	CHECK(key_text_parse(back, strlen(back), key) == 0);
	CHECK_EQ_MEM(key, all, 32);
	memset(all, 0, 32);
	key_text_format(all, back);
	CHECK_EQ_STR(back, "ed25519:0000000000000000000000000000000000000000000000000000000000000000");
}

UNIT_TEST(key_text_refuses_other_forms)
{
	const char *bad[] = {
		"ed25519:D75A980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",   /* uppercase */
		"ed25519:d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511A",   /* last digit */
		"ed25519:d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511",    /* 63 digits */
		"ed25519:d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a0",  /* 65 */
		"ed25519:d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a00", /* 66 */
		"Ed25519:d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
		"ED25519:d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
		"ed25519=d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
		"ed448:d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a00a",
		"d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
		"ed25519:g75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
		"ed25519: 75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
		"ed25519:d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511 ",
		" ed25519:d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f70751",
		"ed25519:0xd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f70751",
		"ed25519:",
		"",
	};
	uint8_t key[32];
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (key_text_parse(bad[i], strlen(bad[i]), key) == 0)
			unit_fail(__FILE__, __LINE__, "accepted \"%s\"", bad[i]);
	/* a NUL inside, at the right length: the length counts, not the NUL */
	char with_nul[KEY_TEXT_LEN + 1];
	memcpy(with_nul, GOOD_KEY, sizeof with_nul);
	with_nul[40] = '\0';
	CHECK(key_text_parse(with_nul, KEY_TEXT_LEN, key) == -1);
	CHECK(key_text_parse(GOOD_KEY, KEY_TEXT_LEN - 1, key) == -1);
	CHECK(key_text_parse(NULL, 0, key) == -1);
	/* every byte that is not 0-9 a-f, at one place of the hex */
	for (int c = 0; c < 256; c++) {
		char k[KEY_TEXT_LEN + 1];
		memcpy(k, GOOD_KEY, sizeof k);
		k[8 + 17] = (char)c;
		bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
		if ((key_text_parse(k, KEY_TEXT_LEN, key) == 0) != hex)
			unit_fail(__FILE__, __LINE__, "byte 0x%02x: %s", c, hex ? "refused" : "accepted");
	}
}

UNIT_TEST(key_text_hex)
{
	uint8_t out[4];
	CHECK(hex_decode_lower("00ff7a10", 8, out, 4) == 0);
	CHECK(out[0] == 0 && out[1] == 0xff && out[2] == 0x7a && out[3] == 0x10);
	CHECK(hex_decode_lower("00FF", 4, out, 2) == -1);
	CHECK(hex_decode_lower("00fF", 4, out, 2) == -1);
	CHECK(hex_decode_lower("00f", 3, out, 2) == -1);
	CHECK(hex_decode_lower("00ff0", 5, out, 2) == -1);
	CHECK(hex_decode_lower("00ff", 4, out, 1) == -1);
	CHECK(hex_decode_lower("0x", 2, out, 1) == -1);
	CHECK(hex_decode_lower("+1", 2, out, 1) == -1);
	CHECK(hex_decode_lower(" 1", 2, out, 1) == -1);
	CHECK(hex_decode_lower("", 0, out, 0) == 0);
	CHECK(hex_decode_lower("00ff7a10", 8, out, 4) == 0);
	char text[9];
	hex_encode(out, 4, text);
	CHECK_EQ_STR(text, "00ff7a10");
	hex_encode(out, 0, text);
	CHECK_EQ_STR(text, "");
	/* a round trip through every byte value */
	uint8_t bytes[256], back[256];
	char all[513];
	for (int i = 0; i < 256; i++)
		bytes[i] = (uint8_t)i;
	hex_encode(bytes, 256, all);
	CHECK_EQ_INT(strlen(all), 512);
	CHECK(hex_decode_lower(all, 512, back, 256) == 0);
	CHECK_EQ_MEM(back, bytes, 256);
	/* every byte value in either half of a pair, and after a good pair */
	for (int c = 0; c < 256; c++) {
		bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
		for (int at = 0; at < 4; at++) {
			char pair[4] = { '7', 'a', '1', '0' };
			pair[at] = (char)c;
			uint8_t two[2];
			int rc = hex_decode_lower(pair, 4, two, 2);
			if ((rc == 0) != hex)
				unit_fail(__FILE__, __LINE__, "byte 0x%02x at %d: %s", c, at, hex ? "refused" : "accepted");
			unsigned v = hex ? (unsigned)(c <= '9' ? c - '0' : c - 'a' + 10) : 0;
			if (hex && two[at / 2] != (at % 2 ? (at < 2 ? 0x70 : 0x10) | v : v << 4 | (at < 2 ? 0xa : 0x0)))
				unit_fail(__FILE__, __LINE__, "byte 0x%02x at %d: decoded 0x%02x", c, at, two[at / 2]);
		}
	}
}
