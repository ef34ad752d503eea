/* A whole chain checked by whoever reads it (kezctl show, verify-file):
 * each event in seq order through rows 3–13 (sigchain_event.h, no clock)
 * and rows 15–19 (chain_state.h) over an in-memory head, so a client trusts
 * the signatures, not the server. */
#ifndef KEZ_CHAIN_VERIFY_H
#define KEZ_CHAIN_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include "common/kez/chain_state.h"
#include "common/kez/sigchain_event.h"

struct chain_verify {
	bool              named;  /* the chain's key is known (given, or from event 1) */
	struct chain_head head;
	uint8_t          *claims; /* claims[seq]: an enum chain_claim, for seq <= head.length */
	size_t            claims_cap;
};

/* `chain` NULL: the first event names the chain. */
void chain_verify_init(struct chain_verify *v, const uint8_t *chain);
void chain_verify_free(struct chain_verify *v);

/* The next event, as text. API_OK (ev filled and the head advanced), or the
 * first rule it breaks with a sentence in detail; API_INTERNAL when memory
 * runs out. ev must be initialized (sigchain_event_init). */
enum api_error chain_verify_next(struct chain_verify *v, const char *text, size_t len, struct sigchain_event *ev,
				 char *detail, size_t detail_len);

/* What event seq is now: CHAIN_CLAIM_ACTIVE for an add no revoke named. */
enum chain_claim chain_verify_claim(const struct chain_verify *v, uint32_t seq);

#endif
