/* NATS nkeys: Ed25519 keys written as base32 (RFC 4648, no padding) of a
 * prefix byte, the 32-byte key and a CRC-16/XMODEM, little-endian. */
#ifndef KEZ_NKEYS_H
#define KEZ_NKEYS_H

#include <stddef.h>
#include <stdint.h>

#define NKEY_PREFIX_SEED     (18 << 3) /* 'S' */
#define NKEY_PREFIX_SERVER   (13 << 3) /* 'N' */
#define NKEY_PREFIX_ACCOUNT  0         /* 'A' */
#define NKEY_PREFIX_USER     (20 << 3) /* 'U' */
#define NKEY_PREFIX_CURVE    (23 << 3) /* 'X' */
#define NKEY_PUBLIC_LEN      56
#define NKEY_SEED_LEN        58

uint16_t nkey_crc16(const uint8_t *data, size_t n);
/* RFC 4648 base32 without padding. The encoder writes a NUL; the decoder
 * returns the byte count or -1 (bad characters, too long, stray bits). */
void nkey_base32_encode(const uint8_t *in, size_t n, char *out);
int  nkey_base32_decode(const char *in, size_t len, uint8_t *out, size_t cap);

/* "U…"/"A…"/"N…"/"X…" with the expected prefix byte -> key. 0, or -1. */
int  nkey_decode_public(const char *s, size_t len, uint8_t prefix, uint8_t key[32]);
void nkey_encode_public(uint8_t prefix, const uint8_t key[32], char out[NKEY_PUBLIC_LEN + 1]);
/* "SU…"/"SA…"/"SX…": *kind gets the public prefix byte. 0, or -1. */
int  nkey_decode_seed(const char *s, size_t len, uint8_t *kind, uint8_t seed[32]);
void nkey_encode_seed(uint8_t kind, const uint8_t seed[32], char out[NKEY_SEED_LEN + 1]);
/* Reads a seed file (its first line that decodes as a seed of `kind`,
 * which allows .nk files and nsc's .creds files). 0, or -1 with a reason. */
int  nkey_read_seed_file(const char *path, uint8_t kind, uint8_t seed[32], char *err, size_t errlen);

#endif
