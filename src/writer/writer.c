/* The writer: the registry's only read-write owner. Inserts that arrive
 * together share one LMDB transaction (group commit); each answer leaves only
 * after that transaction is synced to disk. A batch too big for what is left
 * of the map falls back to one transaction an insert, so a nearly full
 * registry still takes what fits. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "common/proc/child.h"
#include "common/base/clock.h"
#include "common/proc/ipc.h"
#include "common/base/log.h"
#include "common/proc/peer_set.h"
#include "common/kez/registry.h"
#include "common/proc/sandbox.h"

#define BATCH_MAX          512  /* inserts in one transaction */
#define BURST_PER_PEER     64   /* taken from one worker before the next one's turn */
#define MAX_QUEUED_REPLIES 4096 /* per worker; one that never reads cannot hold more */
#define READER_CHECK_MS    5000
#define POLL_MS            500  /* how soon a stop request is noticed at the latest */
#define MAX_EVENTS         64

struct pending_insert {
	unsigned                  peer;
	uint64_t                  id;
	bool                      valid; /* false: refused before reaching the registry */
	bool                      retry;
	struct ipc_insert_request request;
	struct ipc_insert_reply   reply;
};

struct writer {
	const struct child_context *ctx;
	struct registry             registry;
	int                         epoll_fd;
	struct peer_set             links;
	bool                       *peer_ready; /* may have unread messages */
	struct pending_insert       batch[BATCH_MAX];
	size_t                      batch_len;
	time_t                      last_full_log;
	time_t                      last_reply_warning;
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

static void send_reply(struct writer *w, unsigned peer, uint64_t id, const struct ipc_insert_reply *r)
{
	/* A link that ended while its batch was committing has nobody left to
	 * hear the answer. */
	if (!peer_set_live(&w->links, peer))
		return;
	struct ipc_channel *ch = &w->links.peers[peer];
	if (ipc_send(ch, IPC_INSERT_REPLY, 0, id, r, sizeof *r) < 0) {
		time_t now = time(NULL);
		if (now != w->last_reply_warning) {
			w->last_reply_warning = now;
			log_warn("cannot answer worker link %u (%s); its request will time out", peer + 1,
				 ch->queued >= ch->max_queued ? "it reads no answers" : strerror(errno));
		}
	}
	if (ipc_pending(ch))
		peer_set_watch(&w->links, peer, true);
}

static bool insert_request_is_valid(const struct ipc_header *h, ssize_t len, const struct ipc_insert_request *rq)
{
	return h->type == IPC_INSERT_REQUEST && (size_t)len == sizeof *rq && rq->handle_len <= HANDLE_MAX_LEN &&
	       handle_is_valid(rq->handle, rq->handle_len);
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

/* Adds one request to the batch, decided already: inserted into the open
 * transaction (txn NULL: it could not be opened) or refused (rq NULL: the
 * message was not a valid request). */
static void take_one(struct writer *w, unsigned peer, uint64_t id, const struct ipc_insert_request *rq,
		     uint16_t flags, MDB_txn *txn, int64_t now)
{
	struct pending_insert *p = &w->batch[w->batch_len++];
	memset(p, 0, sizeof *p);
	p->peer = peer;
	p->id = id;
	p->reply.error = API_INTERNAL;
	if (!rq)
		return;
	p->valid = true;
	p->retry = (flags & IPC_FLAG_RETRY) != 0;
	p->request = *rq;
	int64_t at = 0;
	enum api_error e = txn ? insert(w, txn, p, now, &at) : API_INTERNAL;
	decide(w, p, e, at);
}

/* Reads up to a burst of requests from one worker into the batch. */
static void take_requests(struct writer *w, unsigned peer, MDB_txn *txn, int64_t now)
{
	int fd = w->links.peers[peer].fd;
	for (int n = 0; n < BURST_PER_PEER && w->batch_len < BATCH_MAX; n++) {
		struct ipc_header h;
		struct ipc_insert_request rq;
		memset(&h, 0, sizeof h);
		ssize_t len = ipc_recv(fd, &h, &rq, sizeof rq);
		if (len < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			w->peer_ready[peer] = false;
			return;
		}
		if (len < 0 && errno == EPROTO) {
			/* Wrong size or framing. When the header names an insert, its
			 * sender hears a refusal now rather than waiting for a timeout
			 * (an id cut short matches nothing, which is harmless). */
			log_warn("worker link %u sent a malformed message (type %u)%s", peer + 1, h.type,
				 h.type == IPC_INSERT_REQUEST ? "; refused" : "; dropped");
			if (h.type == IPC_INSERT_REQUEST)
				take_one(w, peer, h.id, NULL, 0, txn, now);
			continue;
		}
		if (len < 0) {
			log_warn("worker link %u: %s; no longer listening to it", peer + 1, strerror(errno));
			drop_peer(w, peer);
			return;
		}
		if (len == 0 && h.type == 0) { /* end of file */
			drop_peer(w, peer);
			return;
		}
		if (!insert_request_is_valid(&h, len, &rq)) {
			log_warn("worker link %u sent an invalid insert request (type %u, %zd bytes); refused", peer + 1,
				 h.type, len);
			take_one(w, peer, h.id, NULL, 0, txn, now);
			continue;
		}
		take_one(w, peer, h.id, &rq, h.flags, txn, now);
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
	w->batch_len = 0;
	/* Round-robin over workers with pending messages until none is left or
	 * the batch is full, so one busy worker cannot starve the others. */
	bool more = true;
	while (more && w->batch_len < BATCH_MAX) {
		more = false;
		for (unsigned i = 0; i < w->ctx->max_peers && w->batch_len < BATCH_MAX; i++)
			if (w->peer_ready[i] && peer_set_live(&w->links, i)) {
				take_requests(w, i, txn, now);
				more = more || w->peer_ready[i];
			}
	}
	if (w->batch_len == 0) {
		if (txn)
			registry_batch_abort(txn);
		return;
	}
	long long started = monotonic_ms();
	if (txn && registry_batch_commit(txn) < 0) {
		if (errno == MDB_MAP_FULL)
			commit_one_by_one(w, now);
		else /* nothing of the batch is on disk: none of its inserts succeeded */
			for (size_t i = 0; i < w->batch_len; i++)
				if (w->batch[i].reply.error == API_OK)
					decide(w, &w->batch[i], API_INTERNAL, 0);
	}
	log_debug("batch of %zu done in %lld ms", w->batch_len, monotonic_ms() - started);
	for (size_t i = 0; i < w->batch_len; i++)
		send_reply(w, w->batch[i].peer, w->batch[i].id, &w->batch[i].reply);
	w->batch_len = 0;
}

static void handle_event(struct writer *w, const struct epoll_event *ev)
{
	unsigned i = ev->data.u32;
	if (i == PEER_SET_CONTROL_TAG) {
		peer_set_take_links(&w->links, w->ctx->control_fd);
		return;
	}
	if (!peer_set_live(&w->links, i))
		return;
	if ((ev->events & EPOLLOUT) && ipc_flush(&w->links.peers[i]) != 0)
		peer_set_watch(&w->links, i, false); /* all sent, or the link is broken (EOF follows) */
	/* A hang-up or error is read as end of file (or an error) in the batch. */
	if (ev->events & (EPOLLIN | EPOLLHUP | EPOLLERR))
		w->peer_ready[i] = true;
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
	if (!w->peer_ready || w->epoll_fd < 0 ||
	    peer_set_init(&w->links, ctx->max_peers, w->epoll_fd, MAX_QUEUED_REPLIES) < 0) {
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
	if (sandbox_enter(ctx) < 0)
		return -1;
	return 0;
}

static void teardown(struct writer *w)
{
	peer_set_free(&w->links);
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
	static struct writer w;
	if (setup(&w, ctx) < 0)
		return CHILD_EXIT_STARTUP;
	/* The generation first: a worker that sees writer_ready again must also
	 * see that this is a new writer, and re-send what the old one lost. */
	atomic_fetch_add(&ctx->state->writer_generation, 1);
	atomic_store(&ctx->state->writer_ready, 1);
	log_info("registry open at %s", ctx->cfg->db_path);

	long long next_reader_check = monotonic_ms() + READER_CHECK_MS;
	struct epoll_event events[MAX_EVENTS];
	while (!*stop) {
		int n = epoll_wait(w.epoll_fd, events, MAX_EVENTS, POLL_MS);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_error("epoll_wait: %s", strerror(errno));
			break;
		}
		for (int k = 0; k < n; k++)
			handle_event(&w, &events[k]);
		/* A stop request that came meanwhile still lets this batch finish:
		 * its requests were read, so they get their answers. */
		run_batch(&w);
		if (monotonic_ms() >= next_reader_check) {
			clear_stale_readers(&w);
			next_reader_check = monotonic_ms() + READER_CHECK_MS;
		}
	}
	log_info("stopping");
	teardown(&w);
	return 0;
}
