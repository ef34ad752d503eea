/* base64 for NATS: JWT parts are unpadded base64url (RFC 4648 §5); nonce
 * signatures come from clients as unpadded base64url (libnats, nats.go) or
 * padded standard base64 (nats.js), so one decoder takes either alphabet,
 * padded or not. Both decoders refuse what no encoder writes: characters
 * outside the alphabet, a mix of the two alphabets, misplaced '=' and
 * non-zero trailing bits. */
#ifndef KEZ_BASE64URL_H
#define KEZ_BASE64URL_H

#include <stddef.h>
#include <stdint.h>

#include "common/base/buf.h"

/* Characters of the unpadded encoding of n bytes. */
#define BASE64URL_ENCODED_LEN(n) (((n) * 4 + 2) / 3)

/* Appends the unpadded base64url of n bytes to out. 0, or -1 past out's limit. */
int base64url_encode(const uint8_t *in, size_t n, struct buf *out);
/* Unpadded base64url only (what JWTs carry). The byte count, or -1. */
int base64url_decode(const char *in, size_t len, uint8_t *out, size_t cap);
/* base64url or standard base64, each padded or not. The byte count, or -1. */
int base64_decode_any(const char *in, size_t len, uint8_t *out, size_t cap);

#endif
