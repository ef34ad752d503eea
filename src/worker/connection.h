/* Client connections: accept, read, hand each complete request to
 * w->hooks.request, write, linger, close. */
#ifndef KEZ_WORKER_CONNECTION_H
#define KEZ_WORKER_CONNECTION_H

#include <sys/socket.h>

#include "worker/worker.h"

/* epoll tags below this are the worker's own descriptors. */
#define CONN_TAG_BASE 16

/* The parser settings and the connection deadline lists. */
void connection_init(struct worker *w);
void connection_accept(struct worker *w, int fd, const struct sockaddr_storage *peer, bool metrics);
/* The connection an epoll tag names, or NULL when the event is stale: its
 * connection closed, or the slot holds a newer one. */
struct connection *connection_from_tag(struct worker *w, uint64_t tag);
void connection_on_event(struct worker *w, struct connection *c, uint32_t events);
/* Continues after a response was produced asynchronously. */
void connection_resume(struct worker *w, struct connection *c);
/* Answers a waiting request with the error (response_error), then
 * continues as connection_resume. */
void connection_resume_with_error(struct worker *w, struct connection *c, enum api_error e, const char *detail);
/* Closes and takes c off every list. */
void connection_close(struct worker *w, struct connection *c);
/* Continues connections that had to yield the CPU to others. */
void connection_run_ready(struct worker *w);

#endif
