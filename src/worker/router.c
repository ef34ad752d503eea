/* Routing (router.h). */
#include <string.h>
#include <strings.h>

#include "common/proc/metrics.h"

#include "worker/response.h"
#include "worker/router.h"
#include "worker/sigchain_path.h"

static bool is_json_media_type(const char *v, bool cut)
{
	if (cut)
		return false;
	while (*v == ' ' || *v == '\t')
		v++;
	static const char want[] = "application/json";
	if (strncasecmp(v, want, sizeof want - 1) != 0)
		return false;
	v += sizeof want - 1;
	while (*v == ' ' || *v == '\t')
		v++;
	return *v == '\0' || *v == ';'; /* parameters such as charset are fine */
}

static bool path_is(const char *p, size_t n, const char *lit)
{
	size_t m = strlen(lit);
	return n == m && memcmp(p, lit, m) == 0;
}

static bool path_has_prefix(const char *p, size_t n, const char *lit)
{
	size_t m = strlen(lit);
	return n >= m && memcmp(p, lit, m) == 0;
}

/* Splits the target into path and query (absolute-form targets lose their
 * scheme and authority). false when it has no path at all. */
static bool split_target(struct request *r)
{
	const char *t = r->target.data;
	size_t n = r->target.len, start = 0;
	if (n >= 7 && (strncasecmp(t, "http://", 7) == 0 || (n >= 8 && strncasecmp(t, "https://", 8) == 0))) {
		start = t[4] == ':' ? 7 : 8;
		while (start < n && t[start] != '/')
			start++;
	}
	if (start >= n || t[start] != '/')
		return false;
	const char *q = memchr(t + start, '?', n - start);
	r->path_start = start;
	r->path_len = q ? (size_t)(q - (t + start)) : n - start;
	r->query_start = q ? (size_t)(q - t) + 1 : n;
	r->query_len = q ? n - r->query_start : 0;
	return true;
}

/* Only the APIs this instance serves (--serve) have endpoints; the others'
 * paths are unknown here. */
static enum endpoint classify(const struct worker *w, const char *p, size_t n)
{
	bool registry = w->cfg->serve_registry, chains = w->cfg->serve_sigchain;
	if (path_is(p, n, "/v1/healthz"))
		return EP_HEALTHZ;
	if (registry && path_is(p, n, "/v1/register"))
		return EP_REGISTER;
	if (registry && path_has_prefix(p, n, "/v1/u/") && n > 6 && !memchr(p + 6, '/', n - 6))
		return EP_USER;
	if (registry && path_is(p, n, "/.well-known/webfinger"))
		return EP_WEBFINGER;
	if (registry && path_is(p, n, "/internal/nats/auth"))
		return EP_NATS_AUTH;
	switch (chains ? sigchain_path_kind(p, n) : SIGCHAIN_PATH_NONE) {
	case SIGCHAIN_PATH_CHAIN: return EP_CHAIN;
	case SIGCHAIN_PATH_JSONL: return EP_CHAIN_JSONL;
	case SIGCHAIN_PATH_EVENT: return EP_CHAIN_EVENT;
	case SIGCHAIN_PATH_NONE: break;
	}
	if (path_is(p, n, "/v1") || path_has_prefix(p, n, "/v1/") || path_has_prefix(p, n, "/.well-known/") ||
	    path_is(p, n, "/internal") || path_has_prefix(p, n, "/internal/"))
		return EP_UNKNOWN;
	if (w->has_site || path_is(p, n, "/") || path_is(p, n, "/index.html"))
		return EP_STATIC;
	return EP_UNKNOWN;
}

const char *route_allowed_methods(enum endpoint ep)
{
	switch (ep) {
	case EP_REGISTER: return "POST, OPTIONS";
	case EP_NATS_AUTH: return "POST";
	case EP_CHAIN: return "GET, HEAD, POST, OPTIONS";
	case EP_CHAIN_JSONL:
	case EP_CHAIN_EVENT: return "GET, HEAD, OPTIONS";
	default: return "GET, HEAD";
	}
}

static bool is_read_method(uint8_t m)
{
	return m == HTTP_GET || m == HTTP_HEAD;
}

void route_request_head(struct worker *w, struct connection *c)
{
	struct request *r = &c->req;
	if (!split_target(r)) {
		r->endpoint = EP_UNKNOWN;
		r->early_error = API_NOT_FOUND;
		return;
	}
	const char *path = r->target.data + r->path_start;
	r->started_ns = metrics_now_ns();
	/* The metrics listener serves that one path, and the service never does. */
	if (c->metrics)
		r->endpoint = path_is(path, r->path_len, "/metrics") ? EP_METRICS : EP_UNKNOWN;
	else
		r->endpoint = classify(w, path, r->path_len);
	r->cors = path_has_prefix(path, r->path_len, "/v1/") ||
		  path_is(path, r->path_len, "/.well-known/webfinger");
	r->allow = route_allowed_methods(r->endpoint);
	switch (r->endpoint) {
	case EP_REGISTER:
		if (r->method == HTTP_OPTIONS)
			break;
		if (r->method != HTTP_POST)
			r->early_error = API_METHOD_NOT_ALLOWED;
		else if (!is_json_media_type(r->content_type, r->content_type_cut))
			r->early_error = API_UNSUPPORTED_MEDIA_TYPE;
		else
			r->body_wanted = true;
		break;
	case EP_CHAIN:
		if (r->method == HTTP_POST) {
			if (!is_json_media_type(r->content_type, r->content_type_cut))
				r->early_error = API_UNSUPPORTED_MEDIA_TYPE;
			else
				r->body_wanted = true;
		} else if (!is_read_method(r->method) && r->method != HTTP_OPTIONS) {
			r->early_error = API_METHOD_NOT_ALLOWED;
		}
		break;
	case EP_CHAIN_JSONL:
	case EP_CHAIN_EVENT:
		if (!is_read_method(r->method) && r->method != HTTP_OPTIONS)
			r->early_error = API_METHOD_NOT_ALLOWED;
		break;
	case EP_NATS_AUTH:
		if (r->method != HTTP_POST)
			r->early_error = API_METHOD_NOT_ALLOWED;
		else
			r->body_wanted = true;
		break;
	case EP_UNKNOWN:
		r->early_error = API_NOT_FOUND;
		break;
	default:
		if (!is_read_method(r->method))
			r->early_error = API_METHOD_NOT_ALLOWED;
		break;
	}
}

void route_request(struct worker *w, struct connection *c)
{
	struct request *r = &c->req;
	if (r->early_error != API_OK) {
		response_error(w, c, r->early_error, NULL);
		return;
	}
	worker_request_fn fn = r->endpoint < EP_COUNT ? w->endpoints[r->endpoint] : NULL;
	if (fn)
		fn(w, c);
	else
		response_error(w, c, API_NOT_FOUND, NULL);
}
