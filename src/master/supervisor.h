/* The master's process table: which children exist, forking them with the
 * right descriptors, reaping and respawning them, and stopping them in order. */
#ifndef KEZ_SUPERVISOR_H
#define KEZ_SUPERVISOR_H

#include "common/config.h"
#include "common/shared_state.h"

/* Runs the server until SIGTERM/SIGINT: returns the master's exit status. */
int supervisor_run(const struct config *cfg, int listen_fd, struct shared_state *state);

#endif
