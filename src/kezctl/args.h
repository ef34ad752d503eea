/* Command-line options shared by kezctl's commands: every command accepts
 * the subset it names, in any order around its one positional argument. */
#ifndef KEZCTL_ARGS_H
#define KEZCTL_ARGS_H

#include <stdbool.h>
#include <stddef.h>

#include "kezctl/commands.h"

#define KEZCTL_DEFAULT_URL "http://127.0.0.1:6969"
#define KEZCTL_MAX_RELS    32

enum kezctl_option {
	OPT_HELP = 'h',
	OPT_OUT = 256,
	OPT_FORCE,
	OPT_KEY,
	OPT_URL,
	OPT_SERVER,
	OPT_REL,
	OPT_PREFIX,
	OPT_SKEW,
	OPT_OUT_DIR,
	OPT_KEEP,
	OPT_NATS_CONF,
	OPT_BODY,
	OPT_NEW_KEY,
	OPT_CHAIN,
	OPT_CHAINS,
};

struct kezctl_args {
	const char *out, *key, *server, *prefix, *out_dir, *skew, *nats_conf;
	const char *body, *new_key, *chain, *chains; /* the sigchain commands */
	const char *url;     /* --url, else $KEZCTL_URL, else the default */
	size_t      url_len; /* without trailing slashes: paths are appended */
	const char *rels[KEZCTL_MAX_RELS];
	int         n_rels;
	bool        force;
	bool        keep;
	const char *positional; /* NULL when none was given */
};

enum args_result { ARGS_OK, ARGS_HELP_SHOWN, ARGS_BAD };

/* Parses argv (argv[0] = the command) allowing only the options listed in
 * `allowed` (terminated by 0) plus --help, and at most one positional
 * argument. --help prints the command's help. A bad option prints one
 * usage line. */
enum args_result args_parse(const struct command *c, int argc, char **argv, const int *allowed,
			    struct kezctl_args *a);

/* What a command returns for a parse result other than ARGS_OK. */
static inline int args_exit_status(enum args_result r)
{
	return r == ARGS_HELP_SHOWN ? KEZCTL_OK : KEZCTL_USAGE;
}

/* A decimal integer in [min, max], nothing else (no spaces, no suffix).
 * 0, or -1. */
int args_parse_long(const char *s, long min, long max, long *out);

#endif
