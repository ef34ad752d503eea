/* kezctl keygen: a new Ed25519 key in a private file. */
#include <openssl/crypto.h>
#include <stdio.h>

#include "common/kez/ed25519.h"
#include "common/kez/key_text.h"
#include "kezctl/args.h"
#include "kezctl/commands.h"
#include "kezctl/keyfile.h"

static int run(const struct command *self, int argc, char **argv)
{
	static const int allowed[] = { OPT_OUT, OPT_FORCE, 0 };
	struct kezctl_args a;
	enum args_result parsed = args_parse(self, argc, argv, allowed, &a);
	if (parsed != ARGS_OK)
		return args_exit_status(parsed);
	if (a.positional)
		return usage_error("keygen takes no argument (the file is given with --out FILE)");

	uint8_t seed[ED25519_SEED_LEN], pub[ED25519_KEY_LEN];
	char err[KEYFILE_ERR_LEN], text[KEY_TEXT_LEN + 1];
	if (ed25519_generate(seed, pub) < 0) {
		fprintf(stderr, "kezctl: cannot generate a key (libcrypto failed)\n");
		return KEZCTL_REFUSED;
	}
	int rc = keyfile_write(a.out ? a.out : KEYFILE_DEFAULT, seed, a.force, err, sizeof err);
	OPENSSL_cleanse(seed, sizeof seed);
	if (rc < 0) {
		fprintf(stderr, "kezctl: %s\n", err);
		return KEZCTL_REFUSED;
	}
	key_text_format(pub, text);
	puts(text);
	return KEZCTL_OK;
}

const struct command command_keygen = {
	.name = "keygen",
	.synopsis = "keygen [--out FILE] [--force]",
	.description = "      New Ed25519 key in FILE (default " KEYFILE_DEFAULT ", mode 0600; an existing file is\n"
		       "      kept unless --force); prints its public key, ed25519:<64 hex>.\n",
	.uses_network = false,
	.run = run,
};
