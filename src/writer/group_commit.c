#include "writer/group_commit.h"

#include <errno.h>
#include <string.h>

#include "common/base/clock.h"
#include "common/base/log.h"
#include "common/proc/metrics.h"

#define BURST_PER_PEER 64 /* taken from one worker before the next one's turn */

/* One clear line, at most once a second, however many inserts it refuses. */
static void note_full(struct writer *w)
{
	time_t now = time(NULL);
	if (now == w->last_full_log)
		return;
	w->last_full_log = now;
	log_error("registry is full (map size %zu MiB): raise --map-size; until then registrations get 507",
		  w->ctx->cfg->map_size >> 20);
}

/* The worker of this link is gone for good (the master's copy too). */
static void drop_peer(struct writer *w, unsigned i)
{
	peer_set_drop(&w->links, i);
	w->peer_ready[i] = false;
}

static void send_reply(struct writer *w, const struct pending_insert *p)
{
	/* A link that ended while its batch was committing has nobody left to
	 * hear the answer. */
	unsigned peer = p->peer;
	if (!peer_set_live(&w->links, peer))
		return;
	struct ipc_channel *ch = &w->links.peers[peer];
	int sent = p->type == IPC_APPEND_REQUEST
			   ? ipc_send(ch, IPC_APPEND_REPLY, 0, p->id, &p->append->reply, sizeof p->append->reply)
			   : ipc_send(ch, IPC_INSERT_REPLY, 0, p->id, &p->reply, sizeof p->reply);
	if (sent < 0) {
		time_t now = time(NULL);
		if (now != w->last_reply_warning) {
			w->last_reply_warning = now;
			log_warn("cannot answer worker link %u (%s); its request will time out", peer + 1,
				 errno == ENOBUFS ? "it reads no answers" : strerror(errno));
		}
	}
	if (ipc_pending(ch))
		peer_set_watch(&w->links, peer, true);
}

static enum api_error insert(struct writer *w, MDB_txn *txn, const struct pending_insert *p, int64_t now,
			     int64_t *at)
{
	const struct ipc_insert_request *rq = &p->request;
	return registry_insert(&w->registry, txn, rq->handle, rq->handle_len, rq->primary, now, p->retry, at);
}

static void decide(struct writer *w, struct pending_insert *p, enum api_error e, int64_t at)
{
	if (e == API_STORAGE_FULL)
		note_full(w);
	p->reply.error = (uint32_t)e;
	p->reply.registered_at = e == API_OK ? at : 0;
}

/* An append into the open transaction: rows 14-21, then the event. */
static void append_one(struct writer *w, struct pending_insert *p, MDB_txn *txn)
{
	if (chain_append_apply(&w->append_gate, &w->registry, txn, p->append) == API_STORAGE_FULL)
		note_full(w);
}

/* Adds one sigchain append to the batch (see take_one). */
static void take_append(struct writer *w, unsigned peer, uint64_t id, const void *body, size_t len)
{
	struct pending_insert *p = &w->batch[w->batch_len];
	memset(p, 0, sizeof *p);
	p->peer = peer;
	p->id = id;
	p->type = IPC_APPEND_REQUEST;
	p->append = chain_append_take(&w->append_gate, peer, body, len);
	if (!p->append) {
		log_warn("out of memory for a sigchain append; its worker will time out");
		return;
	}
	w->batch_len++;
	if (!w->ctx->cfg->serve_sigchain) {
		p->append->reply.error = API_NOT_FOUND;
		return;
	}
	if (p->append->reply.error != API_OK)
		return;
	p->valid = true;
	append_one(w, p, w->round_txn);
}

/* Adds one request to the batch, decided already: refused, or inserted
 * into the open transaction (none: it could not be opened). */
static void take_one(struct writer *w, unsigned peer, uint64_t id, const struct ipc_insert_request *rq,
		     uint16_t flags)
{
	struct pending_insert *p = &w->batch[w->batch_len++];
	memset(p, 0, sizeof *p);
	p->peer = peer;
	p->id = id;
	p->type = IPC_INSERT_REQUEST;
	enum api_error e = insert_gate_check(&w->gate, peer, rq);
	if (e != API_OK) {
		p->reply.error = (uint32_t)e;
		return;
	}
	p->valid = true;
	p->retry = (flags & IPC_FLAG_RETRY) != 0;
	p->request = *rq;
	int64_t at = 0;
	e = w->round_txn ? insert(w, w->round_txn, p, w->round_now, &at) : API_INTERNAL;
	decide(w, p, e, at);
}

/* Called by ipc_drain for each INSERT_REQUEST and APPEND_REQUEST (the only
 * types the table lets a worker send a writer), already checked for size. */
int group_commit_dispatch(void *arg, struct ipc_channel *ch, const struct ipc_header *h, const void *body, size_t len)
{
	struct writer *w = arg;
	unsigned peer = (unsigned)(ch - w->links.peers);
	if (h->type == IPC_APPEND_REQUEST) {
		take_append(w, peer, h->id, body, len);
	} else {
		struct ipc_insert_request rq;
		memcpy(&rq, body, sizeof rq);
		take_one(w, peer, h->id, &rq, h->flags);
	}
	return w->batch_len >= BATCH_MAX; /* full: the rest waits for the next round */
}

/* Reads up to a burst of requests from one worker into the batch. */
static void take_requests(struct writer *w, unsigned peer)
{
	switch (ipc_drain(&w->rx, &w->links.peers[peer], BURST_PER_PEER)) {
	case IPC_DRAIN_EMPTY: w->peer_ready[peer] = false; break;
	case IPC_DRAIN_GONE: drop_peer(w, peer); break;
	case IPC_DRAIN_MORE: break;
	}
}

/* The group commit did not fit in the map (its own bookkeeping needs pages
 * too). Rather than refuse the whole batch, commit what still fits, one
 * insert a transaction, in arrival order; the answers are decided afresh
 * (a handle an earlier insert of the failed batch took may be free again). */
static void commit_one_by_one(struct writer *w, int64_t now)
{
	for (size_t i = 0; i < w->batch_len; i++) {
		struct pending_insert *p = &w->batch[i];
		if (!p->valid)
			continue;
		MDB_txn *txn;
		int64_t at = 0;
		enum api_error e = API_INTERNAL;
		if (p->type == IPC_APPEND_REQUEST) {
			if (registry_batch_begin(&w->registry, &txn) < 0) {
				append_one(w, p, NULL);
				continue;
			}
			append_one(w, p, txn);
			if (p->append->reply.error != API_OK || p->append->reply.identical)
				registry_batch_abort(txn);
			else if (registry_batch_commit(txn) < 0)
				p->append->reply.error = errno == MDB_MAP_FULL ? API_STORAGE_FULL : API_INTERNAL;
			continue;
		}
		if (registry_batch_begin(&w->registry, &txn) == 0) {
			e = insert(w, txn, p, now, &at);
			if (e != API_OK)
				registry_batch_abort(txn);
			else if (registry_batch_commit(txn) < 0)
				e = errno == MDB_MAP_FULL ? API_STORAGE_FULL : API_INTERNAL;
		}
		decide(w, p, e, at);
	}
}

static bool any_peer_ready(const struct writer *w)
{
	for (unsigned i = 0; i < w->ctx->max_peers; i++)
		if (w->peer_ready[i])
			return true;
	return false;
}

/* One round: every waiting request (up to BATCH_MAX) into one transaction,
 * one commit, then the answers. */
void group_commit_run(struct writer *w)
{
	if (!any_peer_ready(w))
		return;
	MDB_txn *txn = NULL;
	if (registry_batch_begin(&w->registry, &txn) < 0)
		txn = NULL; /* every request of this round is answered API_INTERNAL */
	int64_t now = (int64_t)time(NULL);
	w->round_txn = txn;
	w->round_now = now;
	w->batch_len = 0;
	/* Round-robin over workers with pending messages until none is left or
	 * the batch is full, so one busy worker cannot starve the others. */
	bool more = true;
	while (more && w->batch_len < BATCH_MAX) {
		more = false;
		for (unsigned i = 0; i < w->ctx->max_peers && w->batch_len < BATCH_MAX; i++)
			if (w->peer_ready[i] && peer_set_live(&w->links, i)) {
				take_requests(w, i);
				more = more || w->peer_ready[i];
			}
	}
	if (w->batch_len == 0) {
		if (txn)
			registry_batch_abort(txn);
		return;
	}
	long long started = monotonic_ms();
	uint64_t commit_ns = metrics_now_ns();
	if (txn && registry_batch_commit(txn) < 0) {
		if (errno == MDB_MAP_FULL)
			commit_one_by_one(w, now);
		else /* nothing of the batch is on disk: none of its writes succeeded */
			for (size_t i = 0; i < w->batch_len; i++) {
				struct pending_insert *p = &w->batch[i];
				if (p->type == IPC_APPEND_REQUEST && p->append->reply.error == API_OK &&
				    !p->append->reply.identical)
					p->append->reply.error = API_INTERNAL;
				else if (p->type == IPC_INSERT_REQUEST && p->reply.error == API_OK)
					decide(w, p, API_INTERNAL, 0);
			}
	}
	log_debug("batch of %zu done in %lld ms", w->batch_len, monotonic_ms() - started);
	metrics_batch((unsigned)w->batch_len, commit_ns);
	for (size_t i = 0; i < w->batch_len; i++) {
		send_reply(w, &w->batch[i]);
		chain_append_free(w->batch[i].append);
		w->batch[i].append = NULL;
	}
	w->batch_len = 0;
}
