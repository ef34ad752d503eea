/* POST /v1/register across two processes without blocking the worker: the
 * envelope goes to the verifier, a verified (handle, key) to the writer,
 * and the connection waits (pending.h) while others are served. */
#ifndef KEZ_WORKER_REGISTRATION_H
#define KEZ_WORKER_REGISTRATION_H

#include "worker/worker.h"

/* What a registration keeps between hops. 0, or -1 (no memory). */
int  registration_init(struct worker *w);
void registration_free(struct worker *w);
/* The body is a JSON envelope (the router checked the media type). */
void registration_start(struct worker *w, struct connection *c);

#endif
