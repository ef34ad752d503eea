/* The sigchains' layout in the registry's LMDB environment (SIGCHAIN.md §4),
 * named tables that registry_open opens with the others:
 *   "chain_events": chain key (32) + seq (4, big-endian) -> event hash (32) + JCS(event),
 *                   and the chain's head under seq 0xffffffff, after its events:
 *                   format (1), length (4), head hash (32), signing key (32),
 *                   last created_at seconds (8) and nanos (4)
 *   "chain_heads":  chain key (32) -> a head as above, in registries written
 *                   before heads moved into "chain_events"; read when that
 *                   has none, and removed at the chain's next append
 *   "chain_claims": chain key (32) + seq (4) of a revoked add -> 0; an add
 *                   without a record is active (registries written before
 *                   also hold 1, active, for adds: read alike)
 * Readers (the workers) call the read functions in a read-only transaction
 * (registry_read_begin); the writer calls them and chain_store_append in its
 * write transaction. Big-endian seqs keep a chain's events in order. */
#ifndef KEZ_CHAIN_STORE_H
#define KEZ_CHAIN_STORE_H

#include <lmdb.h>
#include <stddef.h>
#include <stdint.h>

#include "common/kez/api_error.h"
#include "common/kez/chain_state.h"
#include "common/kez/registry.h"
#include "common/kez/sigchain_event.h"

/* One stored event; jcs points into the map, valid until the txn ends or
 * writes again. */
struct chain_stored_event {
	uint32_t    seq;
	uint8_t     hash[SIGCHAIN_HASH_LEN];
	const char *jcs;
	size_t      len;
};

/* The head of `chain`: 1 with *out filled, 0 no events (*out is
 * chain_head_empty's), -1 on an LMDB error or a damaged record. */
int chain_store_head(const struct registry *r, MDB_txn *txn, const uint8_t chain[32], struct chain_head *out);

/* Event `seq`: 1 found, 0 none, -1 error. */
int chain_store_event(const struct registry *r, MDB_txn *txn, const uint8_t chain[32], uint32_t seq,
		      struct chain_stored_event *out);

/* Calls visit for the events with seq > after, in order, at most `limit`;
 * a visit returning nonzero stops the page there. Returns how many were
 * visited, or -1 on an LMDB error or damaged record (or when visit stopped it:
 * the caller knows why). */
typedef int (*chain_store_visit_fn)(void *ctx, const struct chain_stored_event *ev);
long chain_store_page(const struct registry *r, MDB_txn *txn, const uint8_t chain[32], uint32_t after,
		      uint32_t limit, chain_store_visit_fn visit, void *ctx);

/* What event `seq` is to a revoke (an add without a claim record is read
 * back from its event). 0, or -1 on an LMDB error or a damaged record. */
int chain_store_claim(const struct registry *r, MDB_txn *txn, const uint8_t chain[32], uint32_t seq,
		      enum chain_claim *out);

/* Appends f (its rules decided by chain_rules_decide) with its JCS bytes,
 * in a nested transaction so a full map leaves the rest of the batch in
 * place: the event, the new head (*head advanced), and a revoke's claim
 * record.
 * API_OK, API_STORAGE_FULL or API_INTERNAL. */
enum api_error chain_store_append(struct registry *r, MDB_txn *txn, struct chain_head *head,
				  const struct sigchain_fields *f, const void *jcs, size_t len);

#endif
