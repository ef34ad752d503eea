#include "probes/writer_answers.h"

#include <poll.h>
#include <stdio.h>

#include "common/base/clock.h"
#include "common/kez/api_error.h"

#define PROBE_WAIT_MS 3000

void probe_await_answers(struct ipc_receiver *rx, struct ipc_channel *to_writer, const int *answered, int want)
{
	long long deadline = monotonic_ms() + PROBE_WAIT_MS;
	while (*answered < want) {
		(void)ipc_flush(to_writer);
		if (ipc_drain(rx, to_writer, 0) == IPC_DRAIN_GONE)
			return;
		long long left = deadline - monotonic_ms();
		if (*answered >= want || left <= 0)
			return;
		struct pollfd pfd = { .fd = to_writer->fd, .events = POLLIN };
		(void)poll(&pfd, 1, (int)left);
	}
}

void probe_describe(char *out, size_t cap, const char *what, int32_t error)
{
	if (error < 0)
		snprintf(out, cap, "%s no answer", what);
	else if (error == API_OK)
		snprintf(out, cap, "%s stored", what);
	else
		snprintf(out, cap, "%s refused (%s)", what, api_error_info((enum api_error)error)->code);
}
