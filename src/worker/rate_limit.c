/* The write limit for each write endpoint (rate_limit.h): whose writes a
 * request is, and the 429 when that client's bucket is empty. */
#include <stdio.h>
#include <string.h>

#include "common/proc/rate_table.h"
#include "worker/client_addr.h"
#include "worker/rate_limit.h"
#include "worker/response.h"

/* Whose writes these are; false when they are not limited. */
static bool client_of(const struct worker *w, const struct connection *c, struct peer_addr *out)
{
	struct peer_addr proxy;
	const char *tp = w->cfg->trusted_proxy;
	if (tp && peer_addr_parse(tp, strlen(tp), &proxy) && peer_addr_equal(&proxy, &c->peer)) {
		const struct buf *xff = &c->req.forwarded_for;
		if (!xff->len || !peer_addr_last_forwarded(xff->data, xff->len, out))
			*out = c->peer; /* the proxy's own request, or nothing usable: count it as the proxy's */
		return true;
	}
	if (c->loopback)
		return false;
	*out = c->peer;
	return true;
}

bool rate_limit_admit(struct worker *w, struct connection *c)
{
	unsigned limit = w->cfg->rate_limit;
	struct peer_addr who;
	if (limit == 0 || !w->ctx->rate_table || !client_of(w, c, &who))
		return true;
	unsigned retry = 0;
	if (rate_table_take(w->ctx->rate_table, limit, who.family, who.bytes, w->now_ms, &retry))
		return true;
	char extra[48];
	snprintf(extra, sizeof extra, "Retry-After: %u\r\n", retry);
	response_error_with(w, c, API_RATE_LIMITED, NULL, extra);
	return false;
}
