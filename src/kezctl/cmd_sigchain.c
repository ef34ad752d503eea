/* kezctl sigchain SUBCOMMAND: the chain of a key (SIGCHAIN.md), written and
 * read with the server's own event and chain code. */
#include <stdio.h>
#include <string.h>

#include "kezctl/commands.h"
#include "kezctl/sigchain_commands.h"

static const struct command *const subcommands[] = {
	&sigchain_add,  &sigchain_revoke, &sigchain_rotate,      &sigchain_show,
	&sigchain_export, &sigchain_import, &sigchain_verify_file,
};
#define N_SUB (sizeof subcommands / sizeof subcommands[0])

static void print_subcommands(void)
{
	fputs("usage: kezctl sigchain SUBCOMMAND [options]    (kezctl sigchain SUBCOMMAND --help)\n\n", stdout);
	for (size_t i = 0; i < N_SUB; i++)
		printf("  %s\n%s", subcommands[i]->synopsis, subcommands[i]->description);
	fputs("\nKEY is ed25519:<64 hex>, the chain's first key. --key FILE is a key file\n"
	      "(kezctl keygen); its key must be the chain's current signing key.\n", stdout);
}

static int run(const struct command *self, int argc, char **argv)
{
	if (argc < 2)
		return usage_error("sigchain: a subcommand is needed (add, revoke, rotate, show, export, import, "
				   "verify-file)");
	const char *name = argv[1];
	if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
		print_subcommands();
		return KEZCTL_OK;
	}
	for (size_t i = 0; i < N_SUB; i++)
		if (strcmp(subcommands[i]->name + strlen("sigchain "), name) == 0)
			return subcommands[i]->run(subcommands[i], argc - 1, argv + 1);
	return usage_error("sigchain: unknown subcommand '%s'", name);
}

const struct command command_sigchain = {
	.name = "sigchain",
	.synopsis = "sigchain add|revoke|rotate|show|export|import|verify-file ...",
	.description = "      Append to a key's sigchain (signed here) or read and verify one;\n"
		       "      kezctl sigchain --help lists the subcommands.\n",
	.uses_network = true,
	.run = run,
};
