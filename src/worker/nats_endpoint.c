/* POST /internal/nats/auth: the auth callout over HTTP. Off (501) unless
 * --nats-http-callout is set with the callout configured, since here the
 * caller, not a NATS server, chooses the nonce and the server key; then for
 * loopback peers only. The body is an authorization request JWT; the answer
 * is the response JWT the verifier signed (application/jwt), after the same
 * one question and every check the nats process relies on. */
#include <string.h>

#include "common/config/config.h"
#include "common/proc/nats_ask.h"
#include "worker/worker.h"

static int send_request(struct worker *w, struct connection *c)
{
	return nats_ask_send(&w->to_verifier, c->ipc_id, NULL, c->req.body.data, c->req.body.len);
}

void handle_nats_auth(struct worker *w, struct connection *c)
{
	if (!w->cfg->nats_http_callout || !w->cfg->nats_issuer_seed_file) {
		response_error(w, c, API_NOT_IMPLEMENTED, NULL);
		return;
	}
	if (!c->loopback) {
		response_error(w, c, API_FORBIDDEN, "the auth callout answers only on this machine");
		return;
	}
	if (c->req.body.len == 0) {
		response_error(w, c, API_BAD_REQUEST, "the body must be an authorization request JWT");
		return;
	}
	if (c->req.body.len > NATS_ASK_MAX_REQUEST) {
		response_error(w, c, API_PAYLOAD_TOO_LARGE, NULL);
		return;
	}
	c->ipc_id = ((uint64_t)c->slot << 32) | ++w->next_sequence;
	c->stage = STAGE_NATS;
	c->ipc_generation = w->seen_verifier_generation;
	c->phase = PHASE_WAITING;
	if (send_request(w, c) < 0) {
		c->stage = STAGE_NONE;
		c->ipc_id = 0;
		c->phase = PHASE_READING;
		response_error(w, c, API_UNAVAILABLE, "the verifier is overloaded; try again shortly");
		return;
	}
	deadline_set(w, c, &w->ipc_deadlines);
}

void nats_endpoint_resend(struct worker *w, struct connection *c)
{
	(void)send_request(w, c);
}

void nats_endpoint_on_reply(struct worker *w, struct connection *c, const void *body, size_t len)
{
	struct nats_ask_answer a;
	if (nats_ask_read_reply(body, len, &a) < 0) {
		response_error(w, c, API_INTERNAL, NULL);
	} else {
		nats_ask_log(&a, " (HTTP)");
		if (a.error != API_OK) {
			response_error(w, c, a.error, a.detail[0] ? a.detail : NULL);
		} else {
			struct response r = { .status = 200, .content_type = "application/jwt",
					      .content_length = a.response_len };
			response_send(w, c, &r, (const char *)a.response);
		}
	}
	c->stage = STAGE_NONE;
	c->ipc_id = 0;
	deadline_clear(c);
	connection_resume(w, c);
}
