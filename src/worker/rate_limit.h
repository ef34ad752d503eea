/* The write limit (API.md §5) as the workers apply it; the shared buckets
 * are common/proc/rate_table.h. */
#ifndef KEZ_WORKER_RATE_LIMIT_H
#define KEZ_WORKER_RATE_LIMIT_H

#include <stdbool.h>

#include "worker/worker.h"

/* For every write endpoint, before anything is verified: true to go on;
 * false when it answered 429 rate_limited. */
bool rate_limit_admit(struct worker *w, struct connection *c);

#endif
