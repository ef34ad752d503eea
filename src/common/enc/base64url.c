#include "common/enc/base64url.h"

#include <limits.h>

static const char url_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int base64url_encode(const uint8_t *in, size_t n, struct buf *out)
{
	if (n > SIZE_MAX / 2 || buf_reserve(out, BASE64URL_ENCODED_LEN(n)) < 0)
		return -1;
	uint32_t acc = 0;
	unsigned bits = 0;
	for (size_t i = 0; i < n; i++) {
		acc = (acc << 8 | in[i]) & 0x3fff; /* at most 14 pending bits matter */
		bits += 8;
		while (bits >= 6) {
			bits -= 6;
			out->data[out->len++] = url_alphabet[(acc >> bits) & 63];
		}
	}
	if (bits > 0)
		out->data[out->len++] = url_alphabet[(acc << (6 - bits)) & 63];
	return 0;
}

enum alphabet { ALPHABET_URL = 1, ALPHABET_STD = 2 };

/* The 6-bit value of c; `seen` collects which alphabet's own characters
 * (-_ or +/) occurred, so that a mix of both can be refused. */
static int value_of(char c, unsigned *seen)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	switch (c) {
	case '-': *seen |= ALPHABET_URL; return 62;
	case '_': *seen |= ALPHABET_URL; return 63;
	case '+': *seen |= ALPHABET_STD; return 62;
	case '/': *seen |= ALPHABET_STD; return 63;
	default: return -1;
	}
}

static int decode(const char *in, size_t len, uint8_t *out, size_t cap, unsigned allowed)
{
	if (len > (size_t)INT_MAX)
		return -1;
	size_t data_len = len;
	while (data_len > 0 && in[data_len - 1] == '=')
		data_len--;
	size_t pad = len - data_len;
	/* Padding fills the last group to 4 characters, exactly. */
	if (pad > 0 && (pad > 2 || len % 4 != 0))
		return -1;
	/* A lone character past full groups holds no whole byte. */
	if (data_len % 4 == 1 || data_len * 3 / 4 > cap)
		return -1;
	uint32_t acc = 0;
	unsigned bits = 0, seen = 0;
	size_t o = 0;
	for (size_t i = 0; i < data_len; i++) {
		int v = value_of(in[i], &seen);
		if (v < 0)
			return -1;
		acc = (acc << 6 | (uint32_t)v) & 0x3fff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	if ((seen & ~allowed) != 0 || seen == (ALPHABET_URL | ALPHABET_STD))
		return -1;
	/* What is left must be the encoder's zero fill. */
	if ((acc & ((1u << bits) - 1)) != 0)
		return -1;
	return (int)o;
}

int base64url_decode(const char *in, size_t len, uint8_t *out, size_t cap)
{
	/* No '=' here: decode() strips it, so look for it first. */
	if (len > 0 && in[len - 1] == '=')
		return -1;
	return decode(in, len, out, cap, ALPHABET_URL);
}

int base64_decode_any(const char *in, size_t len, uint8_t *out, size_t cap)
{
	return decode(in, len, out, cap, ALPHABET_URL | ALPHABET_STD);
}
