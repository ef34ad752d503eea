#include "common/proc/peer_set.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "common/base/log.h"
#include "common/proc/ipc_msg.h"

int peer_set_init(struct peer_set *s, unsigned max, int epoll_fd, unsigned peer_roles, size_t max_queued_bytes)
{
	s->peers = calloc(max, sizeof *s->peers);
	s->max = max;
	s->epoll_fd = epoll_fd;
	s->peer_roles = peer_roles;
	s->max_queued_bytes = max_queued_bytes;
	if (!s->peers)
		return -1;
	for (unsigned i = 0; i < max; i++)
		s->peers[i].fd = -1;
	return 0;
}

int peer_set_add(struct peer_set *s, int fd, unsigned role)
{
	if (!ipc_role_is_one(role) || (role & ~s->peer_roles) != 0) {
		log_error("refused a link from the master: it names %s at its far end", ipc_role_name(role));
		close(fd);
		return -1;
	}
	for (unsigned i = 0; i < s->max; i++)
		if (s->peers[i].fd < 0) {
			ipc_channel_init(&s->peers[i], fd, role, s->max_queued_bytes);
			struct epoll_event ev = { .events = EPOLLIN, .data.u32 = i };
			if (epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, fd, &ev) == 0)
				return (int)i;
			s->peers[i].fd = -1;
			break;
		}
	log_error("no room for another link");
	close(fd);
	return -1;
}

void peer_set_drop(struct peer_set *s, unsigned i)
{
	(void)epoll_ctl(s->epoll_fd, EPOLL_CTL_DEL, s->peers[i].fd, NULL);
	close(s->peers[i].fd);
	ipc_channel_clear(&s->peers[i]);
	s->peers[i].fd = -1;
}

int peer_set_take_links(struct peer_set *s, int control_fd)
{
	for (;;) {
		unsigned role = 0;
		int fd = ipc_recv_fd(control_fd, &role);
		if (fd >= 0) {
			(void)peer_set_add(s, fd, role);
			continue;
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return 0;
		if (errno == EPROTO) /* a datagram without a descriptor, or without a role: nothing to add */
			continue;
		/* End of file (errno 0): the master is gone. Without this the
		 * socket stays readable forever and the caller spins on it. */
		if (errno != 0)
			log_warn("control socket: %s", strerror(errno));
		return -1;
	}
}

void peer_set_watch(struct peer_set *s, unsigned i, bool want_out)
{
	struct epoll_event ev = { .events = EPOLLIN | (want_out ? EPOLLOUT : 0), .data.u32 = i };
	(void)epoll_ctl(s->epoll_fd, EPOLL_CTL_MOD, s->peers[i].fd, &ev);
}

void peer_set_free(struct peer_set *s)
{
	for (unsigned i = 0; s->peers && i < s->max; i++)
		if (s->peers[i].fd >= 0) {
			(void)ipc_flush(&s->peers[i]);
			ipc_channel_clear(&s->peers[i]);
		}
	free(s->peers);
	s->peers = NULL;
}
