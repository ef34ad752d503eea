#include "common/proc/ipc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "common/proc/ipc_msg.h"

struct ipc_queued {
	struct ipc_queued *next;
	size_t             len;
	unsigned char      data[]; /* header + body */
};

void ipc_channel_init(struct ipc_channel *ch, int fd, unsigned peer_roles, size_t max_queued_bytes)
{
	ch->fd = fd;
	ch->peer_roles = peer_roles;
	ch->head = ch->tail = NULL;
	ch->queued_bytes = 0;
	ch->max_queued_bytes = max_queued_bytes;
}

void ipc_channel_clear(struct ipc_channel *ch)
{
	struct ipc_queued *q = ch->head;
	while (q) {
		struct ipc_queued *next = q->next;
		free(q);
		q = next;
	}
	ch->head = ch->tail = NULL;
	ch->queued_bytes = 0;
}

static int is_transient(int err)
{
	return err == EAGAIN || err == EWOULDBLOCK || err == ENOBUFS || err == EINTR;
}

/* One heap copy of the whole datagram, behind whatever waits already. */
static int enqueue(struct ipc_channel *ch, const struct iovec *iov, size_t n, size_t total)
{
	if (ch->queued_bytes > ch->max_queued_bytes || total > ch->max_queued_bytes - ch->queued_bytes) {
		errno = ENOBUFS;
		return -1;
	}
	struct ipc_queued *q = malloc(sizeof *q + total);
	if (!q)
		return -1;
	q->next = NULL;
	q->len = total;
	size_t at = 0;
	for (size_t i = 0; i < n; i++) {
		if (iov[i].iov_len)
			memcpy(q->data + at, iov[i].iov_base, iov[i].iov_len);
		at += iov[i].iov_len;
	}
	if (ch->tail)
		ch->tail->next = q;
	else
		ch->head = q;
	ch->tail = q;
	ch->queued_bytes += total;
	return 0;
}

int ipc_sendv(struct ipc_channel *ch, uint16_t type, uint16_t flags, uint64_t id, const struct ipc_part *parts,
	      size_t n_parts)
{
	if (n_parts > IPC_MAX_PARTS) {
		errno = EINVAL;
		return -1;
	}
	struct ipc_header h = { .type = type, .flags = flags, .length = 0, .id = id };
	struct iovec iov[1 + IPC_MAX_PARTS];
	size_t n = 0, len = 0;
	iov[n++] = (struct iovec){ &h, sizeof h };
	for (size_t i = 0; i < n_parts; i++) {
		if (parts[i].len > IPC_MAX_BODY - len) {
			errno = EINVAL;
			return -1;
		}
		len += parts[i].len;
		if (parts[i].len)
			iov[n++] = (struct iovec){ (void *)parts[i].data, parts[i].len };
	}
	/* The sender keeps to the table too: a wrong size here is our own bug,
	 * better refused now than dropped by the receiver. */
	const struct ipc_msg_spec *spec = ipc_msg_spec(type);
	if (!spec || len < spec->min_len || len > spec->max_len) {
		errno = EINVAL;
		return -1;
	}
	h.length = (uint32_t)len;
	/* Keep order: once something waits in the queue, new messages go behind it. */
	if (ch->head)
		return enqueue(ch, iov, n, sizeof h + len);
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = n };
	ssize_t sent;
	do
		sent = sendmsg(ch->fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
	while (sent < 0 && errno == EINTR);
	if (sent >= 0)
		return 0;
	if (is_transient(errno))
		return enqueue(ch, iov, n, sizeof h + len);
	return -1;
}

int ipc_flush(struct ipc_channel *ch)
{
	while (ch->head) {
		struct ipc_queued *q = ch->head;
		ssize_t n = send(ch->fd, q->data, q->len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (is_transient(errno))
				return 0;
			return -1;
		}
		ch->head = q->next;
		if (!ch->head)
			ch->tail = NULL;
		ch->queued_bytes -= q->len;
		free(q);
	}
	return 1;
}

ssize_t ipc_recv(int fd, struct ipc_header *h, void *body, size_t cap)
{
	memset(h, 0, sizeof *h);
	struct iovec iov[2] = { { h, sizeof *h }, { body, cap } };
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = 2 };
	ssize_t n;
	do
		n = recvmsg(fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	if (n == 0)
		return 0; /* *h is all zero: end of file */
	if ((msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) || (size_t)n < sizeof *h ||
	    h->type == 0 || h->length != (size_t)n - sizeof *h) {
		errno = EPROTO;
		return -1;
	}
	return (ssize_t)h->length;
}

int ipc_socketpair(int fds[2])
{
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) < 0)
		return -1;
	/* Room for a good queue of the largest messages; the kernel caps this at
	 * wmem_max, which is still far above one IPC_MAX_BODY message. */
	int size = 4 * 1024 * 1024;
	for (int i = 0; i < 2; i++) {
		(void)setsockopt(fds[i], SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
		(void)setsockopt(fds[i], SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
	}
	return 0;
}

int ipc_send_fd_token(int sock, int fd, unsigned char token)
{
	struct iovec iov = { &token, 1 };
	union {
		struct cmsghdr align;
		char           space[CMSG_SPACE(sizeof(int))];
	} control;
	memset(&control, 0, sizeof control);
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.space,
			      .msg_controllen = sizeof control.space };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof fd);
	return sendmsg(sock, &msg, MSG_NOSIGNAL) == 1 ? 0 : -1;
}

int ipc_send_fd(int sock, int fd, unsigned role)
{
	/* The role travels as the one byte of the datagram that carries the link. */
	if (!ipc_role_is_one(role)) {
		errno = EINVAL;
		return -1;
	}
	return ipc_send_fd_token(sock, fd, (unsigned char)role);
}

int ipc_recv_fd(int sock, unsigned *role)
{
	unsigned char token = 0;
	struct iovec iov = { &token, 1 };
	union {
		struct cmsghdr align;
		char           space[CMSG_SPACE(sizeof(int))];
	} control;
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.space,
			      .msg_controllen = sizeof control.space };
	ssize_t n = recvmsg(sock, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n == 0)
		errno = 0;
	if (n <= 0)
		return -1;
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
	if (!cm || cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS || cm->cmsg_len != CMSG_LEN(sizeof(int))) {
		errno = EPROTO;
		return -1;
	}
	int fd;
	memcpy(&fd, CMSG_DATA(cm), sizeof fd);
	if (n != 1 || !ipc_role_is_one(token)) {
		close(fd);
		errno = EPROTO;
		return -1;
	}
	*role = token;
	return fd;
}
