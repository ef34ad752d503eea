/* kezctl: register and look up kez-chat handles from the command line. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/config.h"
#include "kezctl/commands.h"
#include "kezctl/http_client.h"

static const char usage[] =
	"usage: kezctl COMMAND [options]\n\n"
	"commands:\n"
	"  keygen [--out FILE] [--force]        new Ed25519 key in FILE (default kez.key, mode 0600);\n"
	"                                       prints its public key, ed25519:<hex>\n"
	"  register HANDLE --key FILE [--url URL] [--server DOMAIN]\n"
	"                                       sign and send a registration; prints the record\n"
	"  lookup HANDLE [--url URL]            print a handle's record\n"
	"  webfinger HANDLE@DOMAIN [--url URL] [--rel REL]...\n"
	"                                       print a WebFinger document\n"
	"  envelopes N [--server DOMAIN] [--prefix P] [--skew SECONDS]\n"
	"                                       N valid envelopes with fresh keys, one JSON a line\n"
	"                                       (handles P0, P1, ...; default prefix 'bench')\n"
	"  nats-keys [--out-dir DIR] [--force]  new NATS auth-callout keys: DIR/issuer.nk (SA...),\n"
	"                                       DIR/service.nk (SU...), DIR/xkey.nk (SX...); prints the\n"
	"                                       values deploy/nats.conf and the server need\n\n"
	"URL defaults to $KEZCTL_URL, else http://127.0.0.1:6969. Without --server, register asks\n"
	"the server's /v1/healthz for its domain. Key files hold one line: ed25519-seed:<64 hex>.\n"
	"Exit status: 0 ok, 1 the server refused (its error code is printed), 2 usage,\n"
	"3 no answer from the server.\n";

int usage_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("kezctl: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputs(" (see kezctl --help)\n", stderr);
	va_end(ap);
	return KEZCTL_USAGE;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage_error("a command is needed");
	const char *cmd = argv[1];
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
		fputs(usage, stdout);
		return KEZCTL_OK;
	}
	if (strcmp(cmd, "--version") == 0) {
		printf("kezctl " KEZ_VERSION "\n");
		return KEZCTL_OK;
	}
	static const struct {
		const char *name;
		int (*run)(int, char **);
	} commands[] = {
		{ "keygen", cmd_keygen },       { "register", cmd_register },   { "lookup", cmd_lookup },
		{ "webfinger", cmd_webfinger }, { "envelopes", cmd_envelopes }, { "nats-keys", cmd_nats_keys },
	};
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (strcmp(cmd, commands[i].name) == 0) {
			for (int a = 2; a < argc; a++)
				if (strcmp(argv[a], "--help") == 0) {
					fputs(usage, stdout);
					return KEZCTL_OK;
				}
			http_client_init();
			int rc = commands[i].run(argc - 1, argv + 1);
			http_client_cleanup();
			return rc;
		}
	return usage_error("unknown command '%s'", cmd);
}
