#include "common/kez/key_text.h"

#include <stdint.h>
#include <string.h>

/* Only 0-9 and a-f: a key or signature has exactly one text form, so two
 * spellings of one key can never pass as different keys. Each digit's
 * value plus one, 0 for every other byte: a table instead of comparisons,
 * whose branches a random digit string mispredicts (6x slower, and a
 * registration decodes 128 bytes). */
#define DIGIT(c, v) [c] = (v) + 1
static const uint8_t lower_hex_value[256] = {
	DIGIT('0', 0),  DIGIT('1', 1),  DIGIT('2', 2),  DIGIT('3', 3), DIGIT('4', 4),  DIGIT('5', 5),
	DIGIT('6', 6),  DIGIT('7', 7),  DIGIT('8', 8),  DIGIT('9', 9), DIGIT('a', 10), DIGIT('b', 11),
	DIGIT('c', 12), DIGIT('d', 13), DIGIT('e', 14), DIGIT('f', 15),
};
#undef DIGIT

int hex_decode_lower(const char *s, size_t len, uint8_t *out, size_t n)
{
	if (!s || n > SIZE_MAX / 2 || len != 2 * n)
		return -1;
	unsigned bad = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned hi = lower_hex_value[(uint8_t)s[2 * i]], lo = lower_hex_value[(uint8_t)s[2 * i + 1]];
		/* a non-digit's 0 - 1 wraps far above 15 */
		bad |= (hi - 1) | (lo - 1);
		out[i] = (uint8_t)((hi - 1) << 4 | (lo - 1));
	}
	return bad > 15 ? -1 : 0;
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
