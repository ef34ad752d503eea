/* Registrations (registration.h): rate limit, verify, insert, answer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/base/log.h"
#include "worker/connection.h"
#include "worker/pending.h"
#include "worker/rate_limit.h"
#include "worker/record.h"
#include "worker/registration.h"
#include "worker/response.h"

enum { STAGE_VERIFY = 1, STAGE_INSERT = 2 };

/* The verified handle and key, between the two hops. */
struct registration_slot {
	char    handle[HANDLE_MAX_LEN + 1];
	size_t  handle_len;
	uint8_t primary[32];
};

static void on_reply(struct worker *w, struct connection *c, unsigned stage, const struct ipc_header *h,
		     const void *body, size_t len);
static void on_lost(struct worker *w, struct connection *c, unsigned stage, enum pending_loss why);
static const struct pending_ops ops = { .reply = on_reply, .lost = on_lost };

int registration_init(struct worker *w)
{
	w->registration_slots = calloc(w->cfg->max_connections, sizeof *w->registration_slots);
	return w->registration_slots ? 0 : -1;
}

void registration_free(struct worker *w)
{
	free(w->registration_slots);
	w->registration_slots = NULL;
}

void registration_start(struct worker *w, struct connection *c)
{
	if (!rate_limit_admit(w, c))
		return;
	struct pending_message m = { .peer = PEER_VERIFIER, .stage = STAGE_VERIFY, .type = IPC_VERIFY_REQUEST,
				     .tail = c->req.body.data, .tail_len = c->req.body.len, .ops = &ops };
	if (pending_start(w, c, &m) < 0)
		response_error(w, c, API_UNAVAILABLE, "the verifier is overloaded; try again shortly");
}

static void on_verified(struct worker *w, struct connection *c, const struct ipc_verify_reply *v)
{
	if (v->error != API_OK) {
		char detail[IPC_DETAIL_MAX];
		memcpy(detail, v->detail, sizeof detail);
		detail[sizeof detail - 1] = '\0';
		enum api_error e = v->error < API_ERROR_COUNT ? (enum api_error)v->error : API_INTERNAL;
		connection_resume_with_error(w, c, e, detail);
		return;
	}
	if (v->handle_len > HANDLE_MAX_LEN || !handle_is_valid(v->handle, v->handle_len)) {
		log_error("the verifier answered with an invalid handle");
		connection_resume_with_error(w, c, API_INTERNAL, NULL);
		return;
	}
	struct registration_slot *r = &w->registration_slots[c->slot];
	memcpy(r->handle, v->handle, v->handle_len);
	r->handle[v->handle_len] = '\0';
	r->handle_len = v->handle_len;
	memcpy(r->primary, v->primary, sizeof r->primary);

	struct ipc_insert_request rq;
	memset(&rq, 0, sizeof rq);
	memcpy(rq.primary, r->primary, sizeof rq.primary);
	rq.handle_len = (uint8_t)r->handle_len;
	memcpy(rq.handle, r->handle, r->handle_len);
	/* The verifier's attestation of exactly this handle and key: the writer
	 * stores nothing without it (a re-send carries the same one). */
	memcpy(rq.mac, v->mac, sizeof rq.mac);
	/* A re-sent insert is flagged so that the writer recognises one the
	 * previous writer had already committed. */
	struct pending_message m = { .peer = PEER_WRITER, .stage = STAGE_INSERT, .type = IPC_INSERT_REQUEST,
				     .retry_flags = IPC_FLAG_RETRY, .head = &rq, .head_len = sizeof rq, .ops = &ops };
	if (pending_start(w, c, &m) < 0)
		connection_resume_with_error(w, c, API_UNAVAILABLE, "the registry is overloaded; try again shortly");
}

static void on_inserted(struct worker *w, struct connection *c, const struct ipc_insert_reply *ir)
{
	if (ir->error != API_OK) {
		enum api_error e = ir->error < API_ERROR_COUNT ? (enum api_error)ir->error : API_INTERNAL;
		connection_resume_with_error(w, c, e, NULL);
		return;
	}
	const struct registration_slot *v = &w->registration_slots[c->slot];
	struct registry_record rec;
	memset(&rec, 0, sizeof rec);
	memcpy(rec.handle, v->handle, v->handle_len + 1);
	rec.handle_len = v->handle_len;
	memcpy(rec.primary, v->primary, sizeof rec.primary);
	rec.registered_at = ir->registered_at;
	struct buf body;
	buf_init(&body, RECORD_JSON_MAX);
	if (render_record(w->cfg, &body, &rec) < 0) {
		buf_free(&body);
		connection_resume_with_error(w, c, API_INTERNAL, NULL);
		return;
	}
	log_info("registered %s", v->handle);
	char location[80];
	snprintf(location, sizeof location, "Location: /v1/u/%s\r\n", v->handle);
	struct response resp = { .status = 201, .content_type = "application/json",
				 .content_length = body.len, .extra_headers = location };
	response_send(w, c, &resp, body.data);
	buf_free(&body);
	connection_resume(w, c);
}

static void on_reply(struct worker *w, struct connection *c, unsigned stage, const struct ipc_header *h,
		     const void *body, size_t len)
{
	if (stage == STAGE_VERIFY && h->type == IPC_VERIFY_REPLY && len == sizeof(struct ipc_verify_reply)) {
		struct ipc_verify_reply v;
		memcpy(&v, body, sizeof v);
		on_verified(w, c, &v);
	} else if (stage == STAGE_INSERT && h->type == IPC_INSERT_REPLY && len == sizeof(struct ipc_insert_reply)) {
		struct ipc_insert_reply r;
		memcpy(&r, body, sizeof r);
		on_inserted(w, c, &r);
	} else {
		log_warn("unexpected message type %u (%zu bytes) for a registration", h->type, len);
		connection_resume_with_error(w, c, API_INTERNAL, NULL);
	}
}

static void on_lost(struct worker *w, struct connection *c, unsigned stage, enum pending_loss why)
{
	/* After an unanswered insert the handle may be registered: look before retrying. */
	bool inserting = stage == STAGE_INSERT;
	if (inserting && why == PENDING_TIMED_OUT)
		log_warn("registration of '%s' got no answer from the writer in time",
			 w->registration_slots[c->slot].handle);
	const char *why_text = inserting ? "the registry did not answer in time; look the handle up before trying again"
					 : "the verifier did not answer in time; try again shortly";
	connection_resume_with_error(w, c, API_UNAVAILABLE, why_text);
}
