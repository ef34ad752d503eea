/* The shared counters (common/proc/metrics.h): what each block records and
 * how a scrape sums them. */
#include "common/base/buf.h"
#include "common/proc/metrics.h"
#include "unit.h"

static bool has_line(const struct buf *b, const char *line)
{
	size_t n = strlen(line);
	for (const char *p = b->data; p && (p = strstr(p, line)); p += n)
		if ((p == b->data || p[-1] == '\n') && p[n] == '\n')
			return true;
	return false;
}

UNIT_TEST(metrics_blocks_add_up_in_a_scrape)
{
	struct metrics_region *m = metrics_create(3);
	REQUIRE(m);
	uint64_t long_ago = metrics_now_ns() - 2000000000ull; /* 2 s: above every bound but 5 */
	metrics_attach(m, 1);
	metrics_http(MR_LOOKUP, 200, metrics_now_ns());
	metrics_http(MR_LOOKUP, 404, long_ago);
	metrics_batch(3, metrics_now_ns());
	metrics_attach(m, 2);
	metrics_http(MR_LOOKUP, 200, metrics_now_ns());
	metrics_http(MR_REGISTER, 299, 0); /* not a status the server sends; no time */
	metrics_batch(5, metrics_now_ns());
	metrics_callout(MC_REFUSED_UNKNOWN);
	metrics_gauges(7, 2);
	metrics_attach(m, 0);
	metrics_restart(SANDBOX_WORKER);

	struct buf out;
	buf_init(&out, 1 << 20);
	REQUIRE(metrics_render(m, &out) == 0);
	REQUIRE(buf_putc(&out, '\0') == 0);
	CHECK(has_line(&out, "# TYPE kez_http_requests_total counter"));
	CHECK(has_line(&out, "kez_http_requests_total{route=\"lookup\",status=\"200\"} 2"));
	CHECK(has_line(&out, "kez_http_requests_total{route=\"lookup\",status=\"404\"} 1"));
	CHECK(has_line(&out, "kez_http_requests_total{route=\"register\",status=\"other\"} 1"));
	/* cumulative buckets: the slow one only from le="5" on */
	CHECK(has_line(&out, "kez_http_request_duration_seconds_bucket{route=\"lookup\",le=\"1\"} 2"));
	CHECK(has_line(&out, "kez_http_request_duration_seconds_bucket{route=\"lookup\",le=\"5\"} 3"));
	CHECK(has_line(&out, "kez_http_request_duration_seconds_bucket{route=\"lookup\",le=\"+Inf\"} 3"));
	CHECK(has_line(&out, "kez_http_request_duration_seconds_count{route=\"lookup\"} 3"));
	CHECK(has_line(&out, "kez_http_request_duration_seconds_count{route=\"register\"} 0"));
	CHECK(has_line(&out, "kez_writer_batch_size_bucket{le=\"2\"} 0"));
	CHECK(has_line(&out, "kez_writer_batch_size_bucket{le=\"4\"} 1"));
	CHECK(has_line(&out, "kez_writer_batch_size_bucket{le=\"8\"} 2"));
	CHECK(has_line(&out, "kez_writer_batch_size_sum 8.000000000"));
	CHECK(has_line(&out, "kez_writer_commit_duration_seconds_count 2"));
	CHECK(has_line(&out, "kez_nats_callouts_total{result=\"refused\",reason=\"unregistered\"} 1"));
	CHECK(has_line(&out, "kez_nats_callouts_total{result=\"granted\",reason=\"registered\"} 0"));
	CHECK(has_line(&out, "kez_child_restarts_total{role=\"worker\"} 1"));
	CHECK(has_line(&out, "kez_open_connections 7"));
	CHECK(has_line(&out, "kez_verifier_queue_depth 2"));

	/* the master clears a dead owner's gauges, never its counters */
	metrics_clear_gauges(m, 2);
	buf_reset(&out);
	REQUIRE(metrics_render(m, &out) == 0);
	REQUIRE(buf_putc(&out, '\0') == 0);
	CHECK(has_line(&out, "kez_open_connections 0"));
	CHECK(has_line(&out, "kez_http_requests_total{route=\"lookup\",status=\"200\"} 2"));
	buf_free(&out);
	metrics_attach(NULL, 0);
	metrics_http(MR_LOOKUP, 200, 0); /* not attached: nothing, no crash */
}
