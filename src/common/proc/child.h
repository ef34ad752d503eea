/* What the master hands each child it forks. Each role's entry point takes
 * one of these and returns the process's exit status. */
#ifndef KEZ_CHILD_H
#define KEZ_CHILD_H

#include <sys/types.h>

#include "common/config/config.h"
#include "common/kez/handle.h"
#include "common/nats/nats_keys.h"
#include "common/proc/attest.h"
#include "common/proc/sandbox.h"
#include "common/proc/shared_state.h"

/* Exit status of a child that could not start (bad DB path, ...): the master
 * stops instead of respawning it in a loop. */
#define CHILD_EXIT_STARTUP 3

struct child_context {
	const char          *role;        /* the role's name in the master's table, e.g. "worker" */
	enum sandbox_role    sandbox;     /* the confinement sandbox_enter() applies */
	unsigned             incarnation; /* 1 for the first start of this process, then 2, ... */
	const struct config *cfg;
	const struct nats_keys *nats_keys;  /* only the seeds this role uses are left */
	const struct reserved_list *reserved;
	const struct attest_key *attest;    /* verifier and writer only; wiped in the others */
	struct shared_state *state;
	unsigned             index;       /* worker number from 1; 0 for the singletons */
	int                  listen_fd;   /* worker: the shared listening socket */
	int                  metrics_fd;  /* worker: the --metrics-bind socket, or -1 */
	int                  verifier_fd; /* worker: its end of the verifier socketpair */
	int                  writer_fd;   /* worker: its end of the writer socketpair */
	const int           *peer_fds;    /* verifier/writer: its end of each live link */
	const unsigned      *peer_roles;  /* and the role (enum ipc_role) at the far end of each */
	unsigned             n_peers;
	unsigned             max_peers;   /* verifier/writer: how many links can be live at once */
	int                  control_fd;  /* verifier/writer: the master hands new links over it */
	struct rate_table   *rate_table;  /* worker: the write limit all workers share */
};

int worker_run(const struct child_context *ctx);
int verifier_run(const struct child_context *ctx);
int writer_run(const struct child_context *ctx);
int nats_client_run(const struct child_context *ctx);

/* Called by each child once it has opened what it needs: with --user it
 * becomes that user (groups, gid, uid) and sets PR_SET_NO_NEW_PRIVS. The
 * parent-death signal, which a change of user clears, is set again.
 * 0, or -1 after logging why. */
int child_drop_privileges(const struct config *cfg);

/* Right after fork: the child is SIGKILLed when `parent` dies, and exits at
 * once if that happened already. */
void child_die_with_parent(pid_t parent);

/* Overwrites the NATS password's bytes where the configuration found them
 * (the flag's value and KEZ_CHAT_NATS_PASSWORD), in this process only. */
void child_wipe_nats_password(const struct config *cfg);

/* Installs a child's signal handling: the returned flag turns non-zero on
 * SIGTERM (sent by the master); SIGINT, SIGHUP and SIGPIPE are ignored. */
volatile int *child_stop_flag(void);

#endif
