#include "common/proc/ipc_drain.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/base/clock.h"
#include "common/base/log.h"
#include "common/proc/ipc_msg.h"

#define DROP_LOG_INTERVAL_MS 1000
#define DROP_LOG_LINES       3 /* an interval, whatever a peer sends */

int ipc_receiver_init(struct ipc_receiver *rx, unsigned self_role, ipc_dispatch_fn dispatch, void *arg)
{
	memset(rx, 0, sizeof *rx);
	rx->self_role = self_role;
	rx->dispatch = dispatch;
	rx->arg = arg;
	rx->drop_log = (struct log_limit)LOG_LIMIT_INIT(DROP_LOG_INTERVAL_MS, DROP_LOG_LINES);
	rx->buf = malloc(IPC_MAX_BODY);
	return rx->buf ? 0 : -1;
}

void ipc_receiver_free(struct ipc_receiver *rx)
{
	free(rx->buf);
	rx->buf = NULL;
}

static void note_drop(struct ipc_receiver *rx, const struct ipc_channel *ch, const struct ipc_header *h, ssize_t len,
		      const char *why)
{
	rx->dropped++;
	unsigned long held_back = 0;
	if (!log_limit_allow(&rx->drop_log, monotonic_ms(), &held_back))
		return;
	char more[64] = "";
	if (held_back)
		snprintf(more, sizeof more, " (and %lu more dropped before)", held_back);
	if (len < 0)
		log_warn("dropped a datagram from the %s: %s%s", ipc_role_name(ch->peer_roles), why, more);
	else
		log_warn("dropped a message from the %s: %s (type %u, %zd bytes): %s%s", ipc_role_name(ch->peer_roles),
			 ipc_msg_name(h->type), h->type, len, why, more);
}

enum ipc_drain_result ipc_drain(struct ipc_receiver *rx, struct ipc_channel *ch, unsigned burst)
{
	for (unsigned n = 0; burst == 0 || n < burst; n++) {
		struct ipc_header h;
		ssize_t len = ipc_recv(ch->fd, &h, rx->buf, IPC_MAX_BODY);
		if (len < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return IPC_DRAIN_EMPTY;
			if (errno == EPROTO) {
				note_drop(rx, ch, &h, -1, "truncated, or its header does not match its length");
				continue;
			}
			log_warn("receiving from the %s: %s", ipc_role_name(ch->peer_roles), strerror(errno));
			return IPC_DRAIN_GONE;
		}
		if (len == 0 && h.type == 0)
			return IPC_DRAIN_GONE;
		const char *why = ipc_msg_refusal(h.type, (size_t)len, ch->peer_roles, rx->self_role);
		if (why) {
			note_drop(rx, ch, &h, len, why);
			continue;
		}
		if (rx->dispatch(rx->arg, ch, &h, rx->buf, (size_t)len) != 0)
			return IPC_DRAIN_MORE;
	}
	return IPC_DRAIN_MORE;
}
