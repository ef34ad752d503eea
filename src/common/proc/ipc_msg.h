/* The one table of IPC message types: for each, its name, the roles that
 * may send it, the roles that take it, and its body's length bounds (a
 * fixed struct: exactly its size). The receive path checks every message
 * against it before any handler sees the body, so handlers never repeat a
 * size check; the send path checks the sender's own messages too. */
#ifndef KEZ_IPC_MSG_H
#define KEZ_IPC_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/proc/ipc.h"

struct ipc_msg_spec {
	uint16_t    type;
	const char *name;
	unsigned    senders;   /* enum ipc_role bits */
	unsigned    receivers; /* enum ipc_role bits */
	size_t      min_len;
	size_t      max_len;
};

/* The entry for `type`, or NULL for a type nobody declared. */
const struct ipc_msg_spec *ipc_msg_spec(uint16_t type);
/* "INSERT_REQUEST", or "unknown" */
const char *ipc_msg_name(uint16_t type);
/* "worker", "verifier", ... for one role bit; "peer" for a mask of several. */
const char *ipc_role_name(unsigned roles);
/* Whether `roles` names exactly one role (what a link has at its far end). */
bool        ipc_role_is_one(unsigned roles);

/* Whether a message of `type` with a body of `len` bytes may go from a peer
 * that is one of `from` (role bits) to a receiver that is `to`. NULL when it
 * may; otherwise why not ("unknown type", "wrong sender", "too short", ...).
 * The reason is a constant string. */
const char *ipc_msg_refusal(uint16_t type, size_t len, unsigned from, unsigned to);

#endif
