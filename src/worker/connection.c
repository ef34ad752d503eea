/* One client connection: reading, parsing with llhttp (one request at a time,
 * so pipelined responses leave in order), writing, and closing politely. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include "common/base/log.h"
#include "worker/worker.h"

#define READ_CHUNK      16384
#define IN_MAX          (64 * 1024)   /* unparsed input kept at most (pipelining) */
#define OUT_MAX         (1024 * 1024) /* response bytes queued at most */
#define OUT_HIGH_WATER  (64 * 1024)   /* stop parsing new requests above this */
#define LINGER_MAX      (1024 * 1024) /* bytes drained after our FIN at most */
#define DRIVE_ROUNDS    16            /* reads per turn before others get theirs */
#define SENDFILE_CHUNK  (1024 * 1024)
#define REQUEST_LINE_OVERHEAD 16      /* method, spaces, version, CRLF */
#define HEADER_LINE_OVERHEAD  4       /* ": " and CRLF */

enum header_kind { HDR_OTHER, HDR_CONTENT_TYPE, HDR_IF_NONE_MATCH, HDR_EXPECT };

static llhttp_settings_t settings;
/* The worker is single-threaded: llhttp callbacks find it here. */
static struct worker *active_worker;

static struct connection *conn_of(llhttp_t *p)
{
	return p->data;
}

/* Stops the parser: the request is answered with `e` and the connection closed. */
static int stop_with(struct connection *c, enum api_error e)
{
	if (c->req.early_error == API_OK || e == API_HEADERS_TOO_LARGE)
		c->req.early_error = e;
	c->req.stopped = true;
	return HPE_USER;
}

static int count_head(struct connection *c, size_t n)
{
	c->req.head_bytes += n;
	if (c->req.head_bytes > active_worker->cfg->max_header_bytes)
		return stop_with(c, API_HEADERS_TOO_LARGE);
	return 0;
}

static void append_small(char *dst, size_t cap, const char *at, size_t n, bool *cut)
{
	size_t have = strlen(dst);
	if (have + n >= cap) {
		n = have < cap - 1 ? cap - 1 - have : 0;
		if (cut)
			*cut = true;
	}
	memcpy(dst + have, at, n);
	dst[have + n] = '\0';
}

static int on_message_begin(llhttp_t *p)
{
	struct connection *c = conn_of(p);
	struct request *r = &c->req;
	r->endpoint = EP_NONE;
	r->early_error = API_OK;
	r->stopped = false;
	r->keep_alive = false;
	r->expect_continue = false;
	r->body_wanted = false;
	r->cors = false;
	r->head_bytes = 0;
	buf_reset(&r->target);
	r->content_type[0] = '\0';
	r->content_type_cut = false;
	r->if_none_match[0] = '\0';
	r->header = HDR_OTHER;
	r->field_len = 0;
	buf_reset(&r->body);
	r->body_seen = 0;
	r->path_start = r->path_len = r->query_start = r->query_len = 0;
	return count_head(c, REQUEST_LINE_OVERHEAD);
}

static int on_url(llhttp_t *p, const char *at, size_t n)
{
	struct connection *c = conn_of(p);
	if (count_head(c, n))
		return HPE_USER;
	if (buf_append(&c->req.target, at, n) < 0)
		return stop_with(c, API_HEADERS_TOO_LARGE);
	return 0;
}

static int on_header_field(llhttp_t *p, const char *at, size_t n)
{
	struct connection *c = conn_of(p);
	struct request *r = &c->req;
	if (count_head(c, n))
		return HPE_USER;
	if (r->field_len < sizeof r->field - 1) {
		size_t room = sizeof r->field - 1 - r->field_len;
		memcpy(r->field + r->field_len, at, n < room ? n : room);
	}
	r->field_len += n; /* may pass the buffer: such a name is "other" */
	return 0;
}

static int on_header_field_complete(llhttp_t *p)
{
	struct connection *c = conn_of(p);
	struct request *r = &c->req;
	r->header = HDR_OTHER;
	if (r->field_len < sizeof r->field) {
		r->field[r->field_len] = '\0';
		if (strcasecmp(r->field, "content-type") == 0) {
			r->header = HDR_CONTENT_TYPE;
			r->content_type[0] = '\0';
		} else if (strcasecmp(r->field, "if-none-match") == 0) {
			r->header = HDR_IF_NONE_MATCH;
		} else if (strcasecmp(r->field, "expect") == 0) {
			r->header = HDR_EXPECT;
		}
	}
	r->field_len = 0;
	return count_head(c, HEADER_LINE_OVERHEAD);
}

static int on_header_value(llhttp_t *p, const char *at, size_t n)
{
	struct connection *c = conn_of(p);
	struct request *r = &c->req;
	if (count_head(c, n))
		return HPE_USER;
	switch (r->header) {
	case HDR_CONTENT_TYPE:
		append_small(r->content_type, sizeof r->content_type, at, n, &r->content_type_cut);
		break;
	case HDR_IF_NONE_MATCH:
		/* Several If-None-Match lines form one list. */
		if (r->if_none_match[0] && n)
			append_small(r->if_none_match, sizeof r->if_none_match, ",", 1, NULL);
		append_small(r->if_none_match, sizeof r->if_none_match, at, n, NULL);
		break;
	case HDR_EXPECT:
		if (n >= 12 && strncasecmp(at, "100-continue", 12) == 0)
			r->expect_continue = true;
		break;
	default:
		break;
	}
	return 0;
}

static int on_header_value_complete(llhttp_t *p)
{
	struct connection *c = conn_of(p);
	if (c->req.header == HDR_IF_NONE_MATCH)
		c->req.header = HDR_OTHER; /* a later continuation value is a new list entry */
	return 0;
}

static int on_headers_complete(llhttp_t *p)
{
	struct connection *c = conn_of(p);
	struct request *r = &c->req;
	struct worker *w = active_worker;
	r->method = (uint8_t)llhttp_get_method(p);
	route_request_head(w, c);
	bool has_length = p->flags & F_CONTENT_LENGTH;
	bool chunked = p->flags & F_CHUNKED;
	bool has_body = chunked || (has_length && p->content_length > 0);
	if (!has_body)
		return 0;
	size_t limit = w->cfg->max_body_bytes;
	bool too_big = chunked ? false : p->content_length > limit;
	if (r->early_error != API_OK && (chunked || too_big))
		return stop_with(c, r->early_error); /* answer now, without reading a body nobody wants */
	if (too_big)
		return stop_with(c, API_PAYLOAD_TOO_LARGE);
	if (r->expect_continue && r->early_error == API_OK)
		(void)buf_append_str(&c->out, "HTTP/1.1 100 Continue\r\n\r\n");
	return 0;
}

static int on_body(llhttp_t *p, const char *at, size_t n)
{
	struct connection *c = conn_of(p);
	struct request *r = &c->req;
	size_t limit = active_worker->cfg->max_body_bytes;
	r->body_seen += n;
	if (r->body_seen > limit)
		return stop_with(c, API_PAYLOAD_TOO_LARGE);
	if (r->body_wanted && buf_append(&r->body, at, n) < 0)
		return stop_with(c, API_PAYLOAD_TOO_LARGE);
	return 0;
}

static int on_message_complete(llhttp_t *p)
{
	struct connection *c = conn_of(p);
	c->req.keep_alive = llhttp_should_keep_alive(p);
	/* One request at a time: the next pipelined one waits in `in`. */
	return HPE_PAUSED;
}

void connection_settings_init(void)
{
	llhttp_settings_init(&settings);
	settings.on_message_begin = on_message_begin;
	settings.on_url = on_url;
	settings.on_header_field = on_header_field;
	settings.on_header_field_complete = on_header_field_complete;
	settings.on_header_value = on_header_value;
	settings.on_header_value_complete = on_header_value_complete;
	settings.on_headers_complete = on_headers_complete;
	settings.on_body = on_body;
	settings.on_message_complete = on_message_complete;
}

static void queue_ready(struct worker *w, struct connection *c)
{
	if (c->queued_ready)
		return;
	c->queued_ready = true;
	c->ready_next = NULL;
	if (w->ready_tail)
		w->ready_tail->ready_next = c;
	else
		w->ready_head = c;
	w->ready_tail = c;
}

void connection_accept(struct worker *w, int fd, bool loopback)
{
	if (w->n_free == 0) {
		close(fd);
		return;
	}
	unsigned slot = w->free_slots[--w->n_free];
	struct connection *c = &w->conns[slot];
	memset(c, 0, sizeof *c);
	c->fd = fd;
	c->slot = slot;
	c->in_use = true;
	c->file_fd = -1;
	c->loopback = loopback;
	c->phase = PHASE_READING;
	llhttp_init(&c->parser, HTTP_REQUEST, &settings);
	c->parser.data = c;
	buf_init(&c->in, IN_MAX);
	buf_init(&c->out, OUT_MAX);
	buf_init(&c->req.target, w->cfg->max_header_bytes);
	buf_init(&c->req.body, w->cfg->max_body_bytes);
	w->n_open++;

	int one = 1;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
				  .data.u64 = (uint64_t)slot + 16 };
	if (epoll_ctl(w->epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		log_warn("epoll_ctl: %s", strerror(errno));
		connection_close(w, c);
		return;
	}
	/* A fresh connection must send a whole request within the header timeout. */
	deadline_set(w, c, &w->request_deadlines);
	c->can_read = true;
	connection_on_event(w, c, 0);
}

void connection_close(struct worker *w, struct connection *c)
{
	if (!c->in_use)
		return;
	deadline_clear(c);
	if (c->stage != STAGE_NONE)
		registration_abandon(w, c);
	close(c->fd);
	if (c->file_fd >= 0)
		close(c->file_fd);
	buf_free(&c->in);
	buf_free(&c->out);
	buf_free(&c->req.target);
	buf_free(&c->req.body);
	c->in_use = false;
	/* A closed connection may still sit in the ready queue: it is skipped there. */
	w->free_slots[w->n_free++] = c->slot;
	w->n_open--;
}

static bool output_pending(const struct connection *c)
{
	return c->out.len > 0 || c->file_fd >= 0;
}

/* Shut our side, then read and drop what the client still sends, so that it
 * sees our last response instead of a reset. */
static void begin_linger(struct worker *w, struct connection *c)
{
	if (c->eof) {
		connection_close(w, c);
		return;
	}
	(void)shutdown(c->fd, SHUT_WR);
	c->phase = PHASE_LINGERING;
	c->req.body_seen = 0;
	deadline_set(w, c, &w->linger_deadlines);
}

static int linger_drain(struct worker *w, struct connection *c)
{
	char scratch[4096];
	while (c->can_read) {
		ssize_t n = read(c->fd, scratch, sizeof scratch);
		if (n > 0) {
			c->req.body_seen += (size_t)n;
			if (c->req.body_seen > LINGER_MAX)
				break;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			c->can_read = false;
			return 0;
		}
		if (n < 0 && errno == EINTR)
			continue;
		break;
	}
	connection_close(w, c);
	return -1;
}

int connection_flush(struct worker *w, struct connection *c)
{
	size_t sent = 0;
	while (c->out.len > sent) {
		ssize_t n = write(c->fd, c->out.data + sent, c->out.len - sent);
		if (n > 0) {
			sent += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		buf_consume(&c->out, sent);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (sent || c->deadline_list != &w->send_deadlines)
				deadline_set(w, c, &w->send_deadlines);
			return 0;
		}
		connection_close(w, c);
		return -1;
	}
	buf_reset(&c->out);
	while (c->file_fd >= 0 && c->file_left > 0) {
		size_t chunk = c->file_left > SENDFILE_CHUNK ? SENDFILE_CHUNK : (size_t)c->file_left;
		ssize_t n = sendfile(c->fd, c->file_fd, &c->file_offset, chunk);
		if (n > 0) {
			c->file_left -= n;
			sent += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (sent || c->deadline_list != &w->send_deadlines)
				deadline_set(w, c, &w->send_deadlines);
			return 0;
		}
		/* n == 0: the file shrank under us; the promised length cannot be kept. */
		connection_close(w, c);
		return -1;
	}
	if (c->file_fd >= 0) {
		close(c->file_fd);
		c->file_fd = -1;
	}
	if (c->close_after_send && c->phase == PHASE_READING) {
		begin_linger(w, c);
		return c->in_use ? 0 : -1;
	}
	return 0;
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
	/* Big bodies do not stay resident on idle connections. */
	if (c->req.body.cap > 4096)
		buf_free(&c->req.body);
	if (c->close_after_send)
		return;
	deadline_set(w, c, c->in.len ? &w->request_deadlines : &w->idle_deadlines);
}

/* Parses what is buffered, one request at a time. -1 when the connection closed. */
static int process_input(struct worker *w, struct connection *c)
{
	while (c->phase == PHASE_READING && !c->close_after_send && c->in.len > 0 &&
	       c->out.len < OUT_HIGH_WATER && c->file_fd < 0) {
		if (!c->got_bytes) {
			c->got_bytes = true;
			if (c->deadline_list != &w->request_deadlines)
				deadline_set(w, c, &w->request_deadlines);
		}
		active_worker = w;
		llhttp_errno_t err = llhttp_execute(&c->parser, c->in.data, c->in.len);
		if (err == HPE_OK) {
			buf_reset(&c->in);
			break;
		}
		if (err == HPE_PAUSED) {
			const char *pos = llhttp_get_error_pos(&c->parser);
			buf_consume(&c->in, (size_t)(pos - c->in.data));
			llhttp_resume(&c->parser);
			route_request(w, c);
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
	if (output_pending(c)) {
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
			(void)linger_drain(w, c);
			return;
		}
		if (process_input(w, c) < 0 || connection_flush(w, c) < 0)
			return;
		if (c->phase == PHASE_LINGERING)
			continue;
		if (!may_read(c) || output_pending(c))
			return;
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
	drive(w, c);
}

void connection_run_ready(struct worker *w)
{
	struct connection *list = w->ready_head;
	w->ready_head = w->ready_tail = NULL;
	while (list) {
		struct connection *c = list;
		list = c->ready_next;
		c->queued_ready = false;
		if (c->in_use)
			drive(w, c);
	}
}

void connection_resume(struct worker *w, struct connection *c)
{
	c->phase = PHASE_READING;
	finish_request(w, c);
	drive(w, c);
}

void connection_timed_out(struct worker *w, struct connection *c)
{
	if (c->deadline_list == NULL && c->phase == PHASE_READING && c->got_bytes)
		log_debug("closing a connection whose request did not arrive in time");
	connection_close(w, c);
}
