#include "common/nkeys.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

uint16_t nkey_crc16(const uint8_t *data, size_t n)
{
	uint16_t crc = 0;
	for (size_t i = 0; i < n; i++) {
		crc ^= (uint16_t)(data[i] << 8);
		for (int b = 0; b < 8; b++)
			crc = crc & 0x8000 ? (uint16_t)(crc << 1 ^ 0x1021) : (uint16_t)(crc << 1);
	}
	return crc;
}

void nkey_base32_encode(const uint8_t *in, size_t n, char *out)
{
	uint32_t acc = 0;
	int bits = 0;
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		acc = acc << 8 | in[i];
		bits += 8;
		while (bits >= 5) {
			out[o++] = alphabet[(acc >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	if (bits > 0)
		out[o++] = alphabet[(acc << (5 - bits)) & 31];
	out[o] = '\0';
}

int nkey_base32_decode(const char *in, size_t len, uint8_t *out, size_t cap)
{
	uint32_t acc = 0;
	int bits = 0;
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		const char *p = in[i] ? strchr(alphabet, in[i]) : NULL;
		if (!p)
			return -1;
		acc = acc << 5 | (uint32_t)(p - alphabet);
		bits += 5;
		if (bits >= 8) {
			if (o >= cap)
				return -1;
			out[o++] = (uint8_t)(acc >> (bits - 8));
			bits -= 8;
		}
	}
	if (bits >= 5 || (acc & ((1u << bits) - 1)) != 0)
		return -1;
	return (int)o;
}

static int check_crc(const uint8_t *raw, size_t n)
{
	uint16_t want = (uint16_t)(raw[n - 2] | raw[n - 1] << 8);
	return nkey_crc16(raw, n - 2) == want ? 0 : -1;
}

int nkey_decode_public(const char *s, size_t len, uint8_t prefix, uint8_t key[32])
{
	uint8_t raw[35];
	if (len != NKEY_PUBLIC_LEN || nkey_base32_decode(s, len, raw, sizeof raw) != 35 || check_crc(raw, 35) < 0 ||
	    raw[0] != prefix)
		return -1;
	memcpy(key, raw + 1, 32);
	return 0;
}

void nkey_encode_public(uint8_t prefix, const uint8_t key[32], char out[NKEY_PUBLIC_LEN + 1])
{
	uint8_t raw[35];
	raw[0] = prefix;
	memcpy(raw + 1, key, 32);
	uint16_t crc = nkey_crc16(raw, 33);
	raw[33] = (uint8_t)crc;
	raw[34] = (uint8_t)(crc >> 8);
	nkey_base32_encode(raw, sizeof raw, out);
}

int nkey_decode_seed(const char *s, size_t len, uint8_t *kind, uint8_t seed[32])
{
	uint8_t raw[36];
	int rc = -1;
	if (len == NKEY_SEED_LEN && nkey_base32_decode(s, len, raw, sizeof raw) == 36 && check_crc(raw, 36) == 0 &&
	    (raw[0] & 0xf8) == NKEY_PREFIX_SEED) {
		*kind = (uint8_t)((raw[0] & 7) << 5 | (raw[1] & 0xf8) >> 3);
		memcpy(seed, raw + 2, 32);
		rc = 0;
	}
	OPENSSL_cleanse(raw, sizeof raw);
	return rc;
}

void nkey_encode_seed(uint8_t kind, const uint8_t seed[32], char out[NKEY_SEED_LEN + 1])
{
	uint8_t raw[36];
	raw[0] = (uint8_t)(NKEY_PREFIX_SEED | kind >> 5);
	raw[1] = (uint8_t)((kind & 31) << 3);
	memcpy(raw + 2, seed, 32);
	uint16_t crc = nkey_crc16(raw, 34);
	raw[34] = (uint8_t)crc;
	raw[35] = (uint8_t)(crc >> 8);
	nkey_base32_encode(raw, sizeof raw, out);
	OPENSSL_cleanse(raw, sizeof raw);
}

int nkey_read_seed_file(const char *path, uint8_t kind, uint8_t seed[32], char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "cannot read '%s': %s", path, strerror(errno));
		return -1;
	}
	char line[512];
	int rc = -1;
	while (rc < 0 && fgets(line, sizeof line, f)) {
		char *p = line;
		while (*p == ' ' || *p == '\t')
			p++;
		size_t n = strcspn(p, " \t\r\n");
		uint8_t got;
		if (n == NKEY_SEED_LEN && nkey_decode_seed(p, n, &got, seed) == 0 && got == kind)
			rc = 0;
	}
	OPENSSL_cleanse(line, sizeof line);
	fclose(f);
	if (rc < 0)
		snprintf(err, errlen, "'%s' holds no %s seed (S%c…)", path,
			 kind == NKEY_PREFIX_ACCOUNT ? "account" : kind == NKEY_PREFIX_USER ? "user" : "curve",
			 kind == NKEY_PREFIX_ACCOUNT ? 'A' : kind == NKEY_PREFIX_USER ? 'U' : 'X');
	return rc;
}
