#include "probes/await_datagram.h"

#include <errno.h>
#include <poll.h>

#include "common/base/clock.h"

ssize_t probe_await_datagram(struct ipc_channel *ch, long long deadline_ms, struct ipc_header *h, void *body)
{
	for (;;) {
		(void)ipc_flush(ch);
		ssize_t n = ipc_recv(ch->fd, h, body, IPC_MAX_BODY);
		int err = n < 0 ? errno : 0;
		if (n >= 0 && h->type != 0)
			return n;
		if (n == 0 || (err != EAGAIN && err != EPROTO))
			return -1; /* end of file, or the link failed */
		long long left = deadline_ms - monotonic_ms();
		if (left <= 0)
			return -1;
		if (err == EAGAIN) {
			struct pollfd pfd = { .fd = ch->fd, .events = POLLIN };
			(void)poll(&pfd, 1, (int)(left < 100 ? left : 100));
		}
	}
}
