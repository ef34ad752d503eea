/* NATS xkeys: X25519 keys ("X…" public, "SX…" seed) and the sealed form the
 * auth callout uses, "xkv1" ‖ 24-byte nonce ‖ NaCl box
 * (curve25519-xsalsa20-poly1305), through libsodium (link -lsodium). The
 * seed is the X25519 secret key as it is; its public key is the scalar
 * multiple of the base point (libsodium clamps, as nkeys does). */
#ifndef KEZ_XKEY_H
#define KEZ_XKEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/base/buf.h"

#define XKEY_VERSION     "xkv1"
#define XKEY_NONCE_LEN   24
#define XKEY_MAC_LEN     16
/* Bytes a sealed message has beyond its plaintext. */
#define XKEY_OVERHEAD    (sizeof XKEY_VERSION - 1 + XKEY_NONCE_LEN + XKEY_MAC_LEN)

/* Once per process, before a seal (it readies libsodium's random source). 0, or -1. */
int  xkey_init(void);
/* The public key of a curve seed. 0, or -1. */
int  xkey_public_from_seed(const uint8_t seed[32], uint8_t pub[32]);
/* Whether `in` starts like a sealed message (a clear JWT starts "eyJ"). */
bool xkey_is_sealed(const uint8_t *in, size_t len);
/* Opens a message sealed by `their_public` to us. The plaintext length
 * (written to out, cap bytes), or -1. */
int  xkey_open(const uint8_t our_secret[32], const uint8_t their_public[32], const uint8_t *in, size_t len,
	       uint8_t *out, size_t cap);
/* Appends `in` sealed to `their_public` with a fresh random nonce. 0, or -1
 * (out unchanged). */
int  xkey_seal(const uint8_t our_secret[32], const uint8_t their_public[32], const uint8_t *in, size_t len,
	       struct buf *out);

#endif
