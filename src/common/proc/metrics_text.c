/* The shared counters (metrics.h) as Prometheus text: every block summed. */
#include <stddef.h>
#include <stdio.h>

#include "common/base/buf.h"
#include "common/proc/metrics.h"

static const char *const route_names[MR_COUNT] = {
	"healthz", "lookup", "register", "webfinger", "nats_auth", "static",
	"sigchain_read", "sigchain_append", "other",
};
static const char *const kind_names[MV_COUNT] = { "envelope", "event", "nats" };
static const char *const callout_labels[MC_COUNT] = {
	"result=\"granted\",reason=\"registered\"",
	"result=\"refused\",reason=\"bad_proof\"",
	"result=\"refused\",reason=\"unregistered\"",
	"result=\"refused\",reason=\"registry_error\"",
	"result=\"invalid\",reason=\"bad_request\"",
	"result=\"error\",reason=\"internal\"",
};
/* By enum sandbox_role. */
static const char *const role_names[METRICS_N_ROLES] = { "verifier", "worker", "writer", "nats" };
static const char *const link_names[ML_COUNT] = { "verifier", "writer" };

static uint64_t load(const atomic_ullong *a)
{
	return atomic_load_explicit(a, memory_order_relaxed);
}

/* One histogram summed over every block: `pick` finds it in a block. */
struct histogram_sum {
	uint64_t bucket[METRICS_TIME_BUCKETS + 1];
	uint64_t count, sum;
};

static void sum_histogram(struct histogram_sum *s, const struct metrics_histogram *h, unsigned n_bounds)
{
	for (unsigned i = 0; i <= n_bounds; i++)
		s->bucket[i] += load(&h->bucket[i]);
	s->count += load(&h->count);
	s->sum += load(&h->sum);
}

static int head(struct buf *out, const char *name, const char *type, const char *help)
{
	return buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* `labels` is "" or "name=\"value\"," (a trailing comma, for le). */
static int put_histogram(struct buf *out, const char *name, const char *labels, const struct histogram_sum *s,
			 const double *bounds, unsigned n_bounds, double sum_scale)
{
	uint64_t cumulative = 0;
	for (unsigned i = 0; i < n_bounds; i++) {
		cumulative += s->bucket[i];
		if (buf_printf(out, "%s_bucket{%sle=\"%g\"} %llu\n", name, labels, bounds[i],
			       (unsigned long long)cumulative) < 0)
			return -1;
	}
	cumulative += s->bucket[n_bounds];
	char plain[128] = "";
	/* The labels without their trailing comma, for _sum and _count. */
	int n = snprintf(plain, sizeof plain, "%s", labels);
	if (n > 0 && (size_t)n < sizeof plain && plain[n - 1] == ',')
		plain[n - 1] = '\0';
	const char *open = plain[0] ? "{" : "", *close = plain[0] ? "}" : "";
	return buf_printf(out, "%s_bucket{%sle=\"+Inf\"} %llu\n%s_sum%s%s%s %.9f\n%s_count%s%s%s %llu\n", name,
			  labels, (unsigned long long)cumulative, name, open, plain, close,
			  (double)s->sum * sum_scale, name, open, plain, close, (unsigned long long)s->count);
}

/* Time histograms kept per label value (`field`: an array of n in every
 * block), each summed over the blocks and written as one series. */
static int put_time_series(struct buf *out, const struct metrics_region *m, const char *name, const char *label,
			   const char *const *values, unsigned n, size_t field)
{
	int rc = 0;
	for (unsigned i = 0; i < n && rc == 0; i++) {
		struct histogram_sum s = { 0 };
		for (unsigned b = 0; b < m->n_blocks; b++) {
			const struct metrics_histogram *series = (const void *)((const char *)&m->blocks[b] + field);
			sum_histogram(&s, &series[i], METRICS_TIME_BUCKETS);
		}
		char labels[64];
		snprintf(labels, sizeof labels, "%s=\"%s\",", label, values[i]);
		rc = put_histogram(out, name, labels, &s, metrics_time_bounds, METRICS_TIME_BUCKETS, 1e-9);
	}
	return rc;
}

/* A counter family with one counter a label value: field is the offset of
 * the counters' array in each block, n of them, summed over the blocks. */
static int put_counter_family(struct buf *out, const struct metrics_region *m, const char *name, const char *help,
			      const char *label, const char *const *values, unsigned n, size_t field)
{
	int rc = head(out, name, "counter", help);
	for (unsigned i = 0; i < n && rc == 0; i++) {
		uint64_t sum = 0;
		for (unsigned b = 0; b < m->n_blocks; b++) {
			const atomic_ullong *series = (const void *)((const char *)&m->blocks[b] + field);
			sum += load(&series[i]);
		}
		rc = buf_printf(out, "%s{%s=\"%s\"} %llu\n", name, label, values[i], (unsigned long long)sum);
	}
	return rc;
}

static int render_http(const struct metrics_region *m, struct buf *out)
{
	int rc = head(out, "kez_http_requests_total", "counter", "HTTP responses sent, by route and status.");
	for (unsigned r = 0; r < MR_COUNT && rc == 0; r++)
		for (unsigned st = 0; st < METRICS_STATUS_N && rc == 0; st++) {
			uint64_t n = 0;
			for (unsigned b = 0; b < m->n_blocks; b++)
				n += load(&m->blocks[b].http[r][st]);
			char status[8] = "other";
			if (st < METRICS_STATUS_N - 1)
				snprintf(status, sizeof status, "%u", metrics_statuses[st]);
			if (n)
				rc = buf_printf(out, "kez_http_requests_total{route=\"%s\",status=\"%s\"} %llu\n",
						route_names[r], status, (unsigned long long)n);
		}
	if (rc == 0)
		rc = head(out, "kez_http_request_duration_seconds", "histogram",
			  "Time from a request's complete head to its response, by route.");
	if (rc == 0)
		rc = put_time_series(out, m, "kez_http_request_duration_seconds", "route", route_names, MR_COUNT,
				     offsetof(struct metrics_block, http_time));
	return rc;
}

static int render_gauges(const struct metrics_region *m, struct buf *out)
{
	uint64_t open = 0, in_flight = 0;
	for (unsigned b = 0; b < m->n_blocks; b++) {
		open += load(&m->blocks[b].open_connections);
		in_flight += load(&m->blocks[b].verifier_in_flight);
	}
	if (head(out, "kez_open_connections", "gauge", "Client connections open now, over all workers.") < 0 ||
	    buf_printf(out, "kez_open_connections %llu\n", (unsigned long long)open) < 0 ||
	    head(out, "kez_verifier_queue_depth", "gauge",
		 "Requests the workers sent to the verifier that are not answered yet.") < 0 ||
	    buf_printf(out, "kez_verifier_queue_depth %llu\n", (unsigned long long)in_flight) < 0)
		return -1;
	return 0;
}

static int render_backends(const struct metrics_region *m, struct buf *out)
{
	int rc = head(out, "kez_verification_duration_seconds", "histogram",
		      "Time the verifier took per request, by kind.");
	if (rc == 0)
		rc = put_time_series(out, m, "kez_verification_duration_seconds", "kind", kind_names, MV_COUNT,
				     offsetof(struct metrics_block, verify_time));
	struct histogram_sum batch = { 0 }, commit = { 0 };
	for (unsigned b = 0; b < m->n_blocks; b++) {
		sum_histogram(&batch, &m->blocks[b].batch_size, METRICS_BATCH_BUCKETS);
		sum_histogram(&commit, &m->blocks[b].commit_time, METRICS_TIME_BUCKETS);
	}
	if (rc == 0)
		rc = head(out, "kez_writer_batch_size", "histogram", "Requests the writer committed in one transaction.");
	if (rc == 0)
		rc = put_histogram(out, "kez_writer_batch_size", "", &batch, metrics_batch_bounds,
				   METRICS_BATCH_BUCKETS, 1);
	if (rc == 0)
		rc = head(out, "kez_writer_commit_duration_seconds", "histogram",
			  "Time of the writer's commits, the fsync included.");
	if (rc == 0)
		rc = put_histogram(out, "kez_writer_commit_duration_seconds", "", &commit, metrics_time_bounds,
				   METRICS_TIME_BUCKETS, 1e-9);
	return rc;
}

static int render_counts(const struct metrics_region *m, struct buf *out)
{
	int rc = head(out, "kez_nats_callouts_total", "counter", "NATS auth callouts answered, by result and reason.");
	for (unsigned c = 0; c < MC_COUNT && rc == 0; c++) {
		uint64_t n = 0;
		for (unsigned b = 0; b < m->n_blocks; b++)
			n += load(&m->blocks[b].callouts[c]);
		rc = buf_printf(out, "kez_nats_callouts_total{%s} %llu\n", callout_labels[c], (unsigned long long)n);
	}
	if (rc == 0)
		rc = put_counter_family(out, m, "kez_child_restarts_total",
					"Child processes started again after they died, by role.", "role", role_names,
					METRICS_N_ROLES, offsetof(struct metrics_block, restarts));
	if (rc == 0)
		rc = put_counter_family(out, m, "kez_ipc_link_full_total",
					"Times a worker's link to the verifier or the writer was full, "
					"so that requests waited in the worker.",
					"peer", link_names, ML_COUNT, offsetof(struct metrics_block, link_full));
	return rc;
}

int metrics_render(const struct metrics_region *m, struct buf *out)
{
	if (render_http(m, out) < 0 || render_gauges(m, out) < 0 || render_backends(m, out) < 0 ||
	    render_counts(m, out) < 0)
		return -1;
	return 0;
}
