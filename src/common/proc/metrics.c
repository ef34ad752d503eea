/* The shared counters (metrics.h): recording. */
#include "common/proc/metrics.h"

#include <stddef.h>
#include <string.h>
#include <sys/mman.h>

const double metrics_time_bounds[METRICS_TIME_BUCKETS] = {
	0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5,
};
const unsigned short metrics_statuses[METRICS_STATUS_N - 1] = {
	200, 201, 204, 206, 304, 400, 401, 403, 404, 405, 409, 413, 415, 429, 431, 500, 501, 503, 507,
};
const double metrics_batch_bounds[METRICS_BATCH_BUCKETS] = { 1, 2, 4, 8, 16, 32, 64, 128, 256, 512 };

/* This process's block: set once at start, before any record. */
static struct metrics_region *region;
static struct metrics_block  *self;

struct metrics_region *metrics_create(unsigned n_blocks)
{
	size_t size = sizeof(struct metrics_region) + (size_t)n_blocks * sizeof(struct metrics_block);
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	region = p; /* mmap zeroes it */
	region->n_blocks = n_blocks;
	self = n_blocks ? &region->blocks[0] : NULL;
	return region;
}

void metrics_attach(struct metrics_region *m, unsigned block)
{
	region = m;
	self = m && block < m->n_blocks ? &m->blocks[block] : NULL;
	if (self)
		metrics_gauges(0, 0);
}

struct metrics_region *metrics_region(void)
{
	return region;
}

void metrics_clear_gauges(struct metrics_region *m, unsigned block)
{
	if (!m || block >= m->n_blocks)
		return;
	atomic_store_explicit(&m->blocks[block].open_connections, 0, memory_order_relaxed);
	atomic_store_explicit(&m->blocks[block].verifier_in_flight, 0, memory_order_relaxed);
}

static void add(atomic_ullong *a, uint64_t n)
{
	atomic_fetch_add_explicit(a, n, memory_order_relaxed);
}

static void observe(struct metrics_histogram *h, const double *bounds, unsigned n_bounds, double value,
		    uint64_t sum_units)
{
	unsigned i = 0;
	while (i < n_bounds && value > bounds[i])
		i++;
	add(&h->bucket[i], 1);
	add(&h->sum, sum_units);
	add(&h->count, 1);
}

static void observe_time(struct metrics_histogram *h, uint64_t started_ns)
{
	uint64_t now = metrics_now_ns();
	uint64_t ns = now > started_ns ? now - started_ns : 0;
	observe(h, metrics_time_bounds, METRICS_TIME_BUCKETS, (double)ns / 1e9, ns);
}

void metrics_http(enum metrics_route route, int status, uint64_t started_ns)
{
	if (!self || (unsigned)route >= MR_COUNT)
		return;
	unsigned i = 0;
	while (i < METRICS_STATUS_N - 1 && metrics_statuses[i] != status)
		i++;
	add(&self->http[route][i], 1);
	if (started_ns)
		observe_time(&self->http_time[route], started_ns);
}

void metrics_verified(enum metrics_verify_kind kind, uint64_t started_ns)
{
	if (self && (unsigned)kind < MV_COUNT)
		observe_time(&self->verify_time[kind], started_ns);
}

void metrics_batch(unsigned requests, uint64_t commit_started_ns)
{
	if (!self)
		return;
	observe(&self->batch_size, metrics_batch_bounds, METRICS_BATCH_BUCKETS, requests, requests);
	observe_time(&self->commit_time, commit_started_ns);
}

void metrics_callout(enum metrics_callout outcome)
{
	if (self && (unsigned)outcome < MC_COUNT)
		add(&self->callouts[outcome], 1);
}

void metrics_restart(enum sandbox_role role)
{
	if (self && (unsigned)role < METRICS_N_ROLES)
		add(&self->restarts[role], 1);
}

void metrics_link_full(enum metrics_link link)
{
	if (self && (unsigned)link < ML_COUNT)
		add(&self->link_full[link], 1);
}

void metrics_gauges(unsigned open_connections, unsigned verifier_in_flight)
{
	if (!self)
		return;
	atomic_store_explicit(&self->open_connections, open_connections, memory_order_relaxed);
	atomic_store_explicit(&self->verifier_in_flight, verifier_in_flight, memory_order_relaxed);
}
