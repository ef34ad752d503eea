/* The writer: the registry's only read-write owner. Its loop takes the
 * worker links' messages as they come and runs a group commit round
 * (group_commit.h) whenever one has something: inserts and sigchain
 * appends that arrive together share one LMDB transaction, and each
 * answer leaves only after that transaction is synced to disk. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "common/base/clock.h"
#include "common/base/log.h"
#include "common/kez/registry.h"
#include "common/proc/child.h"
#include "common/proc/ipc.h"
#include "common/proc/ipc_drain.h"
#include "common/proc/peer_set.h"
#include "common/proc/sandbox.h"
#include "writer/group_commit.h"
#include "writer/writer_state.h"

#define READER_CHECK_MS    5000
#define POLL_MS            500  /* how soon a stop request is noticed at the latest */
#define MAX_EVENTS         64

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
	if (!w->peer_ready || w->epoll_fd < 0 || ipc_receiver_init(&w->rx, IPC_ROLE_WRITER, group_commit_dispatch, w) < 0 ||
	    peer_set_init(&w->links, ctx->max_peers, w->epoll_fd, IPC_ROLE_WORKER, IPC_QUEUE_DEFAULT_BYTES) < 0) {
		log_error("cannot start: %s", strerror(errno));
		return -1;
	}
	for (unsigned i = 0; i < ctx->n_peers; i++)
		if (peer_set_add(&w->links, ctx->peer_fds[i], ctx->peer_roles[i]) < 0)
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
		group_commit_run(w);
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
