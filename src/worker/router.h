/* Which endpoint a request is for and what it may do, decided once the
 * head is in (so a body is read only when it will be used); then the
 * complete request goes to w->endpoints[its endpoint]. */
#ifndef KEZ_WORKER_ROUTER_H
#define KEZ_WORKER_ROUTER_H

#include "worker/worker.h"

/* Sets endpoint, early_error, allow, cors and body_wanted from the target,
 * method and Content-Type. */
void        route_request_head(struct worker *w, struct connection *c);
/* Answers the early error, or hands the request to its endpoint. */
void        route_request(struct worker *w, struct connection *c);
/* The methods an endpoint takes, as an Allow header value. */
const char *route_allowed_methods(enum endpoint ep);

#endif
