#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "common/base/log.h"
#include "common/proc/ipc.h"
#include "master/procs.h"

void close_if_open(int fd)
{
	if (fd >= 0)
		close(fd);
}

void link_close_ends(struct link *l)
{
	for (int h = 0; h < N_HUBS; h++)
		for (int e = 0; e < 2; e++) {
			close_if_open(l->end[h][e]);
			l->end[h][e] = -1;
		}
}

/* The process of this link is gone: with the master's copies closed too,
 * the hubs see end of file on theirs and let them go. */
void link_free(struct supervisor *sv, int i)
{
	if (i < 0 || (unsigned)i >= sv->n_links || !sv->links[i].in_use)
		return;
	link_close_ends(&sv->links[i]);
	sv->links[i].in_use = false;
}

int link_new(struct supervisor *sv, unsigned links, unsigned role)
{
	for (unsigned i = 0; i < sv->n_links; i++) {
		struct link *l = &sv->links[i];
		if (l->in_use)
			continue;
		for (int h = 0; h < N_HUBS; h++)
			l->end[h][0] = l->end[h][1] = -1;
		for (int h = 0; h < N_HUBS; h++)
			if ((links & LINK_TO(h)) && ipc_socketpair(l->end[h]) < 0) {
				log_error("socketpair: %s", strerror(errno));
				link_close_ends(l);
				return -1;
			}
		l->role = role;
		l->in_use = true;
		return (int)i;
	}
	log_error("no free links (a reload is still finishing)");
	return -1;
}
