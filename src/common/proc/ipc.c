#include "common/proc/ipc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

struct ipc_queued {
	struct ipc_queued *next;
	size_t             len;
	unsigned char      data[]; /* header + body */
};

void ipc_channel_init(struct ipc_channel *ch, int fd, size_t max_queued)
{
	ch->fd = fd;
	ch->head = ch->tail = NULL;
	ch->queued = 0;
	ch->max_queued = max_queued;
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
	ch->queued = 0;
}

static int is_transient(int err)
{
	return err == EAGAIN || err == EWOULDBLOCK || err == ENOBUFS || err == EINTR;
}

static int enqueue(struct ipc_channel *ch, const struct ipc_header *h, const void *body, size_t len)
{
	if (ch->queued >= ch->max_queued)
		return -1;
	struct ipc_queued *q = malloc(sizeof *q + sizeof *h + len);
	if (!q)
		return -1;
	q->next = NULL;
	q->len = sizeof *h + len;
	memcpy(q->data, h, sizeof *h);
	if (len)
		memcpy(q->data + sizeof *h, body, len);
	if (ch->tail)
		ch->tail->next = q;
	else
		ch->head = q;
	ch->tail = q;
	ch->queued++;
	return 0;
}

int ipc_send(struct ipc_channel *ch, uint16_t type, uint16_t flags, uint64_t id,
	     const void *body, size_t len)
{
	if (len > IPC_MAX_BODY)
		return -1;
	struct ipc_header h = { .type = type, .flags = flags, .length = (uint32_t)len, .id = id };
	/* Keep order: once something waits in the queue, new messages go behind it. */
	if (ch->head)
		return enqueue(ch, &h, body, len);
	struct iovec iov[2] = { { &h, sizeof h }, { (void *)body, len } };
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = len ? 2 : 1 };
	ssize_t n = sendmsg(ch->fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (n >= 0)
		return 0;
	if (is_transient(errno))
		return enqueue(ch, &h, body, len);
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
		ch->queued--;
		free(q);
	}
	return 1;
}

ssize_t ipc_recv(int fd, struct ipc_header *h, void *body, size_t cap)
{
	struct iovec iov[2] = { { h, sizeof *h }, { body, cap } };
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = 2 };
	ssize_t n;
	do
		n = recvmsg(fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	if (n == 0) {
		memset(h, 0, sizeof *h);
		return 0;
	}
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

int ipc_send_fd(int sock, int fd)
{
	char token = 'F';
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

int ipc_recv_fd(int sock)
{
	char token;
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
	return fd;
}
