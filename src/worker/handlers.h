/* The endpoints that answer at once (health, lookups, WebFinger, the web
 * app) and POST /v1/register's entry; each takes its arguments from c->req. */
#ifndef KEZ_WORKER_HANDLERS_H
#define KEZ_WORKER_HANDLERS_H

#include "worker/worker.h"

void handle_healthz(struct worker *w, struct connection *c);
void handle_user(struct worker *w, struct connection *c);
void handle_webfinger(struct worker *w, struct connection *c);
void handle_static(struct worker *w, struct connection *c);
/* OPTIONS (the CORS preflight) or POST (registration_start). */
void handle_register(struct worker *w, struct connection *c);

#endif
