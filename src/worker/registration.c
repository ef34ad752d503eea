/* POST /v1/register crosses two processes without blocking the worker:
 * the envelope goes to the verifier, a verified (handle, key) to the writer,
 * and the connection waits in PHASE_WAITING while others are served. */
#include <stdio.h>
#include <string.h>

#include "common/base/log.h"
#include "worker/worker.h"

/* Ids carry the connection slot, so a reply finds its connection at once;
 * the sequence part tells a stale reply (closed connection, previous worker
 * incarnation) from the awaited one. */
static uint64_t next_id(struct worker *w, const struct connection *c)
{
	return ((uint64_t)c->slot << 32) | ++w->next_sequence;
}

static void fail(struct worker *w, struct connection *c, enum api_error e, const char *detail)
{
	c->stage = STAGE_NONE;
	c->ipc_id = 0;
	deadline_clear(c);
	response_error(w, c, e, detail);
	connection_resume(w, c);
}

static int send_verify(struct worker *w, struct connection *c)
{
	return ipc_send(&w->to_verifier, IPC_VERIFY_REQUEST, 0, c->ipc_id, c->req.body.data, c->req.body.len);
}

static int send_insert(struct worker *w, struct connection *c, uint16_t flags)
{
	struct ipc_insert_request rq;
	memset(&rq, 0, sizeof rq);
	memcpy(rq.primary, c->primary, sizeof rq.primary);
	/* The same attestation on a re-send: it is over the record, not the id. */
	memcpy(rq.mac, c->attest_mac, sizeof rq.mac);
	rq.handle_len = (uint8_t)c->handle_len;
	memcpy(rq.handle, c->handle, c->handle_len);
	return ipc_send(&w->to_writer, IPC_INSERT_REQUEST, flags, c->ipc_id, &rq, sizeof rq);
}

void registration_start(struct worker *w, struct connection *c)
{
	c->ipc_id = next_id(w, c);
	c->stage = STAGE_VERIFY;
	c->ipc_generation = w->seen_verifier_generation;
	c->phase = PHASE_WAITING;
	if (send_verify(w, c) < 0) {
		c->phase = PHASE_READING;
		c->stage = STAGE_NONE;
		c->ipc_id = 0;
		response_error(w, c, API_UNAVAILABLE, "the verifier is overloaded; try again shortly");
		return;
	}
	deadline_set(w, c, &w->ipc_deadlines);
}

static void on_verified(struct worker *w, struct connection *c, const struct ipc_verify_reply *v)
{
	if (v->error != API_OK) {
		char detail[IPC_DETAIL_MAX];
		memcpy(detail, v->detail, sizeof detail);
		detail[sizeof detail - 1] = '\0';
		enum api_error e = v->error < API_ERROR_COUNT ? (enum api_error)v->error : API_INTERNAL;
		fail(w, c, e, detail);
		return;
	}
	if (v->handle_len > HANDLE_MAX_LEN || !handle_is_valid(v->handle, v->handle_len)) {
		log_error("the verifier answered with an invalid handle");
		fail(w, c, API_INTERNAL, NULL);
		return;
	}
	memcpy(c->handle, v->handle, v->handle_len);
	c->handle[v->handle_len] = '\0';
	c->handle_len = v->handle_len;
	memcpy(c->primary, v->primary, sizeof c->primary);
	memcpy(c->attest_mac, v->mac, sizeof c->attest_mac);
	c->ipc_id = next_id(w, c);
	c->stage = STAGE_INSERT;
	c->ipc_generation = w->seen_writer_generation;
	if (send_insert(w, c, 0) < 0)
		fail(w, c, API_UNAVAILABLE, "the registry is overloaded; try again shortly");
}

static void on_inserted(struct worker *w, struct connection *c, const struct ipc_insert_reply *r)
{
	if (r->error != API_OK) {
		enum api_error e = r->error < API_ERROR_COUNT ? (enum api_error)r->error : API_INTERNAL;
		fail(w, c, e, NULL);
		return;
	}
	struct registry_record rec;
	memset(&rec, 0, sizeof rec);
	memcpy(rec.handle, c->handle, c->handle_len + 1);
	rec.handle_len = c->handle_len;
	memcpy(rec.primary, c->primary, sizeof rec.primary);
	rec.registered_at = r->registered_at;
	char space[1024], location[80];
	struct buf body = { .data = space, .len = 0, .cap = sizeof space, .max = sizeof space };
	if (render_record(w, &body, &rec) < 0) {
		fail(w, c, API_INTERNAL, NULL);
		return;
	}
	log_info("registered %s", c->handle);
	snprintf(location, sizeof location, "Location: /v1/u/%s\r\n", c->handle);
	c->stage = STAGE_NONE;
	c->ipc_id = 0;
	deadline_clear(c);
	struct response resp = { .status = 201, .content_type = "application/json",
				 .content_length = body.len, .extra_headers = location };
	response_send(w, c, &resp, body.data);
	connection_resume(w, c);
}

void registration_on_reply(struct worker *w, const struct ipc_header *h, const void *body, size_t len)
{
	uint64_t slot = h->id >> 32;
	if (slot >= w->cfg->max_connections)
		return;
	struct connection *c = &w->conns[slot];
	if (!c->in_use || c->ipc_id != h->id || c->phase != PHASE_WAITING)
		return; /* stale: the connection closed, or this answer came twice */
	/* Sizes and senders were checked against the message table already. */
	if (h->type == IPC_VERIFY_REPLY && c->stage == STAGE_VERIFY) {
		struct ipc_verify_reply v;
		memcpy(&v, body, sizeof v);
		on_verified(w, c, &v);
	} else if (h->type == IPC_INSERT_REPLY && c->stage == STAGE_INSERT) {
		struct ipc_insert_reply r;
		memcpy(&r, body, sizeof r);
		on_inserted(w, c, &r);
	} else if (h->type == IPC_NATS_REPLY && c->stage == STAGE_NATS) {
		nats_endpoint_on_reply(w, c, body, len);
	} else {
		log_warn("unexpected message type %u (%zu bytes) for a registration", h->type, len);
	}
}

void registration_timed_out(struct worker *w, struct connection *c)
{
	if (c->stage == STAGE_NATS) {
		fail(w, c, API_UNAVAILABLE, "the verifier did not answer in time; try again shortly");
		return;
	}
	log_warn("registration of '%s' got no answer from the %s in time", c->stage == STAGE_INSERT ? c->handle : "?",
		 c->stage == STAGE_INSERT ? "writer" : "verifier");
	fail(w, c, API_UNAVAILABLE,
	     c->stage == STAGE_INSERT
		     ? "the registry did not answer in time; look the handle up before trying again"
		     : "the verifier did not answer in time; try again shortly");
}

void registration_check_generations(struct worker *w)
{
	struct shared_state *st = w->ctx->state;
	unsigned vg = atomic_load(&st->verifier_generation);
	unsigned wg = atomic_load(&st->writer_generation);
	bool verifier_new = vg != w->seen_verifier_generation && atomic_load(&st->verifier_ready);
	bool writer_new = wg != w->seen_writer_generation && atomic_load(&st->writer_ready);
	if (!verifier_new && !writer_new)
		return;
	if (verifier_new)
		w->seen_verifier_generation = vg;
	if (writer_new)
		w->seen_writer_generation = wg;
	/* Every waiting registration is on the IPC deadline list. Verifying is
	 * idempotent; an insert is re-sent flagged as a retry so that the writer
	 * recognises one that the previous writer had already committed. */
	for (struct connection *c = w->ipc_deadlines.head; c; c = c->dl_next) {
		if (verifier_new && c->stage == STAGE_VERIFY && c->ipc_generation != vg) {
			c->ipc_generation = vg;
			(void)send_verify(w, c);
		} else if (verifier_new && c->stage == STAGE_NATS && c->ipc_generation != vg) {
			c->ipc_generation = vg;
			nats_endpoint_resend(w, c);
		} else if (writer_new && c->stage == STAGE_INSERT && c->ipc_generation != wg) {
			c->ipc_generation = wg;
			(void)send_insert(w, c, IPC_FLAG_RETRY);
		}
	}
}

void registration_abandon(struct worker *w, struct connection *c)
{
	(void)w;
	c->stage = STAGE_NONE;
	c->ipc_id = 0;
}
