/* The master's supervision: starts the processes of the table
 * (proc_table.c), reaps and respawns them, reloads the workers on SIGHUP,
 * and stops them in order. */
#ifndef KEZ_SUPERVISOR_H
#define KEZ_SUPERVISOR_H

#include "common/config/config.h"
#include "common/kez/handle.h"
#include "common/nats/nats_keys.h"
#include "common/proc/shared_state.h"

/* Runs the server until SIGTERM/SIGINT: returns the master's exit status. */
/* `keys` and `reserved` are what the master read for the children before
 * the first fork; each child wipes the seeds its role does not use. */
int supervisor_run(const struct config *cfg, struct nats_keys *keys, const struct reserved_list *reserved,
		   int listen_fd, struct shared_state *state);

#endif
