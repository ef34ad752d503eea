/* The verifier: the only process that canonicalizes and checks signatures.
 * It holds no listening socket; with the NATS callout configured, a
 * read-only registry handle opened before it sandboxes itself, so that it
 * decides from what it knows whose key a NATS client proved. It answers the
 * fixed set of requests workers send over their socketpairs, treating each
 * as hostile. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "common/proc/child.h"
#include "common/kez/envelope.h"
#include "common/proc/attest.h"
#include "common/proc/ipc.h"
#include "common/proc/ipc_drain.h"
#include "common/proc/metrics.h"
#include "common/base/log.h"
#include "common/proc/peer_set.h"
#include "common/proc/sandbox.h"
#include "common/kez/registry.h"
#include "common/nats/xkey.h"
#include "signer/event_check.h"
#include "signer/nats_callout.h"

/* Messages taken from one worker before looking at the next: fairness. */
#define BURST_PER_PEER 32

struct verifier {
	const struct child_context *ctx;
	int                         epoll_fd;
	struct peer_set             links;
	struct ipc_receiver         rx;
	struct registry             registry; /* read-only; open only with the NATS callout */
	bool                        has_registry;
};

static void answer_verify(struct verifier *v, struct ipc_channel *ch, const struct ipc_header *h,
			  const void *body, size_t len)
{
	struct ipc_verify_reply reply;
	memset(&reply, 0, sizeof reply);
	struct envelope_policy policy = {
		.server = v->ctx->cfg->server,
		.reserved = v->ctx->reserved,
		.now = (int64_t)time(NULL),
	};
	struct envelope_result result;
	enum api_error e = envelope_check((const char *)body, len, &policy, &result, reply.detail,
					  sizeof reply.detail);
	/* What verified is attested for the writer: exactly the handle and key
	 * it is to store, so a worker cannot swap either on the way. */
	if (e == API_OK && attest_insert_mac(v->ctx->attest, result.handle, result.handle_len, result.primary,
					     reply.mac) < 0) {
		log_error("cannot attest a verified registration");
		e = API_INTERNAL;
	}
	reply.error = (uint32_t)e;
	if (e == API_OK) {
		reply.handle_len = (uint8_t)result.handle_len;
		memcpy(reply.handle, result.handle, result.handle_len);
		memcpy(reply.primary, result.primary, sizeof reply.primary);
	}
	log_debug("verify request %llu: %s", (unsigned long long)h->id, api_error_info(e)->code);
	if (ipc_send(ch, IPC_VERIFY_REPLY, 0, h->id, &reply, sizeof reply) < 0)
		log_warn("cannot answer a worker (its queue is full); it will time out");
}

static int find_key(void *ctx, const uint8_t key[32], char handle[HANDLE_MAX_LEN + 1])
{
	struct verifier *v = ctx;
	struct registry_record rec;
	int found = v->has_registry ? registry_find_key(&v->registry, key, &rec) : -1;
	if (found == 1)
		memcpy(handle, rec.handle, rec.handle_len + 1);
	return found;
}

static void answer_nats(struct verifier *v, struct ipc_channel *ch, const struct ipc_header *h, const void *body,
			size_t len)
{
	/* The table guarantees the fixed head is there. */
	struct ipc_nats_request rq;
	memcpy(&rq, body, sizeof rq);
	rq.server_xkey[sizeof rq.server_xkey - 1] = '\0';
	struct ipc_nats_reply reply;
	struct buf response;
	buf_init(&response, IPC_MAX_BODY - sizeof reply);
	nats_callout_handle(v->ctx->cfg, v->ctx->nats_keys, find_key, v, &rq, (const char *)body + sizeof rq,
			    len - sizeof rq, &reply, &response);
	if (ipc_send2(ch, IPC_NATS_REPLY, 0, h->id, &reply, sizeof reply, response.data, response.len) < 0)
		log_warn("cannot answer a NATS request (queue full)");
	buf_free(&response);
}

static int dispatch(void *arg, struct ipc_channel *ch, const struct ipc_header *h, const void *body, size_t len)
{
	struct verifier *v = arg;
	uint64_t started = metrics_now_ns();
	if (h->type == IPC_VERIFY_REQUEST) {
		answer_verify(v, ch, h, body, len);
		metrics_verified(MV_ENVELOPE, started);
	} else if (h->type == IPC_NATS_REQUEST) {
		answer_nats(v, ch, h, body, len);
		metrics_verified(MV_NATS, started);
	} else if (h->type == IPC_EVENT_VERIFY_REQUEST) {
		event_check_answer(v->ctx->attest, ch, h, body, len);
		metrics_verified(MV_EVENT, started);
	}
	return 0;
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
	if (ipc_drain(&v->rx, ch, BURST_PER_PEER) == IPC_DRAIN_GONE) {
		peer_set_drop(&v->links, i);
		return;
	}
	if (ipc_pending(ch))
		peer_set_watch(&v->links, i, true);
}

int verifier_run(const struct child_context *ctx)
{
	volatile int *stop = child_stop_flag();
	struct verifier v = { .ctx = ctx };
	v.epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (ipc_receiver_init(&v.rx, IPC_ROLE_VERIFIER, dispatch, &v) < 0 || v.epoll_fd < 0 ||
	    peer_set_init(&v.links, ctx->max_peers, v.epoll_fd, IPC_ROLE_WORKER | IPC_ROLE_NATS,
			  IPC_QUEUE_DEFAULT_BYTES) < 0) {
		log_error("cannot start: %s", strerror(errno));
		return CHILD_EXIT_STARTUP;
	}
	for (unsigned i = 0; i < ctx->n_peers; i++)
		if (peer_set_add(&v.links, ctx->peer_fds[i]) < 0)
			return CHILD_EXIT_STARTUP;
	struct epoll_event cev = { .events = EPOLLIN, .data.u32 = PEER_SET_CONTROL_TAG };
	if (epoll_ctl(v.epoll_fd, EPOLL_CTL_ADD, ctx->control_fd, &cev) < 0) {
		log_error("epoll_ctl: %s", strerror(errno));
		return CHILD_EXIT_STARTUP;
	}
	/* Opened before the root is emptied: LMDB read transactions on it need
	 * no further open(). */
	if (ctx->nats_keys->has_issuer) {
		char err[512];
		if (registry_open(&v.registry, ctx->cfg->db_path, ctx->cfg->map_size, false, err, sizeof err) < 0) {
			log_error("%s", err);
			return CHILD_EXIT_STARTUP;
		}
		v.has_registry = true;
	}
	sandbox_preload_libraries();
	if (attest_self_test(ctx->attest) < 0) {
		log_error("no attestation key, or HMAC-SHA256 does not work");
		return CHILD_EXIT_STARTUP;
	}
	if (xkey_init() < 0) {
		log_error("cannot initialise libsodium");
		return CHILD_EXIT_STARTUP;
	}
	/* Its sockets and a margin: nothing else is ever opened here. */
	struct rlimit files = { 2 * ctx->max_peers + 16, 2 * ctx->max_peers + 16 };
	if (setrlimit(RLIMIT_NOFILE, &files) < 0)
		log_warn("cannot lower the open-file limit: %s", strerror(errno));
	if (sandbox_confine_verifier() < 0 || child_drop_privileges(ctx->cfg) < 0 ||
	    sandbox_enter(ctx) < 0)
		return CHILD_EXIT_STARTUP;

	atomic_fetch_add(&ctx->state->verifier_generation, 1);
	atomic_store(&ctx->state->verifier_ready, 1);
	log_debug("ready");

	struct epoll_event events[64];
	bool master_gone = false;
	while (!*stop && !master_gone) {
		int n = epoll_wait(v.epoll_fd, events, 64, 500);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_error("epoll_wait: %s", strerror(errno));
			return 1;
		}
		for (int k = 0; k < n; k++) {
			if (events[k].data.u32 == PEER_SET_CONTROL_TAG)
				master_gone = master_gone || peer_set_take_links(&v.links, ctx->control_fd) < 0;
			else if (peer_set_live(&v.links, events[k].data.u32))
				serve_peer(&v, events[k].data.u32, events[k].events);
		}
	}
	if (master_gone)
		log_warn("the master is gone; stopping");
	peer_set_free(&v.links);
	if (v.has_registry)
		registry_close(&v.registry);
	ipc_receiver_free(&v.rx);
	close(v.epoll_fd);
	return 0;
}
