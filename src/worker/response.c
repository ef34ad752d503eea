/* Status lines and headers. Every response says its length (but a 204,
 * RFC 9110 §8.6); CORS and connection handling are decided here once for
 * all endpoints. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/config/config.h"
#include "common/proc/metrics.h"
#include "worker/response.h"

static const char *reason_phrase(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Content Too Large";
	case 415: return "Unsupported Media Type";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	case 507: return "Insufficient Storage";
	default: return "Unknown";
	}
}

void response_refresh_date(struct worker *w)
{
	static const char days[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	time_t now = time(NULL);
	if (now == w->date_second)
		return;
	w->date_second = now;
	struct tm tm;
	gmtime_r(&now, &tm);
	snprintf(w->date_header, sizeof w->date_header, "Date: %s, %02d %s %04d %02d:%02d:%02d GMT\r\n",
		 days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour,
		 tm.tm_min, tm.tm_sec);
}

static bool body_allowed(const struct connection *c, int status)
{
	return c->req.method != HTTP_HEAD && status != 304 && status != 204;
}

/* Appends a NUL-terminated string: the head is built by copying, not by
 * printf, which showed up as the largest user-space cost of a lookup. */
static void put(struct buf *b, const char *s, bool *ok)
{
	if (*ok && buf_append(b, s, strlen(s)) < 0)
		*ok = false;
}

static void put_size(struct buf *b, size_t v, bool *ok)
{
	char digits[24];
	int i = (int)sizeof digits;
	digits[--i] = '\0';
	do
		digits[--i] = (char)('0' + v % 10);
	while ((v /= 10) && i > 0);
	put(b, digits + i, ok);
}

static enum metrics_route metrics_route_of(const struct request *q)
{
	switch (q->endpoint) {
	case EP_HEALTHZ: return MR_HEALTHZ;
	case EP_USER: return MR_LOOKUP;
	case EP_REGISTER: return MR_REGISTER;
	case EP_WEBFINGER: return MR_WEBFINGER;
	case EP_NATS_AUTH: return MR_NATS_AUTH;
	case EP_STATIC: return MR_STATIC;
	case EP_CHAIN: return q->method == HTTP_POST ? MR_SIGCHAIN_APPEND : MR_SIGCHAIN_READ;
	case EP_CHAIN_JSONL:
	case EP_CHAIN_EVENT: return MR_SIGCHAIN_READ;
	default: return MR_OTHER;
	}
}

void response_head(struct worker *w, struct connection *c, const struct response *r)
{
	/* Every response passes here once; scrapes are not counted. */
	if (!c->metrics)
		metrics_http(metrics_route_of(&c->req), r->status, c->req.started_ns);
	c->req.started_ns = 0;
	if (!c->req.keep_alive || w->stopping || c->eof)
		c->close_after_send = true;
	struct buf *out = &c->out;
	bool ok = true;
	put(out, "HTTP/1.1 ", &ok);
	put_size(out, (size_t)r->status, &ok);
	put(out, " ", &ok);
	put(out, reason_phrase(r->status), &ok);
	put(out, "\r\nServer: " KEZ_NAME "\r\n", &ok);
	put(out, w->date_header, &ok);
	if (r->content_type) {
		put(out, "Content-Type: ", &ok);
		put(out, r->content_type, &ok);
		put(out, "\r\n", &ok);
	}
	if (r->status != 204) {
		put(out, "Content-Length: ", &ok);
		put_size(out, r->content_length, &ok);
		put(out, "\r\n", &ok);
	}
	if (c->req.cors)
		put(out, "Access-Control-Allow-Origin: *\r\n", &ok);
	if (r->no_cache)
		put(out, "Cache-Control: no-cache\r\n", &ok);
	if (r->extra_headers)
		put(out, r->extra_headers, &ok);
	if (c->close_after_send)
		put(out, "Connection: close\r\n", &ok);
	else if (c->parser.http_major == 1 && c->parser.http_minor == 0)
		put(out, "Connection: keep-alive\r\n", &ok);
	put(out, "\r\n", &ok);
	if (!ok)
		c->close_after_send = true;
}

void response_send(struct worker *w, struct connection *c, const struct response *r, const char *body)
{
	response_head(w, c, r);
	if (body && body_allowed(c, r->status) && buf_append(&c->out, body, r->content_length) < 0)
		c->close_after_send = true;
}

/* JSON string contents: the detail may quote what a client sent. */
static void json_escape(const char *s, char *out, size_t cap)
{
	size_t o = 0;
	for (; *s && o + 7 < cap; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\') {
			out[o++] = '\\';
			out[o++] = (char)ch;
		} else if (ch < 0x20) {
			o += (size_t)snprintf(out + o, cap - o, "\\u%04x", ch);
		} else {
			out[o++] = (char)ch;
		}
	}
	out[o] = '\0';
}

void response_error(struct worker *w, struct connection *c, enum api_error e, const char *detail)
{
	response_error_with(w, c, e, detail, NULL);
}

static void send_error(struct worker *w, struct connection *c, enum api_error e, const char *detail,
		       const char *extra_headers, const char *members)
{
	const struct api_error_info *info = api_error_info(e);
	char message[512], body[900], allow[64];
	json_escape(detail && *detail ? detail : info->message, message, sizeof message);
	int n = snprintf(body, sizeof body, "{\"error\":\"%s\",\"message\":\"%s\"%s}", info->code, message, members);
	if (n < 0 || (size_t)n >= sizeof body)
		n = snprintf(body, sizeof body, "{\"error\":\"%s\",\"message\":\"%s\"%s}", info->code, info->code,
			     members);
	struct response r = { .status = info->status, .content_type = "application/json",
			      .content_length = (size_t)n, .extra_headers = extra_headers };
	if (e == API_METHOD_NOT_ALLOWED) {
		snprintf(allow, sizeof allow, "Allow: %s\r\n", c->req.allow ? c->req.allow : "GET, HEAD");
		r.extra_headers = allow;
	}
	response_send(w, c, &r, body);
}

void response_preflight(struct worker *w, struct connection *c, const char *methods)
{
	char headers[200];
	snprintf(headers, sizeof headers,
		 "Access-Control-Allow-Methods: %s\r\nAccess-Control-Allow-Headers: content-type\r\n"
		 "Access-Control-Max-Age: 86400\r\n", methods);
	struct response r = { .status = 204, .extra_headers = headers };
	response_send(w, c, &r, NULL);
}

void response_error_with(struct worker *w, struct connection *c, enum api_error e, const char *detail,
			 const char *extra_headers)
{
	send_error(w, c, e, detail, extra_headers, "");
}

void response_error_members(struct worker *w, struct connection *c, enum api_error e, const char *detail,
			    const char *members)
{
	send_error(w, c, e, detail, NULL, members);
}
