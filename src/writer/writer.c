/* The writer: the registry's only read-write owner. Inserts that arrive
 * together share one LMDB transaction (group commit); each answer leaves only
 * after that transaction is synced to disk. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "common/child.h"
#include "common/ipc.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/peer_set.h"
#include "common/registry.h"
#include "common/sandbox.h"

#define BATCH_MAX          512
#define BURST_PER_PEER     64
#define MAX_QUEUED_REPLIES 4096
#define READER_CHECK_MS    5000

struct pending_insert {
	unsigned                  peer;
	uint64_t                  id;
	struct ipc_insert_reply   reply;
};

struct writer {
	const struct child_context *ctx;
	struct registry             registry;
	int                         epoll_fd;
	struct peer_set             links;
	bool                       *peer_ready; /* has unread messages */
	struct pending_insert       batch[BATCH_MAX];
	size_t                      batch_len;
	time_t                      last_full_log;
};

static void note_full(struct writer *w);

/* The worker of this link is gone for good. */
static void drop_peer(struct writer *w, unsigned i)
{
	peer_set_drop(&w->links, i);
	w->peer_ready[i] = false;
}

static void reply(struct writer *w, unsigned peer, uint64_t id, const struct ipc_insert_reply *r)
{
	if (ipc_send(&w->links.peers[peer], IPC_INSERT_REPLY, 0, id, r, sizeof *r) < 0)
		log_warn("cannot answer worker slot %u (its queue is full); it will time out", peer + 1);
	if (ipc_pending(&w->links.peers[peer]))
		peer_set_watch(&w->links, peer, true);
}

/* Reads up to a burst of requests from one worker into the batch, each
 * already decided (inserted into the open transaction or refused). */
static void take_requests(struct writer *w, unsigned peer, MDB_txn *txn, int64_t now)
{
	struct ipc_channel *ch = &w->links.peers[peer];
	for (int n = 0; n < BURST_PER_PEER && w->batch_len < BATCH_MAX; n++) {
		struct ipc_header h;
		struct ipc_insert_request rq;
		ssize_t len = ipc_recv(ch->fd, &h, &rq, sizeof rq);
		if (len < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				w->peer_ready[peer] = false;
				return;
			}
			if (errno == EPROTO) {
				log_warn("dropped a malformed message from worker slot %u", peer + 1);
				continue;
			}
			log_warn("worker link %u: %s; no longer listening to it", peer + 1, strerror(errno));
			drop_peer(w, peer);
			return;
		}
		if (len == 0 && h.type == 0) {
			drop_peer(w, peer);
			return;
		}
		struct pending_insert *p = &w->batch[w->batch_len++];
		p->peer = peer;
		p->id = h.id;
		memset(&p->reply, 0, sizeof p->reply);
		if (h.type != IPC_INSERT_REQUEST || (size_t)len != sizeof rq || rq.handle_len > HANDLE_MAX_LEN ||
		    !handle_is_valid(rq.handle, rq.handle_len)) {
			log_warn("worker slot %u sent an invalid insert request; refused", peer + 1);
			p->reply.error = API_INTERNAL;
			continue;
		}
		int64_t at = 0;
		enum api_error e = txn ? registry_insert(&w->registry, txn, rq.handle, rq.handle_len, rq.primary,
							 now, h.flags & IPC_FLAG_RETRY, &at)
				       : API_INTERNAL;
		p->reply.error = (uint32_t)e;
		p->reply.registered_at = at;
		if (e == API_STORAGE_FULL)
			note_full(w);
	}
}

/* One clear line, at most once a second, however many inserts it refuses. */
static void note_full(struct writer *w)
{
	if (time(NULL) == w->last_full_log)
		return;
	w->last_full_log = time(NULL);
	log_error("registry is full (map size %zu MiB): registrations get 507 until --map-size is raised",
		  w->ctx->cfg->map_size >> 20);
}

static void run_batch(struct writer *w)
{
	MDB_txn *txn = NULL;
	if (registry_batch_begin(&w->registry, &txn) < 0)
		txn = NULL;
	int64_t now = (int64_t)time(NULL);
	w->batch_len = 0;
	/* Round-robin over workers with pending messages until none is left or
	 * the batch is full. */
	bool any = true;
	while (any && w->batch_len < BATCH_MAX) {
		any = false;
		for (unsigned i = 0; i < w->ctx->max_peers && w->batch_len < BATCH_MAX; i++)
			if (w->peer_ready[i] && peer_set_live(&w->links, i)) {
				take_requests(w, i, txn, now);
				any = any || w->peer_ready[i];
			}
	}
	if (w->batch_len == 0) {
		if (txn)
			registry_batch_abort(txn);
		return;
	}
	long long started = monotonic_ms();
	if (txn && registry_batch_commit(txn) < 0) {
		enum api_error e = errno == MDB_MAP_FULL ? API_STORAGE_FULL : API_INTERNAL;
		if (e == API_STORAGE_FULL)
			note_full(w);
		for (size_t i = 0; i < w->batch_len; i++)
			if (w->batch[i].reply.error == API_OK)
				w->batch[i].reply.error = (uint32_t)e;
	}
	log_debug("committed a batch of %zu in %lld ms", w->batch_len, monotonic_ms() - started);
	for (size_t i = 0; i < w->batch_len; i++)
		reply(w, w->batch[i].peer, w->batch[i].id, &w->batch[i].reply);
	w->batch_len = 0;
}

int writer_run(const struct child_context *ctx)
{
	volatile int *stop = child_stop_flag();
	static struct writer w;
	w.ctx = ctx;
	char err[512];
	if (registry_open(&w.registry, ctx->cfg->db_path, ctx->cfg->map_size, true, err, sizeof err) < 0) {
		log_error("%s", err);
		return CHILD_EXIT_STARTUP;
	}
	/* Readers killed mid-lookup leave stale slots that would pin old pages. */
	int dead = 0;
	(void)mdb_reader_check(w.registry.env, &dead);
	if (child_drop_privileges(ctx->cfg) < 0)
		return CHILD_EXIT_STARTUP;
	w.peer_ready = calloc(ctx->max_peers, sizeof *w.peer_ready);
	w.epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (!w.peer_ready || w.epoll_fd < 0 || peer_set_init(&w.links, ctx->max_peers, w.epoll_fd, MAX_QUEUED_REPLIES) < 0) {
		log_error("cannot start: %s", strerror(errno));
		return CHILD_EXIT_STARTUP;
	}
	for (unsigned i = 0; i < ctx->n_peers; i++)
		if (peer_set_add(&w.links, ctx->peer_fds[i]) < 0)
			return CHILD_EXIT_STARTUP;
	struct epoll_event cev = { .events = EPOLLIN, .data.u32 = PEER_SET_CONTROL_TAG };
	if (epoll_ctl(w.epoll_fd, EPOLL_CTL_ADD, ctx->control_fd, &cev) < 0) {
		log_error("epoll_ctl: %s", strerror(errno));
		return CHILD_EXIT_STARTUP;
	}
	sandbox_preload_libraries();
	if (sandbox_enter(SANDBOX_WRITER) < 0)
		return CHILD_EXIT_STARTUP;
	sandbox_test_probe("writer", NULL);
	atomic_fetch_add(&ctx->state->writer_generation, 1);
	atomic_store(&ctx->state->writer_ready, 1);
	log_info("registry open at %s", ctx->cfg->db_path);

	long long next_reader_check = monotonic_ms() + READER_CHECK_MS;
	struct epoll_event events[64];
	while (!*stop) {
		int n = epoll_wait(w.epoll_fd, events, 64, 500);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_error("epoll_wait: %s", strerror(errno));
			break;
		}
		for (int k = 0; k < n; k++) {
			unsigned i = events[k].data.u32;
			if (i == PEER_SET_CONTROL_TAG) {
				peer_set_take_links(&w.links, ctx->control_fd);
				continue;
			}
			if (!peer_set_live(&w.links, i))
				continue;
			if ((events[k].events & EPOLLOUT) && ipc_flush(&w.links.peers[i]) != 0)
				peer_set_watch(&w.links, i, false);
			if (events[k].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
				w.peer_ready[i] = true;
		}
		run_batch(&w);
		if (monotonic_ms() >= next_reader_check) {
			(void)mdb_reader_check(w.registry.env, &dead);
			if (dead)
				log_info("cleared %d stale registry reader slots", dead);
			next_reader_check = monotonic_ms() + READER_CHECK_MS;
		}
	}
	log_info("stopping");
	peer_set_free(&w.links);
	registry_close(&w.registry);
	free(w.peer_ready);
	close(w.epoll_fd);
	return 0;
}
