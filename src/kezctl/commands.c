#include "kezctl/commands.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <unistd.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/ed25519.h"
#include "common/handle.h"
#include "common/key_text.h"
#include "common/nkeys.h"
#include "kezctl/envelope_build.h"
#include "kezctl/http_client.h"
#include "kezctl/keyfile.h"

#define DEFAULT_URL "http://127.0.0.1:6969"

enum { OPT_OUT = 1, OPT_FORCE, OPT_KEY, OPT_URL, OPT_SERVER, OPT_REL, OPT_PREFIX, OPT_SKEW, OPT_OUT_DIR };

static const struct option options[] = {
	{ "out", required_argument, NULL, OPT_OUT },       { "force", no_argument, NULL, OPT_FORCE },
	{ "key", required_argument, NULL, OPT_KEY },       { "url", required_argument, NULL, OPT_URL },
	{ "server", required_argument, NULL, OPT_SERVER }, { "rel", required_argument, NULL, OPT_REL },
	{ "prefix", required_argument, NULL, OPT_PREFIX }, { "skew", required_argument, NULL, OPT_SKEW },
	{ "out-dir", required_argument, NULL, OPT_OUT_DIR },
	{ NULL, 0, NULL, 0 },
};

struct args {
	const char *out, *key, *url, *server, *prefix, *out_dir;
	const char *rels[16];
	int         n_rels;
	long        skew;
	bool        force;
	const char *positional;
};

/* Parses the options a command allows (`allowed` lists their ids). */
static int parse_args(int argc, char **argv, const char *allowed, struct args *a)
{
	memset(a, 0, sizeof *a);
	a->url = getenv("KEZCTL_URL") ? getenv("KEZCTL_URL") : DEFAULT_URL;
	a->prefix = "bench";
	opterr = 0;
	optind = 1;
	int opt;
	while ((opt = getopt_long(argc, argv, ":", options, NULL)) != -1) {
		if (opt == '?' || opt == ':' || !strchr(allowed, opt))
			return usage_error("%s: %s '%s'", argv[0], opt == ':' ? "missing value for" : "unknown option",
					   argv[optind - 1]);
		switch (opt) {
		case OPT_OUT: a->out = optarg; break;
		case OPT_OUT_DIR: a->out_dir = optarg; break;
		case OPT_FORCE: a->force = true; break;
		case OPT_KEY: a->key = optarg; break;
		case OPT_URL: a->url = optarg; break;
		case OPT_SERVER: a->server = optarg; break;
		case OPT_PREFIX: a->prefix = optarg; break;
		case OPT_SKEW: a->skew = strtol(optarg, NULL, 10); break;
		case OPT_REL:
			if (a->n_rels == 16)
				return usage_error("too many --rel");
			a->rels[a->n_rels++] = optarg;
			break;
		}
	}
	if (optind < argc)
		a->positional = argv[optind++];
	if (optind < argc)
		return usage_error("%s: unexpected argument '%s'", argv[0], argv[optind]);
	return 0;
}

/* Prints a JSON answer, or the server's error; returns the exit status. */
static int report(const struct http_result *r, long want_status)
{
	json_t *doc = json_loadb(r->body.data ? r->body.data : "", r->body.len, 0, NULL);
	int rc;
	if (r->status == want_status && doc) {
		char *text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		puts(text ? text : "");
		free(text);
		rc = KEZCTL_OK;
	} else {
		const char *code = json_string_value(json_object_get(doc, "error"));
		const char *message = json_string_value(json_object_get(doc, "message"));
		fprintf(stderr, "kezctl: %s: %s (HTTP %ld)\n", code ? code : "error", message ? message : "unexpected answer",
			r->status);
		rc = KEZCTL_REFUSED;
	}
	json_decref(doc);
	return rc;
}

static int fetch(const char *url, const char *body, size_t len, long want_status)
{
	struct http_result r;
	int rc;
	if (http_request(url, body, len, &r) < 0) {
		fprintf(stderr, "kezctl: %s\n", r.error);
		rc = KEZCTL_TRANSPORT;
	} else {
		rc = report(&r, want_status);
	}
	http_result_free(&r);
	return rc;
}

int cmd_keygen(int argc, char **argv)
{
	struct args a;
	char allowed[] = { OPT_OUT, OPT_FORCE, 0 };
	if (parse_args(argc, argv, allowed, &a))
		return KEZCTL_USAGE;
	if (a.positional)
		return usage_error("keygen takes no argument (use --out FILE)");
	uint8_t seed[32], pub[32];
	char err[512], text[KEY_TEXT_LEN + 1];
	if (ed25519_generate(seed, pub) < 0) {
		fprintf(stderr, "kezctl: cannot generate a key\n");
		return KEZCTL_REFUSED;
	}
	if (keyfile_write(a.out ? a.out : "kez.key", seed, a.force, err, sizeof err) < 0) {
		fprintf(stderr, "kezctl: %s\n", err);
		return KEZCTL_REFUSED;
	}
	key_text_format(pub, text);
	puts(text);
	return KEZCTL_OK;
}

/* The server's domain from its /v1/healthz. */
static int server_domain(const char *url, char *out, size_t cap)
{
	char endpoint[1024];
	snprintf(endpoint, sizeof endpoint, "%s/v1/healthz", url);
	struct http_result r;
	int rc = -1;
	if (http_request(endpoint, NULL, 0, &r) < 0) {
		fprintf(stderr, "kezctl: %s\n", r.error);
	} else {
		json_t *doc = json_loadb(r.body.data ? r.body.data : "", r.body.len, 0, NULL);
		const char *s = json_string_value(json_object_get(doc, "server"));
		if (s && strlen(s) < cap) {
			snprintf(out, cap, "%s", s);
			rc = 0;
		} else {
			fprintf(stderr, "kezctl: %s did not say its domain; pass --server\n", endpoint);
		}
		json_decref(doc);
	}
	http_result_free(&r);
	return rc;
}

int cmd_register(int argc, char **argv)
{
	struct args a;
	char allowed[] = { OPT_KEY, OPT_URL, OPT_SERVER, 0 };
	if (parse_args(argc, argv, allowed, &a))
		return KEZCTL_USAGE;
	if (!a.positional || !a.key)
		return usage_error("register needs HANDLE and --key FILE");
	uint8_t seed[32], pub[32];
	char err[512], domain[256];
	if (keyfile_read(a.key, seed, err, sizeof err) < 0 || ed25519_public_key(seed, pub) < 0) {
		fprintf(stderr, "kezctl: %s\n", err);
		return KEZCTL_USAGE;
	}
	if (a.server)
		snprintf(domain, sizeof domain, "%s", a.server);
	else if (server_domain(a.url, domain, sizeof domain) < 0)
		return KEZCTL_TRANSPORT;
	struct buf env;
	buf_init(&env, 64 * 1024);
	if (envelope_build(&env, a.positional, domain, seed, pub, (int64_t)time(NULL)) < 0 || buf_putc(&env, '\0') < 0) {
		buf_free(&env);
		fprintf(stderr, "kezctl: cannot build the envelope\n");
		return KEZCTL_REFUSED;
	}
	char endpoint[1024];
	snprintf(endpoint, sizeof endpoint, "%s/v1/register", a.url);
	int rc = fetch(endpoint, env.data, env.len - 1, 201);
	buf_free(&env);
	return rc;
}

int cmd_lookup(int argc, char **argv)
{
	struct args a;
	char allowed[] = { OPT_URL, 0 };
	if (parse_args(argc, argv, allowed, &a))
		return KEZCTL_USAGE;
	if (!a.positional)
		return usage_error("lookup needs HANDLE");
	struct buf url;
	buf_init(&url, 4096);
	int rc = KEZCTL_USAGE;
	if (buf_printf(&url, "%s/v1/u/", a.url) == 0 && http_escape(a.positional, &url) == 0 && buf_putc(&url, '\0') == 0)
		rc = fetch(url.data, NULL, 0, 200);
	buf_free(&url);
	return rc;
}

int cmd_webfinger(int argc, char **argv)
{
	struct args a;
	char allowed[] = { OPT_URL, OPT_REL, 0 };
	if (parse_args(argc, argv, allowed, &a))
		return KEZCTL_USAGE;
	if (!a.positional || !strchr(a.positional, '@'))
		return usage_error("webfinger needs HANDLE@DOMAIN");
	struct buf url, resource;
	buf_init(&url, 8192);
	buf_init(&resource, 1024);
	int rc = KEZCTL_USAGE;
	if (buf_printf(&resource, "acct:%s", a.positional) == 0 && buf_putc(&resource, '\0') == 0 &&
	    buf_printf(&url, "%s/.well-known/webfinger?resource=", a.url) == 0 && http_escape(resource.data, &url) == 0) {
		bool ok = true;
		for (int i = 0; i < a.n_rels && ok; i++)
			ok = buf_append_str(&url, "&rel=") == 0 && http_escape(a.rels[i], &url) == 0;
		if (ok && buf_putc(&url, '\0') == 0)
			rc = fetch(url.data, NULL, 0, 200);
	}
	buf_free(&url);
	buf_free(&resource);
	return rc;
}

int cmd_envelopes(int argc, char **argv)
{
	struct args a;
	char allowed[] = { OPT_SERVER, OPT_PREFIX, OPT_SKEW, 0 };
	if (parse_args(argc, argv, allowed, &a))
		return KEZCTL_USAGE;
	char *end;
	long n = a.positional ? strtol(a.positional, &end, 10) : -1;
	if (!a.positional || *end || n < 0 || n > 100000000)
		return usage_error("envelopes needs a count N (0 to 100000000)");
	const char *server = a.server ? a.server : "kez.lat";
	/* The shortest and the longest handle decide whether all are valid. */
	for (long i = 0; i < 2; i++) {
		char name[64];
		int len = snprintf(name, sizeof name, "%s%ld", a.prefix, i == 0 ? 0 : (n ? n - 1 : 0));
		if (len < 0 || !handle_is_valid(name, (size_t)len))
			return usage_error("'%s' is not a valid handle: --prefix must make 3 to 32 characters "
					   "of a-z, 0-9, _ and - (starting with a letter or digit)", name);
	}
	static char out_buffer[1 << 20];
	setvbuf(stdout, out_buffer, _IOFBF, sizeof out_buffer);
	struct buf env;
	buf_init(&env, 64 * 1024);
	int64_t created = (int64_t)time(NULL) + a.skew;
	for (long i = 0; i < n; i++) {
		uint8_t seed[32], pub[32];
		char handle[64];
		snprintf(handle, sizeof handle, "%s%ld", a.prefix, i);
		buf_reset(&env);
		if (ed25519_generate(seed, pub) < 0 || envelope_build(&env, handle, server, seed, pub, created) < 0) {
			fprintf(stderr, "kezctl: cannot build envelope %ld\n", i);
			buf_free(&env);
			return KEZCTL_REFUSED;
		}
		fwrite(env.data, 1, env.len, stdout);
		putchar('\n');
	}
	buf_free(&env);
	return fflush(stdout) == 0 ? KEZCTL_OK : KEZCTL_REFUSED;
}

/* Writes an nkey seed file (0600, never over an existing one unless forced). */
static int write_seed(const char *dir, const char *name, uint8_t kind, const uint8_t seed[32], bool force)
{
	char path[4096], text[NKEY_SEED_LEN + 2];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	nkey_encode_seed(kind, seed, text);
	strcat(text, "\n");
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (force ? O_TRUNC : O_EXCL), 0600);
	int rc = fd >= 0 && write(fd, text, strlen(text)) == (ssize_t)strlen(text) ? 0 : -1;
	if (rc < 0)
		fprintf(stderr, "kezctl: %s: %s\n", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	OPENSSL_cleanse(text, sizeof text);
	return rc;
}

int cmd_nats_keys(int argc, char **argv)
{
	struct args a;
	char allowed[] = { OPT_OUT_DIR, OPT_FORCE, 0 };
	if (parse_args(argc, argv, allowed, &a))
		return KEZCTL_USAGE;
	const char *dir = a.out_dir ? a.out_dir : ".";
	uint8_t issuer[32], service[32], xkey[32], pub[32], xpub[32];
	char issuer_pub[NKEY_PUBLIC_LEN + 1], service_pub[NKEY_PUBLIC_LEN + 1], xkey_pub[NKEY_PUBLIC_LEN + 1];
	if (ed25519_generate(issuer, pub) < 0)
		return KEZCTL_REFUSED;
	nkey_encode_public(NKEY_PREFIX_ACCOUNT, pub, issuer_pub);
	if (ed25519_generate(service, pub) < 0)
		return KEZCTL_REFUSED;
	nkey_encode_public(NKEY_PREFIX_USER, pub, service_pub);
	/* A curve key: X25519 secret and its public point. */
	EVP_PKEY *x = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
	size_t n = 32, m = 32;
	if (!x || EVP_PKEY_get_raw_private_key(x, xkey, &n) != 1 || EVP_PKEY_get_raw_public_key(x, xpub, &m) != 1) {
		EVP_PKEY_free(x);
		return KEZCTL_REFUSED;
	}
	EVP_PKEY_free(x);
	nkey_encode_public(NKEY_PREFIX_CURVE, xpub, xkey_pub);
	if (write_seed(dir, "issuer.nk", NKEY_PREFIX_ACCOUNT, issuer, a.force) < 0 ||
	    write_seed(dir, "service.nk", NKEY_PREFIX_USER, service, a.force) < 0 ||
	    write_seed(dir, "xkey.nk", NKEY_PREFIX_CURVE, xkey, a.force) < 0)
		return KEZCTL_REFUSED;
	OPENSSL_cleanse(issuer, sizeof issuer);
	OPENSSL_cleanse(service, sizeof service);
	OPENSSL_cleanse(xkey, sizeof xkey);
	printf("# for deploy/nats.conf (its environment) and the server's flags\n"
	       "KEZ_NATS_ISSUER=%s\n"
	       "KEZ_NATS_SERVICE=%s\n"
	       "KEZ_NATS_XKEY=%s\n"
	       "# kez-chat-server --nats-url nats://127.0.0.1:4222 --nats-seed %s/service.nk \\\n"
	       "#     --nats-issuer-seed %s/issuer.nk   [--nats-xkey-seed %s/xkey.nk when xkey is set]\n",
	       issuer_pub, service_pub, xkey_pub, dir, dir, dir);
	return KEZCTL_OK;
}
