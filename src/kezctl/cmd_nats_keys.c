/* kezctl nats-keys: the key set of the NATS auth callout. */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "common/kez/ed25519.h"
#include "common/nats/nkeys.h"
#include "kezctl/args.h"
#include "kezctl/commands.h"
#include "kezctl/keyfile.h"

struct nats_keys {
	uint8_t issuer[32], service[32], xkey[32]; /* secrets */
	char    issuer_pub[NKEY_PUBLIC_LEN + 1], service_pub[NKEY_PUBLIC_LEN + 1], xkey_pub[NKEY_PUBLIC_LEN + 1];
};

static int make_keys(struct nats_keys *k)
{
	uint8_t pub[32];
	if (ed25519_generate(k->issuer, pub) < 0)
		return -1;
	nkey_encode_public(NKEY_PREFIX_ACCOUNT, pub, k->issuer_pub);
	if (ed25519_generate(k->service, pub) < 0)
		return -1;
	nkey_encode_public(NKEY_PREFIX_USER, pub, k->service_pub);
	/* The xkey is a curve (X25519) key, not an Ed25519 one. */
	EVP_PKEY *x = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
	size_t n = sizeof k->xkey, m = sizeof pub;
	int rc = x && EVP_PKEY_get_raw_private_key(x, k->xkey, &n) == 1 && n == sizeof k->xkey &&
			 EVP_PKEY_get_raw_public_key(x, pub, &m) == 1 && m == sizeof pub ? 0 : -1;
	EVP_PKEY_free(x);
	if (rc == 0)
		nkey_encode_public(NKEY_PREFIX_CURVE, pub, k->xkey_pub);
	return rc;
}

/* DIR/NAME holding the seed as an nkey seed line. */
static int write_seed(const char *dir, const char *name, uint8_t kind, const uint8_t seed[32], bool force)
{
	char path[4096], text[NKEY_SEED_LEN + 2], err[KEYFILE_ERR_LEN];
	int n = snprintf(path, sizeof path, "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= sizeof path) {
		fprintf(stderr, "kezctl: %s: the path is too long\n", dir);
		return -1;
	}
	nkey_encode_seed(kind, seed, text);
	text[NKEY_SEED_LEN] = '\n';
	int rc = secret_file_write(path, text, NKEY_SEED_LEN + 1, force, err, sizeof err);
	OPENSSL_cleanse(text, sizeof text);
	if (rc < 0)
		fprintf(stderr, "kezctl: %s\n", err);
	return rc;
}

static int run(const struct command *self, int argc, char **argv)
{
	static const int allowed[] = { OPT_OUT_DIR, OPT_FORCE, 0 };
	struct kezctl_args a;
	enum args_result parsed = args_parse(self, argc, argv, allowed, &a);
	if (parsed != ARGS_OK)
		return args_exit_status(parsed);
	if (a.positional)
		return usage_error("nats-keys takes no argument (the folder is given with --out-dir DIR)");
	const char *dir = a.out_dir ? a.out_dir : ".";

	struct nats_keys k;
	int status = KEZCTL_REFUSED;
	if (make_keys(&k) < 0)
		fprintf(stderr, "kezctl: cannot generate the keys (libcrypto failed)\n");
	else if (write_seed(dir, "issuer.nk", NKEY_PREFIX_ACCOUNT, k.issuer, a.force) == 0 &&
		 write_seed(dir, "service.nk", NKEY_PREFIX_USER, k.service, a.force) == 0 &&
		 write_seed(dir, "xkey.nk", NKEY_PREFIX_CURVE, k.xkey, a.force) == 0)
		status = KEZCTL_OK;
	if (status == KEZCTL_OK)
		printf("# for deploy/nats.conf (its environment) and the server's flags\n"
		       "KEZ_NATS_ISSUER=%s\n"
		       "KEZ_NATS_SERVICE=%s\n"
		       "KEZ_NATS_XKEY=%s\n"
		       "# kez-chat-server --nats-url nats://127.0.0.1:4222 --nats-seed %s/service.nk \\\n"
		       "#     --nats-issuer-seed %s/issuer.nk   [--nats-xkey-seed %s/xkey.nk when xkey is set]\n",
		       k.issuer_pub, k.service_pub, k.xkey_pub, dir, dir, dir);
	OPENSSL_cleanse(&k, sizeof k);
	return status;
}

const struct command command_nats_keys = {
	.name = "nats-keys",
	.synopsis = "nats-keys [--out-dir DIR] [--force]",
	.description = "      New NATS auth-callout keys: DIR/issuer.nk (SA...), DIR/service.nk (SU...),\n"
		       "      DIR/xkey.nk (SX...), each 0600 (default DIR: the current folder); prints\n"
		       "      the values deploy/nats.conf and the server need.\n",
	.uses_network = false,
	.run = run,
};
