/* The writer's state, shared by its loop (writer.c) and its group commit
 * (group_commit.c); nothing outside the writer includes it. */
#ifndef KEZ_WRITER_STATE_H
#define KEZ_WRITER_STATE_H

#include <lmdb.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "common/kez/registry.h"
#include "common/proc/child.h"
#include "common/proc/ipc.h"
#include "common/proc/ipc_drain.h"
#include "common/proc/peer_set.h"
#include "writer/chain_append.h"
#include "writer/insert_gate.h"

#define BATCH_MAX 512 /* inserts in one transaction */

struct pending_insert {
	unsigned                  peer;
	uint64_t                  id;
	uint16_t                  type;  /* IPC_INSERT_REQUEST or IPC_APPEND_REQUEST */
	bool                      valid; /* false: refused before reaching the registry */
	bool                      retry;
	struct ipc_insert_request request;
	struct ipc_insert_reply   reply;
	struct chain_append      *append; /* appends: the event and its answer */
};

struct writer {
	const struct child_context *ctx;
	struct registry             registry;
	int                         epoll_fd;
	struct peer_set             links;
	bool                       *peer_ready; /* may have unread messages */
	struct ipc_receiver         rx;
	MDB_txn                    *round_txn;  /* the batch being read: its transaction (NULL: none) */
	int64_t                     round_now;  /* and its clock */
	struct pending_insert       batch[BATCH_MAX];
	size_t                      batch_len;
	time_t                      last_full_log;
	time_t                      last_reply_warning;
	struct insert_gate          gate;
	struct append_gate          append_gate;
};

#endif
