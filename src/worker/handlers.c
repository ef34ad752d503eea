/* The endpoints that answer at once: health, lookups, WebFinger, the web app. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/config/config.h"
#include "common/kez/key_text.h"
#include "common/base/log.h"
#include "worker/handlers.h"
#include "worker/percent.h"
#include "worker/record.h"
#include "worker/registration.h"
#include "worker/response.h"
#include "worker/webfinger.h"

static void send_json(struct worker *w, struct connection *c, int status, const char *content_type,
		      const struct buf *body, const char *extra)
{
	struct response r = { .status = status, .content_type = content_type,
			      .content_length = body->len, .extra_headers = extra };
	response_send(w, c, &r, body->data);
}

void handle_healthz(struct worker *w, struct connection *c)
{
	bool up = atomic_load(&w->ctx->state->verifier_ready) && atomic_load(&w->ctx->state->writer_ready);
	char body[512];
	int n = snprintf(body, sizeof body, "{\"status\":\"%s\",\"server\":\"%s\",\"version\":\"" KEZ_VERSION "\"}",
			 up ? "ok" : "unavailable", w->cfg->server);
	struct response r = { .status = up ? 200 : 503, .content_type = "application/json",
			      .content_length = (size_t)n };
	response_send(w, c, &r, body);
}

/* Percent-decodes and lowercases a handle segment. false when it cannot be a handle. */
static bool decode_handle(const char *s, size_t n, char out[HANDLE_MAX_LEN + 1], size_t *len)
{
	ssize_t m = percent_decode(s, n, false, out, HANDLE_MAX_LEN + 1);
	if (m < 0)
		return false;
	for (ssize_t i = 0; i < m; i++)
		out[i] = (char)tolower((unsigned char)out[i]);
	*len = (size_t)m;
	return handle_is_valid(out, *len);
}

void handle_user(struct worker *w, struct connection *c)
{
	/* The router took "/v1/u/" and one more segment. */
	const char *segment = c->req.target.data + c->req.path_start + 6;
	size_t len = c->req.path_len - 6;
	char handle[HANDLE_MAX_LEN + 1];
	size_t handle_len;
	if (!decode_handle(segment, len, handle, &handle_len)) {
		response_error(w, c, API_NOT_FOUND, "no such handle");
		return;
	}
	struct registry_record rec;
	int found = registry_find_handle(&w->registry, handle, handle_len, &rec);
	if (found < 0) {
		response_error(w, c, API_INTERNAL, "the registry could not be read");
		return;
	}
	if (found == 0) {
		response_error(w, c, API_NOT_FOUND, "no such handle");
		return;
	}
	struct buf body;
	buf_init(&body, RECORD_JSON_MAX);
	if (render_record(w->cfg, &body, &rec) < 0)
		response_error(w, c, API_INTERNAL, NULL);
	else
		send_json(w, c, 200, "application/json", &body, NULL);
	buf_free(&body);
}

void handle_webfinger(struct worker *w, struct connection *c)
{
	const char *query = c->req.target.data + c->req.query_start;
	size_t len = c->req.query_len;
	static struct webfinger_query q; /* large; one request at a time per worker */
	if (webfinger_parse_query(query, len, &q) < 0) {
		response_error(w, c, API_BAD_REQUEST, "the query string is not valid percent-encoding");
		return;
	}
	if (!q.has_resource) {
		response_error(w, c, API_MISSING_RESOURCE, NULL);
		return;
	}
	char handle[HANDLE_MAX_LEN + 1];
	size_t handle_len;
	if (!webfinger_resource_handle(q.resource, w->cfg->server, handle, &handle_len)) {
		response_error(w, c, API_NOT_FOUND, "the resource is not an acct: of this server");
		return;
	}
	struct registry_record rec;
	int found = registry_find_handle(&w->registry, handle, handle_len, &rec);
	if (found <= 0) {
		response_error(w, c, found < 0 ? API_INTERNAL : API_NOT_FOUND, found < 0 ? NULL : "no such handle");
		return;
	}
	char key_hex[65], sigchain[640];
	hex_encode(rec.primary, sizeof rec.primary, key_hex);
	snprintf(sigchain, sizeof sigchain, "%s/v1/sigchains/ed25519/%s", w->cfg->sig_server_url, key_hex);
	struct buf body;
	buf_init(&body, 64 * 1024);
	if (webfinger_render(&body, rec.handle, w->cfg->server, w->cfg->public_url, sigchain, &q) < 0)
		response_error(w, c, API_INTERNAL, NULL);
	else
		send_json(w, c, 200, "application/jrd+json", &body, NULL);
	buf_free(&body);
}

static void placeholder_page(struct worker *w, struct connection *c)
{
	char page[2048];
	int n = snprintf(page, sizeof page,
			 "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
			 "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
			 "<title>kez-chat-server — %s</title>\n</head>\n<body>\n"
			 "<h1>kez-chat-server</h1>\n"
			 "<p>This is the kez-chat home server for <strong>%s</strong>, version " KEZ_VERSION ".</p>\n"
			 "<p>The web app is not installed here yet (start the server with <code>--web-dir</code>).</p>\n"
			 "<p>API: <a href=\"/v1/healthz\">/v1/healthz</a>, <code>GET /v1/u/&lt;handle&gt;</code>, "
			 "<code>POST /v1/register</code>, <code>/.well-known/webfinger</code>.</p>\n"
			 "</body>\n</html>\n",
			 w->cfg->server, w->cfg->server);
	struct response r = { .status = 200, .content_type = "text/html; charset=utf-8",
			      .content_length = (size_t)n, .no_cache = true };
	response_send(w, c, &r, page);
}

void handle_static(struct worker *w, struct connection *c)
{
	const char *path = c->req.target.data + c->req.path_start;
	size_t len = c->req.path_len;
	if (!w->has_site) {
		placeholder_page(w, c);
		return;
	}
	struct static_file f;
	if (static_lookup(&w->site, path, len, &f) != API_OK) {
		response_error(w, c, API_NOT_FOUND, NULL);
		return;
	}
	char extra[128];
	snprintf(extra, sizeof extra, "ETag: %s\r\n", f.etag);
	struct response r = { .status = 200, .content_type = f.mime, .content_length = (size_t)f.size,
			      .extra_headers = extra, .no_cache = f.no_cache };
	if (c->req.if_none_match[0] &&
	    static_etag_matches(c->req.if_none_match, strlen(c->req.if_none_match), f.etag))
		r.status = 304;
	response_head(w, c, &r);
	if (r.status == 304 || c->req.method == HTTP_HEAD || f.size == 0) {
		close(f.fd);
		return;
	}
	c->file_fd = f.fd;
	c->file_offset = 0;
	c->file_left = f.size;
}

void handle_register(struct worker *w, struct connection *c)
{
	if (c->req.method == HTTP_OPTIONS)
		response_preflight(w, c, "POST");
	else
		registration_start(w, c);
}
