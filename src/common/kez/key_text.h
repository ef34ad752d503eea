/* The text forms of keys and signatures (API.md §2): lowercase hex only. */
#ifndef KEZ_KEY_TEXT_H
#define KEZ_KEY_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KEY_TEXT_PREFIX "ed25519:"
#define KEY_TEXT_LEN    (8 + 64) /* "ed25519:" + 64 hex digits */

/* Decodes exactly 2*n lowercase hex digits. 0, or -1 for anything else
 * (out then holds no meaning). */
int  hex_decode_lower(const char *s, size_t len, uint8_t *out, size_t n);
/* Writes 2*n lowercase hex digits and a NUL. */
void hex_encode(const uint8_t *in, size_t n, char *out);
/* "ed25519:<64 lowercase hex>" -> 32 bytes. 0, or -1 when it is not a key. */
int  key_text_parse(const char *s, size_t len, uint8_t key[32]);
/* Writes KEY_TEXT_LEN characters and a NUL. */
void key_text_format(const uint8_t key[32], char out[KEY_TEXT_LEN + 1]);

#endif
