#include "common/xkey.h"

#include <sodium.h>
#include <string.h>

#define XKEY_VERSION "xkv1"
#define XKEY_HEAD    (sizeof XKEY_VERSION - 1 + crypto_box_NONCEBYTES)

int xkey_init(void)
{
	return sodium_init() < 0 ? -1 : 0;
}

int xkey_open(const uint8_t our_secret[32], const uint8_t their_public[32], const uint8_t *in, size_t len,
	      uint8_t *out, size_t cap)
{
	if (len < XKEY_HEAD + crypto_box_MACBYTES || memcmp(in, XKEY_VERSION, 4) != 0 ||
	    len - XKEY_HEAD - crypto_box_MACBYTES > cap)
		return -1;
	const uint8_t *nonce = in + 4;
	if (crypto_box_open_easy(out, in + XKEY_HEAD, len - XKEY_HEAD, nonce, their_public, our_secret) != 0)
		return -1;
	return (int)(len - XKEY_HEAD - crypto_box_MACBYTES);
}

int xkey_seal(const uint8_t our_secret[32], const uint8_t their_public[32], const uint8_t *in, size_t len,
	      struct buf *out)
{
	if (buf_reserve(out, XKEY_HEAD + crypto_box_MACBYTES + len) < 0)
		return -1;
	uint8_t *p = (uint8_t *)out->data + out->len;
	memcpy(p, XKEY_VERSION, 4);
	randombytes_buf(p + 4, crypto_box_NONCEBYTES);
	if (crypto_box_easy(p + XKEY_HEAD, in, len, p + 4, their_public, our_secret) != 0)
		return -1;
	out->len += XKEY_HEAD + crypto_box_MACBYTES + len;
	return 0;
}
