/* POST /internal/nats/auth: the auth callout over HTTP, for loopback peers.
 * The body is an authorization request JWT; the answer is the response JWT
 * the verifier signed (application/jwt). Two verifier hops, as for NATS. */
#include <string.h>

#include "common/config/config.h"
#include "common/base/log.h"
#include "worker/worker.h"

static void send_to_verifier(struct worker *w, struct connection *c, const struct ipc_nats_request *rq)
{
	size_t len = c->req.body.len;
	c->ipc_id = ((uint64_t)c->slot << 32) | ++w->next_sequence;
	c->stage = rq->stage == NATS_STAGE_CHECK ? STAGE_NATS_CHECK : STAGE_NATS_ANSWER;
	c->phase = PHASE_WAITING;
	if (ipc_send2(&w->to_verifier, IPC_NATS_REQUEST, 0, c->ipc_id, rq, sizeof *rq, c->req.body.data, len) < 0) {
		c->stage = STAGE_NONE;
		c->ipc_id = 0;
		c->phase = PHASE_READING;
		response_error(w, c, API_UNAVAILABLE, "the verifier is overloaded; try again shortly");
		return;
	}
	if (c->deadline_list != &w->ipc_deadlines)
		deadline_set(w, c, &w->ipc_deadlines);
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
	c->stage = STAGE_NONE;
	c->ipc_id = 0;
	deadline_clear(c);
	connection_resume(w, c);
}

void nats_endpoint_on_reply(struct worker *w, struct connection *c, const void *body, size_t len)
{
	struct ipc_nats_reply reply;
	if (len < sizeof reply) {
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
	if (c->stage == STAGE_NATS_CHECK && reply.has_key) {
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
