/* NATS xkey sealing: "xkv1" ‖ 24-byte nonce ‖ NaCl box
 * (curve25519-xsalsa20-poly1305), through libsodium. */
#ifndef KEZ_XKEY_H
#define KEZ_XKEY_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

int xkey_init(void);
/* Opens a sealed message from `their_public`. The plaintext length, or -1. */
int xkey_open(const uint8_t our_secret[32], const uint8_t their_public[32], const uint8_t *in, size_t len,
	      uint8_t *out, size_t cap);
/* Appends `in` sealed to `their_public`. 0, or -1. */
int xkey_seal(const uint8_t our_secret[32], const uint8_t their_public[32], const uint8_t *in, size_t len,
	      struct buf *out);

#endif
