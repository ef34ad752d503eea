/* The output half of a connection (connection.c is the input half):
 * writing `out`, a streamed body and a static file, in that order, then
 * closing politely (shut our side, drain what the client still sends). */
#ifndef KEZ_WORKER_CONNECTION_OUT_H
#define KEZ_WORKER_CONNECTION_OUT_H

#include <stdbool.h>

#include "worker/worker.h"

/* Something is still to be written. */
bool connection_output_pending(const struct connection *c);
/* Writes what is pending. 0, or -1 when the connection was closed. */
int  connection_flush(struct worker *w, struct connection *c);
/* Reads and drops a lingering connection's input. 0, or -1 when it closed. */
int  connection_linger_drain(struct worker *w, struct connection *c);

#endif
