/* The router: which endpoint a request head names, 404 against 405 and its
 * Allow header, the CORS flag, which bodies are read, and the dispatch. */
#include "common/config/config.h"
#include "worker/router.h"
#include "../unit.h"

struct fixture {
	struct config     cfg;
	struct worker     w;
	struct connection c;
};

static void setup(struct fixture *f, bool has_site)
{
	memset(f, 0, sizeof *f);
	f->cfg.max_header_bytes = 16384;
	f->cfg.max_connections = 16;
	f->cfg.serve_registry = true; /* --serve's default */
	f->w.cfg = &f->cfg;
	f->w.has_site = has_site;
	buf_init(&f->c.req.target, 16384);
	buf_init(&f->c.out, 1 << 20);
	f->c.req.keep_alive = true;
}

static void teardown(struct fixture *f)
{
	buf_free(&f->c.req.target);
	buf_free(&f->c.out);
}

/* Routes one head; the fixture keeps the outcome. */
static void route(struct fixture *f, uint8_t method, const char *target, const char *content_type)
{
	struct request *r = &f->c.req;
	buf_reset(&r->target);
	(void)buf_append_str(&r->target, target);
	r->method = method;
	r->endpoint = EP_NONE;
	r->early_error = API_OK;
	r->allow = NULL;
	r->body_wanted = false;
	r->cors = false;
	snprintf(r->content_type, sizeof r->content_type, "%s", content_type ? content_type : "");
	route_request_head(&f->w, &f->c);
}

UNIT_TEST(router_endpoint_choice)
{
	static const struct {
		uint8_t        method;
		const char    *target;
		const char    *content_type;
		enum endpoint  endpoint;
		enum api_error error;
	} cases[] = {
		{ HTTP_GET, "/v1/healthz", NULL, EP_HEALTHZ, API_OK },
		{ HTTP_HEAD, "/v1/healthz", NULL, EP_HEALTHZ, API_OK },
		{ HTTP_GET, "/v1/healthz?x=1", NULL, EP_HEALTHZ, API_OK },
		{ HTTP_GET, "http://kez.test/v1/healthz", NULL, EP_HEALTHZ, API_OK },
		{ HTTP_GET, "/v1/u/alice", NULL, EP_USER, API_OK },
		{ HTTP_GET, "/v1/u/alice/keys", NULL, EP_UNKNOWN, API_NOT_FOUND },
		{ HTTP_GET, "/v1/u/", NULL, EP_UNKNOWN, API_NOT_FOUND },
		{ HTTP_POST, "/v1/register", "application/json", EP_REGISTER, API_OK },
		{ HTTP_POST, "/v1/register", "Application/JSON; charset=utf-8", EP_REGISTER, API_OK },
		{ HTTP_POST, "/v1/register", "text/plain", EP_REGISTER, API_UNSUPPORTED_MEDIA_TYPE },
		{ HTTP_POST, "/v1/register", "application/jsonx", EP_REGISTER, API_UNSUPPORTED_MEDIA_TYPE },
		{ HTTP_OPTIONS, "/v1/register", NULL, EP_REGISTER, API_OK },
		{ HTTP_GET, "/.well-known/webfinger?resource=acct:a@b", NULL, EP_WEBFINGER, API_OK },
		{ HTTP_POST, "/internal/nats/auth", NULL, EP_NATS_AUTH, API_OK },
		{ HTTP_GET, "/", NULL, EP_STATIC, API_OK },
		{ HTTP_GET, "/index.html", NULL, EP_STATIC, API_OK },
		{ HTTP_GET, "/app.js", NULL, EP_UNKNOWN, API_NOT_FOUND }, /* no web dir */
		{ HTTP_GET, "*", NULL, EP_UNKNOWN, API_NOT_FOUND },
		{ HTTP_GET, "/v1", NULL, EP_UNKNOWN, API_NOT_FOUND },
		{ HTTP_GET, "/internal/other", NULL, EP_UNKNOWN, API_NOT_FOUND },
	};
	struct fixture f;
	setup(&f, false);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		route(&f, cases[i].method, cases[i].target, cases[i].content_type);
		if (!CHECK_EQ_INT(f.c.req.endpoint, cases[i].endpoint) |
		    !CHECK_EQ_INT(f.c.req.early_error, cases[i].error))
			unit_fail(__FILE__, __LINE__, "for %s", cases[i].target);
	}
	/* with a web dir every other path is the app's */
	teardown(&f);
	setup(&f, true);
	route(&f, HTTP_GET, "/app.js", NULL);
	CHECK_EQ_INT(f.c.req.endpoint, EP_STATIC);
	route(&f, HTTP_GET, "/v1/nope", NULL);
	CHECK_EQ_INT(f.c.req.endpoint, EP_UNKNOWN);
	route(&f, HTTP_GET, "/.well-known/other", NULL);
	CHECK_EQ_INT(f.c.req.endpoint, EP_UNKNOWN);
	teardown(&f);
}

UNIT_TEST(router_404_or_405_with_allow)
{
	static const struct {
		uint8_t     method;
		const char *target;
		const char *allow; /* NULL: 404 */
	} cases[] = {
		{ HTTP_POST, "/v1/healthz", "GET, HEAD" },
		{ HTTP_DELETE, "/v1/u/alice", "GET, HEAD" },
		{ HTTP_GET, "/v1/register", "POST, OPTIONS" },
		{ HTTP_PUT, "/v1/register", "POST, OPTIONS" },
		{ HTTP_POST, "/.well-known/webfinger", "GET, HEAD" },
		{ HTTP_GET, "/internal/nats/auth", "POST" },
		{ HTTP_DELETE, "/v1/nope", NULL },
		{ HTTP_POST, "/nowhere", NULL },
	};
	struct fixture f;
	setup(&f, false);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		route(&f, cases[i].method, cases[i].target, NULL);
		if (cases[i].allow) {
			CHECK_EQ_INT(f.c.req.early_error, API_METHOD_NOT_ALLOWED);
			CHECK_EQ_STR(f.c.req.allow, cases[i].allow);
		} else {
			CHECK_EQ_INT(f.c.req.early_error, API_NOT_FOUND);
		}
		CHECK(!f.c.req.body_wanted);
	}
	/* the answer carries the Allow line */
	route(&f, HTTP_GET, "/v1/register", NULL);
	buf_reset(&f.c.out);
	route_request(&f.w, &f.c);
	REQUIRE(buf_putc(&f.c.out, '\0') == 0);
	CHECK(strncmp(f.c.out.data, "HTTP/1.1 405 ", 13) == 0);
	CHECK(strstr(f.c.out.data, "\r\nAllow: POST, OPTIONS\r\n") != NULL);
	CHECK(strstr(f.c.out.data, "\"error\":\"method_not_allowed\"") != NULL);
	teardown(&f);
}

UNIT_TEST(router_cors_flag)
{
	static const struct {
		const char *target;
		bool        cors;
	} cases[] = {
		{ "/v1/healthz", true }, { "/v1/u/alice", true }, { "/v1/nope", true },
		{ "/.well-known/webfinger", true }, { "/.well-known/other", false },
		{ "/", false }, { "/internal/nats/auth", false }, { "/v1", false },
	};
	struct fixture f;
	setup(&f, false);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		route(&f, HTTP_GET, cases[i].target, NULL);
		if (!CHECK_EQ_INT(f.c.req.cors, cases[i].cors))
			unit_fail(__FILE__, __LINE__, "for %s", cases[i].target);
	}
	teardown(&f);
}

UNIT_TEST(router_body_policy)
{
	struct fixture f;
	setup(&f, false);
	route(&f, HTTP_POST, "/v1/register", "application/json");
	CHECK(f.c.req.body_wanted);
	route(&f, HTTP_POST, "/v1/register", "text/plain");
	CHECK(!f.c.req.body_wanted); /* 415: the body is not read */
	f.c.req.content_type_cut = true;
	route(&f, HTTP_POST, "/v1/register", "application/json");
	CHECK(!f.c.req.body_wanted); /* a cut Content-Type is never JSON */
	CHECK_EQ_INT(f.c.req.early_error, API_UNSUPPORTED_MEDIA_TYPE);
	f.c.req.content_type_cut = false;
	route(&f, HTTP_OPTIONS, "/v1/register", NULL);
	CHECK(!f.c.req.body_wanted);
	route(&f, HTTP_POST, "/internal/nats/auth", NULL);
	CHECK(f.c.req.body_wanted);
	route(&f, HTTP_GET, "/v1/healthz", NULL);
	CHECK(!f.c.req.body_wanted);
	teardown(&f);
}

static enum endpoint called;
static void stub_healthz(struct worker *w, struct connection *c) { called = EP_HEALTHZ; }
static void stub_register(struct worker *w, struct connection *c) { called = EP_REGISTER; }

UNIT_TEST(router_dispatch)
{
	struct fixture f;
	setup(&f, false);
	f.w.endpoints[EP_HEALTHZ] = stub_healthz;
	f.w.endpoints[EP_REGISTER] = stub_register;
	called = EP_NONE;
	route(&f, HTTP_GET, "/v1/healthz", NULL);
	route_request(&f.w, &f.c);
	CHECK_EQ_INT(called, EP_HEALTHZ);
	called = EP_NONE;
	route(&f, HTTP_POST, "/v1/register", "application/json");
	route_request(&f.w, &f.c);
	CHECK_EQ_INT(called, EP_REGISTER);
	/* an early error never reaches the endpoint */
	called = EP_NONE;
	route(&f, HTTP_POST, "/v1/register", "text/plain");
	buf_reset(&f.c.out);
	route_request(&f.w, &f.c);
	CHECK_EQ_INT(called, EP_NONE);
	CHECK(f.c.out.len > 13 && strncmp(f.c.out.data, "HTTP/1.1 415 ", 13) == 0);
	/* an endpoint without a handler is 404 */
	route(&f, HTTP_GET, "/v1/u/alice", NULL);
	buf_reset(&f.c.out);
	route_request(&f.w, &f.c);
	CHECK_EQ_INT(called, EP_NONE);
	CHECK(f.c.out.len > 13 && strncmp(f.c.out.data, "HTTP/1.1 404 ", 13) == 0);
	teardown(&f);
}
