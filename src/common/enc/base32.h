/* RFC 4648 base32 (alphabet A-Z 2-7) without padding, as nkeys and NATS JWT
 * ids write it. The decoder is strict: only that alphabet in uppercase, no
 * '=', and no length or trailing bits an encoder could not have produced. */
#ifndef KEZ_BASE32_H
#define KEZ_BASE32_H

#include <stddef.h>
#include <stdint.h>

/* Characters (without the NUL) that n bytes encode to. */
#define BASE32_ENCODED_LEN(n) (((n) * 8 + 4) / 5)

/* Writes the encoding of n bytes and a NUL into out (cap bytes, at least
 * BASE32_ENCODED_LEN(n) + 1). The character count, or -1 if it does not fit. */
int base32_encode(const uint8_t *in, size_t n, char *out, size_t cap);
/* Decodes len characters into out (at most cap bytes). The byte count, or -1. */
int base32_decode(const char *in, size_t len, uint8_t *out, size_t cap);

#endif
