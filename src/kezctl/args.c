#include "kezctl/args.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const struct option long_options[] = {
	{ "help", no_argument, NULL, OPT_HELP },
	{ "out", required_argument, NULL, OPT_OUT },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "key", required_argument, NULL, OPT_KEY },
	{ "url", required_argument, NULL, OPT_URL },
	{ "server", required_argument, NULL, OPT_SERVER },
	{ "rel", required_argument, NULL, OPT_REL },
	{ "prefix", required_argument, NULL, OPT_PREFIX },
	{ "skew", required_argument, NULL, OPT_SKEW },
	{ "out-dir", required_argument, NULL, OPT_OUT_DIR },
	{ "keep", no_argument, NULL, OPT_KEEP },
	{ "nats-conf", required_argument, NULL, OPT_NATS_CONF },
	{ "body", required_argument, NULL, OPT_BODY },
	{ "new-key", required_argument, NULL, OPT_NEW_KEY },
	{ "chain", required_argument, NULL, OPT_CHAIN },
	{ "chains", required_argument, NULL, OPT_CHAINS },
	{ NULL, 0, NULL, 0 },
};

static bool is_allowed(const int *allowed, int opt)
{
	for (; *allowed; allowed++)
		if (*allowed == opt)
			return true;
	return false;
}

/* How the user wrote the option getopt just rejected. */
static const char *rejected_option(char **argv, char *short_form)
{
	if (optopt > 0 && optopt < 256) {
		short_form[0] = '-';
		short_form[1] = (char)optopt;
		short_form[2] = '\0';
		return short_form;
	}
	return argv[optind - 1];
}

enum args_result args_parse(const struct command *c, int argc, char **argv, const int *allowed,
			    struct kezctl_args *a)
{
	memset(a, 0, sizeof *a);
	const char *env_url = getenv("KEZCTL_URL");
	a->url = env_url && *env_url ? env_url : KEZCTL_DEFAULT_URL;

	opterr = 0;  /* our own one-line messages instead of getopt's */
	optind = 0;  /* glibc: start afresh, argv[0] is the command */
	int opt, index;
	char short_form[3];
	while ((opt = getopt_long(argc, argv, ":h", long_options, &index)) != -1) {
		if (opt == '?') {
			usage_error("%s: unknown option '%s'", c->name, rejected_option(argv, short_form));
			return ARGS_BAD;
		}
		if (opt == ':') {
			usage_error("%s: '%s' needs a value", c->name, rejected_option(argv, short_form));
			return ARGS_BAD;
		}
		if (opt == OPT_HELP) {
			command_print_help(c);
			return ARGS_HELP_SHOWN;
		}
		if (!is_allowed(allowed, opt)) {
			usage_error("%s: --%s does not apply to this command", c->name, long_options[index].name);
			return ARGS_BAD;
		}
		switch (opt) {
		case OPT_OUT: a->out = optarg; break;
		case OPT_OUT_DIR: a->out_dir = optarg; break;
		case OPT_FORCE: a->force = true; break;
		case OPT_KEEP: a->keep = true; break;
		case OPT_NATS_CONF: a->nats_conf = optarg; break;
		case OPT_KEY: a->key = optarg; break;
		case OPT_URL: a->url = optarg; break;
		case OPT_SERVER: a->server = optarg; break;
		case OPT_PREFIX: a->prefix = optarg; break;
		case OPT_SKEW: a->skew = optarg; break;
		case OPT_BODY: a->body = optarg; break;
		case OPT_NEW_KEY: a->new_key = optarg; break;
		case OPT_CHAIN: a->chain = optarg; break;
		case OPT_CHAINS: a->chains = optarg; break;
		case OPT_REL:
			if (a->n_rels == KEZCTL_MAX_RELS) {
				usage_error("%s: at most %d --rel options", c->name, KEZCTL_MAX_RELS);
				return ARGS_BAD;
			}
			a->rels[a->n_rels++] = optarg;
			break;
		default: break;
		}
	}
	if (optind < argc)
		a->positional = argv[optind++];
	if (optind < argc) {
		usage_error("%s: unexpected argument '%s'", c->name, argv[optind]);
		return ARGS_BAD;
	}

	a->url_len = strlen(a->url);
	while (a->url_len > 0 && a->url[a->url_len - 1] == '/')
		a->url_len--;
	if (a->url_len == 0) {
		usage_error("%s: the server URL is empty", c->name);
		return ARGS_BAD;
	}
	return ARGS_OK;
}

int args_parse_long(const char *s, long min, long max, long *out)
{
	/* strtol alone would accept " 12", "+12" and "12abc". */
	const char *digits = s[0] == '-' ? s + 1 : s;
	if (*digits < '0' || *digits > '9')
		return -1;
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}
