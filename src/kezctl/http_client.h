/* kezctl's HTTP: a thin libcurl wrapper with bounded responses. */
#ifndef KEZCTL_HTTP_CLIENT_H
#define KEZCTL_HTTP_CLIENT_H

#include <stddef.h>

#include "common/buf.h"

struct http_result {
	long       status; /* 0: no answer (see error) */
	struct buf body;
	char       error[256];
};

void http_client_init(void);
void http_client_cleanup(void);
/* GET (body NULL) or POST with Content-Type: application/json. 0 when an
 * HTTP answer came (any status), -1 on a transport error. */
int  http_request(const char *url, const char *body, size_t len, struct http_result *out);
void http_result_free(struct http_result *r);
/* Percent-encodes s for a URL path or query component. */
int  http_escape(const char *s, struct buf *out);

#endif
