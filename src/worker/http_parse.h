/* HTTP/1.1 requests with llhttp: one request at a time per connection, the
 * few header values the endpoints use, size limits while parsing. */
#ifndef KEZ_WORKER_HTTP_PARSE_H
#define KEZ_WORKER_HTTP_PARSE_H

#include <llhttp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/base/buf.h"
#include "common/kez/api_error.h"

struct connection;
struct worker;

enum endpoint {
	EP_NONE = 0,
	EP_HEALTHZ,
	EP_USER,       /* /v1/u/{handle} */
	EP_REGISTER,
	EP_WEBFINGER,
	EP_NATS_AUTH,
	EP_STATIC,     /* the web app, or the placeholder page */
	EP_CHAIN,       /* /v1/sigchains/ed25519/{hex} */
	EP_CHAIN_JSONL, /* /v1/sigchains/ed25519/{hex}.jsonl */
	EP_CHAIN_EVENT, /* /v1/sigchains/ed25519/{hex}/{seq} */
	EP_METRICS,    /* GET /metrics, on the --metrics-bind listener only */
	EP_UNKNOWN,    /* 404 whatever the method */
	EP_COUNT
};

/* Small header values kept from a request (longer ones are cut, flagged). */
#define SMALL_HEADER_MAX 256

struct request {
	enum endpoint  endpoint;
	enum api_error early_error;   /* decided when the head is complete */
	bool           stopped;       /* our callback stopped the parser: answer early_error */
	uint8_t        method;        /* llhttp_method_t */
	bool           keep_alive;
	bool           expect_continue;
	bool           body_wanted;
	bool           cors;          /* under /v1/, and /.well-known/webfinger */
	const char    *allow;         /* the endpoint's methods, for a 405 (NULL: GET, HEAD) */
	size_t         head_bytes;    /* request line + headers seen so far */
	uint64_t       started_ns;    /* the head was complete (metrics); 0: not routed */
	struct buf     target;        /* the request target as received */
	char           content_type[SMALL_HEADER_MAX];
	char           if_none_match[SMALL_HEADER_MAX];
	struct buf     forwarded_for; /* X-Forwarded-For lines joined with ',' */
	int            header;        /* which header's value is arriving (enum in http_parse.c) */
	char           field[24];     /* the header name arriving (longer names are "other") */
	size_t         field_len;
	bool           content_type_cut; /* the value did not fit: never application/json */
	size_t         path_start, path_len;   /* within target */
	size_t         query_start, query_len; /* within target; query_len 0: none */
	struct buf     body;
	size_t         body_seen;
};

void http_parse_init(void);
/* Starts c's parser (a new connection). */
void http_parse_begin(struct connection *c);
/* Parses c->in up to the end of one request: HPE_PAUSED when a request is
 * complete (*used: the bytes it took), HPE_OK when all of c->in was taken,
 * anything else for a request that cannot be parsed. Calls
 * w->hooks.request_head once a head is complete. */
llhttp_errno_t http_parse_execute(struct worker *w, struct connection *c, size_t *used);

#endif
