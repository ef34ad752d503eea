/* NATS nkeys in text. A public key is base32 (common/base32.h) of a prefix
 * byte, the 32-byte key and a CRC-16/XMODEM of those 33 bytes, little-endian:
 * 56 characters whose first names the kind (U user, A account, N server,
 * O operator, X curve). A seed is base32 of two bytes carrying the seed
 * prefix and the kind, the 32-byte seed and the CRC: 58 characters, "SU…",
 * "SA…", "SX…". Ed25519 kinds hold an Ed25519 key; X holds an X25519 key
 * (common/xkey.h). */
#ifndef KEZ_NKEYS_H
#define KEZ_NKEYS_H

#include <stddef.h>
#include <stdint.h>

#define NKEY_PREFIX_SEED     (18 << 3) /* 'S' */
#define NKEY_PREFIX_SERVER   (13 << 3) /* 'N' */
#define NKEY_PREFIX_CLUSTER  (2 << 3)  /* 'C' */
#define NKEY_PREFIX_OPERATOR (14 << 3) /* 'O' */
#define NKEY_PREFIX_ACCOUNT  0         /* 'A' */
#define NKEY_PREFIX_USER     (20 << 3) /* 'U' */
#define NKEY_PREFIX_CURVE    (23 << 3) /* 'X' */
#define NKEY_KEY_LEN         32
#define NKEY_PUBLIC_LEN      56
#define NKEY_SEED_LEN        58
/* Seed files are small; anything larger is not one. */
#define NKEY_SEED_FILE_MAX   16384

/* CRC-16/XMODEM: polynomial 0x1021, initial value 0, no reflection. */
uint16_t nkey_crc16(const uint8_t *data, size_t n);
/* Whether `prefix` is a kind a public key or a seed may carry. */
int      nkey_prefix_is_public(uint8_t prefix);
/* The kind's letter ('U', 'A', …), or '?' */
char     nkey_prefix_letter(uint8_t prefix);

/* Exactly NKEY_PUBLIC_LEN characters of `prefix`'s kind -> key. 0, or -1
 * (wrong length, alphabet, checksum or kind). */
int  nkey_decode_public(const char *s, size_t len, uint8_t prefix, uint8_t key[NKEY_KEY_LEN]);
/* Writes NKEY_PUBLIC_LEN characters and a NUL. */
void nkey_encode_public(uint8_t prefix, const uint8_t key[NKEY_KEY_LEN], char out[NKEY_PUBLIC_LEN + 1]);
/* Exactly NKEY_SEED_LEN characters -> its kind (*prefix, the public prefix
 * byte) and seed. 0, or -1. Nothing is left in `seed` on failure. */
int  nkey_decode_seed(const char *s, size_t len, uint8_t *prefix, uint8_t seed[NKEY_KEY_LEN]);
/* Writes NKEY_SEED_LEN characters and a NUL. 0, or -1 for a prefix that is
 * not a public kind (then out is an empty string). */
int  nkey_encode_seed(uint8_t prefix, const uint8_t seed[NKEY_KEY_LEN], char out[NKEY_SEED_LEN + 1]);

/* Reads a seed from a file: plain seed text, an .nk file, or an nsc .creds
 * file (a user JWT and the seed, each between "-----BEGIN …-----" lines).
 * The seed is the first line that, without surrounding blanks, starts with
 * 'S' and decodes as a seed. 0 with its kind in *prefix, or -1 with a reason
 * in err. Buffers that held key text are wiped. */
int  nkey_seed_file_read(const char *path, uint8_t *prefix, uint8_t seed[NKEY_KEY_LEN], char *err, size_t errlen);
/* The same, and the seed must be of kind `prefix`. */
int  nkey_read_seed_file(const char *path, uint8_t prefix, uint8_t seed[NKEY_KEY_LEN], char *err, size_t errlen);

#endif
