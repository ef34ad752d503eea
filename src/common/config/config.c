#include "common/config/config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

enum {
	OPT_BIND = 1000, OPT_DB, OPT_SERVER, OPT_SIG_URL, OPT_WEB_DIR, OPT_PUBLIC_URL, OPT_WORKERS, OPT_VERIFIER_THREADS,
	OPT_VERIFIER_AFFINITY, OPT_USER, OPT_RESERVED, OPT_LOG, OPT_MAX_HEADER, OPT_MAX_BODY, OPT_HEADER_TIMEOUT,
	OPT_IDLE_TIMEOUT, OPT_MAX_CONNS, OPT_MAP_SIZE, OPT_NATS_URL, OPT_NATS_SEED, OPT_NATS_USER,
	OPT_NATS_PASSWORD, OPT_NATS_ISSUER_SEED, OPT_NATS_ACCOUNT, OPT_NATS_USER_TTL, OPT_NATS_XKEY_SEED,
	OPT_NATS_HTTP_CALLOUT, OPT_SERVE, OPT_SIGCHAIN_POLICY, OPT_MAX_CHAIN_LENGTH,
	OPT_RATE_LIMIT, OPT_TRUSTED_PROXY, OPT_METRICS_BIND, OPT_HELP, OPT_VERSION, OPT_CHECK,
};

/* One row per setting: its flag, its environment variable, its default, help. */
struct setting {
	int         id;
	const char *flag;
	const char *env;
	const char *fallback; /* NULL: unset */
	const char *help;
};

static const struct setting settings[] = {
	{ OPT_BIND, "bind", "KEZ_CHAT_BIND", "0.0.0.0:6969", "address to listen on: HOST:PORT or [IPV6]:PORT (port 0: any free port)" },
	{ OPT_DB, "db", "KEZ_CHAT_DB", "kez-chat.db", "the LMDB registry file (its lock file is <db>-lock)" },
	{ OPT_SERVER, "server", "KEZ_CHAT_SERVER", "kez.lat", "this server's domain: handles are <handle>@<domain>" },
	{ OPT_SIG_URL, "sig-server-url", "KEZ_CHAT_SIG_SERVER_URL", "http://localhost:7878", "base URL of the sigchain server" },
	{ OPT_WEB_DIR, "web-dir", "KEZ_CHAT_WEB_DIR", NULL, "serve the web app from this folder (unset: a placeholder page)" },
	{ OPT_PUBLIC_URL, "public-url", "KEZ_CHAT_PUBLIC_URL", NULL, "public URL of this server (default https://<server>)" },
	{ OPT_WORKERS, "workers", "KEZ_CHAT_WORKERS", NULL, "HTTP worker processes, 1-256 (default: the CPUs it may run on)" },
	{ OPT_VERIFIER_THREADS, "verifier-threads", "KEZ_CHAT_VERIFIER_THREADS", NULL, "threads that verify in the verifier (its loop and N-1 more), 1-64 (default: the CPUs it may run on)" },
	{ OPT_VERIFIER_AFFINITY, "verifier-affinity", "KEZ_CHAT_VERIFIER_AFFINITY", "auto", "pin each verification thread to a CPU of its own: auto (when there are CPUs enough) or off" },
	{ OPT_USER, "user", "KEZ_CHAT_USER", NULL, "user the processes run as when started as root (required then)" },
	{ OPT_RESERVED, "reserved", "KEZ_CHAT_RESERVED_FILE", NULL, "file of extra reserved handles, one a line, # comments" },
	{ OPT_LOG, "log", "KEZ_CHAT_LOG", "info", "log level: error, warn, info or debug" },
	{ OPT_MAX_HEADER, "max-header-size", "KEZ_CHAT_MAX_HEADER_SIZE", "16384", "largest request line + headers, bytes (1024-1048576)" },
	{ OPT_MAX_BODY, "max-body-size", "KEZ_CHAT_MAX_BODY_SIZE", "16384", "largest request body, bytes (1024-65536)" },
	{ OPT_HEADER_TIMEOUT, "header-timeout", "KEZ_CHAT_HEADER_TIMEOUT", "10", "seconds a request may take to arrive, from its first byte (1-3600)" },
	{ OPT_IDLE_TIMEOUT, "idle-timeout", "KEZ_CHAT_IDLE_TIMEOUT", "60", "seconds a keep-alive connection may idle (1-86400)" },
	{ OPT_MAX_CONNS, "max-connections", "KEZ_CHAT_MAX_CONNECTIONS", "4096", "open connections per worker (16-1000000)" },
	{ OPT_MAP_SIZE, "map-size", "KEZ_CHAT_MAP_SIZE", "1024", "registry map size in MiB: the most the registry can hold (1-1048576)" },
	{ OPT_RATE_LIMIT, "rate-limit", "KEZ_CHAT_RATE_LIMIT", "60", "writes a minute per client address, bursts of as many (0-1000000, 0: off)" },
	{ OPT_TRUSTED_PROXY, "trusted-proxy", "KEZ_CHAT_TRUSTED_PROXY", NULL, "address of a reverse proxy whose X-Forwarded-For names the client (unset: none)" },
	{ OPT_METRICS_BIND, "metrics-bind", "KEZ_CHAT_METRICS_BIND", NULL, "serve Prometheus metrics (GET /metrics) on this HOST:PORT (unset: off)" },
	{ OPT_NATS_URL, "nats-url", "KEZ_CHAT_NATS_URL", NULL, "NATS server for the auth callout, e.g. nats://127.0.0.1:4222 (unset: no NATS)" },
	{ OPT_NATS_SEED, "nats-seed", "KEZ_CHAT_NATS_SEED", NULL, "file with the callout service's user nkey seed (SU...)" },
	{ OPT_NATS_USER, "nats-user", "KEZ_CHAT_NATS_USER", NULL, "the callout service's NATS user (instead of --nats-seed)" },
	{ OPT_NATS_PASSWORD, "nats-password", "KEZ_CHAT_NATS_PASSWORD", NULL, "its password" },
	{ OPT_NATS_ISSUER_SEED, "nats-issuer-seed", "KEZ_CHAT_NATS_ISSUER_SEED", NULL, "file with the issuer account seed (SA...), read once at start" },
	{ OPT_NATS_ACCOUNT, "nats-account", "KEZ_CHAT_NATS_ACCOUNT", "KEZ", "NATS account that registered users join" },
	{ OPT_NATS_USER_TTL, "nats-user-ttl", "KEZ_CHAT_NATS_USER_TTL", "86400", "seconds a granted NATS login lasts before it is checked again (60-31536000)" },
	{ OPT_NATS_XKEY_SEED, "nats-xkey-seed", "KEZ_CHAT_NATS_XKEY_SEED", NULL, "file with the curve seed (SX...) when auth_callout.xkey is set" },
	/* A switch: the flag takes no value; the variable is 1/0, true/false, yes/no, on/off. */
	{ OPT_SERVE, "serve", "KEZ_CHAT_SERVE", "registry", "APIs this instance serves: registry, sigchain, or registry,sigchain" },
	{ OPT_SIGCHAIN_POLICY, "sigchain-policy", "KEZ_CHAT_SIGCHAIN_POLICY", "open", "who may keep a chain: open (any key) or registered (keys registered here)" },
	{ OPT_MAX_CHAIN_LENGTH, "max-chain-length", "KEZ_CHAT_MAX_CHAIN_LENGTH", "10000", "events one sigchain may hold (1-2147483647)" },
	{ OPT_NATS_HTTP_CALLOUT, "nats-http-callout", "KEZ_CHAT_NATS_HTTP_CALLOUT", NULL, "answer POST /internal/nats/auth (loopback only; needs --nats-issuer-seed)" },
};

#define N_SETTINGS (sizeof settings / sizeof settings[0])

static const struct setting *setting_by_id(int id)
{
	for (size_t i = 0; i < N_SETTINGS; i++)
		if (settings[i].id == id)
			return &settings[i];
	return NULL;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: " KEZ_NAME " [options]\n\n"
		   "The kez-chat home server: handle registry, WebFinger, NATS auth callout, web app.\n\n"
		   "options (each also read from its environment variable; flags win):\n");
	for (size_t i = 0; i < N_SETTINGS; i++) {
		char left[64];
		snprintf(left, sizeof left, settings[i].id == OPT_NATS_HTTP_CALLOUT ? "--%s" : "--%s VALUE", settings[i].flag);
		fprintf(f, "  %-26s %s\n  %-26s [%s", left, settings[i].help, "", settings[i].env);
		if (settings[i].fallback)
			fprintf(f, ", default %s", settings[i].fallback);
		fprintf(f, "]\n");
	}
	fprintf(f, "  %-26s %s\n  %-26s %s\n", "--help", "show this help and exit", "--version",
		"show the version and exit");
	fprintf(f, "  %-26s %s\n  %-26s %s\n", "--check", "check the configuration, the registry and the files it names;",
		"", "print 'configuration ok' (exit 0) or the first problem (exit 1 or 2)");
}

static _Noreturn void fail(const char *flag, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static _Noreturn void fail(const char *flag, const char *fmt, ...)
{
	char why[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	fprintf(stderr, KEZ_NAME ": --%s: %s\n", flag, why);
	exit(2);
}

static unsigned long parse_number(const char *flag, const char *v, unsigned long min, unsigned long max)
{
	char *end;
	errno = 0;
	if (!isdigit((unsigned char)v[0]))
		fail(flag, "'%s' is not a whole number from %lu to %lu", v, min, max);
	unsigned long n = strtoul(v, &end, 10);
	if (errno || *end || n < min || n > max)
		fail(flag, "'%s' is not a whole number from %lu to %lu", v, min, max);
	return n;
}

/* A switch: given as a flag (no value: v is NULL) or as a variable. */
static bool parse_switch(const char *flag, const char *v)
{
	if (!v || strcmp(v, "1") == 0 || strcasecmp(v, "true") == 0 || strcasecmp(v, "yes") == 0 || strcasecmp(v, "on") == 0)
		return true;
	if (strcmp(v, "0") == 0 || strcasecmp(v, "false") == 0 || strcasecmp(v, "no") == 0 || strcasecmp(v, "off") == 0 ||
	    !v[0])
		return false;
	fail(flag, "'%s' is not one of 1, 0, true, false, yes, no, on, off", v);
}

static void parse_bind(const char *flag, const char *v, char text[CONFIG_ADDR_TEXT_MAX], struct sockaddr_storage *addr,
		       socklen_t *addr_len)
{
	char host[256];
	const char *port;
	if (strlen(v) >= CONFIG_ADDR_TEXT_MAX)
		fail(flag, "address too long");
	if (v[0] == '[') {
		const char *close = strchr(v, ']');
		if (!close || close[1] != ':' || (size_t)(close - v - 1) >= sizeof host)
			fail(flag, "'%s' is not [IPV6]:PORT", v);
		memcpy(host, v + 1, (size_t)(close - v - 1));
		host[close - v - 1] = '\0';
		port = close + 2;
	} else {
		const char *colon = strrchr(v, ':');
		if (!colon || (size_t)(colon - v) >= sizeof host || strchr(v, ':') != colon)
			fail(flag, "'%s' is not HOST:PORT (IPv6: [ADDR]:PORT)", v);
		memcpy(host, v, (size_t)(colon - v));
		host[colon - v] = '\0';
		port = colon + 1;
	}
	parse_number(flag, port, 0, 65535);
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
	struct addrinfo *res = NULL;
	int rc = getaddrinfo(host[0] ? host : NULL, port, &hints, &res);
	if (rc != 0 || !res)
		fail(flag, "cannot use address '%s': %s", v, gai_strerror(rc));
	memcpy(addr, res->ai_addr, res->ai_addrlen);
	*addr_len = res->ai_addrlen;
	freeaddrinfo(res);
	snprintf(text, CONFIG_ADDR_TEXT_MAX, "%s", v);
}

/* Domains as operators write them: letters, digits, '.', '-' and an optional :port. */
static void check_domain(const char *flag, const char *v)
{
	size_t n = strlen(v);
	if (n == 0 || n > 253)
		fail(flag, "a domain must be 1 to 253 characters");
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)v[i];
		if (!isalnum(ch) && ch != '.' && ch != '-' && ch != ':')
			fail(flag, "'%s' is not a domain name", v);
	}
}

static void set_url(const char *flag, char *dst, size_t cap, const char *v)
{
	size_t n = strlen(v);
	while (n > 0 && v[n - 1] == '/')
		n--;
	if (strncmp(v, "http://", 7) != 0 && strncmp(v, "https://", 8) != 0)
		fail(flag, "'%s' must start with http:// or https://", v);
	if (n >= cap)
		fail(flag, "URL too long");
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)v[i];
		if (ch <= 0x20 || ch >= 0x7f || ch == '"' || ch == '\\' || ch == '<' || ch == '>')
			fail(flag, "'%s' is not a URL (no spaces, quotes or non-ASCII)", v);
	}
	memcpy(dst, v, n);
	dst[n] = '\0';
}

static const char *nonempty_path(const char *flag, const char *v)
{
	if (!*v)
		fail(flag, "the path is empty");
	return v;
}

static void apply(struct config *c, int id, const char *v)
{
	const char *flag = setting_by_id(id)->flag;
	switch (id) {
	case OPT_BIND: parse_bind(flag, v, c->bind_text, &c->bind_addr, &c->bind_addr_len); break;
	case OPT_METRICS_BIND:
		parse_bind(flag, v, c->metrics_text, &c->metrics_addr, &c->metrics_addr_len);
		c->has_metrics = true;
		break;
	case OPT_DB:
		if (!*v)
			fail(flag, "the path is empty");
		c->db_path = v;
		break;
	case OPT_SERVER: check_domain(flag, v); c->server = v; break;
	case OPT_SIG_URL: set_url(flag, c->sig_server_url, sizeof c->sig_server_url, v); break;
	case OPT_WEB_DIR:
		if (!*v)
			fail(flag, "the path is empty");
		c->web_dir = v;
		break;
	case OPT_PUBLIC_URL: set_url(flag, c->public_url, sizeof c->public_url, v); break;
	case OPT_WORKERS: c->workers = (unsigned)parse_number(flag, v, 1, 256); break;
	case OPT_VERIFIER_THREADS: c->verifier_threads = (unsigned)parse_number(flag, v, 1, 64); break;
	case OPT_USER:
		if (!*v)
			fail(flag, "the user name is empty");
		c->user = v;
		break;
	case OPT_RESERVED: c->reserved_file = v; break;
	case OPT_LOG: {
		int level = log_level_parse(v);
		if (level < 0)
			fail(flag, "'%s' is not one of error, warn, info, debug", v);
		c->log_level = (enum log_level)level;
		break;
	}
	case OPT_MAX_HEADER: c->max_header_bytes = parse_number(flag, v, 1024, 1048576); break;
	case OPT_MAX_BODY: c->max_body_bytes = parse_number(flag, v, 1024, CONFIG_MAX_BODY_LIMIT); break;
	case OPT_HEADER_TIMEOUT: c->header_timeout_ms = (unsigned)parse_number(flag, v, 1, 3600) * 1000u; break;
	case OPT_IDLE_TIMEOUT: c->idle_timeout_ms = (unsigned)parse_number(flag, v, 1, 86400) * 1000u; break;
	case OPT_MAX_CONNS: c->max_connections = (unsigned)parse_number(flag, v, 16, 1000000); break;
	case OPT_MAP_SIZE: c->map_size = (size_t)parse_number(flag, v, 1, 1048576) << 20; break;
	case OPT_RATE_LIMIT: c->rate_limit = (unsigned)parse_number(flag, v, 0, 1000000); break;
	case OPT_TRUSTED_PROXY: {
		unsigned char a[16];
		if (inet_pton(AF_INET, v, a) != 1 && inet_pton(AF_INET6, v, a) != 1)
			fail(flag, "'%s' is not an IPv4 or IPv6 address", v);
		c->trusted_proxy = v;
		break;
	}
	case OPT_NATS_URL:
		if (strncmp(v, "nats://", 7) != 0 && strncmp(v, "tls://", 6) != 0)
			fail(flag, "'%s' must start with nats:// or tls://", v);
		c->nats_url = v;
		break;
	case OPT_NATS_SEED: c->nats_seed_file = nonempty_path(flag, v); break;
	case OPT_NATS_USER: c->nats_user = v; break;
	case OPT_NATS_PASSWORD: c->nats_password = v; break;
	case OPT_NATS_ISSUER_SEED: c->nats_issuer_seed_file = nonempty_path(flag, v); break;
	case OPT_NATS_ACCOUNT:
		if (!*v || strpbrk(v, " \t\r\n\"\\.*>"))
			fail(flag, "'%s' is not an account name", v);
		c->nats_account = v;
		break;
	case OPT_NATS_USER_TTL: c->nats_user_ttl = (unsigned)parse_number(flag, v, 60, 31536000); break;
	case OPT_NATS_XKEY_SEED: c->nats_xkey_seed_file = nonempty_path(flag, v); break;
	case OPT_NATS_HTTP_CALLOUT: c->nats_http_callout = parse_switch(flag, v); break;
	case OPT_SERVE:
		if (strcmp(v, "registry") == 0)
			c->serve_registry = true, c->serve_sigchain = false;
		else if (strcmp(v, "sigchain") == 0)
			c->serve_registry = false, c->serve_sigchain = true;
		else if (strcmp(v, "registry,sigchain") == 0 || strcmp(v, "sigchain,registry") == 0)
			c->serve_registry = c->serve_sigchain = true;
		else
			fail(flag, "'%s' is not registry, sigchain or registry,sigchain", v);
		break;
	case OPT_SIGCHAIN_POLICY:
		if (strcmp(v, "open") != 0 && strcmp(v, "registered") != 0)
			fail(flag, "'%s' is not open or registered", v);
		c->sigchain_registered_only = strcmp(v, "registered") == 0;
		break;
	case OPT_VERIFIER_AFFINITY:
		if (strcmp(v, "auto") != 0 && strcmp(v, "off") != 0)
			fail(flag, "'%s' is not auto or off", v);
		c->verifier_pinning = strcmp(v, "auto") == 0;
		break;
	case OPT_MAX_CHAIN_LENGTH: c->max_chain_length = (uint32_t)parse_number(flag, v, 1, 2147483647); break;
	default: break;
	}
}

/* The CPUs this process may run on: its affinity mask (a container's
 * cpuset, taskset), not every CPU the kernel has online. */
static long usable_cpus(void)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
		return CPU_COUNT(&set);
	return sysconf(_SC_NPROCESSORS_ONLN);
}

void config_load(struct config *c, int argc, char **argv)
{
	memset(c, 0, sizeof *c);
	long cpus = usable_cpus();
	c->workers = cpus < 1 ? 1 : cpus > 256 ? 256 : (unsigned)cpus;
	c->verifier_threads = cpus < 1 ? 1 : cpus > 64 ? 64 : (unsigned)cpus;

	/* Defaults, then the environment, then flags: later wins. */
	for (size_t i = 0; i < N_SETTINGS; i++)
		if (settings[i].fallback)
			apply(c, settings[i].id, settings[i].fallback);

	struct option longopts[N_SETTINGS + 4];
	for (size_t i = 0; i < N_SETTINGS; i++)
		longopts[i] = (struct option){ settings[i].flag,
					       settings[i].id == OPT_NATS_HTTP_CALLOUT ? no_argument : required_argument, NULL,
					       settings[i].id };
	longopts[N_SETTINGS] = (struct option){ "help", no_argument, NULL, OPT_HELP };
	longopts[N_SETTINGS + 1] = (struct option){ "version", no_argument, NULL, OPT_VERSION };
	longopts[N_SETTINGS + 2] = (struct option){ "check", no_argument, NULL, OPT_CHECK };
	longopts[N_SETTINGS + 3] = (struct option){ NULL, 0, NULL, 0 };

	/* First pass: --help/--version and unknown flags, before any value is judged. */
	opterr = 0;
	int opt;
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		if (opt == OPT_HELP) {
			usage(stdout);
			exit(0);
		}
		if (opt == OPT_VERSION) {
			printf(KEZ_NAME " " KEZ_VERSION "\n");
			exit(0);
		}
		/* an invocation, not a setting: no variable turns a start into a check */
		if (opt == OPT_CHECK)
			c->check_only = true;
		if (opt == '?' || opt == ':') {
			const char *arg = argv[optind - 1];
			fprintf(stderr, KEZ_NAME ": %s: %s (see --help)\n", arg,
				opt == ':' ? "this flag needs a value" : "unknown option");
			exit(2);
		}
	}
	if (optind < argc) {
		fprintf(stderr, KEZ_NAME ": unexpected argument '%s' (see --help)\n", argv[optind]);
		exit(2);
	}

	for (size_t i = 0; i < N_SETTINGS; i++) {
		const char *v = getenv(settings[i].env);
		if (v)
			apply(c, settings[i].id, v);
	}
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":", longopts, NULL)) != -1)
		if (opt >= OPT_BIND && opt < OPT_HELP)
			apply(c, opt, optarg);

	if (!c->public_url[0]) {
		char url[512];
		snprintf(url, sizeof url, "https://%s", c->server);
		set_url("public-url", c->public_url, sizeof c->public_url, url);
	}
	if (c->nats_url && !c->nats_seed_file && !c->nats_user)
		fail("nats-url", "the callout service needs credentials: --nats-seed FILE or --nats-user/--nats-password");
	if (c->nats_url && !c->nats_issuer_seed_file)
		fail("nats-url", "the auth callout needs --nats-issuer-seed FILE");
	if (c->sigchain_registered_only && !(c->serve_registry && c->serve_sigchain))
		fail("sigchain-policy", "registered needs --serve registry,sigchain (the registry it consults is this instance's)");
	if (c->nats_http_callout && !c->nats_issuer_seed_file)
		fail("nats-http-callout", "the auth callout needs --nats-issuer-seed FILE");
}
