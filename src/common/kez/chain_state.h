/* What a chain's rules read, and rows 15–19 of SIGCHAIN.md's POST table over
 * it: one implementation for the writer (through chain_rules.h, over LMDB)
 * and for clients checking a whole chain (chain_verify.h, in memory). */
#ifndef KEZ_CHAIN_STATE_H
#define KEZ_CHAIN_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "common/kez/api_error.h"
#include "common/kez/sigchain_event.h"

struct chain_head {
	uint8_t                 chain[32];
	uint32_t                length;                  /* 0: no events yet */
	uint8_t                 head[SIGCHAIN_HASH_LEN]; /* event `length`'s hash (zero when empty) */
	uint8_t                 signing_key[32];         /* the key that must sign event length + 1 */
	struct sigchain_instant last_created_at;         /* event `length`'s (zero when empty) */
};

/* What an event number is to a revoke. */
enum chain_claim {
	CHAIN_CLAIM_NONE = 0, /* no such event, or not an add */
	CHAIN_CLAIM_ACTIVE,   /* an add no revoke names */
	CHAIN_CLAIM_REVOKED,  /* an add a revoke names */
};

/* The claim state of event `seq` of the chain being checked. 0, or -1 on a
 * storage error. */
typedef int (*chain_claim_fn)(void *ctx, uint32_t seq, enum chain_claim *out);

/* The chain `chain` before its first event: its first key signs. */
void chain_head_empty(struct chain_head *h, const uint8_t chain[32]);

/* The head once f (checked) is appended: one longer, f's hash, f's
 * created_at, and a rotate's new key as the signing key. */
void chain_head_advance(struct chain_head *h, const struct sigchain_fields *f);

/* Rows 15 to 19, first failure deciding: API_OK, API_SEQ_CONFLICT,
 * API_WRONG_SIGNING_KEY, API_TIMESTAMP_REGRESSION, API_INVALID_REVOKE,
 * API_INVALID_EVENT, or API_INTERNAL when claim_of fails; with a sentence
 * in detail. f->chain must be h->chain (the caller looked the head up by it). */
enum api_error chain_state_check(const struct chain_head *h, const struct sigchain_fields *f, chain_claim_fn claim_of,
				 void *ctx, char *detail, size_t detail_len);

#endif
