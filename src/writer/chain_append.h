/* The writer's half of a sigchain append: the gate (the verifier's
 * attestation over the event's fields and its canonical bytes) and rows
 * 14-21 against the stored chain inside the batch's write transaction. */
#ifndef KEZ_CHAIN_APPEND_H
#define KEZ_CHAIN_APPEND_H

#include <lmdb.h>
#include <stddef.h>

#include "common/kez/chain_rules.h"
#include "common/kez/registry.h"
#include "common/proc/attest.h"
#include "common/proc/ipc.h"
#include "common/proc/log_limit.h"

/* One append of a batch, on the heap (its event bytes are up to an IPC body). */
struct chain_append {
	struct sigchain_fields  f;
	void                   *jcs; /* the event's canonical bytes, stored as they are */
	size_t                  len;
	struct ipc_append_reply reply;
};

struct append_gate {
	const struct attest_key *attest;
	struct chain_policy      policy;
	struct log_limit         refusal_log;
};

void append_gate_init(struct append_gate *g, const struct attest_key *attest, uint32_t max_length,
		      bool registered_only);

/* Takes one APPEND_REQUEST (size checked by the message table). A new
 * append, with reply.error API_OK when it passed the gate, or the refusal
 * (logged, a few lines a second at most); NULL when out of memory. */
struct chain_append *chain_append_take(struct append_gate *g, unsigned peer, const void *body, size_t len);

/* Rows 14-21 and the append in txn (NULL: no transaction, answered
 * API_INTERNAL); fills a->reply. Returns its error. */
enum api_error chain_append_apply(struct append_gate *g, struct registry *r, MDB_txn *txn, struct chain_append *a);

void chain_append_free(struct chain_append *a);

#endif
