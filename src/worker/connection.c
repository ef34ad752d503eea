/* One client connection's I/O: reading, handing input to the parser one
 * request at a time (so pipelined responses leave in order), writing, and
 * closing politely. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include "common/base/log.h"
#include "worker/client_addr.h"
#include "worker/connection.h"
#include "worker/connection_out.h"
#include "worker/http_parse.h"
#include "worker/pending.h"
#include "worker/response.h"

#define READ_CHUNK      16384
#define IN_MAX          (64 * 1024)   /* unparsed input kept at most (pipelining) */
#define OUT_MAX         (1024 * 1024) /* response bytes queued at most */
#define OUT_HIGH_WATER  (64 * 1024)   /* stop parsing new requests above this */
#define DRIVE_ROUNDS    16            /* reads per turn before others get theirs */
#define LINGER_TIMEOUT_MS 2000

static void set_deadline(struct worker *w, struct connection *c, struct deadline_list *l)
{
	deadline_set(l, &c->deadline, w->now_ms);
}

static bool on_list(const struct connection *c, const struct deadline_list *l)
{
	return c->deadline.list == l;
}

static void queue_ready(struct worker *w, struct connection *c)
{
	if (c->queued_ready)
		return;
	c->queued_ready = true;
	TAILQ_INSERT_TAIL(&w->ready, c, ready_link);
	w->n_ready++;
}

static void unqueue_ready(struct worker *w, struct connection *c)
{
	if (!c->queued_ready)
		return;
	c->queued_ready = false;
	TAILQ_REMOVE(&w->ready, c, ready_link);
	w->n_ready--;
}

static uint64_t event_tag(const struct connection *c)
{
	return ((uint64_t)c->instance << 32) | (c->slot + CONN_TAG_BASE);
}

struct connection *connection_from_tag(struct worker *w, uint64_t tag)
{
	uint64_t slot = (tag & 0xffffffffu) - CONN_TAG_BASE;
	if (slot >= w->cfg->max_connections)
		return NULL;
	struct connection *c = &w->conns[slot];
	if (!c->in_use || c->instance != (uint32_t)(tag >> 32))
		return NULL;
	return c;
}

void connection_accept(struct worker *w, int fd, const struct sockaddr_storage *peer, bool metrics)
{
	if (w->n_free == 0) {
		close(fd);
		return;
	}
	unsigned slot = w->free_slots[--w->n_free];
	struct connection *c = &w->conns[slot];
	/* Closing took the slot off every list, so wiping it unlinks nothing. */
	uint32_t instance = c->instance + 1;
	memset(c, 0, sizeof *c);
	c->instance = instance;
	c->fd = fd;
	c->slot = slot;
	c->in_use = true;
	c->file_fd = -1;
	peer_addr_from(peer, &c->peer);
	c->loopback = peer_addr_is_loopback(&c->peer);
	c->metrics = metrics;
	w->n_metrics_conns += metrics;
	c->phase = PHASE_READING;
	http_parse_begin(c);
	buf_init(&c->in, IN_MAX);
	buf_init(&c->out, OUT_MAX);
	buf_init(&c->req.target, w->cfg->max_header_bytes);
	buf_init(&c->req.forwarded_for, w->cfg->max_header_bytes);
	buf_init(&c->req.body, w->cfg->max_body_bytes);
	w->n_open++;

	int one = 1;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, .data.u64 = event_tag(c) };
	if (epoll_ctl(w->epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		log_warn("epoll_ctl: %s", strerror(errno));
		connection_close(w, c);
		return;
	}
	/* A fresh connection must send a whole request within the header timeout. */
	set_deadline(w, c, &w->request_deadlines);
	c->can_read = true;
	connection_on_event(w, c, 0);
}

void connection_close(struct worker *w, struct connection *c)
{
	if (!c->in_use)
		return;
	deadline_clear(&c->deadline);
	unqueue_ready(w, c);
	pending_cancel(w, c);
	close(c->fd);
	if (c->file_fd >= 0)
		close(c->file_fd);
	buf_free(&c->in);
	buf_free(&c->out);
	buf_free(&c->req.target);
	buf_free(&c->req.forwarded_for);
	buf_free(&c->req.body);
	c->in_use = false;
	w->free_slots[w->n_free++] = c->slot;
	w->n_open--;
	w->n_metrics_conns -= c->metrics;
}

static void respond_to_parse_error(struct worker *w, struct connection *c, llhttp_errno_t err)
{
	enum api_error e = c->req.early_error;
	if (!c->req.stopped || e == API_OK) {
		e = API_BAD_REQUEST;
		log_debug("bad request: %s (%s)", llhttp_errno_name(err), llhttp_get_error_reason(&c->parser));
	}
	c->close_after_send = true;
	if (c->req.endpoint == EP_NONE)
		c->req.cors = false;
	response_error(w, c, e, NULL);
}

/* The current request (complete, or failed) has its response: get ready for the next. */
static void finish_request(struct worker *w, struct connection *c)
{
	if (!c->req.keep_alive || w->stopping || c->eof)
		c->close_after_send = true;
	c->got_bytes = false;
	/* Big bodies and header copies do not stay resident on idle connections. */
	if (c->req.body.cap > 4096)
		buf_free(&c->req.body);
	if (c->req.forwarded_for.cap > 4096)
		buf_free(&c->req.forwarded_for);
	if (c->close_after_send)
		return;
	set_deadline(w, c, c->in.len ? &w->request_deadlines : &w->idle_deadlines);
}

/* Parses what is buffered, one request at a time. -1 when the connection closed. */
static int process_input(struct worker *w, struct connection *c)
{
	while (c->phase == PHASE_READING && !c->close_after_send && c->in.len > 0 &&
	       c->out.len < OUT_HIGH_WATER && c->file_fd < 0 && !c->body_fill) {
		if (!c->got_bytes) {
			c->got_bytes = true;
			if (!on_list(c, &w->request_deadlines))
				set_deadline(w, c, &w->request_deadlines);
		}
		size_t used;
		llhttp_errno_t err = http_parse_execute(w, c, &used);
		if (err == HPE_OK) {
			buf_reset(&c->in);
			break;
		}
		if (err == HPE_PAUSED) {
			buf_consume(&c->in, used);
			w->hooks.request(w, c);
			if (!c->in_use)
				return -1;
			if (c->phase == PHASE_READING)
				finish_request(w, c);
			continue;
		}
		respond_to_parse_error(w, c, err);
		buf_reset(&c->in);
		break;
	}
	return c->in_use ? 0 : -1;
}

static bool may_read(const struct connection *c)
{
	return c->can_read && !c->eof &&
	       (c->phase == PHASE_READING || c->phase == PHASE_WAITING) && c->in.len < IN_MAX &&
	       !c->close_after_send;
}

/* 1: read something, 0: nothing more for now, -1: closed. */
static int read_some(struct worker *w, struct connection *c)
{
	size_t room = IN_MAX - c->in.len;
	if (room > READ_CHUNK)
		room = READ_CHUNK;
	if (buf_reserve(&c->in, room) < 0) {
		connection_close(w, c);
		return -1;
	}
	ssize_t n = read(c->fd, c->in.data + c->in.len, room);
	if (n > 0) {
		c->in.len += (size_t)n;
		/* A short read took all there was: what comes later raises a new
		 * edge (EPOLLRDHUP included), so the read that would only say
		 * EAGAIN is skipped; unless the peer's FIN is already known, which
		 * only a read returning 0 can show. */
		if ((size_t)n < room && !c->hup_seen)
			c->can_read = false;
		return 1;
	}
	if (n < 0 && errno == EINTR)
		return 1;
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
		c->can_read = false;
		return 0;
	}
	if (n < 0) {
		connection_close(w, c);
		return -1;
	}
	c->eof = true;
	c->can_read = false;
	if (c->phase == PHASE_WAITING)
		return 0; /* the answer is still coming; it will close after sending */
	if (connection_output_pending(c)) {
		c->close_after_send = true;
		return 0;
	}
	connection_close(w, c);
	return -1;
}

static void drive(struct worker *w, struct connection *c)
{
	for (int round = 0; round < DRIVE_ROUNDS; round++) {
		if (c->phase == PHASE_LINGERING) {
			(void)connection_linger_drain(w, c);
			return;
		}
		if (process_input(w, c) < 0 || connection_flush(w, c) < 0)
			return;
		if (c->phase == PHASE_LINGERING)
			continue;
		if (connection_output_pending(c))
			return; /* EPOLLOUT brings it back */
		if (!may_read(c)) {
			/* Parsing stopped at the output limit and that output has
			 * left: what is buffered can go on without a new event. */
			if (c->phase == PHASE_READING && !c->close_after_send && c->in.len > 0)
				continue;
			return;
		}
		int r = read_some(w, c);
		if (r < 0)
			return;
		if (r == 0 && c->in.len == 0)
			return;
	}
	/* Used its turn with work left: continue after the others. */
	queue_ready(w, c);
}

void connection_on_event(struct worker *w, struct connection *c, uint32_t events)
{
	if (events & EPOLLERR) {
		connection_close(w, c);
		return;
	}
	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP))
		c->can_read = true;
	if (events & (EPOLLRDHUP | EPOLLHUP))
		c->hup_seen = true;
	drive(w, c);
}

void connection_run_ready(struct worker *w)
{
	/* Those queued now get one turn each; one that queues itself again
	 * goes behind them and waits for the next round. Closing unlinks. */
	for (unsigned n = w->n_ready; n > 0; n--) {
		struct connection *c = TAILQ_FIRST(&w->ready);
		if (!c)
			break;
		unqueue_ready(w, c);
		drive(w, c);
	}
}

void connection_resume(struct worker *w, struct connection *c)
{
	c->phase = PHASE_READING;
	finish_request(w, c);
	drive(w, c);
}

void connection_resume_with_error(struct worker *w, struct connection *c, enum api_error e, const char *detail)
{
	response_error(w, c, e, detail);
	connection_resume(w, c);
}

static void timed_out(struct deadline_entry *d, void *arg)
{
	struct worker *w = arg;
	struct connection *c = (struct connection *)((char *)d - offsetof(struct connection, deadline));
	if (c->phase == PHASE_READING && c->got_bytes)
		log_debug("closing a connection whose request did not arrive in time");
	connection_close(w, c);
}

void connection_init(struct worker *w)
{
	http_parse_init();
	w->hooks.close = connection_close;
	const struct config *cfg = w->cfg;
	deadline_list_init(&w->request_deadlines, cfg->header_timeout_ms, timed_out, w);
	deadline_list_init(&w->idle_deadlines, cfg->idle_timeout_ms, timed_out, w);
	deadline_list_init(&w->send_deadlines, cfg->idle_timeout_ms, timed_out, w);
	deadline_list_init(&w->linger_deadlines, LINGER_TIMEOUT_MS, timed_out, w);
	struct deadline_list *mine[] = { &w->request_deadlines, &w->idle_deadlines, &w->send_deadlines,
					 &w->linger_deadlines };
	for (size_t i = 0; i < sizeof mine / sizeof mine[0]; i++)
		w->deadline_lists[w->n_deadline_lists++] = mine[i];
	TAILQ_INIT(&w->ready);
	w->n_ready = 0;
}
