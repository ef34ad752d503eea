/* base64url as JWTs use it; the decoder also takes standard base64, padded
 * or not (NATS clients sign nonces in either form). */
#ifndef KEZ_BASE64URL_H
#define KEZ_BASE64URL_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

/* Appends unpadded base64url. 0, or -1 past out's limit. */
int base64url_encode(const uint8_t *in, size_t n, struct buf *out);
/* Decodes into out (at most cap bytes). The byte count, or -1. */
int base64_decode_any(const char *in, size_t len, uint8_t *out, size_t cap);

#endif
