/* HTTP/1.1 requests with llhttp: one request at a time per connection, the
 * few header values the endpoints use, size limits while parsing. */
#ifndef KEZ_WORKER_HTTP_PARSE_H
#define KEZ_WORKER_HTTP_PARSE_H

#include "worker/worker.h"

void http_parse_init(void);
/* Starts c's parser (a new connection). */
void http_parse_begin(struct connection *c);
/* Parses c->in up to the end of one request: HPE_PAUSED when a request is
 * complete (*used: the bytes it took), HPE_OK when all of c->in was taken,
 * anything else for a request that cannot be parsed. Calls
 * w->hooks.request_head once a head is complete. */
llhttp_errno_t http_parse_execute(struct worker *w, struct connection *c, size_t *used);

#endif
