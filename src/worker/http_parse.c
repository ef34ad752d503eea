/* Request parsing with llhttp (http_parse.h): the callbacks fill struct
 * request; each complete request pauses the parser, so pipelined requests
 * are answered one at a time and in order. */
#include <string.h>
#include <strings.h>

#include "worker/http_parse.h"
#include "worker/worker.h"

#define REQUEST_LINE_OVERHEAD 16      /* method, spaces, version, CRLF */
#define HEADER_LINE_OVERHEAD  4       /* ": " and CRLF */

enum header_kind { HDR_OTHER, HDR_CONTENT_TYPE, HDR_IF_NONE_MATCH, HDR_EXPECT, HDR_FORWARDED_FOR };

static llhttp_settings_t settings;
/* The worker is single-threaded: llhttp callbacks find it here. */
static struct worker *active_worker;

static struct connection *conn_of(llhttp_t *p)
{
	return p->data;
}

/* Stops the parser: the request is answered with `e` and the connection closed. */
static int stop_with(struct connection *c, enum api_error e)
{
	if (c->req.early_error == API_OK || e == API_HEADERS_TOO_LARGE)
		c->req.early_error = e;
	c->req.stopped = true;
	return HPE_USER;
}

static int count_head(struct connection *c, size_t n)
{
	c->req.head_bytes += n;
	if (c->req.head_bytes > active_worker->cfg->max_header_bytes)
		return stop_with(c, API_HEADERS_TOO_LARGE);
	return 0;
}

static void append_small(char *dst, size_t cap, const char *at, size_t n, bool *cut)
{
	size_t have = strlen(dst);
	if (have + n >= cap) {
		n = have < cap - 1 ? cap - 1 - have : 0;
		if (cut)
			*cut = true;
	}
	memcpy(dst + have, at, n);
	dst[have + n] = '\0';
}

static int on_message_begin(llhttp_t *p)
{
	struct connection *c = conn_of(p);
	struct request *r = &c->req;
	r->endpoint = EP_NONE;
	r->early_error = API_OK;
	r->stopped = false;
	r->keep_alive = false;
	r->expect_continue = false;
	r->body_wanted = false;
	r->cors = false;
	r->head_bytes = 0;
	r->allow = NULL;
	buf_reset(&r->target);
	buf_reset(&r->forwarded_for);
	r->content_type[0] = '\0';
	r->content_type_cut = false;
	r->if_none_match[0] = '\0';
	r->header = HDR_OTHER;
	r->field_len = 0;
	buf_reset(&r->body);
	r->body_seen = 0;
	r->path_start = r->path_len = r->query_start = r->query_len = 0;
	return count_head(c, REQUEST_LINE_OVERHEAD);
}

static int on_url(llhttp_t *p, const char *at, size_t n)
{
	struct connection *c = conn_of(p);
	if (count_head(c, n))
		return HPE_USER;
	if (buf_append(&c->req.target, at, n) < 0)
		return stop_with(c, API_HEADERS_TOO_LARGE);
	return 0;
}

static int on_header_field(llhttp_t *p, const char *at, size_t n)
{
	struct connection *c = conn_of(p);
	struct request *r = &c->req;
	if (count_head(c, n))
		return HPE_USER;
	if (r->field_len < sizeof r->field - 1) {
		size_t room = sizeof r->field - 1 - r->field_len;
		memcpy(r->field + r->field_len, at, n < room ? n : room);
	}
	r->field_len += n; /* may pass the buffer: such a name is "other" */
	return 0;
}

static int on_header_field_complete(llhttp_t *p)
{
	struct connection *c = conn_of(p);
	struct request *r = &c->req;
	r->header = HDR_OTHER;
	if (r->field_len < sizeof r->field) {
		r->field[r->field_len] = '\0';
		if (strcasecmp(r->field, "content-type") == 0) {
			r->header = HDR_CONTENT_TYPE;
			r->content_type[0] = '\0';
		} else if (strcasecmp(r->field, "if-none-match") == 0) {
			r->header = HDR_IF_NONE_MATCH;
		} else if (strcasecmp(r->field, "expect") == 0) {
			r->header = HDR_EXPECT;
		} else if (strcasecmp(r->field, "x-forwarded-for") == 0) {
			r->header = HDR_FORWARDED_FOR;
			/* Several lines form one list (RFC 9110 §5.3). */
			if (r->forwarded_for.len && buf_putc(&r->forwarded_for, ',') < 0)
				return stop_with(c, API_HEADERS_TOO_LARGE);
		}
	}
	r->field_len = 0;
	return count_head(c, HEADER_LINE_OVERHEAD);
}

static int on_header_value(llhttp_t *p, const char *at, size_t n)
{
	struct connection *c = conn_of(p);
	struct request *r = &c->req;
	if (count_head(c, n))
		return HPE_USER;
	switch (r->header) {
	case HDR_CONTENT_TYPE:
		append_small(r->content_type, sizeof r->content_type, at, n, &r->content_type_cut);
		break;
	case HDR_IF_NONE_MATCH:
		/* Several If-None-Match lines form one list. */
		if (r->if_none_match[0] && n)
			append_small(r->if_none_match, sizeof r->if_none_match, ",", 1, NULL);
		append_small(r->if_none_match, sizeof r->if_none_match, at, n, NULL);
		break;
	case HDR_FORWARDED_FOR:
		if (buf_append(&r->forwarded_for, at, n) < 0)
			return stop_with(c, API_HEADERS_TOO_LARGE);
		break;
	case HDR_EXPECT:
		if (n >= 12 && strncasecmp(at, "100-continue", 12) == 0)
			r->expect_continue = true;
		break;
	default:
		break;
	}
	return 0;
}

static int on_header_value_complete(llhttp_t *p)
{
	struct connection *c = conn_of(p);
	if (c->req.header == HDR_IF_NONE_MATCH)
		c->req.header = HDR_OTHER; /* a later continuation value is a new list entry */
	return 0;
}

static int on_headers_complete(llhttp_t *p)
{
	struct connection *c = conn_of(p);
	struct request *r = &c->req;
	struct worker *w = active_worker;
	r->method = (uint8_t)llhttp_get_method(p);
	w->hooks.request_head(w, c);
	bool has_length = p->flags & F_CONTENT_LENGTH;
	bool chunked = p->flags & F_CHUNKED;
	bool has_body = chunked || (has_length && p->content_length > 0);
	if (!has_body)
		return 0;
	size_t limit = w->cfg->max_body_bytes;
	bool too_big = chunked ? false : p->content_length > limit;
	if (r->early_error != API_OK && (chunked || too_big))
		return stop_with(c, r->early_error); /* answer now, without reading a body nobody wants */
	if (too_big)
		return stop_with(c, API_PAYLOAD_TOO_LARGE);
	if (r->expect_continue && r->early_error == API_OK)
		(void)buf_append_str(&c->out, "HTTP/1.1 100 Continue\r\n\r\n");
	return 0;
}

static int on_body(llhttp_t *p, const char *at, size_t n)
{
	struct connection *c = conn_of(p);
	struct request *r = &c->req;
	size_t limit = active_worker->cfg->max_body_bytes;
	r->body_seen += n;
	if (r->body_seen > limit)
		return stop_with(c, API_PAYLOAD_TOO_LARGE);
	if (r->body_wanted && buf_append(&r->body, at, n) < 0)
		return stop_with(c, API_PAYLOAD_TOO_LARGE);
	return 0;
}

static int on_message_complete(llhttp_t *p)
{
	struct connection *c = conn_of(p);
	c->req.keep_alive = llhttp_should_keep_alive(p);
	/* One request at a time: the next pipelined one waits in `in`. */
	return HPE_PAUSED;
}

void http_parse_init(void)
{
	llhttp_settings_init(&settings);
	settings.on_message_begin = on_message_begin;
	settings.on_url = on_url;
	settings.on_header_field = on_header_field;
	settings.on_header_field_complete = on_header_field_complete;
	settings.on_header_value = on_header_value;
	settings.on_header_value_complete = on_header_value_complete;
	settings.on_headers_complete = on_headers_complete;
	settings.on_body = on_body;
	settings.on_message_complete = on_message_complete;
}

void http_parse_begin(struct connection *c)
{
	llhttp_init(&c->parser, HTTP_REQUEST, &settings);
	c->parser.data = c;
}

llhttp_errno_t http_parse_execute(struct worker *w, struct connection *c, size_t *used)
{
	active_worker = w;
	llhttp_errno_t err = llhttp_execute(&c->parser, c->in.data, c->in.len);
	*used = c->in.len;
	if (err == HPE_PAUSED) {
		*used = (size_t)(llhttp_get_error_pos(&c->parser) - c->in.data);
		llhttp_resume(&c->parser);
	}
	active_worker = NULL;
	return err;
}
