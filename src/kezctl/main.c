/* kezctl: register and look up kez-chat handles from the command line. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/config/config.h"
#include "kezctl/args.h"
#include "kezctl/commands.h"
#include "kezctl/http_client.h"

static const struct command *const commands[] = {
	&command_keygen,    &command_register,  &command_lookup,
	&command_webfinger, &command_envelopes, &command_nats_keys,
	&command_sigchain,  &command_events,
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

static const char footer[] =
	"\n"
	"URL defaults to $KEZCTL_URL, else " KEZCTL_DEFAULT_URL ".\n"
	"Key files (keygen, register) hold one line: ed25519-seed:<64 lowercase hex>,\n"
	"the 32-byte Ed25519 private seed; they are created with mode 0600.\n"
	"Exit status: 0 done; 1 the server refused (its error code and message are\n"
	"printed) or a local step failed; 2 bad usage; 3 no answer from the server.\n";

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

void command_print_help(const struct command *c)
{
	printf("usage: kezctl %s\n\n%s%s", c->synopsis, c->description, footer);
}

static void print_help(void)
{
	fputs("usage: kezctl COMMAND [options]    (kezctl COMMAND --help for one command)\n"
	      "       kezctl --version\n\ncommands:\n", stdout);
	for (size_t i = 0; i < N_COMMANDS; i++)
		printf("  %s\n%s", commands[i]->synopsis, commands[i]->description);
	fputs(footer, stdout);
}

/* Output that never reached its destination (a full disk, a closed pipe
 * reader) must not look like success. */
static int finish_output(int status)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "kezctl: cannot write the output: %s\n", strerror(errno));
		return status == KEZCTL_OK ? KEZCTL_REFUSED : status;
	}
	return status;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage_error("a command is needed");
	const char *name = argv[1];
	if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
		if (argc > 2)
			for (size_t i = 0; i < N_COMMANDS; i++)
				if (strcmp(argv[2], commands[i]->name) == 0) {
					command_print_help(commands[i]);
					return finish_output(KEZCTL_OK);
				}
		print_help();
		return finish_output(KEZCTL_OK);
	}
	if (strcmp(name, "--version") == 0) {
		printf("kezctl " KEZ_VERSION "\n");
		return finish_output(KEZCTL_OK);
	}
	for (size_t i = 0; i < N_COMMANDS; i++) {
		const struct command *c = commands[i];
		if (strcmp(name, c->name) != 0)
			continue;
		if (c->uses_network && http_client_init() < 0) {
			fprintf(stderr, "kezctl: cannot start libcurl\n");
			return KEZCTL_REFUSED;
		}
		int status = c->run(c, argc - 1, argv + 1);
		if (c->uses_network)
			http_client_cleanup();
		return finish_output(status);
	}
	if (name[0] == '-')
		return usage_error("unknown option '%s' (a command comes first)", name);
	return usage_error("unknown command '%s'", name);
}
