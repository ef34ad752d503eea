/* Writing responses and closing politely (connection_out.h). */
#include <errno.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include "worker/connection_out.h"

#define LINGER_MAX      (1024 * 1024) /* bytes drained after our FIN at most */
#define SENDFILE_CHUNK  (1024 * 1024)

static void set_deadline(struct worker *w, struct connection *c, struct deadline_list *l)
{
	deadline_set(l, &c->deadline, w->now_ms);
}

static bool on_list(const struct connection *c, const struct deadline_list *l)
{
	return c->deadline.list == l;
}

bool connection_output_pending(const struct connection *c)
{
	return c->out.len > 0 || c->file_fd >= 0 || c->body_fill;
}

/* Shut our side, then read and drop what the client still sends, so that it
 * sees our last response instead of a reset. */
static void begin_linger(struct worker *w, struct connection *c)
{
	if (c->eof) {
		w->hooks.close(w, c);
		return;
	}
	(void)shutdown(c->fd, SHUT_WR);
	c->phase = PHASE_LINGERING;
	c->req.body_seen = 0;
	set_deadline(w, c, &w->linger_deadlines);
}

int connection_linger_drain(struct worker *w, struct connection *c)
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
	w->hooks.close(w, c);
	return -1;
}

/* Writes `out`; 1 when all of it left, 0 when the socket is full, -1 when
 * the connection closed. */
static int write_out(struct worker *w, struct connection *c, size_t *sent)
{
	/* Headers before a file are held back (MSG_MORE) to leave with its
	 * first bytes, as nginx's tcp_nopush does: one segment, one wake-up. */
	int flags = MSG_NOSIGNAL | (c->file_fd >= 0 && c->file_left > 0 && !c->body_fill ? MSG_MORE : 0);
	while (c->out.len > *sent) {
		ssize_t n = send(c->fd, c->out.data + *sent, c->out.len - *sent, flags);
		if (n > 0) {
			*sent += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		buf_consume(&c->out, *sent);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (*sent || !on_list(c, &w->send_deadlines))
				set_deadline(w, c, &w->send_deadlines);
			return 0;
		}
		w->hooks.close(w, c);
		return -1;
	}
	buf_reset(&c->out);
	return 1;
}

int connection_flush(struct worker *w, struct connection *c)
{
	size_t sent = 0;
	for (;;) {
		size_t part = 0;
		int rc = write_out(w, c, &part);
		sent += part;
		if (rc <= 0)
			return rc;
		if (!c->body_fill)
			break;
		int more = c->body_fill(w, c);
		if (more <= 0)
			c->body_fill = NULL;
		if (more < 0) {
			w->hooks.close(w, c);
			return -1;
		}
		if (c->out.len == 0)
			break;
	}
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
			if (sent || !on_list(c, &w->send_deadlines))
				set_deadline(w, c, &w->send_deadlines);
			return 0;
		}
		/* n == 0: the file shrank under us; the promised length cannot be kept. */
		w->hooks.close(w, c);
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

