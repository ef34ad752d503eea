/* The verifier: the only process that canonicalizes and checks signatures.
 * It holds no listening socket and no registry; it answers the fixed set of
 * requests workers send over their socketpairs, treating each as hostile. */
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
#include "common/proc/ipc.h"
#include "common/base/log.h"
#include "common/proc/peer_set.h"
#include "common/proc/sandbox.h"
#include "common/nats/xkey.h"
#include "signer/nats_callout.h"

/* Messages taken from one worker before looking at the next: fairness. */
#define BURST_PER_PEER 32
#define MAX_QUEUED_REPLIES 4096

struct verifier {
	const struct child_context *ctx;
	int                         epoll_fd;
	struct peer_set             links;
	unsigned char              *body; /* IPC_MAX_BODY */
};

static void answer_verify(struct verifier *v, struct ipc_channel *ch, const struct ipc_header *h,
			  size_t len)
{
	struct ipc_verify_reply reply;
	memset(&reply, 0, sizeof reply);
	struct envelope_policy policy = {
		.server = v->ctx->cfg->server,
		.reserved = v->ctx->reserved,
		.now = (int64_t)time(NULL),
	};
	struct envelope_result result;
	enum api_error e = envelope_check((const char *)v->body, len, &policy, &result, reply.detail,
					  sizeof reply.detail);
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

static void answer_nats(struct verifier *v, struct ipc_channel *ch, const struct ipc_header *h, size_t len)
{
	struct ipc_nats_request rq;
	if (len < sizeof rq) {
		log_warn("dropped a short NATS request");
		return;
	}
	memcpy(&rq, v->body, sizeof rq);
	rq.server_xkey[sizeof rq.server_xkey - 1] = '\0';
	/* reply head and response JWT, sent as one message */
	static unsigned char out[IPC_MAX_BODY];
	struct ipc_nats_reply reply;
	struct buf response;
	buf_init(&response, IPC_MAX_BODY - sizeof reply);
	nats_callout_handle(v->ctx->cfg, v->ctx->nats_keys, &rq, (const char *)v->body + sizeof rq, len - sizeof rq, &reply, &response);
	memcpy(out, &reply, sizeof reply);
	if (response.len)
		memcpy(out + sizeof reply, response.data, response.len);
	if (ipc_send(ch, IPC_NATS_REPLY, 0, h->id, out, sizeof reply + response.len) < 0)
		log_warn("cannot answer a NATS request (queue full)");
	buf_free(&response);
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
	for (int n = 0; n < BURST_PER_PEER; n++) {
		struct ipc_header h;
		ssize_t len = ipc_recv(ch->fd, &h, v->body, IPC_MAX_BODY);
		if (len < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			if (errno == EPROTO) {
				log_warn("dropped a malformed message from worker slot %u", i + 1);
				continue;
			}
			log_warn("worker link %u: %s; no longer listening to it", i + 1, strerror(errno));
			peer_set_drop(&v->links, i);
			return;
		}
		if (len == 0 && h.type == 0) {
			peer_set_drop(&v->links, i);
			return;
		}
		if (h.type == IPC_VERIFY_REQUEST)
			answer_verify(v, ch, &h, (size_t)len);
		else if (h.type == IPC_NATS_REQUEST)
			answer_nats(v, ch, &h, (size_t)len);
		else
			log_warn("peer %u sent message type %u; ignored", i + 1, h.type);
	}
	if (ipc_pending(ch))
		peer_set_watch(&v->links, i, true);
}

int verifier_run(const struct child_context *ctx)
{
	volatile int *stop = child_stop_flag();
	struct verifier v = { .ctx = ctx };
	v.body = malloc(IPC_MAX_BODY);
	v.epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (!v.body || v.epoll_fd < 0 || peer_set_init(&v.links, ctx->max_peers, v.epoll_fd, MAX_QUEUED_REPLIES) < 0) {
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
	sandbox_preload_libraries();
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
	while (!*stop) {
		int n = epoll_wait(v.epoll_fd, events, 64, 500);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_error("epoll_wait: %s", strerror(errno));
			return 1;
		}
		for (int k = 0; k < n; k++) {
			if (events[k].data.u32 == PEER_SET_CONTROL_TAG)
				peer_set_take_links(&v.links, ctx->control_fd);
			else if (peer_set_live(&v.links, events[k].data.u32))
				serve_peer(&v, events[k].data.u32, events[k].events);
		}
	}
	peer_set_free(&v.links);
	free(v.body);
	close(v.epoll_fd);
	return 0;
}
