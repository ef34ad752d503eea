/* Ed25519 (RFC 8032, pure): the project's one interface to it (libsodium
 * underneath; ed25519.c says why). */
#ifndef KEZ_ED25519_H
#define KEZ_ED25519_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ED25519_KEY_LEN  32
#define ED25519_SIG_LEN  64
#define ED25519_SEED_LEN 32

/* true only when `sig` is a valid signature of msg by pub. */
bool ed25519_verify(const uint8_t pub[ED25519_KEY_LEN], const uint8_t *msg, size_t len,
		    const uint8_t sig[ED25519_SIG_LEN]);
/* A seed expanded once for many signatures (the verifier signs every NATS
 * grant with one issuer seed): seed || public key, as libsodium keeps it. */
struct ed25519_keypair {
	uint8_t secret[ED25519_SEED_LEN + ED25519_KEY_LEN];
};
int  ed25519_keypair_from_seed(struct ed25519_keypair *kp, const uint8_t seed[ED25519_SEED_LEN]);
int  ed25519_keypair_sign(const struct ed25519_keypair *kp, const uint8_t *msg, size_t len,
			  uint8_t sig[ED25519_SIG_LEN]);
void ed25519_keypair_wipe(struct ed25519_keypair *kp);

/* 0 on success, -1 on failure. */
int  ed25519_sign(const uint8_t seed[ED25519_SEED_LEN], const uint8_t *msg, size_t len,
		  uint8_t sig[ED25519_SIG_LEN]);
int  ed25519_public_key(const uint8_t seed[ED25519_SEED_LEN], uint8_t pub[ED25519_KEY_LEN]);
/* true for the encodings of the points of small order (orders 1, 2, 4, 8,
 * canonical or not, either sign): nobody holds a private key for such a
 * public key, yet signatures "verify" under it for a share of all messages. */
bool ed25519_is_small_order(const uint8_t pub[ED25519_KEY_LEN]);
/* A fresh seed from the system's CSPRNG and its public key. */
int  ed25519_generate(uint8_t seed[ED25519_SEED_LEN], uint8_t pub[ED25519_KEY_LEN]);

#endif
