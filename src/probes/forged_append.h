/* The writer appends nothing the verifier did not attest (probes.h): with
 * KEZ_TEST_PROBE set, worker 1 sends the writer a sigchain append for a
 * fresh chain with well-formed fields and a garbage MAC, waits for the
 * answer, and logs
 *   "probe worker: forged append: <chain hex> refused (<code>)"
 * ("stored" instead of "refused" would be the failure the tests look for). */
#ifndef KEZ_PROBE_FORGED_APPEND_H
#define KEZ_PROBE_FORGED_APPEND_H

#ifdef KEZ_TEST_HOOKS
#include "common/proc/child.h"
#include "common/proc/ipc.h"

/* Runs before the worker's loop, while nothing else is in flight. */
void probe_forged_append(const struct child_context *ctx, struct ipc_channel *to_writer);
#endif

#endif
