/* Sets up the worker's modules and connects the layers: the hooks lower
 * layers call upward through, and the endpoint table. */
#ifndef KEZ_WORKER_WIRING_H
#define KEZ_WORKER_WIRING_H

#include "worker/worker.h"

/* After cfg, ctx and the two IPC channels are set. 0, or -1 (no memory). */
int  worker_modules_init(struct worker *w);
void worker_modules_free(struct worker *w);

#endif
