/* GET /metrics (metrics_endpoint.h). */
#include "common/proc/metrics.h"
#include "worker/metrics_endpoint.h"
#include "worker/response.h"

/* Far above what the fixed set of series takes. */
#define METRICS_BODY_MAX (512 * 1024)

void handle_metrics(struct worker *w, struct connection *c)
{
	const struct metrics_region *m = metrics_region();
	struct buf body;
	buf_init(&body, METRICS_BODY_MAX);
	if (!m || metrics_render(m, &body) < 0) {
		buf_free(&body);
		response_error(w, c, API_INTERNAL, "cannot render the metrics");
		return;
	}
	struct response r = { .status = 200, .content_type = "text/plain; version=0.0.4; charset=utf-8",
			      .content_length = body.len, .no_cache = true };
	/* An empty buffer may have no storage yet. */
	response_send(w, c, &r, body.len ? body.data : "");
	buf_free(&body);
}
