/* The write limit (API.md §5): token buckets per client address in a table
 * the master maps shared before the first fork, so all workers count
 * together. N writes a minute, bursts of N. */
#ifndef KEZ_WORKER_RATE_LIMIT_H
#define KEZ_WORKER_RATE_LIMIT_H

#include <stdbool.h>
#include <stdint.h>

#include "common/proc/child.h"
#include "worker/worker.h"

/* Takes one write from addr's bucket (limit: writes a minute, > 0). true
 * when allowed; otherwise *retry_after_s says when one will be. */
bool rate_table_take(struct rate_table *t, unsigned limit, const struct peer_addr *addr, long long now_ms,
		     unsigned *retry_after_s);

/* For every write endpoint, before anything is verified: true to go on;
 * false when it answered 429 rate_limited. */
bool rate_limit_admit(struct worker *w, struct connection *c);

#endif
