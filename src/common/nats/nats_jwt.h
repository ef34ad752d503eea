/* NATS JWTs (nats jwt v2, "ed25519-nkey"): header.payload.signature, each
 * part unpadded base64url; the signature is Ed25519 by the nkey in the "iss"
 * claim over the text "header.payload".
 *
 * Encoding is split so that the seed need not sit where the JSON is made:
 * nats_jwt_signing_input() writes "header.payload", whoever holds the seed
 * signs exactly those bytes, nats_jwt_append_signature() completes the JWT.
 * nats_jwt_encode() does all three with a seed at hand. */
#ifndef KEZ_NATS_JWT_H
#define KEZ_NATS_JWT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "common/base/buf.h"
#include "common/kez/ed25519.h"

#define NATS_JWT_MAX      16384 /* longer tokens are refused, and never made */
#define NATS_JWT_JTI_LEN  52    /* base32 of a 32-byte digest */

/* Decodes `jwt` (len bytes, no NUL needed), checks its header
 * ({"typ":"JWT","alg":"ed25519-nkey"}, case as nats jwt allows) and that
 * "iss" is an nkey of kind `issuer_prefix` whose signature verifies. Returns
 * the claims (the caller releases them) and the issuer's key in `issuer`
 * (may be NULL), or NULL with a reason in err. Times are not checked here. */
json_t *nats_jwt_decode(const char *jwt, size_t len, uint8_t issuer_prefix, uint8_t issuer[32], char *err,
			size_t errlen);

/* Sets "jti" as nats jwt v2 does: base32 (no padding) of SHA-512/256 of the
 * standard claims (aud, exp, iat, iss, name, nbf, sub — in that order, those
 * empty or 0 left out, no jti) written as Go's encoding/json writes them.
 * 0, or -1 if a standard claim has the wrong JSON type. */
int nats_jwt_set_jti(json_t *claims);
/* Sets "jti", then appends "header.payload" to out. "iss" and a non-empty
 * "sub" must be there. 0, or -1 (out is then as it was). */
int nats_jwt_signing_input(json_t *claims, struct buf *out);
/* Appends ".signature" to a signing input. 0, or -1 (out unchanged). */
int nats_jwt_append_signature(struct buf *out, const uint8_t sig[64]);
/* The whole JWT signed with `seed`, appended to out; the seed's public key
 * must be the "iss" claim. 0, or -1 (out unchanged). */
int nats_jwt_encode(json_t *claims, const uint8_t seed[32], struct buf *out);
/* The same with a seed expanded once (no key derivation per signature). */
int nats_jwt_encode_keypair(json_t *claims, const struct ed25519_keypair *kp, struct buf *out);

#endif
