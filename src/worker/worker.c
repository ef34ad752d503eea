/* An HTTP worker: one epoll loop over the shared listening socket, its
 * client connections and its two socketpairs (verifier, writer). */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/base/clock.h"
#include "common/base/log.h"
#include "common/proc/ipc_msg.h"
#include "common/proc/metrics.h"
#include "common/proc/sandbox.h"
#include "worker/connection.h"
#include "worker/pending.h"
#include "worker/response.h"
#include "worker/wiring.h"
#ifdef KEZ_TEST_HOOKS
#include "probes/forged_append.h"
#include "probes/forged_insert.h"
#include "probes/probes.h"
#endif

enum { TAG_LISTEN = 0, TAG_VERIFIER = 1, TAG_WRITER = 2, TAG_METRICS = 3 };

#define ACCEPTS_PER_WAKEUP 64
#define GENERATION_POLL_MS 100
#define DRAIN_MIN_MS       10000
/* Scrapes a worker serves at once: a busy scraper cannot take the
 * connection slots that clients need. */
#define METRICS_CONNS_MAX  4

static void accept_connections(struct worker *w, bool metrics)
{
	int listen_fd = metrics ? w->metrics_fd : w->listen_fd;
	for (int i = 0; i < ACCEPTS_PER_WAKEUP && !w->stopping; i++) {
		struct sockaddr_storage peer;
		socklen_t peer_len = sizeof peer;
		int fd = accept4(listen_fd, (struct sockaddr *)&peer, &peer_len, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE)
				log_warn("accept: %s (raise the open-file limit)", strerror(errno));
			else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
				 errno != ECONNABORTED)
				log_warn("accept: %s", strerror(errno));
			return;
		}
		/* Full: refuse this one rather than leave it unanswered in the queue. */
		if (w->n_free == 0 || (metrics && w->n_metrics_conns >= METRICS_CONNS_MAX)) {
			close(fd);
			continue;
		}
		connection_accept(w, fd, &peer, metrics);
	}
}

/* ipc_drain hands each message that passed the table here. */
static int on_ipc_message(void *arg, struct ipc_channel *ch, const struct ipc_header *h, const void *body,
			  size_t len)
{
	struct worker *w = arg;
	pending_on_message(w, ch == &w->to_verifier ? PEER_VERIFIER : PEER_WRITER, h, body, len);
	return 0;
}

static void read_replies(struct worker *w, enum pending_peer peer, uint32_t events)
{
	struct ipc_channel *ch = peer == PEER_VERIFIER ? &w->to_verifier : &w->to_writer;
	if (events & EPOLLOUT) {
		(void)ipc_flush(ch);
		pending_flush(w, peer);
	}
	if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		return;
	/* Edge-triggered: everything now, no burst limit. */
	if (ipc_drain(&w->ipc_rx, ch, 0) == IPC_DRAIN_GONE)
		log_warn("the %s closed its link", ipc_role_name(ch->peer_roles));
}

/* EPOLLOUT on a link only while its channel holds bytes the socket would
 * not take: a unix socket signals writable space each time the peer takes
 * a message, and watching for it all the time woke this worker for
 * nothing after every request it handed over. */
static void watch_link_space(struct worker *w, enum pending_peer peer)
{
	struct ipc_channel *ch = peer == PEER_VERIFIER ? &w->to_verifier : &w->to_writer;
	bool want = ipc_pending(ch);
	if (want == w->watching_space[peer])
		return;
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET | (want ? EPOLLOUT : 0),
				  .data.u64 = peer == PEER_VERIFIER ? TAG_VERIFIER : TAG_WRITER };
	if (epoll_ctl(w->epoll_fd, EPOLL_CTL_MOD, ch->fd, &ev) < 0) {
		log_warn("epoll_ctl: %s", strerror(errno));
		return;
	}
	w->watching_space[peer] = want;
	if (want)
		metrics_link_full(peer == PEER_VERIFIER ? ML_VERIFIER : ML_WRITER);
}

static void close_idle(struct worker *w)
{
	struct deadline_entry *d;
	while ((d = TAILQ_FIRST(&w->idle_deadlines.entries)))
		connection_close(w, (struct connection *)((char *)d - offsetof(struct connection, deadline)));
	/* Connections that have not started a request are idle too. */
	for (unsigned i = 0; i < w->cfg->max_connections; i++) {
		struct connection *c = &w->conns[i];
		if (c->in_use && c->phase == PHASE_READING && !c->got_bytes && c->in.len == 0 &&
		    c->out.len == 0 && c->file_fd < 0)
			connection_close(w, c);
	}
}

/* Stop taking connections, close the idle ones, let the rest finish. */
static void begin_stop(struct worker *w)
{
	w->stopping = true;
	unsigned timeout = w->cfg->header_timeout_ms > DRAIN_MIN_MS ? w->cfg->header_timeout_ms : DRAIN_MIN_MS;
	w->stop_deadline_ms = w->now_ms + timeout;
	(void)epoll_ctl(w->epoll_fd, EPOLL_CTL_DEL, w->listen_fd, NULL);
	close(w->listen_fd);
	w->listen_fd = -1;
	if (w->metrics_fd >= 0) {
		(void)epoll_ctl(w->epoll_fd, EPOLL_CTL_DEL, w->metrics_fd, NULL);
		close(w->metrics_fd);
		w->metrics_fd = -1;
	}
	close_idle(w);
	log_debug("stopping: %u connections to finish", w->n_open);
}

static int setup(struct worker *w, const struct child_context *ctx)
{
	const struct config *cfg = ctx->cfg;
	char err[512];
	w->ctx = ctx;
	w->cfg = cfg;
	w->listen_fd = ctx->listen_fd;
	w->metrics_fd = ctx->metrics_fd;
	if (registry_open(&w->registry, cfg->db_path, cfg->map_size, false, err, sizeof err) < 0) {
		log_error("%s", err);
		return -1;
	}
	if (cfg->web_dir) {
		if (static_site_open(&w->site, cfg->web_dir, err, sizeof err) < 0) {
			log_error("--web-dir: %s", err);
			return -1;
		}
		w->has_site = true;
	}
	sandbox_preload_libraries();
	if (child_drop_privileges(cfg) < 0)
		return -1;

	w->conns = calloc(cfg->max_connections, sizeof *w->conns);
	w->free_slots = calloc(cfg->max_connections, sizeof *w->free_slots);
	int rx = ipc_receiver_init(&w->ipc_rx, IPC_ROLE_WORKER, on_ipc_message, w);
	w->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (!w->conns || !w->free_slots || rx < 0 || w->epoll_fd < 0) {
		log_error("cannot start: %s", strerror(errno));
		return -1;
	}
	/* Lowest slots first: a light load keeps touching the same few pages. */
	for (unsigned i = 0; i < cfg->max_connections; i++)
		w->free_slots[i] = cfg->max_connections - 1 - i;
	w->n_free = cfg->max_connections;

	ipc_channel_init(&w->to_verifier, ctx->verifier_fd, IPC_ROLE_VERIFIER, IPC_QUEUE_DEFAULT_BYTES);
	ipc_channel_init(&w->to_writer, ctx->writer_fd, IPC_ROLE_WRITER, IPC_QUEUE_DEFAULT_BYTES);
	if (worker_modules_init(w) < 0) {
		log_error("cannot start: out of memory");
		return -1;
	}

	/* EPOLLEXCLUSIVE: one worker wakes per new connection, not all of them. */
	struct epoll_event ev = { .events = EPOLLIN | EPOLLEXCLUSIVE, .data.u64 = TAG_LISTEN };
	struct epoll_event ev_v = { .events = EPOLLIN | EPOLLET, .data.u64 = TAG_VERIFIER };
	struct epoll_event ev_w = { .events = EPOLLIN | EPOLLET, .data.u64 = TAG_WRITER };
	if (epoll_ctl(w->epoll_fd, EPOLL_CTL_ADD, w->listen_fd, &ev) < 0 ||
	    epoll_ctl(w->epoll_fd, EPOLL_CTL_ADD, ctx->verifier_fd, &ev_v) < 0 ||
	    epoll_ctl(w->epoll_fd, EPOLL_CTL_ADD, ctx->writer_fd, &ev_w) < 0) {
		log_error("epoll_ctl: %s", strerror(errno));
		return -1;
	}
	struct epoll_event ev_m = { .events = EPOLLIN | EPOLLEXCLUSIVE, .data.u64 = TAG_METRICS };
	if (w->metrics_fd >= 0 && epoll_ctl(w->epoll_fd, EPOLL_CTL_ADD, w->metrics_fd, &ev_m) < 0) {
		log_error("epoll_ctl: %s", strerror(errno));
		return -1;
	}
	w->now_ms = monotonic_ms();
	response_refresh_date(w);
	if (sandbox_enter(ctx) < 0)
		return -1;
#ifdef KEZ_TEST_HOOKS
	probe_nats_grant(ctx, &w->to_verifier);
	probe_forged_insert(ctx, &w->to_writer);
	probe_forged_append(ctx, &w->to_writer);
#endif
	return 0;
}

static void teardown(struct worker *w)
{
	for (unsigned i = 0; i < w->cfg->max_connections; i++)
		if (w->conns[i].in_use)
			connection_close(w, &w->conns[i]);
	worker_modules_free(w);
	ipc_channel_clear(&w->to_verifier);
	ipc_channel_clear(&w->to_writer);
	if (w->has_site)
		static_site_close(&w->site);
	registry_close(&w->registry);
	free(w->conns);
	free(w->free_slots);
	ipc_receiver_free(&w->ipc_rx);
	close(w->epoll_fd);
}

int worker_run(const struct child_context *ctx)
{
	volatile int *stop = child_stop_flag();
	static struct worker w;
	if (setup(&w, ctx) < 0)
		return CHILD_EXIT_STARTUP;
	log_debug("ready");

	struct epoll_event events[256];
	for (;;) {
		if (*stop && !w.stopping)
			begin_stop(&w);
		if (w.stopping && (w.n_open == 0 || w.now_ms >= w.stop_deadline_ms))
			break;
		int timeout = deadline_next_timeout(w.deadline_lists, w.n_deadline_lists, w.now_ms);
		if (!TAILQ_EMPTY(&w.ready))
			timeout = 0;
		else if (pending_any(&w) && (timeout < 0 || timeout > GENERATION_POLL_MS))
			timeout = GENERATION_POLL_MS;
		/* A signal landing just before epoll_wait must not wait for traffic. */
		if (timeout < 0 || timeout > 1000)
			timeout = 1000;
		int n = epoll_wait(w.epoll_fd, events, 256, timeout);
		if (n < 0 && errno != EINTR) {
			log_error("epoll_wait: %s", strerror(errno));
			break;
		}
		w.now_ms = monotonic_ms();
		response_refresh_date(&w);
		for (int i = 0; i < n; i++) {
			uint64_t tag = events[i].data.u64;
			if (tag == TAG_LISTEN || tag == TAG_METRICS)
				accept_connections(&w, tag == TAG_METRICS);
			else if (tag == TAG_VERIFIER)
				read_replies(&w, PEER_VERIFIER, events[i].events);
			else if (tag == TAG_WRITER)
				read_replies(&w, PEER_WRITER, events[i].events);
			else {
				/* Stale events (closed, or the slot reused since) are dropped. */
				struct connection *c = connection_from_tag(&w, tag);
				if (c)
					connection_on_event(&w, c, events[i].events);
			}
		}
		connection_run_ready(&w);
		pending_check_generations(&w);
		pending_flush(&w, PEER_VERIFIER);
		pending_flush(&w, PEER_WRITER);
		watch_link_space(&w, PEER_VERIFIER);
		watch_link_space(&w, PEER_WRITER);
		deadline_expire(w.deadline_lists, w.n_deadline_lists, w.now_ms);
		metrics_gauges(w.n_open - w.n_metrics_conns, pending_in_flight(&w, PEER_VERIFIER));
	}
	if (w.n_open)
		log_warn("stopping with %u connections still open", w.n_open);
	teardown(&w);
	return 0;
}
