#include "common/enc/base32.h"

#include <limits.h>

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

static int value_of(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= '2' && c <= '7')
		return c - '2' + 26;
	return -1;
}

int base32_encode(const uint8_t *in, size_t n, char *out, size_t cap)
{
	if (n > (size_t)INT_MAX / 2 || cap < BASE32_ENCODED_LEN(n) + 1)
		return -1;
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		acc = (acc << 8 | in[i]) & 0xfff; /* at most 12 pending bits matter */
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			out[o++] = alphabet[(acc >> bits) & 31];
		}
	}
	if (bits > 0)
		out[o++] = alphabet[(acc << (5 - bits)) & 31];
	out[o] = '\0';
	return (int)o;
}

int base32_decode(const char *in, size_t len, uint8_t *out, size_t cap)
{
	/* 1, 3 or 6 characters past a full 8-character group carry no whole
	 * byte of their own: no encoder writes them. */
	size_t rest = len % 8;
	if (rest == 1 || rest == 3 || rest == 6 || len > (size_t)INT_MAX / 2 || len * 5 / 8 > cap)
		return -1;
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		int v = value_of(in[i]);
		if (v < 0)
			return -1;
		acc = (acc << 5 | (uint32_t)v) & 0xfff;
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	/* What is left must be the encoder's zero fill. */
	if ((acc & ((1u << bits) - 1)) != 0)
		return -1;
	return (int)o;
}
