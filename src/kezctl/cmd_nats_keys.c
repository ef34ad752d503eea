/* kezctl nats-keys: the key set of the NATS auth callout. */
#include <openssl/crypto.h>
#include <errno.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdio.h>
#include <string.h>

#include "common/kez/ed25519.h"
#include "common/nats/nkeys.h"
#include "kezctl/args.h"
#include "kezctl/commands.h"
#include "kezctl/keyfile.h"

struct keyset {
	uint8_t issuer[32], service[32], xkey[32]; /* secrets */
	char    issuer_pub[NKEY_PUBLIC_LEN + 1], service_pub[NKEY_PUBLIC_LEN + 1], xkey_pub[NKEY_PUBLIC_LEN + 1];
};

static const char *const seed_names[3] = { "issuer.nk", "service.nk", "xkey.nk" };
static const uint8_t seed_kinds[3] = { NKEY_PREFIX_ACCOUNT, NKEY_PREFIX_USER, NKEY_PREFIX_CURVE };

static uint8_t *seed_of(struct keyset *k, int i)
{
	return i == 0 ? k->issuer : i == 1 ? k->service : k->xkey;
}

/* The public halves, from the seeds. */
static int derive_publics(struct keyset *k)
{
	uint8_t pub[32];
	if (ed25519_public_key(k->issuer, pub) < 0)
		return -1;
	nkey_encode_public(NKEY_PREFIX_ACCOUNT, pub, k->issuer_pub);
	if (ed25519_public_key(k->service, pub) < 0)
		return -1;
	nkey_encode_public(NKEY_PREFIX_USER, pub, k->service_pub);
	/* The xkey is a curve (X25519) key, not an Ed25519 one. */
	EVP_PKEY *x = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, k->xkey, sizeof k->xkey);
	size_t m = sizeof pub;
	int rc = x && EVP_PKEY_get_raw_public_key(x, pub, &m) == 1 && m == sizeof pub ? 0 : -1;
	EVP_PKEY_free(x);
	if (rc == 0)
		nkey_encode_public(NKEY_PREFIX_CURVE, pub, k->xkey_pub);
	return rc;
}

static int make_keys(struct keyset *k)
{
	uint8_t pub[32];
	if (ed25519_generate(k->issuer, pub) < 0 || ed25519_generate(k->service, pub) < 0 ||
	    RAND_bytes(k->xkey, sizeof k->xkey) != 1)
		return -1;
	return derive_publics(k);
}

static int seed_path(const char *dir, int i, char *path, size_t cap)
{
	int n = snprintf(path, cap, "%s/%s", dir, seed_names[i]);
	if (n < 0 || (size_t)n >= cap) {
		fprintf(stderr, "kezctl: %s: the path is too long\n", dir);
		return -1;
	}
	return 0;
}

/* DIR/NAME holding the seed as an nkey seed line. */
static int write_seed(const char *dir, int i, const uint8_t seed[32], bool force)
{
	char path[4096], text[NKEY_SEED_LEN + 2], err[KEYFILE_ERR_LEN];
	if (seed_path(dir, i, path, sizeof path) < 0)
		return -1;
	nkey_encode_seed(seed_kinds[i], seed, text);
	text[NKEY_SEED_LEN] = '\n';
	int rc = secret_file_write(path, text, NKEY_SEED_LEN + 1, force, err, sizeof err);
	OPENSSL_cleanse(text, sizeof text);
	if (rc < 0)
		fprintf(stderr, "kezctl: %s\n", err);
	return rc;
}

/* --keep: 1 when DIR already holds the whole set (read into k), 0 when it
 * holds none of it, -1 (after a message) for a partial or unreadable set. */
static int read_existing(const char *dir, struct keyset *k)
{
	int present = 0;
	for (int i = 0; i < 3; i++) {
		char path[4096];
		if (seed_path(dir, i, path, sizeof path) < 0)
			return -1;
		if (access(path, F_OK) == 0)
			present++;
	}
	if (present == 0)
		return 0;
	if (present < 3) {
		fprintf(stderr, "kezctl: %s holds only part of the key set (issuer.nk, service.nk, xkey.nk); "
				"restore the missing files or remove the others\n", dir);
		return -1;
	}
	for (int i = 0; i < 3; i++) {
		char path[4096], err[512];
		if (seed_path(dir, i, path, sizeof path) < 0)
			return -1;
		if (nkey_read_seed_file(path, seed_kinds[i], seed_of(k, i), err, sizeof err) < 0) {
			fprintf(stderr, "kezctl: %s\n", err);
			return -1;
		}
	}
	if (derive_publics(k) < 0) {
		fprintf(stderr, "kezctl: cannot derive the public keys\n");
		return -1;
	}
	return 1;
}

/* The public keys as a NATS configuration include (variables nats.conf
 * refers to), written next to its final name and renamed into place. */
static int write_nats_conf(const char *path, const struct keyset *k)
{
	char tmp[4200];
	int n = snprintf(tmp, sizeof tmp, "%s.tmp", path);
	if (n < 0 || (size_t)n >= sizeof tmp) {
		fprintf(stderr, "kezctl: %s: the path is too long\n", path);
		return -1;
	}
	FILE *f = fopen(tmp, "w");
	if (!f) {
		fprintf(stderr, "kezctl: %s: %s\n", tmp, strerror(errno));
		return -1;
	}
	fprintf(f, "# Public keys of the kez-chat auth callout (made by kezctl nats-keys). No secret here.\n"
		   "KEZ_NATS_ISSUER: \"%s\"\nKEZ_NATS_SERVICE: \"%s\"\n"
		   "# nats-server refuses a variable no setting uses: to turn encryption on, add\n"
		   "# KEZ_NATS_XKEY: \"%s\" here, `xkey: $KEZ_NATS_XKEY` to auth_callout and\n"
		   "# --nats-xkey-seed to kez-chat-server.\n",
		k->issuer_pub, k->service_pub, k->xkey_pub);
	bool ok = fflush(f) == 0 && fsync(fileno(f)) == 0;
	if (fclose(f) != 0)
		ok = false;
	if (!ok || chmod(tmp, 0644) < 0 || rename(tmp, path) < 0) {
		fprintf(stderr, "kezctl: cannot write %s: %s\n", path, strerror(errno));
		(void)unlink(tmp);
		return -1;
	}
	return 0;
}

static int run(const struct command *self, int argc, char **argv)
{
	static const int allowed[] = { OPT_OUT_DIR, OPT_FORCE, OPT_KEEP, OPT_NATS_CONF, 0 };
	struct kezctl_args a;
	enum args_result parsed = args_parse(self, argc, argv, allowed, &a);
	if (parsed != ARGS_OK)
		return args_exit_status(parsed);
	if (a.positional)
		return usage_error("nats-keys takes no argument (the folder is given with --out-dir DIR)");
	if (a.keep && a.force)
		return usage_error("--keep and --force contradict each other");
	const char *dir = a.out_dir ? a.out_dir : ".";

	struct keyset k;
	int status = KEZCTL_REFUSED;
	int existing = a.keep ? read_existing(dir, &k) : 0;
	if (existing < 0) {
		/* said why */
	} else if (existing == 0 && make_keys(&k) < 0) {
		fprintf(stderr, "kezctl: cannot generate the keys (libcrypto failed)\n");
	} else if (existing == 1 || (write_seed(dir, 0, k.issuer, a.force) == 0 &&
				     write_seed(dir, 1, k.service, a.force) == 0 &&
				     write_seed(dir, 2, k.xkey, a.force) == 0)) {
		status = a.nats_conf && write_nats_conf(a.nats_conf, &k) < 0 ? KEZCTL_REFUSED : KEZCTL_OK;
	}
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
	.synopsis = "nats-keys [--out-dir DIR] [--force | --keep] [--nats-conf FILE]",
	.description = "      New NATS auth-callout keys: DIR/issuer.nk (SA...), DIR/service.nk (SU...),\n"
		       "      DIR/xkey.nk (SX...), each 0600 (default DIR: the current folder); prints\n"
		       "      the values deploy/nats.conf and the server need. --keep reuses a whole\n"
		       "      set already in DIR (first start makes it, later starts keep it);\n"
		       "      --nats-conf FILE also writes the public keys as the include nats.conf reads.\n",
	.uses_network = false,
	.run = run,
};
