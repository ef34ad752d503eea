/* POST /internal/nats/auth: the auth callout over HTTP, for loopback peers. */
#ifndef KEZ_WORKER_NATS_ENDPOINT_H
#define KEZ_WORKER_NATS_ENDPOINT_H

#include "worker/worker.h"

void handle_nats_auth(struct worker *w, struct connection *c);

#endif
