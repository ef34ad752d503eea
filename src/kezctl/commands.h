/* kezctl's commands. Each lives in its own cmd_*.c file and describes
 * itself here, so that `kezctl --help` and `kezctl COMMAND --help` print the
 * same text. */
#ifndef KEZCTL_COMMANDS_H
#define KEZCTL_COMMANDS_H

#include <stdbool.h>

/* Exit statuses shared by every command. */
#define KEZCTL_OK        0
#define KEZCTL_REFUSED   1 /* the server answered with an error, or a local step failed */
#define KEZCTL_USAGE     2
#define KEZCTL_TRANSPORT 3 /* no answer: connection refused, timeout, ... */

struct command {
	const char *name;
	const char *synopsis;    /* "register HANDLE --key FILE [...]" */
	const char *description; /* lines indented by 6 spaces, each ending in '\n' */
	bool        uses_network;
	/* argv[0] is the command's name. Returns an exit status. */
	int (*run)(const struct command *self, int argc, char **argv);
};

extern const struct command command_keygen;
extern const struct command command_register;
extern const struct command command_lookup;
extern const struct command command_webfinger;
extern const struct command command_envelopes;
extern const struct command command_nats_keys;
extern const struct command command_sigchain;
extern const struct command command_events;

/* Prints "usage: kezctl SYNOPSIS" and the description on stdout. */
void command_print_help(const struct command *c);

/* Prints "kezctl: <message> (see kezctl --help)" on stderr, one line, and
 * returns KEZCTL_USAGE. */
int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
