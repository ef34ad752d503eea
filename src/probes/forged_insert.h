/* The writer trusts no worker (probes.h): with KEZ_TEST_PROBE set, worker 1
 * sends the writer inserts the verifier never attested, for a reserved
 * handle and for a valid unused one, with a random key and a zero or
 * garbage MAC, waits for the answers, and logs
 *   "probe worker: forged insert: admin refused (<code>), <handle> refused (<code>)"
 * ("stored" instead of "refused" would be the failure the tests look for). */
#ifndef KEZ_PROBE_FORGED_INSERT_H
#define KEZ_PROBE_FORGED_INSERT_H

#ifdef KEZ_TEST_HOOKS
#include "common/proc/child.h"
#include "common/proc/ipc.h"

/* The handle the second forged insert asks for. */
#define PROBE_FORGED_HANDLE "forgedprobe"

/* Runs before the worker's loop, while nothing else is in flight. */
void probe_forged_insert(const struct child_context *ctx, struct ipc_channel *to_writer);
#endif

#endif
