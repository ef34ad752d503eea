/* The verifier's half of a sigchain append: rows 3-13 of SIGCHAIN.md's
 * POST table (shape, keys, ops, timestamps, the signature), the event's
 * canonical form and hash, and the attestation the writer will check. */
#ifndef KEZ_EVENT_CHECK_H
#define KEZ_EVENT_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include "common/base/buf.h"
#include "common/proc/attest.h"

/* Answers one EVENT_VERIFY_REQUEST body (its size checked by the message
 * table): appends the IPC_EVENT_VERIFY_REPLY body to `out`. 0, or -1 when
 * it does not fit (nothing is answered then). Safe on any thread. */
int event_check_answer(const struct attest_key *attest, uint64_t id, const void *body, size_t len,
		       struct buf *out);

#endif
