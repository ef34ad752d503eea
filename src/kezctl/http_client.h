/* kezctl's HTTP: a thin libcurl wrapper with bounded responses. */
#ifndef KEZCTL_HTTP_CLIENT_H
#define KEZCTL_HTTP_CLIENT_H

#include <stddef.h>

#include "common/base/buf.h"

#define HTTP_MAX_RESPONSE (1024 * 1024) /* a record or a JRD is a few hundred bytes */
#define HTTP_TIMEOUT_S    10L

struct http_result {
	long       status; /* 0 when no answer came (see error) */
	struct buf body;
	char       error[512];
};

/* Once per process, before any request. 0, or -1. */
int  http_client_init(void);
void http_client_cleanup(void);

/* GET (body NULL), or POST of `len` bytes with Content-Type:
 * application/json. Only http and https URLs; redirects are not followed.
 * 0 when an HTTP answer came (whatever its status), -1 on a transport error
 * (no connection, timeout, answer larger than HTTP_MAX_RESPONSE) with the
 * reason in out->error. Free `out` with http_result_free in both cases. */
int  http_request(const char *url, const char *body, size_t len, struct http_result *out);
/* The same with another bound on the answer (a whole chain is larger). */
int  http_request_max(const char *url, const char *body, size_t len, size_t max, struct http_result *out);
void http_result_free(struct http_result *r);

/* Appends s percent-encoded for a URL path segment or query value: every
 * byte except A-Z a-z 0-9 - . _ ~ becomes %XX. 0, or -1 past out's limit. */
int  http_escape(const char *s, struct buf *out);

#endif
