/* The verifier holds each link to the role at its far end: the nats
 * client, taken, asks it for what only a worker may ask (a registration's
 * or a sigchain event's verification, and with it an attestation for the
 * writer) and gets nothing back. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/base/clock.h"
#include "common/base/log.h"
#include "common/proc/child.h"
#include "common/proc/ipc.h"
#include "probes/await_datagram.h"
#include "probes/probes.h"

#define PROBE_WAIT_MS 1500

/* "answered" when the verifier sends anything back for `id` in time. */
static const char *await_any_answer(struct ipc_channel *ch, uint64_t id)
{
	unsigned char *body = malloc(IPC_MAX_BODY);
	if (!body)
		return "cannot wait (out of memory)";
	const char *result = "no answer";
	long long deadline = monotonic_ms() + PROBE_WAIT_MS;
	struct ipc_header h;
	while (probe_await_datagram(ch, deadline, &h, body) >= 0)
		if (h.id == id) {
			result = "answered";
			break;
		}
	free(body);
	return result;
}

void probe_nats_link(const struct child_context *ctx)
{
	struct ipc_channel ch;
	ipc_channel_init(&ch, ctx->verifier_fd, IPC_ROLE_VERIFIER, IPC_QUEUE_DEFAULT_BYTES);
	static const char envelope[] = "{}";
	int sent = ipc_send(&ch, IPC_VERIFY_REQUEST, 0, 1, envelope, sizeof envelope - 1);
	log_info("probe nats: verify request: %s", sent < 0 ? strerror(errno) : await_any_answer(&ch, 1));

	struct ipc_event_verify_request rq;
	memset(&rq, 0, sizeof rq);
	unsigned char body[sizeof rq + sizeof envelope - 1];
	memcpy(body, &rq, sizeof rq);
	memcpy(body + sizeof rq, envelope, sizeof envelope - 1);
	sent = ipc_send(&ch, IPC_EVENT_VERIFY_REQUEST, 0, 2, body, sizeof body);
	log_info("probe nats: event verify request: %s", sent < 0 ? strerror(errno) : await_any_answer(&ch, 2));
	ipc_channel_clear(&ch);
}
