#include "common/kez/ed25519.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <string.h>

/* Verification is registration's hot path: one digest context per thread,
 * made once and reset after each use, so a call allocates only the key
 * object. Thread-local because libnats calls back on its own threads in the
 * processes that link it. */
static EVP_MD_CTX *verify_ctx(void)
{
	static _Thread_local EVP_MD_CTX *ctx;
	if (!ctx)
		ctx = EVP_MD_CTX_new();
	return ctx;
}

bool ed25519_verify(const uint8_t pub[ED25519_KEY_LEN], const uint8_t *msg, size_t len,
		    const uint8_t sig[ED25519_SIG_LEN])
{
	EVP_MD_CTX *ctx = verify_ctx();
	if (!ctx)
		return false;
	EVP_PKEY *key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, ED25519_KEY_LEN);
	if (!key)
		return false;
	/* Pure Ed25519 takes no digest (NULL) and the message in one call;
	 * libcrypto refuses S >= L and malformed points itself. */
	bool ok = EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, key) == 1 &&
		  EVP_DigestVerify(ctx, sig, ED25519_SIG_LEN, msg, len) == 1;
	EVP_MD_CTX_reset(ctx); /* ready for the next call; drops its hold on the key */
	EVP_PKEY_free(key);
	return ok;
}

int ed25519_sign(const uint8_t seed[ED25519_SEED_LEN], const uint8_t *msg, size_t len,
		 uint8_t sig[ED25519_SIG_LEN])
{
	EVP_PKEY *key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, ED25519_SEED_LEN);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	size_t sig_len = ED25519_SIG_LEN;
	int ok = key && ctx && EVP_DigestSignInit(ctx, NULL, NULL, NULL, key) == 1 &&
		 EVP_DigestSign(ctx, sig, &sig_len, msg, len) == 1 && sig_len == ED25519_SIG_LEN;
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(key);
	return ok ? 0 : -1;
}

int ed25519_public_key(const uint8_t seed[ED25519_SEED_LEN], uint8_t pub[ED25519_KEY_LEN])
{
	EVP_PKEY *key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, ED25519_SEED_LEN);
	size_t n = ED25519_KEY_LEN;
	int ok = key && EVP_PKEY_get_raw_public_key(key, pub, &n) == 1 && n == ED25519_KEY_LEN;
	EVP_PKEY_free(key);
	return ok ? 0 : -1;
}

int ed25519_generate(uint8_t seed[ED25519_SEED_LEN], uint8_t pub[ED25519_KEY_LEN])
{
	if (RAND_bytes(seed, ED25519_SEED_LEN) != 1)
		return -1;
	return ed25519_public_key(seed, pub);
}

bool ed25519_is_small_order(const uint8_t pub[ED25519_KEY_LEN])
{
	/* y coordinates of the small-order points (and of p, p + 1, which
	 * encode 0 and 1 again); the sign bit of x is left out of the match. */
	static const uint8_t small[7][ED25519_KEY_LEN] = {
		{ 0 },
		{ 0x01 },
		{ 0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98, 0xf0,
		  0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53, 0xfc, 0x05 },
		{ 0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10, 0x67, 0x0f,
		  0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac, 0x03, 0x7a },
		{ 0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f },
		{ 0xed, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f },
		{ 0xee, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f },
	};
	for (size_t i = 0; i < sizeof small / sizeof small[0]; i++)
		if (memcmp(pub, small[i], ED25519_KEY_LEN - 1) == 0 &&
		    (pub[ED25519_KEY_LEN - 1] & 0x7f) == small[i][ED25519_KEY_LEN - 1])
			return true;
	return false;
}
