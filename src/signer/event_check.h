/* The verifier's half of a sigchain append: rows 3-13 of SIGCHAIN.md's
 * POST table (shape, keys, ops, timestamps, the signature), the event's
 * canonical form and hash, and the attestation the writer will check. */
#ifndef KEZ_EVENT_CHECK_H
#define KEZ_EVENT_CHECK_H

#include <stddef.h>

#include "common/proc/attest.h"
#include "common/proc/ipc.h"

/* Answers one EVENT_VERIFY_REQUEST (its size checked by the message table)
 * on `ch`. */
void event_check_answer(const struct attest_key *attest, struct ipc_channel *ch, const struct ipc_header *h,
			const void *body, size_t len);

#endif
