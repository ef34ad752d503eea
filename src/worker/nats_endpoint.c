/* POST /internal/nats/auth: the auth callout over HTTP, for loopback peers.
 * The body is an authorization request JWT; the answer is the response JWT
 * the verifier signed (application/jwt). Two verifier hops, as for NATS. */
#include <string.h>

#include "common/config/config.h"
#include "common/base/log.h"
#include "worker/connection.h"
#include "worker/nats_endpoint.h"
#include "worker/pending.h"
#include "worker/response.h"

enum { STAGE_NATS_CHECK = 1, STAGE_NATS_ANSWER = 2 };

static void on_reply(struct worker *w, struct connection *c, unsigned stage, const struct ipc_header *h,
		     const void *body, size_t len);
static void on_lost(struct worker *w, struct connection *c, unsigned stage, enum pending_loss why);
static const struct pending_ops ops = { .reply = on_reply, .lost = on_lost };

static void send_to_verifier(struct worker *w, struct connection *c, const struct ipc_nats_request *rq)
{
	struct pending_message m = { .peer = PEER_VERIFIER, .type = IPC_NATS_REQUEST, .head = rq,
				     .head_len = sizeof *rq, .tail = c->req.body.data, .tail_len = c->req.body.len,
				     .stage = rq->stage == NATS_STAGE_CHECK ? STAGE_NATS_CHECK : STAGE_NATS_ANSWER,
				     .ops = &ops };
	if (pending_start(w, c, &m) < 0) {
		c->phase = PHASE_READING;
		response_error(w, c, API_UNAVAILABLE, "the verifier is overloaded; try again shortly");
	}
}

void handle_nats_auth(struct worker *w, struct connection *c)
{
	if (!c->loopback) {
		response_error(w, c, API_FORBIDDEN, "the auth callout answers only on this machine");
		return;
	}
	if (!w->cfg->nats_issuer_seed_file) {
		response_error(w, c, API_NOT_IMPLEMENTED, NULL);
		return;
	}
	if (c->req.body.len == 0) {
		response_error(w, c, API_BAD_REQUEST, "the body must be an authorization request JWT");
		return;
	}
	struct ipc_nats_request rq;
	memset(&rq, 0, sizeof rq);
	rq.stage = NATS_STAGE_CHECK;
	send_to_verifier(w, c, &rq);
}

static void finish(struct worker *w, struct connection *c)
{
	connection_resume(w, c);
}

static void on_lost(struct worker *w, struct connection *c, unsigned stage, enum pending_loss why)
{
	response_error(w, c, API_UNAVAILABLE, "the verifier did not answer in time; try again shortly");
	finish(w, c);
}

static void on_reply(struct worker *w, struct connection *c, unsigned stage, const struct ipc_header *h,
		     const void *body, size_t len)
{
	struct ipc_nats_reply reply;
	if (h->type != IPC_NATS_REPLY || len < sizeof reply) {
		response_error(w, c, API_INTERNAL, NULL);
		finish(w, c);
		return;
	}
	memcpy(&reply, body, sizeof reply);
	reply.detail[sizeof reply.detail - 1] = '\0';
	if (reply.error != API_OK) {
		enum api_error e = reply.error < API_ERROR_COUNT ? (enum api_error)reply.error : API_INTERNAL;
		response_error(w, c, e, reply.detail);
		finish(w, c);
		return;
	}
	if (stage == STAGE_NATS_CHECK && reply.has_key) {
		struct ipc_nats_request rq;
		memset(&rq, 0, sizeof rq);
		rq.stage = NATS_STAGE_ANSWER;
		struct registry_record rec;
		int found = registry_find_key(&w->registry, reply.client_key, &rec);
		if (found == 1) {
			rq.registered = 1;
			rq.handle_len = (uint8_t)rec.handle_len;
			memcpy(rq.handle, rec.handle, rec.handle_len);
		}
		send_to_verifier(w, c, &rq);
		if (c->phase == PHASE_READING)
			finish(w, c);
		return;
	}
	if (reply.detail[0])
		log_info("NATS access refused (HTTP callout): %s", reply.detail);
	struct response r = { .status = 200, .content_type = "application/jwt", .content_length = len - sizeof reply };
	response_send(w, c, &r, (const char *)body + sizeof reply);
	finish(w, c);
}
