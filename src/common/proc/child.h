/* What the master hands each child it forks. Each role's entry point takes
 * one of these and returns the process's exit status. */
#ifndef KEZ_CHILD_H
#define KEZ_CHILD_H

#include "common/config/config.h"
#include "common/kez/handle.h"
#include "common/nats/nats_keys.h"
#include "common/proc/shared_state.h"

/* Exit status of a child that could not start (bad DB path, ...): the master
 * stops instead of respawning it in a loop. */
#define CHILD_EXIT_STARTUP 3

struct child_context {
	const struct config *cfg;
	const struct nats_keys *nats_keys;  /* only the seeds this role uses are left */
	const struct reserved_list *reserved;
	struct shared_state *state;
	unsigned             index;       /* worker number from 1; 0 for the singletons */
	int                  listen_fd;   /* worker: the shared listening socket */
	int                  verifier_fd; /* worker: its end of the verifier socketpair */
	int                  writer_fd;   /* worker: its end of the writer socketpair */
	const int           *peer_fds;    /* verifier/writer: its end of each live worker link */
	unsigned             n_peers;
	unsigned             max_peers;   /* verifier/writer: how many links can be live at once */
	int                  control_fd;  /* verifier/writer: the master hands new links over it */
	struct rate_table   *rate_table;  /* worker: the write limit all workers share */
};

int worker_run(const struct child_context *ctx);
/* The workers' shared write-limit table (worker/rate_limit.c), mapped by the
 * master before the first fork. NULL when it cannot be mapped. */
struct rate_table *rate_table_create(void);
int verifier_run(const struct child_context *ctx);
int writer_run(const struct child_context *ctx);
int nats_client_run(const struct child_context *ctx);

/* Called by each child once it has opened what it needs: with --user it
 * becomes that user (groups, gid, uid) and sets PR_SET_NO_NEW_PRIVS.
 * 0, or -1 after logging why. */
int child_drop_privileges(const struct config *cfg);

/* Installs a child's signal handling: the returned flag turns non-zero on
 * SIGTERM (sent by the master); SIGINT, SIGHUP and SIGPIPE are ignored. */
volatile int *child_stop_flag(void);

#endif
