/* The verifier: the only process that canonicalizes and checks signatures.
 * It holds no listening socket; with the NATS callout configured, a
 * read-only registry handle opened before it sandboxes itself, so that it
 * decides from what it knows whose key a NATS client proved. It answers the
 * fixed set of requests workers send over their socketpairs, treating each
 * as hostile. With --verifier-threads N above 1 the answers are computed by
 * this loop and N - 1 threads (verify_pool.h); the loop alone touches the
 * links. */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <unistd.h>

#include "common/base/log.h"
#include "common/proc/attest.h"
#include "common/proc/child.h"
#include "common/proc/ipc.h"
#include "common/proc/ipc_drain.h"
#include "common/proc/peer_set.h"
#include "common/proc/sandbox.h"
#include "common/nats/xkey.h"
#include "signer/answer.h"
#include "signer/verifier_affinity.h"
#include "signer/verify_pool.h"

/* Messages taken from one worker before looking at the next: fairness. */
#define BURST_PER_PEER 32
/* epoll data for the pool's eventfd (links use their index). */
#define POOL_TAG (PEER_SET_CONTROL_TAG - 1)

struct verifier {
	const struct child_context *ctx;
	int                         epoll_fd;
	struct peer_set             links;
	struct ipc_receiver         rx;
	struct answer_core          core;
	bool                        threaded;
	struct verify_pool          pool;
	uint32_t                   *link_gen; /* per link index: bumped when a link goes */
	unsigned                    serving;  /* the link being drained */
};

static void send_answer(struct verifier *v, unsigned link, uint16_t type, uint64_t id, const struct buf *reply)
{
	struct ipc_channel *ch = &v->links.peers[link];
	if (ipc_send(ch, type, 0, id, reply->data, reply->len) < 0)
		log_warn("cannot answer a worker (its queue is full); it will time out");
	else if (ipc_pending(ch))
		peer_set_watch(&v->links, link, true);
}

static int dispatch(void *arg, struct ipc_channel *ch, const struct ipc_header *h, const void *body, size_t len)
{
	struct verifier *v = arg;
	(void)ch;
	if (h->type != IPC_VERIFY_REQUEST && h->type != IPC_NATS_REQUEST && h->type != IPC_EVENT_VERIFY_REQUEST)
		return 0;
	if (v->threaded) {
		if (verify_pool_submit(&v->pool, v->serving, v->link_gen[v->serving], h->type, h->id, body, len) < 0)
			log_warn("out of memory for a request; the worker will time out");
		/* Stop reading when the threads are this far behind. */
		return verify_pool_full(&v->pool) ? 1 : 0;
	}
	uint16_t type = 0;
	struct buf reply;
	buf_init(&reply, IPC_MAX_BODY);
	if (answer_request(&v->core, h->type, h->id, body, len, &type, &reply) == 0)
		send_answer(v, v->serving, type, h->id, &reply);
	buf_free(&reply);
	return 0;
}

/* Sends a finished job's answer, unless its link went (or was reused)
 * since the request came; frees the job. */
static void deliver(struct verifier *v, struct pool_job *j)
{
	if (j->ok == 0 && peer_set_live(&v->links, j->link) && v->link_gen[j->link] == j->link_gen)
		send_answer(v, j->link, j->type, j->id, &j->reply);
	verify_pool_job_free(j);
}

static void take_answers(struct verifier *v)
{
	struct pool_job *j = verify_pool_take_done(&v->pool);
	while (j) {
		struct pool_job *next = j->next;
		deliver(v, j);
		j = next;
	}
}

/* Answers one queued request here, as a pool thread would. true when
 * there was one (more may wait: look at the links and come back). */
static bool answer_one_queued(struct verifier *v)
{
	struct pool_job *j = verify_pool_take_todo(&v->pool);
	if (!j)
		return false;
	verify_pool_answer(&v->core, j);
	deliver(v, j);
	return true;
}

static void serve_peer(struct verifier *v, unsigned i, uint32_t events)
{
	struct ipc_channel *ch = &v->links.peers[i];
	if (events & EPOLLOUT) {
		int rc = ipc_flush(ch);
		if (rc != 0)
			peer_set_watch(&v->links, i, false);
	}
	if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		return;
	if (v->threaded && verify_pool_full(&v->pool))
		return;
	v->serving = i;
	if (ipc_drain(&v->rx, ch, BURST_PER_PEER) == IPC_DRAIN_GONE) {
		peer_set_drop(&v->links, i);
		v->link_gen[i]++;
		return;
	}
	if (ipc_pending(ch))
		peer_set_watch(&v->links, i, true);
}

/* While the threads are a full backlog behind, wait for their answers
 * instead of spinning on links that stay readable. */
static void wait_for_pool(struct verifier *v)
{
	struct pollfd pfd = { .fd = v->pool.wake_fd, .events = POLLIN };
	int n = poll(&pfd, 1, 500);
	if (n > 0)
		take_answers(v);
	else if (n < 0 && errno != EINTR)
		log_warn("poll: %s", strerror(errno));
}

static int setup(struct verifier *v, const struct child_context *ctx)
{
	v->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	v->link_gen = calloc(ctx->max_peers ? ctx->max_peers : 1, sizeof *v->link_gen);
	if (!v->link_gen || ipc_receiver_init(&v->rx, IPC_ROLE_VERIFIER, dispatch, v) < 0 || v->epoll_fd < 0 ||
	    peer_set_init(&v->links, ctx->max_peers, v->epoll_fd, IPC_ROLE_WORKER | IPC_ROLE_NATS,
			  IPC_QUEUE_DEFAULT_BYTES) < 0) {
		log_error("cannot start: %s", strerror(errno));
		return -1;
	}
	for (unsigned i = 0; i < ctx->n_peers; i++)
		if (peer_set_add(&v->links, ctx->peer_fds[i], ctx->peer_roles[i]) < 0)
			return -1;
	struct epoll_event cev = { .events = EPOLLIN, .data.u32 = PEER_SET_CONTROL_TAG };
	if (epoll_ctl(v->epoll_fd, EPOLL_CTL_ADD, ctx->control_fd, &cev) < 0) {
		log_error("epoll_ctl: %s", strerror(errno));
		return -1;
	}
	if (answer_core_init(&v->core, ctx) < 0)
		return -1;
	sandbox_preload_libraries();
	if (attest_self_test(ctx->attest) < 0) {
		log_error("no attestation key, or HMAC-SHA256 does not work");
		return -1;
	}
	if (xkey_init() < 0) {
		log_error("cannot initialise libsodium");
		return -1;
	}
	/* Its sockets and a margin: nothing else is ever opened here. */
	struct rlimit files = { 2 * ctx->max_peers + 16, 2 * ctx->max_peers + 16 };
	if (setrlimit(RLIMIT_NOFILE, &files) < 0)
		log_warn("cannot lower the open-file limit: %s", strerror(errno));
	if (sandbox_confine_verifier() < 0 || child_drop_privileges(ctx->cfg) < 0)
		return -1;
	/* The threads start here, before the filter: loaded with TSYNC, it
	 * then holds every one of them (none may clone once it is in place). */
	if (ctx->cfg->verifier_threads > 1) {
		if (verify_pool_start(&v->pool, &v->core, ctx->cfg->verifier_threads - 1) < 0)
			return -1;
		v->threaded = true;
		if (ctx->cfg->verifier_pinning)
			verifier_pin_threads(pthread_self(), v->pool.threads, v->pool.n_threads);
		struct epoll_event pev = { .events = EPOLLIN, .data.u32 = POOL_TAG };
		if (epoll_ctl(v->epoll_fd, EPOLL_CTL_ADD, v->pool.wake_fd, &pev) < 0) {
			log_error("epoll_ctl: %s", strerror(errno));
			return -1;
		}
	}
	return sandbox_enter(ctx);
}

static void teardown(struct verifier *v)
{
	if (v->threaded)
		verify_pool_stop(&v->pool);
	v->threaded = false;
	peer_set_free(&v->links);
	answer_core_free(&v->core);
	ipc_receiver_free(&v->rx);
	free(v->link_gen);
	if (v->epoll_fd >= 0)
		close(v->epoll_fd);
}

int verifier_run(const struct child_context *ctx)
{
	volatile int *stop = child_stop_flag();
	struct verifier v = { .ctx = ctx, .epoll_fd = -1 };
	if (setup(&v, ctx) < 0) {
		teardown(&v);
		return CHILD_EXIT_STARTUP;
	}
	atomic_fetch_add(&ctx->state->verifier_generation, 1);
	atomic_store(&ctx->state->verifier_ready, 1);
	log_debug("ready (%u verification thread%s)", v.threaded ? ctx->cfg->verifier_threads : 1,
		  v.threaded ? "s" : "");

	struct epoll_event events[64];
	bool master_gone = false, verified = false;
	int rc = 0;
	while (!*stop && !master_gone) {
		if (v.threaded && verify_pool_full(&v.pool)) {
			if (!answer_one_queued(&v))
				wait_for_pool(&v);
			continue;
		}
		/* Having just answered one, only look at what is ready already. */
		int n = epoll_wait(v.epoll_fd, events, 64, verified ? 0 : 500);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_error("epoll_wait: %s", strerror(errno));
			rc = 1;
			break;
		}
		for (int k = 0; k < n; k++) {
			uint32_t tag = events[k].data.u32;
			if (tag == PEER_SET_CONTROL_TAG)
				master_gone = master_gone || peer_set_take_links(&v.links, ctx->control_fd) < 0;
			else if (tag == POOL_TAG)
				take_answers(&v);
			else if (peer_set_live(&v.links, tag))
				serve_peer(&v, tag, events[k].events);
		}
		verified = v.threaded && answer_one_queued(&v);
	}
	if (master_gone)
		log_warn("the master is gone; stopping");
	teardown(&v);
	return rc;
}
