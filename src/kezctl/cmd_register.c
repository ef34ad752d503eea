/* kezctl register: sign a handle registration and send it. */
#include <jansson.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/kez/ed25519.h"
#include "common/kez/handle.h"
#include "kezctl/api_call.h"
#include "kezctl/args.h"
#include "kezctl/commands.h"
#include "kezctl/envelope_build.h"
#include "kezctl/http_client.h"
#include "kezctl/keyfile.h"

#define MAX_DOMAIN 253 /* the longest DNS name */

/* The server's domain from its /v1/healthz (present in a 503 answer too).
 * Returns KEZCTL_OK or the exit status to end with. */
static int ask_server_domain(const struct kezctl_args *a, char out[MAX_DOMAIN + 1])
{
	struct buf url;
	buf_init(&url, API_MAX_URL);
	if (buf_append(&url, a->url, a->url_len) < 0 || buf_append_str(&url, "/v1/healthz") < 0 ||
	    buf_putc(&url, '\0') < 0) {
		buf_free(&url);
		return usage_error("register: the server URL is too long");
	}
	struct http_result r;
	int status = KEZCTL_REFUSED;
	if (http_request(url.data, NULL, 0, &r) < 0) {
		fputs("kezctl: ", stderr);
		print_untrusted(r.error);
		fputc('\n', stderr);
		status = KEZCTL_TRANSPORT;
	} else {
		json_t *doc = r.body.len ? json_loadb(r.body.data, r.body.len, 0, NULL) : NULL;
		const char *domain = json_string_value(json_object_get(doc, "server"));
		if (domain && domain[0] && strlen(domain) <= MAX_DOMAIN) {
			memcpy(out, domain, strlen(domain) + 1);
			status = KEZCTL_OK;
		} else {
			fprintf(stderr, "kezctl: unexpected_answer: HTTP %ld from ", r.status);
			print_untrusted(url.data);
			fputs(" names no server domain; pass --server DOMAIN\n", stderr);
		}
		json_decref(doc);
	}
	http_result_free(&r);
	buf_free(&url);
	return status;
}

/* Signs the envelope and posts it. */
static int send_registration(const struct kezctl_args *a, const char *domain, const uint8_t seed[32],
			     const uint8_t pub[32])
{
	struct buf envelope, scratch, url;
	buf_init(&envelope, ENVELOPE_MAX_BYTES);
	buf_init(&scratch, ENVELOPE_MAX_BYTES);
	buf_init(&url, API_MAX_URL);
	int status;
	if (envelope_build(&envelope, &scratch, a->positional, domain, seed, pub, (int64_t)time(NULL)) < 0 ||
	    buf_putc(&envelope, '\0') < 0) {
		fprintf(stderr, "kezctl: cannot build the envelope (is --server valid UTF-8?)\n");
		status = KEZCTL_REFUSED;
	} else if (buf_append(&url, a->url, a->url_len) < 0 || buf_append_str(&url, "/v1/register") < 0 ||
		   buf_putc(&url, '\0') < 0) {
		status = usage_error("register: the server URL is too long");
	} else {
		status = api_call(url.data, envelope.data, envelope.len - 1, 201);
	}
	buf_free(&envelope);
	buf_free(&scratch);
	buf_free(&url);
	return status;
}

static int run(const struct command *self, int argc, char **argv)
{
	static const int allowed[] = { OPT_KEY, OPT_URL, OPT_SERVER, 0 };
	struct kezctl_args a;
	enum args_result parsed = args_parse(self, argc, argv, allowed, &a);
	if (parsed != ARGS_OK)
		return args_exit_status(parsed);
	if (!a.positional)
		return usage_error("register: a HANDLE is needed");
	if (!a.key)
		return usage_error("register: --key FILE is needed (kezctl keygen makes one)");
	if (!handle_is_valid(a.positional, strlen(a.positional)))
		return usage_error("register: '%s' is not a valid handle: 3 to 32 characters of a-z, 0-9, _ and -, "
				   "the first a letter or digit", a.positional);
	if (a.server && (a.server[0] == '\0' || strlen(a.server) > MAX_DOMAIN))
		return usage_error("register: --server needs a domain name of at most %d characters", MAX_DOMAIN);

	uint8_t seed[ED25519_SEED_LEN], pub[ED25519_KEY_LEN];
	char err[KEYFILE_ERR_LEN];
	if (keyfile_read(a.key, seed, err, sizeof err) < 0) {
		fprintf(stderr, "kezctl: %s\n", err);
		return KEZCTL_USAGE;
	}
	int status = KEZCTL_OK;
	char domain[MAX_DOMAIN + 1];
	if (ed25519_public_key(seed, pub) < 0) {
		fprintf(stderr, "kezctl: %s: cannot derive the public key (libcrypto failed)\n", a.key);
		status = KEZCTL_REFUSED;
	} else if (a.server) {
		memcpy(domain, a.server, strlen(a.server) + 1);
	} else {
		status = ask_server_domain(&a, domain);
	}
	if (status == KEZCTL_OK)
		status = send_registration(&a, domain, seed, pub);
	OPENSSL_cleanse(seed, sizeof seed);
	return status;
}

const struct command command_register = {
	.name = "register",
	.synopsis = "register HANDLE --key FILE [--url URL] [--server DOMAIN]",
	.description = "      Sign a registration of HANDLE for the key in FILE (timestamped now) and\n"
		       "      POST it to URL/v1/register; prints the new record. Without --server the\n"
		       "      domain is the one URL/v1/healthz names.\n",
	.uses_network = true,
	.run = run,
};
