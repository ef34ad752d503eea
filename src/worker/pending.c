/* Requests waiting on the verifier or the writer (pending.h). Each
 * connection slot has one entry; a request id is the slot and a sequence
 * number, so a reply finds its entry at once and a stale one (closed
 * connection, earlier request, previous worker) is told apart. */
#include <stddef.h>
#include <stdlib.h>
#include <sys/random.h>
#include <unistd.h>

#include "common/base/log.h"
#include "worker/pending.h"

struct pending_request {
	struct connection            *c; /* NULL: free */
	uint64_t                      id;
	unsigned                      stage;
	enum pending_peer             peer;
	bool                          retry;      /* re-send after a respawn */
	uint16_t                      type, flags, retry_flags;
	struct buf                    msg;        /* kept until the answer, for re-sends */
	const struct pending_ops     *ops;
	TAILQ_ENTRY(pending_request)  link;       /* in its queue's unsent or sent list */
	bool                          sent;
	struct deadline_entry         deadline;
};

TAILQ_HEAD(pending_list, pending_request);

struct pending_queue {
	struct pending_list  unsent;    /* not handed to the channel yet: may still be dropped */
	struct pending_list  sent;      /* handed over, in sending order */
	size_t               unsent_bytes;
	struct ipc_channel  *ch;
	unsigned             seen_generation;
	unsigned             n_sent;    /* entries in `sent` */
};

struct pending_table {
	struct worker          *w;
	struct pending_request *slots;
	unsigned                n_slots;
	unsigned                n_active;
	uint32_t                next_sequence;
	struct pending_queue    q[PEER_COUNT];
	struct deadline_list    deadlines;
};

static unsigned peer_generation(const struct worker *w, enum pending_peer p)
{
	const struct shared_state *st = w->ctx->state;
	return atomic_load(p == PEER_VERIFIER ? &st->verifier_generation : &st->writer_generation);
}

static bool peer_ready(const struct worker *w, enum pending_peer p)
{
	const struct shared_state *st = w->ctx->state;
	return atomic_load(p == PEER_VERIFIER ? &st->verifier_ready : &st->writer_ready);
}

/* Takes e out of every list; its connection is no longer waiting here. */
static void end_wait(struct pending_table *pt, struct pending_request *e)
{
	struct pending_queue *q = &pt->q[e->peer];
	if (e->sent) {
		TAILQ_REMOVE(&q->sent, e, link);
		q->n_sent--;
	} else {
		TAILQ_REMOVE(&q->unsent, e, link);
		q->unsent_bytes -= e->msg.len;
	}
	deadline_clear(&e->deadline);
	buf_free(&e->msg);
	e->c = NULL;
	e->ops = NULL;
	e->stage = 0;
	pt->n_active--;
}

static void timed_out(struct deadline_entry *d, void *arg)
{
	struct pending_table *pt = arg;
	struct pending_request *e = (struct pending_request *)((char *)d - offsetof(struct pending_request, deadline));
	struct connection *c = e->c;
	const struct pending_ops *ops = e->ops;
	unsigned stage = e->stage;
	end_wait(pt, e);
	ops->lost(pt->w, c, stage, PENDING_TIMED_OUT);
}

int pending_init(struct worker *w)
{
	struct pending_table *pt = calloc(1, sizeof *pt);
	if (!pt)
		return -1;
	pt->slots = calloc(w->cfg->max_connections, sizeof *pt->slots);
	if (!pt->slots) {
		free(pt);
		return -1;
	}
	pt->w = w;
	pt->n_slots = w->cfg->max_connections;
	if (getrandom(&pt->next_sequence, sizeof pt->next_sequence, 0) != sizeof pt->next_sequence)
		pt->next_sequence = (uint32_t)getpid() << 12;
	for (int p = 0; p < PEER_COUNT; p++) {
		TAILQ_INIT(&pt->q[p].unsent);
		TAILQ_INIT(&pt->q[p].sent);
		pt->q[p].ch = p == PEER_VERIFIER ? &w->to_verifier : &w->to_writer;
		pt->q[p].seen_generation = peer_generation(w, (enum pending_peer)p);
	}
	deadline_list_init(&pt->deadlines, PENDING_TIMEOUT_MS, timed_out, pt);
	w->deadline_lists[w->n_deadline_lists++] = &pt->deadlines;
	w->pending = pt;
	return 0;
}

void pending_free(struct worker *w)
{
	struct pending_table *pt = w->pending;
	if (!pt)
		return;
	for (unsigned i = 0; i < pt->n_slots; i++)
		if (pt->slots[i].c)
			end_wait(pt, &pt->slots[i]);
	free(pt->slots);
	free(pt);
	w->pending = NULL;
}

static int send_entry(struct pending_table *pt, struct pending_request *e)
{
	struct pending_queue *q = &pt->q[e->peer];
	uint16_t flags = e->flags | (e->retry ? e->retry_flags : 0);
	if (ipc_send(q->ch, e->type, flags, e->id, e->msg.data, e->msg.len) < 0)
		return -1;
	e->sent = true;
	TAILQ_INSERT_TAIL(&q->sent, e, link);
	q->n_sent++;
	return 0;
}

int pending_start(struct worker *w, struct connection *c, const struct pending_message *m)
{
	struct pending_table *pt = w->pending;
	struct pending_queue *q = &pt->q[m->peer];
	struct pending_request *e = &pt->slots[c->slot];
	size_t len = m->head_len + m->tail_len;
	if (e->c || len > IPC_MAX_BODY)
		return -1;
	if (q->unsent_bytes + len > PENDING_QUEUE_MAX_BYTES) {
		log_warn("%zu bytes wait for the %s already: refusing more", q->unsent_bytes,
			 m->peer == PEER_VERIFIER ? "verifier" : "writer");
		return -1;
	}
	buf_init(&e->msg, IPC_MAX_BODY);
	if (buf_append(&e->msg, m->head, m->head_len) < 0 || buf_append(&e->msg, m->tail, m->tail_len) < 0) {
		buf_free(&e->msg);
		return -1;
	}
	e->id = ((uint64_t)c->slot << 32) | ++pt->next_sequence;
	e->stage = m->stage;
	e->peer = m->peer;
	e->retry = false;
	e->type = m->type;
	e->flags = m->flags;
	e->retry_flags = m->retry_flags;
	e->ops = m->ops;
	e->sent = false;
	/* Straight to the channel when nothing waits before it; a refusal then
	 * is answered by the caller, at once. */
	if (TAILQ_EMPTY(&q->unsent) && !ipc_pending(q->ch)) {
		if (send_entry(pt, e) < 0) {
			buf_free(&e->msg);
			return -1;
		}
	} else {
		TAILQ_INSERT_TAIL(&q->unsent, e, link);
		q->unsent_bytes += len;
	}
	e->c = c;
	pt->n_active++;
	deadline_set(&pt->deadlines, &e->deadline, w->now_ms);
	/* The IPC deadline bounds the wait, not the request's own. */
	deadline_clear(&c->deadline);
	c->phase = PHASE_WAITING;
	return 0;
}

unsigned pending_stage(const struct worker *w, const struct connection *c)
{
	const struct pending_request *e = &w->pending->slots[c->slot];
	return e->c == c ? e->stage : 0;
}

void pending_cancel(struct worker *w, struct connection *c)
{
	if (!w->pending)
		return;
	struct pending_request *e = &w->pending->slots[c->slot];
	if (e->c == c)
		end_wait(w->pending, e);
}

void pending_on_message(struct worker *w, enum pending_peer from, const struct ipc_header *h, const void *body,
			size_t len)
{
	struct pending_table *pt = w->pending;
	uint64_t slot = h->id >> 32;
	if (slot >= pt->n_slots)
		return;
	struct pending_request *e = &pt->slots[slot];
	if (!e->c || e->id != h->id || e->peer != from)
		return; /* stale: the connection closed, or this answer came twice */
	struct connection *c = e->c;
	const struct pending_ops *ops = e->ops;
	unsigned stage = e->stage;
	end_wait(pt, e);
	ops->reply(w, c, stage, h, body, len);
}

void pending_flush(struct worker *w, enum pending_peer peer)
{
	struct pending_table *pt = w->pending;
	struct pending_queue *q = &pt->q[peer];
	struct pending_request *e;
	/* At most one message in the channel's own queue: the rest stay here. */
	while ((e = TAILQ_FIRST(&q->unsent)) && !ipc_pending(q->ch)) {
		TAILQ_REMOVE(&q->unsent, e, link);
		q->unsent_bytes -= e->msg.len;
		if (send_entry(pt, e) == 0)
			continue;
		/* end_wait expects it on a list: put it back first. */
		TAILQ_INSERT_HEAD(&q->unsent, e, link);
		q->unsent_bytes += e->msg.len;
		struct connection *c = e->c;
		const struct pending_ops *ops = e->ops;
		unsigned stage = e->stage;
		end_wait(pt, e);
		ops->lost(w, c, stage, PENDING_UNSENDABLE);
	}
}

void pending_check_generations(struct worker *w)
{
	struct pending_table *pt = w->pending;
	for (int p = 0; p < PEER_COUNT; p++) {
		struct pending_queue *q = &pt->q[p];
		unsigned g = peer_generation(w, (enum pending_peer)p);
		if (g == q->seen_generation || !peer_ready(w, (enum pending_peer)p))
			continue;
		q->seen_generation = g;
		/* The old process may have lost anything it was given: drop the
		 * channel's copy and re-send every request handed over, each once
		 * and in order, ahead of those never sent. Verifying is idempotent;
		 * an insert goes flagged so that the writer recognises one the
		 * previous writer had committed. */
		ipc_channel_clear(q->ch);
		struct pending_request *e;
		while ((e = TAILQ_LAST(&q->sent, pending_list))) {
			TAILQ_REMOVE(&q->sent, e, link);
			q->n_sent--;
			e->sent = false;
			e->retry = true;
			TAILQ_INSERT_HEAD(&q->unsent, e, link);
			q->unsent_bytes += e->msg.len;
		}
		pending_flush(w, (enum pending_peer)p);
	}
}

bool pending_any(const struct worker *w)
{
	return w->pending && w->pending->n_active > 0;
}

unsigned pending_in_flight(const struct worker *w, enum pending_peer peer)
{
	return w->pending ? w->pending->q[peer].n_sent : 0;
}
