/* Per-core Ed25519 rates of each implementation installed here (OpenSSL
 * libcrypto's EVP and libsodium), measured side by side in one process on
 * the same messages: how the project chose the one behind
 * common/kez/ed25519.h. Prints one line per implementation and operation:
 *   <impl> <verify|sign> <operations per second>
 * Usage: ed25519-speed [seconds per measurement, default 2] */
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define MSG_LEN 180 /* about a registration payload's JCS form */

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct fixture {
	unsigned char seed[32], pub[32], secret[64], msg[MSG_LEN], sig[64];
	EVP_PKEY     *ossl_private;
	EVP_MD_CTX   *ctx;
};

static bool ossl_verify(struct fixture *f)
{
	EVP_PKEY *key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, f->pub, 32);
	bool ok = key && EVP_DigestVerifyInit(f->ctx, NULL, NULL, NULL, key) == 1 &&
		  EVP_DigestVerify(f->ctx, f->sig, 64, f->msg, MSG_LEN) == 1;
	EVP_MD_CTX_reset(f->ctx);
	EVP_PKEY_free(key);
	return ok;
}

static bool ossl_sign(struct fixture *f)
{
	size_t n = 64;
	bool ok = EVP_DigestSignInit(f->ctx, NULL, NULL, NULL, f->ossl_private) == 1 &&
		  EVP_DigestSign(f->ctx, f->sig, &n, f->msg, MSG_LEN) == 1;
	EVP_MD_CTX_reset(f->ctx);
	return ok;
}

static bool sodium_verify(struct fixture *f)
{
	return crypto_sign_ed25519_verify_detached(f->sig, f->msg, MSG_LEN, f->pub) == 0;
}

static bool sodium_sign(struct fixture *f)
{
	return crypto_sign_ed25519_detached(f->sig, NULL, f->msg, MSG_LEN, f->secret) == 0;
}

static double rate(bool (*op)(struct fixture *), struct fixture *f, double seconds)
{
	unsigned long n = 0;
	double start = now_s(), end = start + seconds, t = start;
	while (t < end) {
		for (int i = 0; i < 64; i++)
			if (!op(f)) {
				fprintf(stderr, "ed25519-speed: an operation failed\n");
				exit(1);
			}
		n += 64;
		t = now_s();
	}
	return (double)n / (t - start);
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 2.0;
	if (seconds <= 0 || sodium_init() < 0)
		return 2;
	struct fixture f;
	if (RAND_bytes(f.seed, 32) != 1 || RAND_bytes(f.msg, MSG_LEN) != 1 ||
	    crypto_sign_ed25519_seed_keypair(f.pub, f.secret, f.seed) != 0)
		return 1;
	f.ossl_private = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, f.seed, 32);
	f.ctx = EVP_MD_CTX_new();
	if (!f.ossl_private || !f.ctx || !sodium_sign(&f) || !ossl_verify(&f))
		return 1;
	/* both sign the same bytes (Ed25519 is deterministic): a cross-check */
	unsigned char check[64];
	for (int i = 0; i < 64; i++)
		check[i] = f.sig[i];
	if (!ossl_sign(&f) || CRYPTO_memcmp(check, f.sig, 64) != 0 || !sodium_verify(&f))
		return 1;
	printf("openssl verify %.0f\n", rate(ossl_verify, &f, seconds));
	printf("libsodium verify %.0f\n", rate(sodium_verify, &f, seconds));
	printf("openssl sign %.0f\n", rate(ossl_sign, &f, seconds));
	printf("libsodium sign %.0f\n", rate(sodium_sign, &f, seconds));
	EVP_MD_CTX_free(f.ctx);
	EVP_PKEY_free(f.ossl_private);
	return 0;
}
