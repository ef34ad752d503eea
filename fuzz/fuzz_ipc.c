/* IPC decoding: arbitrary bytes as one datagram on a socketpair, received
 * with ipc_recv and handed to the receiving side's checks for its type. */
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/config/config.h"
#include "common/kez/envelope.h"
#include "common/proc/ipc.h"
#include "signer/nats_callout.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fds[2] = { -1, -1 };
	static unsigned char body[IPC_MAX_BODY];
	static struct reserved_list reserved;
	static struct config cfg;
	static struct nats_keys keys; /* none: the callout refuses */
	if (fds[0] < 0) {
		if (ipc_socketpair(fds) < 0)
			return 0;
		reserved_list_init(&reserved);
	}
	if (size == 0 || send(fds[0], data, size, MSG_DONTWAIT) < 0)
		return 0;
	struct ipc_header h;
	ssize_t n = ipc_recv(fds[1], &h, body, sizeof body);
	if (n < 0)
		return 0;
	if (h.type == IPC_VERIFY_REQUEST) {
		struct envelope_policy policy = { .server = "kez.lat", .reserved = &reserved, .now = 1779678000 };
		struct envelope_result result;
		char detail[160];
		(void)envelope_check((const char *)body, (size_t)n, &policy, &result, detail, sizeof detail);
	} else if (h.type == IPC_INSERT_REQUEST && (size_t)n == sizeof(struct ipc_insert_request)) {
		struct ipc_insert_request rq;
		memcpy(&rq, body, sizeof rq);
		if (rq.handle_len <= HANDLE_MAX_LEN)
			(void)handle_is_valid(rq.handle, rq.handle_len);
	} else if (h.type == IPC_NATS_REQUEST && (size_t)n >= sizeof(struct ipc_nats_request)) {
		struct ipc_nats_request rq;
		memcpy(&rq, body, sizeof rq);
		rq.server_xkey[sizeof rq.server_xkey - 1] = '\0';
		struct ipc_nats_reply reply;
		struct buf response;
		buf_init(&response, IPC_MAX_BODY);
		nats_callout_handle(&cfg, &keys, NULL, NULL, &rq, (const char *)body + sizeof rq, (size_t)n - sizeof rq, &reply,
				    &response);
		buf_free(&response);
	}
	return 0;
}
