/* Rows 14–21 of SIGCHAIN.md's POST table, against the chain as it stands in
 * the writer's write transaction, and the append. Appends to one chain are
 * serialized by that transaction, as handle and key uniqueness are. */
#ifndef KEZ_CHAIN_RULES_H
#define KEZ_CHAIN_RULES_H

#include <lmdb.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/kez/api_error.h"
#include "common/kez/chain_state.h"
#include "common/kez/registry.h"
#include "common/kez/sigchain_event.h"

struct chain_policy {
	uint32_t max_length;      /* --max-chain-length: events one chain may hold */
	bool     registered_only; /* --sigchain-policy registered */
};

struct chain_outcome {
	bool              identical; /* row 14: this very event is stored already (200) */
	/* The chain now: after the append (201), as it is (200), or as it
	 * stands for the error (409 seq_conflict reports length and head, 403
	 * wrong_signing_key its signing_key). */
	struct chain_head head;
};

/* Rows 14 to 21 in order for f (rows 3–13 passed in the verifier). API_OK:
 * the event may be appended, or out->identical; otherwise the row's error
 * (or API_INTERNAL on a read failure) with a sentence in detail. */
enum api_error chain_rules_decide(const struct registry *r, MDB_txn *txn, const struct sigchain_fields *f,
				  const struct chain_policy *p, struct chain_outcome *out, char *detail, size_t detail_len);

/* chain_rules_decide, then chain_store_append when it says so. API_OK with
 * out->identical (nothing written) or appended (out->head is the new head);
 * else the error, API_STORAGE_FULL included. The caller commits. */
enum api_error chain_rules_append(struct registry *r, MDB_txn *txn, const struct sigchain_fields *f,
				  const void *jcs, size_t len, const struct chain_policy *p, struct chain_outcome *out,
				  char *detail, size_t detail_len);

#endif
