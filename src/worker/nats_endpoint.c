/* POST /internal/nats/auth: the auth callout over HTTP. Off (501) unless
 * --nats-http-callout is set with the callout configured, since here the
 * caller, not a NATS server, chooses the nonce and the server key; then for
 * loopback peers only. The body is an authorization request JWT; the answer
 * is the response JWT the verifier signed (application/jwt), after the same
 * one question (common/proc/nats_ask.h) and every check the nats process
 * relies on. A respawned verifier is asked again by the pending module. */
#include <string.h>

#include "common/config/config.h"
#include "common/proc/nats_ask.h"
#include "worker/connection.h"
#include "worker/nats_endpoint.h"
#include "worker/pending.h"
#include "worker/response.h"

enum { STAGE_NATS = 1 };

static void on_reply(struct worker *w, struct connection *c, unsigned stage, const struct ipc_header *h,
		     const void *body, size_t len);
static void on_lost(struct worker *w, struct connection *c, unsigned stage, enum pending_loss why);
static const struct pending_ops ops = { .reply = on_reply, .lost = on_lost };

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
	struct ipc_nats_request rq;
	if (nats_ask_head(&rq, NULL, c->req.body.len) < 0) {
		response_error(w, c, API_PAYLOAD_TOO_LARGE, NULL);
		return;
	}
	struct pending_message m = { .peer = PEER_VERIFIER, .stage = STAGE_NATS, .type = IPC_NATS_REQUEST,
				     .head = &rq, .head_len = sizeof rq, .tail = c->req.body.data,
				     .tail_len = c->req.body.len, .ops = &ops };
	if (pending_start(w, c, &m) < 0)
		response_error(w, c, API_UNAVAILABLE, "the verifier is overloaded; try again shortly");
}

static void on_lost(struct worker *w, struct connection *c, unsigned stage, enum pending_loss why)
{
	(void)stage;
	(void)why;
	connection_resume_with_error(w, c, API_UNAVAILABLE, "the verifier did not answer in time; try again shortly");
}

static void on_reply(struct worker *w, struct connection *c, unsigned stage, const struct ipc_header *h,
		     const void *body, size_t len)
{
	(void)stage;
	struct nats_ask_answer a;
	if (h->type != IPC_NATS_REPLY || nats_ask_read_reply(body, len, &a) < 0) {
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
	connection_resume(w, c);
}
