/* The server's counters, for GET /metrics: one anonymous MAP_SHARED region
 * the master maps before the first fork, one block a process slot (block 0
 * is the master's). A process writes only its own block, with relaxed
 * atomics and no lock; a scrape sums every block. Gauges are set by their
 * owner and cleared by the master when that owner dies. */
#ifndef KEZ_METRICS_H
#define KEZ_METRICS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "common/proc/sandbox.h"

/* What a request's counts and latency are filed under. */
enum metrics_route {
	MR_HEALTHZ, MR_LOOKUP, MR_REGISTER, MR_WEBFINGER, MR_NATS_AUTH, MR_STATIC,
	MR_SIGCHAIN_READ, MR_SIGCHAIN_APPEND, MR_OTHER, MR_COUNT
};
enum metrics_verify_kind { MV_ENVELOPE, MV_EVENT, MV_NATS, MV_COUNT };
/* A NATS callout's outcome: result and reason together. */
enum metrics_callout {
	MC_GRANTED,          /* granted / registered */
	MC_REFUSED_PROOF,    /* refused / bad_proof: the nonce signature or the key did not hold */
	MC_REFUSED_UNKNOWN,  /* refused / unregistered */
	MC_REFUSED_REGISTRY, /* refused / registry_error */
	MC_INVALID,          /* invalid / bad_request: not a genuine request, no answer sent */
	MC_FAILED,           /* error / internal: could not sign or seal */
	MC_COUNT
};
#define METRICS_N_ROLES 4 /* by enum sandbox_role */
/* The two links a worker hands requests over. */
enum metrics_link { ML_VERIFIER, ML_WRITER, ML_COUNT };

/* The statuses the server sends, each counted apart; any other one is
 * counted as status="other" (the last slot). */
#define METRICS_STATUS_N 20
extern const unsigned short metrics_statuses[METRICS_STATUS_N - 1];
#define METRICS_TIME_BUCKETS  14 /* upper bounds in metrics_time_bounds, +Inf after */
#define METRICS_BATCH_BUCKETS 10 /* upper bounds in metrics_batch_bounds, +Inf after */

extern const double metrics_time_bounds[METRICS_TIME_BUCKETS];     /* seconds */
extern const double metrics_batch_bounds[METRICS_BATCH_BUCKETS];   /* requests */

/* Counts per bucket (not cumulative: the scrape adds them up); sum in ns
 * for times, in units for sizes. */
struct metrics_histogram {
	atomic_ullong bucket[METRICS_TIME_BUCKETS + 1];
	atomic_ullong count;
	atomic_ullong sum;
};

struct metrics_block {
	atomic_ullong            http[MR_COUNT][METRICS_STATUS_N];
	struct metrics_histogram http_time[MR_COUNT];
	struct metrics_histogram verify_time[MV_COUNT];
	struct metrics_histogram batch_size;
	struct metrics_histogram commit_time;
	atomic_ullong            callouts[MC_COUNT];
	atomic_ullong            restarts[METRICS_N_ROLES];
	atomic_ullong            link_full[ML_COUNT];
	/* gauges */
	atomic_ullong            open_connections;
	atomic_ullong            verifier_in_flight;
};

struct metrics_region {
	unsigned             n_blocks;
	struct metrics_block blocks[];
};

/* The master, before the first fork: n_blocks blocks, zeroed; this process
 * writes block 0 from then on. NULL on failure. */
struct metrics_region *metrics_create(unsigned n_blocks);
/* In a child, at start: its records go to `block` from now on. */
void metrics_attach(struct metrics_region *m, unsigned block);
struct metrics_region *metrics_region(void);
/* The master, when the owner of `block` is gone. */
void metrics_clear_gauges(struct metrics_region *m, unsigned block);

static inline uint64_t metrics_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The recording calls: no-ops in a process not attached. */
void metrics_http(enum metrics_route route, int status, uint64_t started_ns);
void metrics_verified(enum metrics_verify_kind kind, uint64_t started_ns);
void metrics_batch(unsigned requests, uint64_t commit_started_ns);
void metrics_callout(enum metrics_callout outcome);
void metrics_restart(enum sandbox_role role);
/* A worker's link was full: its next messages wait in the worker. */
void metrics_link_full(enum metrics_link link);
void metrics_gauges(unsigned open_connections, unsigned verifier_in_flight);

struct buf;
/* The sum of every block in the Prometheus text format (0.0.4). 0, or -1
 * when `out` cannot hold it. (metrics_text.c) */
int metrics_render(const struct metrics_region *m, struct buf *out);

#endif
