/* The master's live state, shared by its files: one slot a running (or
 * respawning) process of the table, and the socketpairs between the
 * processes and the hubs. */
#ifndef KEZ_PROCS_H
#define KEZ_PROCS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "common/kez/handle.h"
#include "common/nats/nats_keys.h"
#include "common/proc/attest.h"
#include "master/proc_table.h"

/* One process's links. The master keeps both ends of each for as long as
 * that process lives: a respawned hub takes over the same sockets, and
 * nothing queued in them is lost. */
struct link {
	int      end[N_HUBS][2]; /* [hub][0] the process's end, [hub][1] the hub's; -1: none */
	unsigned role;           /* enum ipc_role of the process: the hubs hold its messages to it */
	bool     in_use;
};

struct slot {
	bool                   used;
	const struct proc_def *def;
	unsigned               index;          /* worker number from 1; 0 for the others */
	pid_t                  pid;            /* 0: not running */
	long long              started_ms;
	long long              respawn_at;     /* 0: no respawn pending */
	int                    link;           /* its links, or -1 */
	bool                   draining;       /* an old generation finishing its requests */
	unsigned               incarnation;    /* starts so far */
	unsigned               quick_failures; /* deaths in a row soon after starting */
	unsigned               metrics_block;  /* its counters (common/proc/metrics.h); 0: none yet */
};

struct supervisor {
	const struct config        *cfg;
	struct nats_keys           *keys;
	const struct reserved_list *reserved;
	struct attest_key          *attest;    /* made at start; kept only where KEEP_ATTEST_KEY says */
	struct shared_state        *state;
	struct rate_table          *rate_table; /* the workers' shared write limit (common/proc/rate_table.h) */
	pid_t                       pid;       /* the master's, for the children's parent-death check */
	int                         listen_fd;
	int                         metrics_fd; /* --metrics-bind, or -1 */
	int                         signal_fd;
	int                         control[N_HUBS][2]; /* [0] the master's end, [1] the hub's */
	struct link                *links;
	unsigned                    n_links;
	struct slot                *slots;
	unsigned                    n_slots;
	int                         stopping;
};

/* A child that dies sooner than this after its start failed to start. */
#define QUICK_DEATH_MS      1000
/* Quick failures in a row after which the master gives up and stops. */
#define MAX_QUICK_FAILURES  5
#define RESPAWN_PAUSE_MS    250 /* doubled after each quick failure in a row */

/* links.c */
void close_if_open(int fd);
int  link_new(struct supervisor *sv, unsigned links, unsigned role); /* index, or -1 after logging */
void link_free(struct supervisor *sv, int i);
void link_close_ends(struct link *l);

/* spawn.c: forks the slot's process. 0, or -1 (a respawn is scheduled). */
int spawn(struct supervisor *sv, struct slot *s);
void slot_name(const struct slot *s, char *out, size_t cap);

/* reap.c */
enum death_verdict { DEATH_RESPAWN, DEATH_GIVE_UP };
/* The process of a live slot died with `status`: logs how, clears its ready
 * flag, and schedules its respawn, or says to give up. */
enum death_verdict slot_died(struct supervisor *sv, struct slot *s, int status);
/* Reaps every exited child. 1 when the server must stop (a process keeps
 * failing to start), else 0. */
int  reap(struct supervisor *sv);
void respawn_due(struct supervisor *sv);
int  next_timeout_ms(const struct supervisor *sv);
struct slot *slot_new(struct supervisor *sv);

/* reload.c: SIGHUP. */
void reload(struct supervisor *sv);

#endif
