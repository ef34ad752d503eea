/* NATS JWTs ("ed25519-nkey"): header.payload.signature, each part unpadded
 * base64url, signed by the nkey named in the "iss" claim. */
#ifndef KEZ_NATS_JWT_H
#define KEZ_NATS_JWT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

#define NATS_JWT_MAX 16384

/* Decodes `jwt`, checks the header and the signature by `iss`, whose nkey
 * must carry `issuer_prefix`. Returns the claims (the caller releases them)
 * with the issuer key in `issuer`, or NULL with a reason in err. */
json_t *nats_jwt_decode(const char *jwt, size_t len, uint8_t issuer_prefix, uint8_t issuer[32], char *err,
			size_t errlen);
/* Sets "jti" (base32 of SHA-512/256 of the claims with an empty jti, as
 * NATS tools do), then appends the JWT signed with `seed`. 0, or -1. */
int nats_jwt_encode(json_t *claims, const uint8_t seed[32], struct buf *out);

#endif
