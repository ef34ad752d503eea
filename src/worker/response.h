/* Status lines and headers, and the JSON error body. */
#ifndef KEZ_WORKER_RESPONSE_H
#define KEZ_WORKER_RESPONSE_H

#include "worker/worker.h"

struct response {
	int         status;
	const char *content_type;  /* NULL: no Content-Type */
	size_t      content_length;
	const char *extra_headers; /* complete "Name: value\r\n" lines, or NULL */
	bool        no_cache;
};

/* Appends the status line and headers; the body follows unless HEAD. */
void response_head(struct worker *w, struct connection *c, const struct response *r);
/* A whole response with an in-memory body (omitted for HEAD). */
void response_send(struct worker *w, struct connection *c, const struct response *r, const char *body);
/* {"error":code,"message":...} with the catalogue's status; detail replaces
 * the default message. A 405 carries the endpoint's Allow header. */
void response_error(struct worker *w, struct connection *c, enum api_error e, const char *detail);
/* The same with extra header lines ("Name: value\r\n"...), or NULL. */
void response_error_with(struct worker *w, struct connection *c, enum api_error e, const char *detail,
			 const char *extra_headers);
/* The same with more members after "message": `members` is JSON text that
 * starts with a comma (",\"length\":3"), made by the caller from trusted values. */
void response_error_members(struct worker *w, struct connection *c, enum api_error e, const char *detail,
			    const char *members);
/* 204 to a CORS preflight: `methods` may be used, with a Content-Type. */
void response_preflight(struct worker *w, struct connection *c, const char *methods);
void response_refresh_date(struct worker *w);

#endif
