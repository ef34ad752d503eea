/* The writer's group commit: the requests waiting on the worker links (up
 * to BATCH_MAX) are each decided into one LMDB transaction as they are read
 * (rows of API.md and SIGCHAIN.md against the registry as the batch has
 * left it), the transaction is committed and synced once, and only then
 * does each request get its answer. A batch too big for what is left of
 * the map falls back to one transaction a request, so a nearly full
 * registry still takes what fits. */
#ifndef KEZ_GROUP_COMMIT_H
#define KEZ_GROUP_COMMIT_H

#include <stddef.h>

#include "common/proc/ipc.h"
#include "writer/writer_state.h"

/* The writer's ipc_drain dispatch (arg: the writer): each INSERT_REQUEST
 * and APPEND_REQUEST into the open batch. */
int  group_commit_dispatch(void *arg, struct ipc_channel *ch, const struct ipc_header *h, const void *body,
			   size_t len);
/* One round, when a link has messages: read, decide, commit, answer. */
void group_commit_run(struct writer *w);

#endif
