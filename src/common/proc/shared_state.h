/* A page of memory shared by the master and every child (created before the
 * first fork). It carries only liveness facts, never registry data or keys. */
#ifndef KEZ_SHARED_STATE_H
#define KEZ_SHARED_STATE_H

#include <stdatomic.h>

struct shared_state {
	/* Set by the child when it can serve, cleared by the master when it dies. */
	atomic_int  verifier_ready;
	atomic_int  writer_ready;
	/* Bumped by each new verifier/writer when it becomes ready: a worker that
	 * sees it change re-sends what the previous incarnation may have lost. */
	atomic_uint verifier_generation;
	atomic_uint writer_generation;
};

/* mmap(MAP_SHARED|MAP_ANONYMOUS); NULL on failure. */
struct shared_state *shared_state_create(void);

#endif
