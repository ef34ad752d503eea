/* The writer: the registry's only read-write owner. Inserts and sigchain
 * appends that arrive together share one LMDB transaction (group commit);
 * each answer leaves only after that transaction is synced to disk. A batch too big for what is left
 * of the map falls back to one transaction an insert, so a nearly full
 * registry still takes what fits. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "common/proc/metrics.h"
#include "common/proc/child.h"
#include "common/base/clock.h"
#include "common/proc/ipc.h"
#include "common/proc/ipc_drain.h"
#include "common/base/log.h"
#include "common/proc/peer_set.h"
#include "common/kez/registry.h"
#include "common/proc/sandbox.h"
#include "writer/chain_append.h"
#include "writer/insert_gate.h"

#define BATCH_MAX          512  /* inserts in one transaction */
#define BURST_PER_PEER     64   /* taken from one worker before the next one's turn */
#define READER_CHECK_MS    5000
#define POLL_MS            500  /* how soon a stop request is noticed at the latest */
#define MAX_EVENTS         64

struct pending_insert {
	unsigned                  peer;
	uint64_t                  id;
	uint16_t                  type;  /* IPC_INSERT_REQUEST or IPC_APPEND_REQUEST */
	bool                      valid; /* false: refused before reaching the registry */
	bool                      retry;
	struct ipc_insert_request request;
	struct ipc_insert_reply   reply;
	struct chain_append      *append; /* appends: the event and its answer */
};

struct writer {
	const struct child_context *ctx;
	struct registry             registry;
	int                         epoll_fd;
	struct peer_set             links;
	bool                       *peer_ready; /* may have unread messages */
	struct ipc_receiver         rx;
	MDB_txn                    *round_txn;  /* the batch being read: its transaction (NULL: none) */
	int64_t                     round_now;  /* and its clock */
	struct pending_insert       batch[BATCH_MAX];
	size_t                      batch_len;
	time_t                      last_full_log;
	time_t                      last_reply_warning;
	struct insert_gate          gate;
	struct append_gate          append_gate;
};

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
static int dispatch(void *arg, struct ipc_channel *ch, const struct ipc_header *h, const void *body, size_t len)
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
static void run_batch(struct writer *w)
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

/* -1 when the master is gone. */
static int handle_event(struct writer *w, const struct epoll_event *ev)
{
	unsigned i = ev->data.u32;
	if (i == PEER_SET_CONTROL_TAG)
		return peer_set_take_links(&w->links, w->ctx->control_fd);
	if (!peer_set_live(&w->links, i))
		return 0;
	if ((ev->events & EPOLLOUT) && ipc_flush(&w->links.peers[i]) != 0)
		peer_set_watch(&w->links, i, false); /* all sent, or the link is broken (EOF follows) */
	/* A hang-up or error is read as end of file (or an error) in the batch. */
	if (ev->events & (EPOLLIN | EPOLLHUP | EPOLLERR))
		w->peer_ready[i] = true;
	return 0;
}

static void clear_stale_readers(struct writer *w)
{
	int dead = 0;
	int rc = mdb_reader_check(w->registry.env, &dead);
	if (rc != 0)
		log_warn("registry reader check: %s", mdb_strerror(rc));
	else if (dead > 0)
		log_info("cleared %d stale registry reader slots", dead);
}

static int setup(struct writer *w, const struct child_context *ctx)
{
	w->ctx = ctx;
	w->epoll_fd = -1;
	insert_gate_init(&w->gate, ctx->reserved, ctx->attest);
	append_gate_init(&w->append_gate, ctx->attest, ctx->cfg->max_chain_length, ctx->cfg->sigchain_registered_only);
	char err[512];
	if (registry_open(&w->registry, ctx->cfg->db_path, ctx->cfg->map_size, true, err, sizeof err) < 0) {
		log_error("%s", err);
		return -1;
	}
	/* Readers killed mid-lookup leave slots that would pin old pages. */
	clear_stale_readers(w);
	if (child_drop_privileges(ctx->cfg) < 0)
		return -1;
	w->peer_ready = calloc(ctx->max_peers ? ctx->max_peers : 1, sizeof *w->peer_ready);
	w->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (!w->peer_ready || w->epoll_fd < 0 || ipc_receiver_init(&w->rx, IPC_ROLE_WRITER, dispatch, w) < 0 ||
	    peer_set_init(&w->links, ctx->max_peers, w->epoll_fd, IPC_ROLE_WORKER, IPC_QUEUE_DEFAULT_BYTES) < 0) {
		log_error("cannot start: %s", strerror(errno));
		return -1;
	}
	for (unsigned i = 0; i < ctx->n_peers; i++)
		if (peer_set_add(&w->links, ctx->peer_fds[i]) < 0)
			return -1;
	if (ctx->control_fd >= 0) {
		struct epoll_event cev = { .events = EPOLLIN, .data.u32 = PEER_SET_CONTROL_TAG };
		if (epoll_ctl(w->epoll_fd, EPOLL_CTL_ADD, ctx->control_fd, &cev) < 0) {
			log_error("epoll_ctl: %s", strerror(errno));
			return -1;
		}
	}
	sandbox_preload_libraries();
	if (attest_self_test(ctx->attest) < 0) {
		log_error("no attestation key, or HMAC-SHA256 does not work");
		return -1;
	}
	if (sandbox_enter(ctx) < 0)
		return -1;
	return 0;
}

static void teardown(struct writer *w)
{
	peer_set_free(&w->links);
	ipc_receiver_free(&w->rx);
	registry_close(&w->registry);
	free(w->peer_ready);
	w->peer_ready = NULL;
	if (w->epoll_fd >= 0)
		close(w->epoll_fd);
}

int writer_run(const struct child_context *ctx)
{
	log_set_process("writer");
	volatile int *stop = child_stop_flag();
	/* The batch is large: on the heap, not in a static buffer. */
	struct writer *w = calloc(1, sizeof *w);
	if (!w) {
		log_error("out of memory");
		return CHILD_EXIT_STARTUP;
	}
	if (setup(w, ctx) < 0) {
		teardown(w);
		free(w);
		return CHILD_EXIT_STARTUP;
	}
	/* The generation first: a worker that sees writer_ready again must also
	 * see that this is a new writer, and re-send what the old one lost. */
	atomic_fetch_add(&ctx->state->writer_generation, 1);
	atomic_store(&ctx->state->writer_ready, 1);
	log_info("registry open at %s", ctx->cfg->db_path);

	long long next_reader_check = monotonic_ms() + READER_CHECK_MS;
	struct epoll_event events[MAX_EVENTS];
	bool master_gone = false;
	while (!*stop && !master_gone) {
		int n = epoll_wait(w->epoll_fd, events, MAX_EVENTS, POLL_MS);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_error("epoll_wait: %s", strerror(errno));
			break;
		}
		for (int k = 0; k < n; k++)
			if (handle_event(w, &events[k]) < 0)
				master_gone = true;
		/* A stop request (or the master's end) that came meanwhile still
		 * lets this batch finish: its requests were read, so they get
		 * their answers. */
		run_batch(w);
		if (monotonic_ms() >= next_reader_check) {
			clear_stale_readers(w);
			next_reader_check = monotonic_ms() + READER_CHECK_MS;
		}
	}
	if (master_gone)
		log_warn("the master is gone; stopping");
	else
		log_info("stopping");
	teardown(w);
	free(w);
	return 0;
}
