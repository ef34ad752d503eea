#include "kezctl/chain_reading.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/kez/key_text.h"
#include "kezctl/api_call.h"

void chain_reading_init(struct chain_reading *r, const uint8_t *chain)
{
	memset(r, 0, sizeof *r);
	chain_verify_init(&r->v, chain);
	sigchain_event_init(&r->ev);
}

void chain_reading_free(struct chain_reading *r)
{
	for (size_t i = 0; i < r->n_adds; i++)
		free(r->adds[i].subject);
	free(r->adds);
	sigchain_event_free(&r->ev);
	chain_verify_free(&r->v);
	memset(r, 0, sizeof *r);
}

/* An add's subject, kept for the report (the event was checked already). */
static int keep_subject(struct chain_reading *r, const char *text, size_t len)
{
	json_t *doc = json_loadb(text, len, JSON_DECODE_INT_AS_REAL, NULL);
	const char *subject = json_string_value(json_object_get(json_object_get(json_object_get(doc, "payload"), "body"),
							     "subject"));
	char *copy = subject ? strdup(subject) : NULL;
	json_decref(doc);
	if (!copy)
		return -1;
	if (r->n_adds == r->cap_adds) {
		size_t cap = r->cap_adds ? 2 * r->cap_adds : 16;
		struct chain_claim_text *p = realloc(r->adds, cap * sizeof *p);
		if (!p) {
			free(copy);
			return -1;
		}
		r->adds = p;
		r->cap_adds = cap;
	}
	r->adds[r->n_adds++] = (struct chain_claim_text){ r->ev.f.seq, copy };
	return 0;
}

int chain_reading_next(struct chain_reading *r, const char *text, size_t len, const char *where)
{
	char detail[512];
	enum api_error e = chain_verify_next(&r->v, text, len, &r->ev, detail, sizeof detail);
	if (e == API_OK && r->ev.f.op == SIGCHAIN_OP_ADD && keep_subject(r, text, len) < 0) {
		e = API_INTERNAL;
		snprintf(detail, sizeof detail, "out of memory");
	}
	if (e == API_OK)
		return 0;
	fprintf(stderr, "kezctl: %s: the chain is broken at event %u: %s: ", where, r->v.head.length + 1,
		api_error_info(e)->code);
	print_untrusted(detail[0] ? detail : api_error_info(e)->message);
	fputc('\n', stderr);
	return -1;
}

int chain_reading_lines(struct chain_reading *r, const char *text, size_t len, const char *name)
{
	size_t line = 0;
	for (size_t at = 0; at < len;) {
		const char *end = memchr(text + at, '\n', len - at);
		size_t n = end ? (size_t)(end - (text + at)) : len - at;
		char where[320];
		snprintf(where, sizeof where, "%.256s line %zu", name, ++line);
		if (n == 0) {
			fprintf(stderr, "kezctl: %s is empty; each line holds one event\n", where);
			return -1;
		}
		if (chain_reading_next(r, text + at, n, where) < 0)
			return -1;
		at += n + (end ? 1 : 0);
	}
	if (line == 0) {
		fprintf(stderr, "kezctl: %.256s holds no events\n", name);
		return -1;
	}
	return 0;
}

void chain_reading_print(const struct chain_reading *r)
{
	char key[KEY_TEXT_LEN + 1], head[SIGCHAIN_HASH_TEXT_LEN + 1];
	key_text_format(r->v.head.chain, key);
	printf("chain        %s\nlength       %u\n", key, r->v.head.length);
	if (r->v.head.length) {
		sigchain_hash_format(r->v.head.head, head);
		printf("head         %s\n", head);
	}
	key_text_format(r->v.head.signing_key, key);
	printf("signing key  %s\nverified     signatures, seq, prev hashes, signing keys, revokes\n", key);
	size_t active = 0;
	for (size_t i = 0; i < r->n_adds; i++)
		active += chain_verify_claim(&r->v, r->adds[i].seq) == CHAIN_CLAIM_ACTIVE;
	printf("claims       %zu active\n", active);
	for (size_t i = 0; i < r->n_adds; i++)
		if (chain_verify_claim(&r->v, r->adds[i].seq) == CHAIN_CLAIM_ACTIVE) {
			printf("  %-6u ", r->adds[i].seq);
			/* the subject is the chain owner's text: no terminal controls */
			for (const char *s = r->adds[i].subject; *s; s++)
				putchar((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s);
			putchar('\n');
		}
}

json_t *chain_answer_load(const char *text, size_t len)
{
	json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
	return doc ? doc : json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_DECODE_INT_AS_REAL, NULL);
}

int chain_answer_count(const json_t *v, uint32_t max, uint32_t *out)
{
	if (json_is_integer(v) && json_integer_value(v) >= 0 && json_integer_value(v) <= (json_int_t)max) {
		*out = (uint32_t)json_integer_value(v);
		return 0;
	}
	double d = json_is_real(v) ? json_real_value(v) : -1.0;
	if (d >= 0.0 && d <= (double)max && d == (double)(uint32_t)d) {
		*out = (uint32_t)d;
		return 0;
	}
	return -1;
}

int read_whole_file(const char *path, size_t max, struct buf *out)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "kezctl: cannot open '%s': %s\n", path, strerror(errno));
		return -1;
	}
	buf_init(out, max);
	char chunk[65536];
	size_t n;
	int rc = 0;
	while (rc == 0 && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
		if (buf_append(out, chunk, n) < 0) {
			fprintf(stderr, "kezctl: '%s' is larger than %zu bytes\n", path, max);
			rc = -1;
		}
	if (rc == 0 && ferror(f)) {
		fprintf(stderr, "kezctl: cannot read '%s': %s\n", path, strerror(errno));
		rc = -1;
	}
	if (f != stdin)
		fclose(f);
	if (rc < 0)
		buf_free(out);
	return rc;
}

int chain_key_arg(const char *s, uint8_t key[32])
{
	size_t len = strlen(s);
	if (len == 64)
		return hex_decode_lower(s, len, key, 32);
	return key_text_parse(s, len, key);
}

int chain_url(struct buf *url, const char *base, size_t base_len, const uint8_t key[32], const char *suffix)
{
	char hex[65];
	hex_encode(key, 32, hex);
	return buf_append(url, base, base_len) == 0 && buf_append_str(url, "/v1/sigchains/ed25519/") == 0 &&
			       buf_append_str(url, hex) == 0 && buf_append_str(url, suffix) == 0 && buf_putc(url, '\0') == 0
		       ? 0
		       : -1;
}
