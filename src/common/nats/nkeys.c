#include "common/nats/nkeys.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/enc/base32.h"

#define PUBLIC_RAW_LEN (1 + NKEY_KEY_LEN + 2)
#define SEED_RAW_LEN   (2 + NKEY_KEY_LEN + 2)

uint16_t nkey_crc16(const uint8_t *data, size_t n)
{
	uint16_t crc = 0;
	for (size_t i = 0; i < n; i++) {
		crc ^= (uint16_t)(data[i] << 8);
		for (int b = 0; b < 8; b++)
			crc = (crc & 0x8000) ? (uint16_t)((crc << 1) ^ 0x1021) : (uint16_t)(crc << 1);
	}
	return crc;
}

int nkey_prefix_is_public(uint8_t prefix)
{
	switch (prefix) {
	case NKEY_PREFIX_SERVER:
	case NKEY_PREFIX_CLUSTER:
	case NKEY_PREFIX_OPERATOR:
	case NKEY_PREFIX_ACCOUNT:
	case NKEY_PREFIX_USER:
	case NKEY_PREFIX_CURVE:
		return 1;
	default:
		return 0;
	}
}

char nkey_prefix_letter(uint8_t prefix)
{
	return nkey_prefix_is_public(prefix) || prefix == NKEY_PREFIX_SEED ? "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"[prefix >> 3]
									    : '?';
}

/* Appends the little-endian CRC of the first n bytes of raw. */
static void put_crc(uint8_t *raw, size_t n)
{
	uint16_t crc = nkey_crc16(raw, n);
	raw[n] = (uint8_t)crc;
	raw[n + 1] = (uint8_t)(crc >> 8);
}

static int crc_matches(const uint8_t *raw, size_t n)
{
	uint16_t want = (uint16_t)(raw[n - 2] | raw[n - 1] << 8);
	return nkey_crc16(raw, n - 2) == want;
}

int nkey_decode_public(const char *s, size_t len, uint8_t prefix, uint8_t key[NKEY_KEY_LEN])
{
	uint8_t raw[PUBLIC_RAW_LEN];
	if (!s || len != NKEY_PUBLIC_LEN || base32_decode(s, len, raw, sizeof raw) != PUBLIC_RAW_LEN ||
	    !crc_matches(raw, sizeof raw) || raw[0] != prefix || !nkey_prefix_is_public(prefix))
		return -1;
	memcpy(key, raw + 1, NKEY_KEY_LEN);
	return 0;
}

void nkey_encode_public(uint8_t prefix, const uint8_t key[NKEY_KEY_LEN], char out[NKEY_PUBLIC_LEN + 1])
{
	uint8_t raw[PUBLIC_RAW_LEN];
	raw[0] = prefix;
	memcpy(raw + 1, key, NKEY_KEY_LEN);
	put_crc(raw, 1 + NKEY_KEY_LEN);
	/* 35 bytes are exactly 56 characters: this cannot fail. */
	(void)base32_encode(raw, sizeof raw, out, NKEY_PUBLIC_LEN + 1);
}

int nkey_decode_seed(const char *s, size_t len, uint8_t *prefix, uint8_t seed[NKEY_KEY_LEN])
{
	uint8_t raw[SEED_RAW_LEN];
	int rc = -1;
	if (s && len == NKEY_SEED_LEN && base32_decode(s, len, raw, sizeof raw) == SEED_RAW_LEN &&
	    crc_matches(raw, sizeof raw) && (raw[0] & 0xf8) == NKEY_PREFIX_SEED && (raw[1] & 7) == 0) {
		uint8_t kind = (uint8_t)((raw[0] & 7) << 5 | raw[1] >> 3);
		if (nkey_prefix_is_public(kind)) {
			*prefix = kind;
			memcpy(seed, raw + 2, NKEY_KEY_LEN);
			rc = 0;
		}
	}
	OPENSSL_cleanse(raw, sizeof raw);
	return rc;
}

int nkey_encode_seed(uint8_t prefix, const uint8_t seed[NKEY_KEY_LEN], char out[NKEY_SEED_LEN + 1])
{
	out[0] = '\0';
	if (!nkey_prefix_is_public(prefix))
		return -1;
	uint8_t raw[SEED_RAW_LEN];
	raw[0] = (uint8_t)(NKEY_PREFIX_SEED | prefix >> 5);
	raw[1] = (uint8_t)((prefix & 31) << 3);
	memcpy(raw + 2, seed, NKEY_KEY_LEN);
	put_crc(raw, 2 + NKEY_KEY_LEN);
	int n = base32_encode(raw, sizeof raw, out, NKEY_SEED_LEN + 1);
	OPENSSL_cleanse(raw, sizeof raw);
	return n == NKEY_SEED_LEN ? 0 : -1;
}

/* Reads the whole (small) file into buf, NUL-terminated. Its length, or -1. */
static ssize_t read_small_file(const char *path, char *buf, size_t cap, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open '%s': %s", path, strerror(errno));
		return -1;
	}
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "'%s' is not a regular file", path);
		close(fd);
		return -1;
	}
	size_t len = 0;
	for (;;) {
		ssize_t n = read(fd, buf + len, cap - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "cannot read '%s': %s", path, strerror(errno));
			close(fd);
			return -1;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len == cap - 1) {
			snprintf(err, errlen, "'%s' is larger than a seed file can be (%zu bytes)", path, cap - 1);
			close(fd);
			return -1;
		}
	}
	close(fd);
	buf[len] = '\0';
	return (ssize_t)len;
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* The first line of text[0..len) that is a seed, blanks around it aside. */
static int find_seed_line(const char *text, size_t len, uint8_t *prefix, uint8_t seed[NKEY_KEY_LEN])
{
	size_t at = 0;
	while (at < len) {
		const char *nl = memchr(text + at, '\n', len - at);
		size_t end = nl ? (size_t)(nl - text) : len;
		size_t a = at, b = end;
		while (a < b && is_blank(text[a]))
			a++;
		while (b > a && is_blank(text[b - 1]))
			b--;
		if (b > a && text[a] == 'S' && nkey_decode_seed(text + a, b - a, prefix, seed) == 0)
			return 0;
		at = end + 1;
	}
	return -1;
}

int nkey_seed_file_read(const char *path, uint8_t *prefix, uint8_t seed[NKEY_KEY_LEN], char *err, size_t errlen)
{
	char text[NKEY_SEED_FILE_MAX + 1];
	ssize_t len = read_small_file(path, text, sizeof text, err, errlen);
	int rc = -1;
	if (len >= 0) {
		rc = find_seed_line(text, (size_t)len, prefix, seed);
		if (rc < 0)
			snprintf(err, errlen, "'%s' holds no nkey seed (a line S…, %d characters)", path, NKEY_SEED_LEN);
	}
	OPENSSL_cleanse(text, sizeof text);
	return rc;
}

int nkey_read_seed_file(const char *path, uint8_t prefix, uint8_t seed[NKEY_KEY_LEN], char *err, size_t errlen)
{
	uint8_t kind;
	if (nkey_seed_file_read(path, &kind, seed, err, errlen) < 0)
		return -1;
	if (kind != prefix) {
		OPENSSL_cleanse(seed, NKEY_KEY_LEN);
		snprintf(err, errlen, "'%s' holds an S%c… seed where an S%c… seed is needed", path,
			 nkey_prefix_letter(kind), nkey_prefix_letter(prefix));
		return -1;
	}
	return 0;
}
