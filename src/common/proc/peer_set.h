/* The verifier's and the writer's table of links: one channel per live
 * socketpair end, indexed as epoll reports it; links arrive from the
 * master (at start, and over the control socket on reload), each with the
 * role of the process at its far end, which the message table then holds
 * its messages to, and go at end of file, once that process and the
 * master's copies are gone. */
#ifndef KEZ_PEER_SET_H
#define KEZ_PEER_SET_H

#include <stdbool.h>

#include "common/proc/ipc.h"

/* epoll data for the control socket; links use their index. */
#define PEER_SET_CONTROL_TAG 0xffffffffu

struct peer_set {
	struct ipc_channel *peers; /* fd -1: free */
	unsigned            max;
	int                 epoll_fd;
	unsigned            peer_roles;       /* enum ipc_role bits: who may be at the other end of a link */
	size_t              max_queued_bytes; /* per link */
};

int  peer_set_init(struct peer_set *s, unsigned max, int epoll_fd, unsigned peer_roles, size_t max_queued_bytes);
/* The new link's index, with `role` (one enum ipc_role) at its far end, or
 * -1 (the descriptor is closed then; a role the set does not take is
 * refused so). */
int  peer_set_add(struct peer_set *s, int fd, unsigned role);
void peer_set_drop(struct peer_set *s, unsigned i);
/* Adds every descriptor waiting on the master's control socket. 0, or -1
 * when the master is gone (end of file, or an error that will not pass):
 * no link will ever come again, and the caller ends. */
int  peer_set_take_links(struct peer_set *s, int control_fd);
/* Asks epoll for writability too while replies wait in the channel's queue. */
void peer_set_watch(struct peer_set *s, unsigned i, bool want_out);
/* Flushes what it can and releases everything. */
void peer_set_free(struct peer_set *s);

static inline bool peer_set_live(const struct peer_set *s, unsigned i)
{
	return i < s->max && s->peers[i].fd >= 0;
}

#endif
