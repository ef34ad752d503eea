/* Signed registration envelopes, built with the server's own JCS and Ed25519. */
#ifndef KEZCTL_ENVELOPE_BUILD_H
#define KEZCTL_ENVELOPE_BUILD_H

#include <stdint.h>

#include "common/buf.h"

/* Appends the envelope (canonical JSON text) registering `handle` on
 * `server` with the key whose seed is given, created at `created_at` (unix
 * seconds). 0, or -1. */
int envelope_build(struct buf *out, const char *handle, const char *server, const uint8_t seed[32],
		   const uint8_t pub[32], int64_t created_at);

#endif
