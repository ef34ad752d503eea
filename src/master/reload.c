/* SIGHUP: a new generation of the reloaded processes (the workers), on new
 * links, takes over the listening socket; the old ones stop accepting,
 * finish what they have, and exit. */
#include <signal.h>

#include "common/base/log.h"
#include "common/proc/ipc.h"
#include "master/procs.h"

/* The hubs learn a new link's ends before its process starts. */
static void hand_to_hubs(struct supervisor *sv, const struct link *l)
{
	for (int h = 0; h < N_HUBS; h++)
		if (l->end[h][1] >= 0 && ipc_send_fd(sv->control[h][0], l->end[h][1], l->role) < 0)
			log_warn("reload: a hub is restarting; it will pick the new link up");
}

void reload(struct supervisor *sv)
{
	unsigned started = 0;
	for (unsigned i = 0; i < sv->n_slots; i++) {
		struct slot *s = &sv->slots[i];
		if (!s->used || !s->def->reloaded || s->draining)
			continue;
		int link = link_new(sv, s->def->links, s->def->ipc_role);
		if (link < 0)
			break;
		hand_to_hubs(sv, &sv->links[link]);
		if (s->pid) {
			struct slot *old = slot_new(sv);
			if (!old) {
				link_free(sv, link);
				break;
			}
			/* The old process keeps writing the block it has; the new one
			 * takes the spare slot's. */
			unsigned spare = old->metrics_block;
			*old = *s;
			s->metrics_block = spare;
			old->draining = true;
			old->respawn_at = 0;
		} else {
			link_free(sv, s->link);
		}
		s->link = link;
		s->pid = 0;
		s->quick_failures = 0;
		if (spawn(sv, s) == 0)
			started++;
	}
	for (unsigned i = 0; i < sv->n_slots; i++)
		if (sv->slots[i].used && sv->slots[i].draining && sv->slots[i].pid)
			kill(sv->slots[i].pid, SIGTERM);
	log_info("SIGHUP: %u new workers; the old ones finish their requests and exit", started);
}
