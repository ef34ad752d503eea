#include "common/nats/xkey.h"

#include <sodium.h>
#include <string.h>

#define HEAD_LEN (sizeof XKEY_VERSION - 1 + XKEY_NONCE_LEN)

_Static_assert(XKEY_NONCE_LEN == crypto_box_NONCEBYTES, "xkv1 nonce is a NaCl box nonce");
_Static_assert(XKEY_MAC_LEN == crypto_box_MACBYTES, "xkv1 tag is a NaCl box tag");
_Static_assert(crypto_box_SECRETKEYBYTES == 32 && crypto_box_PUBLICKEYBYTES == 32, "X25519 keys are 32 bytes");

int xkey_init(void)
{
	return sodium_init() < 0 ? -1 : 0;
}

int xkey_public_from_seed(const uint8_t seed[32], uint8_t pub[32])
{
	return crypto_scalarmult_base(pub, seed) == 0 ? 0 : -1;
}

bool xkey_is_sealed(const uint8_t *in, size_t len)
{
	return len >= HEAD_LEN && memcmp(in, XKEY_VERSION, sizeof XKEY_VERSION - 1) == 0;
}

int xkey_open(const uint8_t our_secret[32], const uint8_t their_public[32], const uint8_t *in, size_t len,
	      uint8_t *out, size_t cap)
{
	if (!xkey_is_sealed(in, len) || len < XKEY_OVERHEAD || len - XKEY_OVERHEAD > cap ||
	    len - XKEY_OVERHEAD > (size_t)INT32_MAX)
		return -1;
	const uint8_t *nonce = in + sizeof XKEY_VERSION - 1;
	if (crypto_box_open_easy(out, in + HEAD_LEN, len - HEAD_LEN, nonce, their_public, our_secret) != 0)
		return -1;
	return (int)(len - XKEY_OVERHEAD);
}

int xkey_seal(const uint8_t our_secret[32], const uint8_t their_public[32], const uint8_t *in, size_t len,
	      struct buf *out)
{
	if (len > (size_t)INT32_MAX || buf_reserve(out, XKEY_OVERHEAD + len) < 0)
		return -1;
	uint8_t *p = (uint8_t *)out->data + out->len;
	memcpy(p, XKEY_VERSION, sizeof XKEY_VERSION - 1);
	randombytes_buf(p + sizeof XKEY_VERSION - 1, XKEY_NONCE_LEN);
	if (crypto_box_easy(p + HEAD_LEN, in, len, p + sizeof XKEY_VERSION - 1, their_public, our_secret) != 0)
		return -1;
	out->len += XKEY_OVERHEAD + len;
	return 0;
}
