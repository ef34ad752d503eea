#include "common/nats/nats_keys.h"

#include <openssl/crypto.h>
#include <string.h>

#include "common/kez/ed25519.h"

static int load_one(const char *path, uint8_t kind, uint8_t seed[NKEY_KEY_LEN], bool *has, char *err, size_t errlen)
{
	if (!path)
		return 0;
	if (nkey_read_seed_file(path, kind, seed, err, errlen) < 0)
		return -1;
	*has = true;
	return 0;
}

int nats_keys_load(struct nats_keys *k, const struct config *cfg, const char **flag, char *err, size_t errlen)
{
	memset(k, 0, sizeof *k);
	*flag = "nats-seed";
	if (load_one(cfg->nats_seed_file, NKEY_PREFIX_USER, k->service_seed, &k->has_service, err, errlen) < 0)
		goto fail;
	*flag = "nats-issuer-seed";
	if (load_one(cfg->nats_issuer_seed_file, NKEY_PREFIX_ACCOUNT, k->issuer_seed, &k->has_issuer, err, errlen) < 0)
		goto fail;
	if (k->has_issuer) {
		uint8_t pub[NKEY_KEY_LEN];
		if (ed25519_public_key(k->issuer_seed, pub) < 0) {
			snprintf(err, errlen, "cannot derive the public key");
			goto fail;
		}
		nkey_encode_public(NKEY_PREFIX_ACCOUNT, pub, k->issuer_public);
	}
	*flag = "nats-xkey-seed";
	if (load_one(cfg->nats_xkey_seed_file, NKEY_PREFIX_CURVE, k->xkey_seed, &k->has_xkey, err, errlen) < 0)
		goto fail;
	return 0;
fail:
	OPENSSL_cleanse(k, sizeof *k);
	return -1;
}

void nats_keys_keep(struct nats_keys *k, bool keep_service, bool keep_signing)
{
	if (!keep_service)
		OPENSSL_cleanse(k->service_seed, sizeof k->service_seed);
	if (!keep_signing) {
		OPENSSL_cleanse(k->issuer_seed, sizeof k->issuer_seed);
		OPENSSL_cleanse(k->xkey_seed, sizeof k->xkey_seed);
	}
}
