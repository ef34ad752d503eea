#include "common/kez/key_text.h"

#include <string.h>

/* Only 0-9 and a-f: a key or signature has exactly one text form, so two
 * spellings of one key can never pass as different keys. */
static int lower_hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int hex_decode_lower(const char *s, size_t len, uint8_t *out, size_t n)
{
	if (!s || n > SIZE_MAX / 2 || len != 2 * n)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int hi = lower_hex_value(s[2 * i]), lo = lower_hex_value(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

void hex_encode(const uint8_t *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

int key_text_parse(const char *s, size_t len, uint8_t key[32])
{
	const size_t prefix = sizeof KEY_TEXT_PREFIX - 1;
	if (!s || len != KEY_TEXT_LEN || memcmp(s, KEY_TEXT_PREFIX, prefix) != 0)
		return -1;
	return hex_decode_lower(s + prefix, len - prefix, key, 32);
}

void key_text_format(const uint8_t key[32], char out[KEY_TEXT_LEN + 1])
{
	const size_t prefix = sizeof KEY_TEXT_PREFIX - 1;
	memcpy(out, KEY_TEXT_PREFIX, prefix);
	hex_encode(key, 32, out + prefix);
}
