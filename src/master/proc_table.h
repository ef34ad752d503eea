/* The master's process table: the one place that says which processes
 * exist, what each is handed and what it keeps. */
#ifndef KEZ_PROC_TABLE_H
#define KEZ_PROC_TABLE_H

#include <stdatomic.h>
#include <stdbool.h>

#include "common/config/config.h"
#include "common/proc/child.h"
#include "common/proc/sandbox.h"
#include "common/proc/shared_state.h"

/* The processes others hold links to. Each serves one end of every link to
 * it, and takes new links over its control socket. */
enum hub { HUB_VERIFIER, HUB_WRITER, N_HUBS, NO_HUB = -1 };

/* What a process is handed besides the configuration. */
enum {
	LINK_LISTENER = 1 << 0,                 /* the shared listening socket */
	LINK_VERIFIER = 1 << (1 + HUB_VERIFIER), /* its own link to the verifier */
	LINK_WRITER   = 1 << (1 + HUB_WRITER),   /* its own link to the writer */
};
#define LINK_TO(hub) (1u << (1 + (hub)))

/* The secrets a process keeps; every other one is wiped right after fork. */
enum {
	KEEP_SERVICE_SEED  = 1 << 0, /* the callout service's nkey seed */
	KEEP_SIGNING_SEEDS = 1 << 1, /* the issuer and curve (xkey) seeds */
	KEEP_NATS_PASSWORD = 1 << 2, /* --nats-password / KEZ_CHAT_NATS_PASSWORD */
	KEEP_ATTEST_KEY    = 1 << 3, /* the verifier's proof to the writer (common/proc/attest.h) */
};

struct proc_def {
	const char       *name;
	int             (*entry)(const struct child_context *ctx);
	unsigned          links;   /* LINK_* */
	unsigned          ipc_role; /* enum ipc_role: what the hubs see at the far end of its links */
	int               hub;     /* the hub it is (enum hub), or NO_HUB */
	enum sandbox_role sandbox;
	unsigned          keeps;   /* KEEP_* */
	bool              per_worker; /* --workers of it, numbered from 1; else one */
	bool              reloaded;   /* SIGHUP starts a new generation of it */
	bool            (*wanted)(const struct config *cfg); /* NULL: always started */
	/* Its flag in the shared page: the start waits for it (in table order)
	 * and a death clears it. NULL: not waited for. */
	atomic_int     *(*ready)(struct shared_state *state);
};

extern const struct proc_def proc_table[];
extern const unsigned        proc_table_len;

/* How many of `def` run with `cfg` (0 when it is not wanted). */
unsigned proc_count(const struct proc_def *def, const struct config *cfg);

#endif
