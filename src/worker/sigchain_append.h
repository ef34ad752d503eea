/* POST /v1/sigchains/ed25519/{hex} across two processes, as a registration:
 * the event goes to the verifier (rows 3-13, attested), the attested event
 * to the writer (rows 14-21, the append, the synced commit), and the
 * connection waits (pending.h) while others are served. */
#ifndef KEZ_WORKER_SIGCHAIN_APPEND_H
#define KEZ_WORKER_SIGCHAIN_APPEND_H

#include "worker/worker.h"

/* What an append keeps between hops. 0, or -1 (no memory). */
int  sigchain_append_init(struct worker *w);
void sigchain_append_free(struct worker *w);
/* The body is a JSON event (the router checked the media type). */
void sigchain_append_start(struct worker *w, struct connection *c);

#endif
