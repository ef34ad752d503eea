/* What the probes that read their peer's answers raw share (nats_grant.c,
 * nats_link.c): the next datagram on a link, or the deadline. */
#ifndef KEZ_PROBE_AWAIT_DATAGRAM_H
#define KEZ_PROBE_AWAIT_DATAGRAM_H

#ifdef KEZ_TEST_HOOKS
#include <sys/types.h>

#include "common/proc/ipc.h"

/* Flushes what ch still queues, then waits for one datagram until the
 * monotonic clock reaches deadline_ms: its body length (as ipc_recv, into
 * body of IPC_MAX_BODY bytes), or -1 when none came in time or the link
 * failed. A malformed datagram is skipped. */
ssize_t probe_await_datagram(struct ipc_channel *ch, long long deadline_ms, struct ipc_header *h, void *body);
#endif

#endif
