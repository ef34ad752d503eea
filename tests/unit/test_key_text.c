#include "common/key_text.h"
#include "unit.h"

UNIT_TEST(key_text_parse_and_format)
{
	const char *good = "ed25519:d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
	uint8_t key[32];
	CHECK(key_text_parse(good, strlen(good), key) == 0);
	CHECK_EQ_INT(key[0], 0xd7);
	CHECK_EQ_INT(key[31], 0x1a);
	char back[KEY_TEXT_LEN + 1];
	key_text_format(key, back);
	CHECK_EQ_STR(back, good);
	const char *bad[] = {
		"ed25519:D75A980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", /* uppercase */
		"ed25519:d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511",  /* 63 */
		"ed25519:d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a0", /* 65 */
		"Ed25519:d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
		"d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
		"ed25519:g75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
		"ed25519: 75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
		"",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (key_text_parse(bad[i], strlen(bad[i]), key) == 0)
			unit_fail(__FILE__, __LINE__, "accepted \"%s\"", bad[i]);
}

UNIT_TEST(key_text_hex)
{
	uint8_t out[2];
	CHECK(hex_decode_lower("00ff", 4, out, 2) == 0 && out[0] == 0 && out[1] == 0xff);
	CHECK(hex_decode_lower("00FF", 4, out, 2) < 0);
	CHECK(hex_decode_lower("00f", 3, out, 2) < 0);
	char text[5];
	hex_encode(out, 2, text);
	CHECK_EQ_STR(text, "00ff");
}
