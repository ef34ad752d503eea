/* kezctl sigchain add, revoke, rotate and import: events signed here (the
 * server never sees a seed) and posted in order. */
#include <jansson.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/kez/ed25519.h"
#include "common/kez/json_body.h"
#include "common/kez/key_text.h"
#include "common/kez/sigchain_build.h"
#include "kezctl/api_call.h"
#include "kezctl/args.h"
#include "kezctl/chain_reading.h"
#include "kezctl/http_client.h"
#include "kezctl/keyfile.h"
#include "kezctl/progress.h"
#include "kezctl/sigchain_commands.h"

#define EVENT_MAX (64 * 1024)

static void print_transport(const struct http_result *r)
{
	fputs("kezctl: ", stderr);
	print_untrusted(r->error);
	fputc('\n', stderr);
}

/* POSTs one event. 201 or 200 (already stored): KEZCTL_OK with *answer the
 * answer's document when wanted; else the exit status, printed (after
 * ending the progress line, when there is one, so the message has its row). */
static int post_event(const char *url, const char *text, size_t len, long *http_status, json_t **answer,
		      struct progress *bar)
{
	struct http_result r;
	if (http_request(url, text, len, &r) < 0) {
		if (bar)
			progress_end(bar);
		print_transport(&r);
		http_result_free(&r);
		return KEZCTL_TRANSPORT;
	}
	json_t *doc = r.body.len ? chain_answer_load(r.body.data, r.body.len) : NULL;
	int status = KEZCTL_OK;
	*http_status = r.status;
	if ((r.status == 201 || r.status == 200) && doc) {
		if (answer)
			*answer = json_incref(doc);
	} else {
		if (bar)
			progress_end(bar);
		api_print_refusal(url, r.status, doc);
		status = KEZCTL_REFUSED;
	}
	json_decref(doc);
	http_result_free(&r);
	return status;
}

struct chain_now {
	uint32_t length;
	bool     has_head;
	uint8_t  head[32], signing_key[32];
};

/* The chain's length, head and signing key as the server has them; a chain
 * with no events is a 404. */
static int fetch_head(const char *chain_url, const uint8_t chain[32], struct chain_now *now)
{
	char url[API_MAX_URL];
	int n = snprintf(url, sizeof url, "%s?after=%u&limit=1", chain_url, SIGCHAIN_MAX_SEQ);
	if (n < 0 || (size_t)n >= sizeof url)
		return usage_error("sigchain: the URL is too long");
	struct http_result r;
	if (http_request(url, NULL, 0, &r) < 0) {
		print_transport(&r);
		http_result_free(&r);
		return KEZCTL_TRANSPORT;
	}
	json_t *doc = r.body.len ? chain_answer_load(r.body.data, r.body.len) : NULL;
	const char *code = json_string_value(json_object_get(doc, "error"));
	int status = KEZCTL_OK;
	memset(now, 0, sizeof *now);
	memcpy(now->signing_key, chain, 32);
	if (r.status == 404 && code && strcmp(code, "not_found") == 0) {
		/* the first event: seq 1, prev null, the chain's own key signs */
	} else if (r.status == 200 && doc) {
		const char *head = json_string_value(json_object_get(doc, "head"));
		const char *key = json_string_value(json_object_get(doc, "signing_key"));
		if (chain_answer_count(json_object_get(doc, "length"), SIGCHAIN_MAX_SEQ - 1, &now->length) < 0)
			now->length = 0;
		now->has_head = head && sigchain_hash_parse(head, strlen(head), now->head) == 0;
		if (!now->length || !now->has_head || !key || key_text_parse(key, strlen(key), now->signing_key) < 0) {
			fprintf(stderr, "kezctl: unexpected_answer: no length, head and signing_key from ");
			print_untrusted(url);
			fputc('\n', stderr);
			status = KEZCTL_REFUSED;
		}
	} else {
		api_print_refusal(url, r.status, doc);
		status = KEZCTL_REFUSED;
	}
	json_decref(doc);
	http_result_free(&r);
	return status;
}

/* Signs the next event of the chain with `body` (taken) and posts it. */
static int append(const struct kezctl_args *a, const char *name, enum sigchain_op op, json_t *body)
{
	uint8_t seed[ED25519_SEED_LEN], pub[ED25519_KEY_LEN], chain[32];
	char err[KEYFILE_ERR_LEN];
	if (!body) {
		fprintf(stderr, "kezctl: out of memory\n");
		return KEZCTL_REFUSED;
	}
	if (!a->key) {
		json_decref(body);
		return usage_error("%s: --key FILE (the chain's signing key) is needed", name);
	}
	if (a->chain && chain_key_arg(a->chain, chain) < 0) {
		json_decref(body);
		return usage_error("%s: --chain needs ed25519:<64 hex>", name);
	}
	if (keyfile_read(a->key, seed, err, sizeof err) < 0 ||
	    (ed25519_public_key(seed, pub) < 0 &&
	     snprintf(err, sizeof err, "%s: cannot derive the public key (libcrypto failed)", a->key) > 0)) {
		fprintf(stderr, "kezctl: %s\n", err);
		json_decref(body);
		OPENSSL_cleanse(seed, sizeof seed);
		return KEZCTL_USAGE;
	}
	if (!a->chain)
		memcpy(chain, pub, 32);
	struct buf url, event;
	buf_init(&url, API_MAX_URL);
	buf_init(&event, EVENT_MAX);
	struct chain_now now;
	int status = chain_url(&url, a->url, a->url_len, chain, "") == 0 ? fetch_head(url.data, chain, &now)
									 : usage_error("%s: the URL is too long", name);
	if (status == KEZCTL_OK && memcmp(now.signing_key, pub, 32) != 0) {
		char key[KEY_TEXT_LEN + 1];
		key_text_format(now.signing_key, key);
		fprintf(stderr, "kezctl: %s: the chain's signing key is %s, not the key in %s%s\n", name, key, a->key,
			a->chain ? "" : " (after a rotate, pass --chain with the chain's first key)");
		status = KEZCTL_REFUSED;
	}
	if (status == KEZCTL_OK) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		char when[SIGCHAIN_TIME_MS_LEN + 1];
		sigchain_format_ms((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000, when);
		struct sigchain_draft d = { .chain = chain, .seq = now.length + 1, .prev = now.has_head ? now.head : NULL,
					    .op = op, .created_at = when, .body = body };
		if (sigchain_build(&d, seed, &event) < 0) {
			fprintf(stderr, "kezctl: %s: cannot build the event (is the text valid UTF-8?)\n", name);
			status = KEZCTL_REFUSED;
		}
	}
	if (status == KEZCTL_OK) {
		/* the server's own rows 3–13, here first: a clear message, no round trip */
		char hex[65], detail[512];
		hex_encode(chain, 32, hex);
		struct sigchain_parse_policy p = { .chain_hex = hex, .chain_hex_len = 64, .check_clock = false };
		struct sigchain_event ev;
		sigchain_event_init(&ev);
		enum api_error e = sigchain_event_parse(event.data, event.len, &p, &ev, detail, sizeof detail);
		sigchain_event_free(&ev);
		if (e != API_OK) {
			fprintf(stderr, "kezctl: %s: %s: %s\n", name, api_error_info(e)->code, detail);
			status = KEZCTL_REFUSED;
		}
	}
	if (status == KEZCTL_OK) {
		long http_status;
		json_t *answer = NULL;
		status = post_event(url.data, event.data, event.len, &http_status, &answer, NULL);
		char *text = answer ? json_dumps(answer, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
		if (status == KEZCTL_OK && (!text || puts(text) < 0))
			status = KEZCTL_REFUSED;
		free(text);
		json_decref(answer);
	}
	OPENSSL_cleanse(seed, sizeof seed);
	json_decref(body);
	buf_free(&url);
	buf_free(&event);
	return status;
}

static const int write_options[] = { OPT_KEY, OPT_CHAIN, OPT_URL, OPT_BODY, OPT_NEW_KEY, 0 };

static int run_add(const struct command *self, int argc, char **argv)
{
	struct kezctl_args a;
	enum args_result parsed = args_parse(self, argc, argv, write_options, &a);
	if (parsed != ARGS_OK)
		return args_exit_status(parsed);
	if (a.new_key)
		return usage_error("sigchain add: --new-key belongs to rotate");
	if (!a.positional || !sigchain_subject_is_valid(a.positional, strlen(a.positional)))
		return usage_error("sigchain add: a SUBJECT system:identifier is needed (e.g. github:alice; system "
				   "1-32 of a-z, 0-9 and -, starting with a letter)");
	json_t *body = json_object();
	if (a.body) {
		bool reals;
		char detail[256];
		json_decref(body);
		body = json_body_load(a.body, strlen(a.body), &reals, detail, sizeof detail);
		if (!body)
			return usage_error("sigchain add: --body: %s", detail);
		if (json_object_get(body, "subject")) {
			json_decref(body);
			return usage_error("sigchain add: --body must not hold a subject; SUBJECT is it");
		}
	}
	if (body && json_object_set_new(body, "subject", json_string(a.positional)) < 0) {
		json_decref(body);
		body = NULL;
	}
	return append(&a, "sigchain add", SIGCHAIN_OP_ADD, body);
}

static int run_revoke(const struct command *self, int argc, char **argv)
{
	struct kezctl_args a;
	enum args_result parsed = args_parse(self, argc, argv, write_options, &a);
	if (parsed != ARGS_OK)
		return args_exit_status(parsed);
	long seq;
	if (a.body || a.new_key)
		return usage_error("sigchain revoke: only SEQ, --key, --chain and --url apply");
	if (!a.positional || args_parse_long(a.positional, 1, SIGCHAIN_MAX_SEQ, &seq) < 0)
		return usage_error("sigchain revoke: the SEQ of the add to withdraw is needed");
	return append(&a, "sigchain revoke", SIGCHAIN_OP_REVOKE, json_pack("{s:I}", "seq", (json_int_t)seq));
}

static int run_rotate(const struct command *self, int argc, char **argv)
{
	struct kezctl_args a;
	enum args_result parsed = args_parse(self, argc, argv, write_options, &a);
	if (parsed != ARGS_OK)
		return args_exit_status(parsed);
	if (a.positional || a.body)
		return usage_error("sigchain rotate: only --new-key, --key, --chain and --url apply");
	if (!a.new_key)
		return usage_error("sigchain rotate: --new-key FILE (kezctl keygen makes one) is needed");
	uint8_t seed[ED25519_SEED_LEN], pub[ED25519_KEY_LEN];
	char err[KEYFILE_ERR_LEN], key[KEY_TEXT_LEN + 1];
	int rc = keyfile_read(a.new_key, seed, err, sizeof err);
	if (rc == 0 && ed25519_public_key(seed, pub) < 0) {
		snprintf(err, sizeof err, "%s: cannot derive the public key (libcrypto failed)", a.new_key);
		rc = -1;
	}
	OPENSSL_cleanse(seed, sizeof seed);
	if (rc < 0) {
		fprintf(stderr, "kezctl: %s\n", err);
		return KEZCTL_USAGE;
	}
	key_text_format(pub, key);
	return append(&a, "sigchain rotate", SIGCHAIN_OP_ROTATE, json_pack("{s:s}", "new_key", key));
}

static int run_import(const struct command *self, int argc, char **argv)
{
	static const int allowed[] = { OPT_URL, OPT_CHAIN, 0 };
	struct kezctl_args a;
	enum args_result parsed = args_parse(self, argc, argv, allowed, &a);
	if (parsed != ARGS_OK)
		return args_exit_status(parsed);
	if (!a.positional)
		return usage_error("sigchain import: a FILE of JSON Lines is needed ('-' for stdin)");
	uint8_t key[32];
	if (a.chain && chain_key_arg(a.chain, key) < 0)
		return usage_error("sigchain import: --chain needs ed25519:<64 hex>");
	struct buf text, url;
	if (read_whole_file(a.positional, CHAIN_MAX_ANSWER, &text) < 0)
		return KEZCTL_REFUSED;
	buf_init(&url, API_MAX_URL);
	/* all of it verified first: a broken file is not half published */
	struct chain_reading r;
	chain_reading_init(&r, a.chain ? key : NULL);
	int status = chain_reading_lines(&r, text.data, text.len, a.positional) == 0 ? KEZCTL_OK : KEZCTL_REFUSED;
	if (status == KEZCTL_OK && chain_url(&url, a.url, a.url_len, r.v.head.chain, "") < 0)
		status = usage_error("sigchain import: the URL is too long");
	unsigned stored = 0, present = 0;
	struct progress bar;
	progress_start(&bar, "posted", r.v.head.length);
	for (size_t at = 0; status == KEZCTL_OK && at < text.len;) {
		const char *end = memchr(text.data + at, '\n', text.len - at);
		size_t n = end ? (size_t)(end - (text.data + at)) : text.len - at;
		long http_status = 0;
		status = post_event(url.data, text.data + at, n, &http_status, NULL, &bar);
		if (status == KEZCTL_OK && http_status == 201)
			stored++;
		else if (status == KEZCTL_OK)
			present++;
		at += n + 1;
		if (status == KEZCTL_OK)
			progress_update(&bar, stored + present);
	}
	progress_end(&bar);
	if (status == KEZCTL_OK)
		printf("imported %u events: %u stored now, %u already stored\n", stored + present, stored, present);
	else
		fprintf(stderr, "kezctl: stopped after %u events\n", stored + present);
	chain_reading_free(&r);
	buf_free(&text);
	buf_free(&url);
	return status;
}

const struct command sigchain_add = {
	.name = "sigchain add",
	.synopsis = "sigchain add SUBJECT --key FILE [--chain KEY] [--body JSON] [--url URL]",
	.description = "      Claim SUBJECT (system:identifier): sign the next event with the key in FILE\n"
		       "      and post it. --body adds members (a proof URL, ...); --chain names the chain\n"
		       "      by its first key once it has rotated away from it.\n",
	.uses_network = true,
	.run = run_add,
};

const struct command sigchain_revoke = {
	.name = "sigchain revoke",
	.synopsis = "sigchain revoke SEQ --key FILE [--chain KEY] [--url URL]",
	.description = "      Withdraw the claim made by the add at SEQ.\n",
	.uses_network = true,
	.run = run_revoke,
};

const struct command sigchain_rotate = {
	.name = "sigchain rotate",
	.synopsis = "sigchain rotate --new-key FILE --key FILE [--chain KEY] [--url URL]",
	.description = "      Hand signing to the key in --new-key; later events are signed with it\n"
		       "      (--key NEWFILE --chain FIRSTKEY).\n",
	.uses_network = true,
	.run = run_rotate,
};

const struct command sigchain_import = {
	.name = "sigchain import",
	.synopsis = "sigchain import FILE [--chain KEY] [--url URL]",
	.description = "      Verify a JSON Lines chain, then post each event in order; events the server\n"
		       "      holds already (200) count as done.\n",
	.uses_network = true,
	.run = run_import,
};
