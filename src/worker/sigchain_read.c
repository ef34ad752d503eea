/* Sigchain reads (sigchain_read.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/base/log.h"
#include "common/kez/chain_store.h"
#include "common/kez/key_text.h"
#include "worker/chain_cache.h"
#include "worker/response.h"
#include "worker/sigchain_path.h"

static enum sigchain_path_kind kind_of(const struct connection *c)
{
	return c->req.endpoint == EP_CHAIN_JSONL ? SIGCHAIN_PATH_JSONL
	       : c->req.endpoint == EP_CHAIN_EVENT ? SIGCHAIN_PATH_EVENT
						   : SIGCHAIN_PATH_CHAIN;
}
#include "worker/sigchain_read.h"
#include "worker/static_files.h"

#define PAGE_MAX         1000
/* A body up to this size is made at once; a longer one part by part. */
#define WHOLE_BODY_MAX   (256 * 1024)
#define PART_BYTES       (128 * 1024)

/* What a streamed body still has to send. */
struct chain_stream {
	uint8_t  chain[32];
	uint32_t next;  /* the next event to send */
	uint32_t last;  /* the last one (the chain's length when the head was sent) */
	bool     jsonl; /* one event a line; else the events array of the document */
	bool     started; /* an event went out already (the next needs a comma) */
};

struct sigchain_read_table {
	struct chain_stream *slots;
	struct chain_cache  *cache; /* NULL: every body is rendered */
};

int sigchain_read_init(struct worker *w)
{
	struct sigchain_read_table *t = calloc(1, sizeof *t);
	if (!t || !(t->slots = calloc(w->cfg->max_connections, sizeof *t->slots))) {
		free(t);
		return -1;
	}
	t->cache = chain_cache_new();
	w->chain_reads = t;
	return 0;
}

void sigchain_read_free(struct worker *w)
{
	if (!w->chain_reads)
		return;
	chain_cache_free(w->chain_reads->cache);
	free(w->chain_reads->slots);
	free(w->chain_reads);
	w->chain_reads = NULL;
}

static void preflight(struct worker *w, struct connection *c)
{
	response_preflight(w, c, "GET, POST");
}

/* A decimal integer in [min, max] written without a leading zero. */
static bool parse_count(const char *s, size_t n, uint32_t min, uint32_t max, uint32_t *out)
{
	if (n == 0 || n > 10 || (n > 1 && s[0] == '0'))
		return false;
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v < min || v > max)
		return false;
	*out = (uint32_t)v;
	return true;
}

/* ?after=N&limit=M: false for a bad or repeated value (other names are ignored). */
static bool parse_page(const struct connection *c, uint32_t *after, uint32_t *limit)
{
	const char *q = c->req.target.data + c->req.query_start;
	size_t n = c->req.query_len;
	bool seen_after = false, seen_limit = false;
	*after = 0;
	*limit = PAGE_MAX;
	while (n > 0) {
		const char *amp = memchr(q, '&', n);
		size_t len = amp ? (size_t)(amp - q) : n;
		if (len >= 6 && memcmp(q, "after=", 6) == 0) {
			if (seen_after || !parse_count(q + 6, len - 6, 0, SIGCHAIN_MAX_SEQ, after))
				return false;
			seen_after = true;
		} else if (len >= 6 && memcmp(q, "limit=", 6) == 0) {
			if (seen_limit || !parse_count(q + 6, len - 6, 1, PAGE_MAX, limit))
				return false;
			seen_limit = true;
		}
		q += len + (amp ? 1 : 0);
		n -= len + (amp ? 1 : 0);
	}
	return true;
}

/* The chain's key from the path, for reads: a {hex} that is no key is 404. */
static bool chain_of(const struct connection *c, uint8_t chain[32])
{
	const char *hex, *seq;
	size_t hex_len, seq_len;
	sigchain_path_parts(c->req.target.data + c->req.path_start, c->req.path_len, kind_of(c), &hex, &hex_len, &seq,
			    &seq_len);
	return hex_len == 64 && hex_decode_lower(hex, 64, chain, 32) == 0;
}

/* Opens a snapshot and reads the head: 1 with events, 0 none (404 sent),
 * -1 error (500 sent). On 1 the snapshot stays open: registry_read_end. */
static int open_chain(struct worker *w, struct connection *c, const uint8_t chain[32], MDB_txn **txn,
		      struct chain_head *head)
{
	int rc = registry_read_begin(&w->registry, txn);
	if (rc == 1) {
		rc = chain_store_head(&w->registry, *txn, chain, head);
		if (rc != 1)
			registry_read_end(&w->registry);
	}
	if (rc == 0)
		response_error(w, c, API_NOT_FOUND, "no such sigchain");
	else if (rc < 0)
		response_error(w, c, API_INTERNAL, "the registry could not be read");
	return rc;
}

struct sizer {
	size_t   bytes;
	uint32_t count, last;
};

static int add_size(void *ctx, const struct chain_stored_event *ev)
{
	struct sizer *s = ctx;
	s->bytes += ev->len;
	s->count++;
	s->last = ev->seq;
	return 0;
}

struct appender {
	struct buf *out;
	bool        jsonl, comma, failed;
};

static int append_event(void *ctx, const struct chain_stored_event *ev)
{
	struct appender *a = ctx;
	if ((!a->jsonl && a->comma && buf_putc(a->out, ',') < 0) || buf_append(a->out, ev->jcs, ev->len) < 0 ||
	    (a->jsonl && buf_putc(a->out, '\n') < 0)) {
		a->failed = true;
		return 1;
	}
	a->comma = true;
	return 0;
}

/* Appends events after..last (inclusive bounds as seqs) to out. 0, or -1. */
static int put_events(struct worker *w, MDB_txn *txn, const uint8_t chain[32], uint32_t after, uint32_t last,
		      bool jsonl, bool comma, struct buf *out)
{
	struct appender a = { .out = out, .jsonl = jsonl, .comma = comma };
	long n = chain_store_page(&w->registry, txn, chain, after, last - after, append_event, &a);
	return n < 0 || a.failed || (uint32_t)n != last - after ? -1 : 0;
}

struct part {
	struct appender a;
	size_t          budget; /* bytes this part may still take (at least one event goes) */
	uint32_t        upto;   /* the last seq appended */
};

static int append_part(void *ctx, const struct chain_stored_event *ev)
{
	struct part *p = ctx;
	if (append_event(&p->a, ev))
		return 1;
	p->upto = ev->seq;
	p->budget = ev->len >= p->budget ? 0 : p->budget - ev->len;
	return p->budget == 0;
}

/* The next part of a streamed body: events until PART_BYTES are taken,
 * then the document's end after the last. */
static int fill_stream(struct worker *w, struct connection *c)
{
	struct chain_stream *s = &w->chain_reads->slots[c->slot];
	if (s->next > s->last)
		return !s->jsonl && buf_append(&c->out, "]}", 2) < 0 ? -1 : 0;
	MDB_txn *txn;
	if (registry_read_begin(&w->registry, &txn) != 1)
		return -1;
	struct part p = { .a = { .out = &c->out, .jsonl = s->jsonl, .comma = !s->jsonl && s->started },
			  .budget = PART_BYTES, .upto = s->next - 1 };
	(void)chain_store_page(&w->registry, txn, s->chain, s->next - 1, s->last - s->next + 1, append_part, &p);
	registry_read_end(&w->registry);
	if (p.a.failed || p.upto < s->next)
		return -1; /* the stored chain lost an event it had: nothing true can follow */
	s->next = p.upto + 1;
	s->started = true;
	return 1;
}

/* The document's head: everything before the first event. */
static int put_document_head(struct buf *out, const struct chain_head *h)
{
	char chain[65], head[SIGCHAIN_HASH_TEXT_LEN + 1], key[65], text[400];
	hex_encode(h->chain, 32, chain);
	sigchain_hash_format(h->head, head);
	hex_encode(h->signing_key, 32, key);
	int n = snprintf(text, sizeof text,
			 "{\"chain\":\"ed25519:%s\",\"length\":%u,\"head\":\"%s\",\"signing_key\":\"ed25519:%s\",\"events\":[",
			 chain, h->length, head, key);
	return n > 0 && (size_t)n < sizeof text ? buf_append(out, text, (size_t)n) : -1;
}

/* Sends the chain (document or .jsonl) with events after..last. */
/* The status line and headers of a chain's answer (200, or 304 for a
 * matching If-None-Match); true when a body is to follow. */
static bool chain_head_line(struct worker *w, struct connection *c, const struct chain_head *h, bool jsonl,
			    size_t length)
{
	char etag[SIGCHAIN_HASH_TEXT_LEN + 1], extra[160], quoted[SIGCHAIN_HASH_TEXT_LEN + 3];
	sigchain_hash_format(h->head, etag);
	snprintf(extra, sizeof extra, "ETag: \"%s\"\r\n", etag);
	snprintf(quoted, sizeof quoted, "\"%s\"", etag);
	bool not_modified = c->req.if_none_match[0] &&
			    static_etag_matches(c->req.if_none_match, strlen(c->req.if_none_match), quoted);
	struct response r = { .status = not_modified ? 304 : 200,
			      .content_type = jsonl ? "application/jsonl" : "application/json",
			      .content_length = length, .extra_headers = extra };
	response_head(w, c, &r);
	return !not_modified && c->req.method != HTTP_HEAD;
}

/* A cached body: sent with sendfile, as a static file is. */
static bool send_cached(struct worker *w, struct connection *c, const struct chain_head *h,
			const struct chain_cache_key *key)
{
	size_t len;
	int fd = chain_cache_open(w->chain_reads->cache, key, &len);
	if (fd < 0)
		return false;
	if (chain_head_line(w, c, h, key->jsonl, len)) {
		c->file_fd = fd;
		c->file_offset = 0;
		c->file_left = (off_t)len;
	} else {
		close(fd);
	}
	return true;
}

/* Sends the chain (document or .jsonl) with events after..last. */
static void send_chain(struct worker *w, struct connection *c, MDB_txn *txn, const struct chain_head *h,
		       uint32_t after, uint32_t last, bool jsonl)
{
	struct chain_cache_key key = { .after = after, .last = last, .jsonl = jsonl };
	memcpy(key.chain, h->chain, sizeof key.chain);
	memcpy(key.head, h->head, sizeof key.head);
	if (send_cached(w, c, h, &key)) {
		registry_read_end(&w->registry);
		return;
	}
	struct buf full; /* the whole body, when it is short enough to make at once */
	buf_init(&full, WHOLE_BODY_MAX);
	if (!jsonl && put_document_head(&full, h) < 0) {
		buf_free(&full);
		registry_read_end(&w->registry);
		response_error(w, c, API_INTERNAL, NULL);
		return;
	}
	size_t head_len = full.len;
	struct sizer z = { 0 };
	if (last > after)
		(void)chain_store_page(&w->registry, txn, h->chain, after, last - after, add_size, &z);
	size_t length = head_len + z.bytes + (jsonl ? z.count : (z.count ? z.count - 1 : 0) + 2);
	bool whole = length <= WHOLE_BODY_MAX;
	bool made = whole && (!z.count || put_events(w, txn, h->chain, after, after + z.count, jsonl, false, &full) == 0) &&
		    (jsonl || buf_append(&full, "]}", 2) == 0) && full.len == length;
	if (made)
		chain_cache_put(w->chain_reads->cache, &key, full.data, full.len);
	bool body = chain_head_line(w, c, h, jsonl, length);
	if (body && whole) {
		if (!made || buf_append(&c->out, full.data, full.len) < 0)
			c->close_after_send = true; /* the length cannot be kept: close after what went out */
	} else if (body) {
		if (buf_append(&c->out, full.data, head_len) < 0)
			c->close_after_send = true;
		struct chain_stream *s = &w->chain_reads->slots[c->slot];
		memcpy(s->chain, h->chain, 32);
		s->next = after + 1;
		s->last = after + z.count;
		s->jsonl = jsonl;
		s->started = false;
		c->body_fill = fill_stream;
	}
	buf_free(&full);
	registry_read_end(&w->registry);
}

void handle_chain(struct worker *w, struct connection *c)
{
	if (c->req.method == HTTP_OPTIONS) {
		preflight(w, c);
		return;
	}
	uint8_t chain[32];
	uint32_t after, limit;
	if (!chain_of(c, chain)) {
		response_error(w, c, API_NOT_FOUND, "no such sigchain");
		return;
	}
	if (!parse_page(c, &after, &limit)) {
		response_error(w, c, API_BAD_REQUEST,
			       "after must be a decimal integer from 0 and limit one from 1 to 1000, each at most once");
		return;
	}
	MDB_txn *txn;
	struct chain_head h;
	if (open_chain(w, c, chain, &txn, &h) != 1)
		return;
	uint32_t last = after >= h.length ? after : (h.length - after > limit ? after + limit : h.length);
	send_chain(w, c, txn, &h, after, last, false);
}

void handle_chain_jsonl(struct worker *w, struct connection *c)
{
	if (c->req.method == HTTP_OPTIONS) {
		preflight(w, c);
		return;
	}
	uint8_t chain[32];
	MDB_txn *txn;
	struct chain_head h;
	if (!chain_of(c, chain)) {
		response_error(w, c, API_NOT_FOUND, "no such sigchain");
		return;
	}
	if (open_chain(w, c, chain, &txn, &h) != 1)
		return;
	send_chain(w, c, txn, &h, 0, h.length, true);
}

void handle_chain_event(struct worker *w, struct connection *c)
{
	if (c->req.method == HTTP_OPTIONS) {
		preflight(w, c);
		return;
	}
	const char *hex, *seq_text;
	size_t hex_len, seq_len;
	sigchain_path_parts(c->req.target.data + c->req.path_start, c->req.path_len, kind_of(c), &hex, &hex_len,
			    &seq_text, &seq_len);
	uint8_t chain[32];
	uint32_t seq;
	MDB_txn *txn;
	if (!chain_of(c, chain) || !parse_count(seq_text, seq_len, 1, SIGCHAIN_MAX_SEQ, &seq)) {
		response_error(w, c, API_NOT_FOUND, "no such event");
		return;
	}
	int rc = registry_read_begin(&w->registry, &txn);
	struct chain_stored_event ev;
	if (rc == 1) {
		rc = chain_store_event(&w->registry, txn, chain, seq, &ev);
		if (rc != 1)
			registry_read_end(&w->registry);
	}
	if (rc <= 0) {
		response_error(w, c, rc == 0 ? API_NOT_FOUND : API_INTERNAL, rc == 0 ? "no such event" : NULL);
		return;
	}
	char hash[SIGCHAIN_HASH_TEXT_LEN + 1], quoted[SIGCHAIN_HASH_TEXT_LEN + 3], extra[160];
	sigchain_hash_format(ev.hash, hash);
	snprintf(quoted, sizeof quoted, "\"%s\"", hash);
	snprintf(extra, sizeof extra, "ETag: %s\r\n", quoted);
	bool not_modified = c->req.if_none_match[0] &&
			    static_etag_matches(c->req.if_none_match, strlen(c->req.if_none_match), quoted);
	struct response r = { .status = not_modified ? 304 : 200, .content_type = "application/json",
			      .content_length = ev.len, .extra_headers = extra };
	response_send(w, c, &r, not_modified ? NULL : ev.jcs);
	registry_read_end(&w->registry);
}
