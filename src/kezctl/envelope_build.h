/* Signed registration envelopes (API.md §3, POST /v1/register), built with
 * the server's own JCS and Ed25519 code so that both sides agree on the
 * signed bytes by construction. */
#ifndef KEZCTL_ENVELOPE_BUILD_H
#define KEZCTL_ENVELOPE_BUILD_H

#include <stdint.h>

#include "common/base/buf.h"

/* Limits for the scratch and output buffers: an envelope is ~500 bytes. */
#define ENVELOPE_MAX_BYTES (16 * 1024)

/* Appends to `out` the envelope, as canonical JSON text, that registers
 * `handle` on `server` with the key whose seed and public key are given,
 * created at `created_at` (unix seconds). `scratch` holds the payload's
 * canonical bytes while they are signed; it is reset first and may be
 * reused across calls. 0, or -1 (a string that is not UTF-8, a buffer
 * limit, a libcrypto failure). */
int envelope_build(struct buf *out, struct buf *scratch, const char *handle, const char *server,
		   const uint8_t seed[32], const uint8_t pub[32], int64_t created_at);

#endif
