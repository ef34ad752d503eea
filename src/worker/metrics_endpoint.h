/* GET /metrics on the --metrics-bind listener: every process's counters,
 * summed, in the Prometheus text format. */
#ifndef KEZ_WORKER_METRICS_ENDPOINT_H
#define KEZ_WORKER_METRICS_ENDPOINT_H

#include "worker/worker.h"

void handle_metrics(struct worker *w, struct connection *c);

#endif
