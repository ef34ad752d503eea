/* The sigchain service's reads (SIGCHAIN.md §2), served straight from LMDB
 * in a read-only snapshot, no process hop: GET/HEAD of a chain (paged with
 * after/limit), of its .jsonl export and of one event, with ETags; and the
 * CORS preflight of every chain path. A long chain's body is made part by
 * part as the socket drains (connection.body_fill), so no response is held
 * whole in memory. */
#ifndef KEZ_WORKER_SIGCHAIN_READ_H
#define KEZ_WORKER_SIGCHAIN_READ_H

#include "worker/worker.h"

/* Per-connection state of a body being streamed. 0, or -1 (no memory). */
int  sigchain_read_init(struct worker *w);
void sigchain_read_free(struct worker *w);

/* /v1/sigchains/ed25519/{hex}: GET/HEAD, and OPTIONS (the preflight). */
void handle_chain(struct worker *w, struct connection *c);
/* /v1/sigchains/ed25519/{hex}.jsonl */
void handle_chain_jsonl(struct worker *w, struct connection *c);
/* /v1/sigchains/ed25519/{hex}/{seq} */
void handle_chain_event(struct worker *w, struct connection *c);

#endif
