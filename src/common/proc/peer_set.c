#include "common/proc/peer_set.h"

#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "common/base/log.h"

int peer_set_init(struct peer_set *s, unsigned max, int epoll_fd, size_t max_queued)
{
	s->peers = calloc(max, sizeof *s->peers);
	s->max = max;
	s->epoll_fd = epoll_fd;
	s->max_queued = max_queued;
	if (!s->peers)
		return -1;
	for (unsigned i = 0; i < max; i++)
		s->peers[i].fd = -1;
	return 0;
}

int peer_set_add(struct peer_set *s, int fd)
{
	for (unsigned i = 0; i < s->max; i++)
		if (s->peers[i].fd < 0) {
			ipc_channel_init(&s->peers[i], fd, s->max_queued);
			struct epoll_event ev = { .events = EPOLLIN, .data.u32 = i };
			if (epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, fd, &ev) == 0)
				return (int)i;
			s->peers[i].fd = -1;
			break;
		}
	log_error("no room for another worker link");
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

void peer_set_take_links(struct peer_set *s, int control_fd)
{
	int fd;
	while ((fd = ipc_recv_fd(control_fd)) >= 0)
		(void)peer_set_add(s, fd);
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
