/* kezctl sigchain show, export and verify-file: a chain read, and trusted only
 * once every event has been checked here. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "common/kez/jcs.h"
#include "common/kez/key_text.h"
#include "kezctl/api_call.h"
#include "kezctl/args.h"
#include "kezctl/chain_reading.h"
#include "kezctl/http_client.h"
#include "kezctl/sigchain_commands.h"

/* GET url; 200 → *doc (a JSON object). Else the exit status, printed. */
static int get_json(const char *url, json_t **doc)
{
	struct http_result r;
	*doc = NULL;
	if (http_request_max(url, NULL, 0, CHAIN_MAX_ANSWER, &r) < 0) {
		fputs("kezctl: ", stderr);
		print_untrusted(r.error);
		fputc('\n', stderr);
		http_result_free(&r);
		return KEZCTL_TRANSPORT;
	}
	json_t *d = r.body.len ? chain_answer_load(r.body.data, r.body.len) : NULL;
	int status = KEZCTL_OK;
	if (r.status == 200 && json_is_object(d)) {
		*doc = d;
	} else {
		api_print_refusal(url, r.status, d);
		json_decref(d);
		status = KEZCTL_REFUSED;
	}
	http_result_free(&r);
	return status;
}

static int bad_answer(const char *url, const char *what)
{
	fputs("kezctl: ", stderr);
	print_untrusted(url);
	fprintf(stderr, ": %s\n", what);
	return KEZCTL_REFUSED;
}

/* Verifies one page's events into r. The page must describe this chain. */
static int take_page(const char *url, json_t *doc, struct chain_reading *r, json_int_t *length)
{
	char key[KEY_TEXT_LEN + 1];
	key_text_format(r->v.head.chain, key);
	const char *chain = json_string_value(json_object_get(doc, "chain"));
	json_t *events = json_object_get(doc, "events");
	uint32_t n;
	if (!chain || strcmp(chain, key) != 0)
		return bad_answer(url, "the answer is about another chain");
	if (chain_answer_count(json_object_get(doc, "length"), SIGCHAIN_MAX_SEQ, &n) < 0 || !json_is_array(events))
		return bad_answer(url, "the answer has no length or events");
	*length = n;
	size_t i;
	json_t *ev;
	struct buf text;
	buf_init(&text, CHAIN_MAX_ANSWER);
	int status = KEZCTL_OK;
	json_array_foreach(events, i, ev) {
		buf_reset(&text);
		if (jcs_serialize(ev, &text) < 0) {
			status = bad_answer(url, "an event cannot be canonicalized");
			break;
		}
		if (chain_reading_next(r, text.data, text.len, "the server's chain") < 0) {
			status = KEZCTL_REFUSED;
			break;
		}
	}
	buf_free(&text);
	return status;
}

/* The server's summary must be the chain just verified. */
static int same_summary(const char *url, json_t *doc, const struct chain_reading *r)
{
	char head[SIGCHAIN_HASH_TEXT_LEN + 1], key[KEY_TEXT_LEN + 1];
	sigchain_hash_format(r->v.head.head, head);
	key_text_format(r->v.head.signing_key, key);
	const char *h = json_string_value(json_object_get(doc, "head"));
	const char *k = json_string_value(json_object_get(doc, "signing_key"));
	if (r->v.head.length && (!h || strcmp(h, head) != 0))
		return bad_answer(url, "the server's head is not the hash of its last event");
	if (!k || strcmp(k, key) != 0)
		return bad_answer(url, "the server's signing_key is not the key the chain hands signing to");
	return KEZCTL_OK;
}

/* Every page of the chain at chain_url, verified. */
static int fetch_chain(const char *chain_url, struct chain_reading *r)
{
	json_int_t length = 0;
	/* each page brings at least one event, so this ends */
	for (;;) {
		char url[API_MAX_URL];
		int n = snprintf(url, sizeof url, "%s?after=%u", chain_url, r->v.head.length);
		if (n < 0 || (size_t)n >= sizeof url)
			return usage_error("sigchain: the URL is too long");
		json_t *doc;
		int status = get_json(url, &doc);
		if (status != KEZCTL_OK)
			return status;
		uint32_t before = r->v.head.length;
		status = take_page(url, doc, r, &length);
		if (status == KEZCTL_OK && r->v.head.length >= (uint32_t)length)
			status = (uint32_t)length == r->v.head.length ? same_summary(url, doc, r)
								       : bad_answer(url, "more events than its length");
		else if (status == KEZCTL_OK && r->v.head.length == before)
			status = bad_answer(url, "a page brought no events before the chain's length");
		json_decref(doc);
		if (status != KEZCTL_OK || r->v.head.length >= (uint32_t)length)
			return status;
	}
}

/* HANDLE@DOMAIN: the record's primary key and sigchain_url. */
static int resolve_handle(const struct kezctl_args *a, uint8_t key[32], struct buf *chain)
{
	const char *at = strrchr(a->positional, '@');
	if (!at || at == a->positional || !at[1])
		return usage_error("sigchain show: KEY (ed25519:<hex>) or HANDLE@DOMAIN is needed");
	char handle[65];
	size_t handle_len = (size_t)(at - a->positional);
	if (handle_len >= sizeof handle)
		return usage_error("sigchain show: '%.*s...' is too long for a handle", 32, a->positional);
	memcpy(handle, a->positional, handle_len);
	handle[handle_len] = '\0';
	struct buf url;
	buf_init(&url, API_MAX_URL);
	if (buf_append(&url, a->url, a->url_len) < 0 || buf_append_str(&url, "/v1/u/") < 0 ||
	    http_escape(handle, &url) < 0 || buf_putc(&url, '\0') < 0) {
		buf_free(&url);
		return usage_error("sigchain show: the URL is too long");
	}
	json_t *rec;
	int status = get_json(url.data, &rec);
	if (status == KEZCTL_OK) {
		const char *fqhn = json_string_value(json_object_get(rec, "fqhn"));
		const char *primary = json_string_value(json_object_get(rec, "primary"));
		const char *sig_url = json_string_value(json_object_get(rec, "sigchain_url"));
		if (!fqhn || strcasecmp(fqhn, a->positional) != 0)
			status = bad_answer(url.data, "this server does not hold that handle@domain");
		else if (!primary || key_text_parse(primary, strlen(primary), key) < 0)
			status = bad_answer(url.data, "the record has no primary key");
		else if (sig_url && (strncmp(sig_url, "http://", 7) == 0 || strncmp(sig_url, "https://", 8) == 0))
			status = buf_append_str(chain, sig_url) == 0 && buf_putc(chain, '\0') == 0
					 ? KEZCTL_OK
					 : usage_error("sigchain show: the sigchain_url is too long");
		else
			status = chain_url(chain, a->url, a->url_len, key, "") == 0 ? KEZCTL_OK
										    : usage_error("sigchain show: the URL is too long");
		json_decref(rec);
	}
	buf_free(&url);
	return status;
}

static int run_show(const struct command *self, int argc, char **argv)
{
	static const int allowed[] = { OPT_URL, 0 };
	struct kezctl_args a;
	enum args_result parsed = args_parse(self, argc, argv, allowed, &a);
	if (parsed != ARGS_OK)
		return args_exit_status(parsed);
	if (!a.positional)
		return usage_error("sigchain show: KEY (ed25519:<hex>) or HANDLE@DOMAIN is needed");
	uint8_t key[32];
	struct buf url;
	buf_init(&url, API_MAX_URL);
	int status;
	if (chain_key_arg(a.positional, key) == 0)
		status = chain_url(&url, a.url, a.url_len, key, "") == 0 ? KEZCTL_OK
									 : usage_error("sigchain show: the URL is too long");
	else
		status = resolve_handle(&a, key, &url);
	if (status == KEZCTL_OK) {
		struct chain_reading r;
		chain_reading_init(&r, key);
		status = fetch_chain(url.data, &r);
		if (status == KEZCTL_OK)
			chain_reading_print(&r);
		chain_reading_free(&r);
	}
	buf_free(&url);
	return status;
}

static int run_export(const struct command *self, int argc, char **argv)
{
	static const int allowed[] = { OPT_URL, 0 };
	struct kezctl_args a;
	enum args_result parsed = args_parse(self, argc, argv, allowed, &a);
	if (parsed != ARGS_OK)
		return args_exit_status(parsed);
	uint8_t key[32];
	if (!a.positional || chain_key_arg(a.positional, key) < 0)
		return usage_error("sigchain export: KEY (ed25519:<64 hex>) is needed");
	struct buf url;
	buf_init(&url, API_MAX_URL);
	if (chain_url(&url, a.url, a.url_len, key, ".jsonl") < 0) {
		buf_free(&url);
		return usage_error("sigchain export: the URL is too long");
	}
	struct http_result r;
	int status = KEZCTL_REFUSED;
	if (http_request_max(url.data, NULL, 0, CHAIN_MAX_ANSWER, &r) < 0) {
		fputs("kezctl: ", stderr);
		print_untrusted(r.error);
		fputc('\n', stderr);
		status = KEZCTL_TRANSPORT;
	} else if (r.status != 200) {
		json_t *doc = chain_answer_load(r.body.data, r.body.len);
		api_print_refusal(url.data, r.status, doc);
		json_decref(doc);
	} else {
		/* written only once all of it verifies: a kept copy is a good one */
		struct chain_reading reading;
		chain_reading_init(&reading, key);
		if (chain_reading_lines(&reading, r.body.data, r.body.len, "the server's chain") == 0 &&
		    fwrite(r.body.data, 1, r.body.len, stdout) == r.body.len)
			status = KEZCTL_OK;
		chain_reading_free(&reading);
	}
	http_result_free(&r);
	buf_free(&url);
	return status;
}

static int run_verify_file(const struct command *self, int argc, char **argv)
{
	static const int allowed[] = { OPT_CHAIN, 0 };
	struct kezctl_args a;
	enum args_result parsed = args_parse(self, argc, argv, allowed, &a);
	if (parsed != ARGS_OK)
		return args_exit_status(parsed);
	if (!a.positional)
		return usage_error("sigchain verify-file: a FILE of JSON Lines is needed ('-' for stdin)");
	uint8_t key[32];
	if (a.chain && chain_key_arg(a.chain, key) < 0)
		return usage_error("sigchain verify-file: --chain needs ed25519:<64 hex>");
	struct buf text;
	if (read_whole_file(a.positional, CHAIN_MAX_ANSWER, &text) < 0)
		return KEZCTL_REFUSED;
	struct chain_reading r;
	chain_reading_init(&r, a.chain ? key : NULL);
	int status = KEZCTL_REFUSED;
	if (chain_reading_lines(&r, text.data, text.len, a.positional) == 0) {
		chain_reading_print(&r);
		status = KEZCTL_OK;
	}
	chain_reading_free(&r);
	buf_free(&text);
	return status;
}

const struct command sigchain_show = {
	.name = "sigchain show",
	.synopsis = "sigchain show KEY|HANDLE@DOMAIN [--url URL]",
	.description = "      Fetch every page of the chain, verify all of it here (signatures, seq,\n"
		       "      prev hashes, signing keys through rotations, revokes) and print its\n"
		       "      active claims; exit 1 on any break.\n",
	.uses_network = true,
	.run = run_show,
};

const struct command sigchain_export = {
	.name = "sigchain export",
	.synopsis = "sigchain export KEY [--url URL] > chain.jsonl",
	.description = "      Write the whole chain as JSON Lines, once it verifies.\n",
	.uses_network = true,
	.run = run_export,
};

const struct command sigchain_verify_file = {
	.name = "sigchain verify-file",
	.synopsis = "sigchain verify-file FILE [--chain KEY]",
	.description = "      Verify a chain kept as JSON Lines (export's format), offline.\n",
	.uses_network = false,
	.run = run_verify_file,
};
