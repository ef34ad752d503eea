/* IPC decoding: arbitrary bytes as one datagram on a socketpair, received
 * through the drain loop (framing, then the message table) by each role in
 * turn, and what passes handed to that receiver's checks for its type. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/config/config.h"
#include "common/kez/envelope.h"
#include "common/proc/attest.h"
#include "common/proc/ipc.h"
#include "common/proc/ipc_drain.h"
#include "signer/nats_callout.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct reserved_list reserved;
static struct config        cfg;
static struct nats_keys     keys; /* none: the callout refuses */
static struct attest_key    attest;

static int dispatch(void *arg, struct ipc_channel *ch, const struct ipc_header *h, const void *body, size_t len)
{
	(void)arg;
	(void)ch;
	if (h->type == IPC_VERIFY_REQUEST) {
		struct envelope_policy policy = { .server = "kez.lat", .reserved = &reserved, .now = 1779678000 };
		struct envelope_result result;
		char detail[160];
		(void)envelope_check((const char *)body, len, &policy, &result, detail, sizeof detail);
	} else if (h->type == IPC_INSERT_REQUEST) {
		/* the writer's checks, in its order */
		struct ipc_insert_request rq;
		memcpy(&rq, body, sizeof rq);
		if (rq.handle_len <= HANDLE_MAX_LEN && handle_is_valid(rq.handle, rq.handle_len) &&
		    !reserved_list_contains(&reserved, rq.handle, rq.handle_len))
			(void)attest_insert_check(&attest, rq.handle, rq.handle_len, rq.primary, rq.mac);
	} else if (h->type == IPC_NATS_REQUEST) {
		struct ipc_nats_request rq;
		memcpy(&rq, body, sizeof rq);
		rq.server_xkey[sizeof rq.server_xkey - 1] = '\0';
		struct ipc_nats_reply reply;
		struct buf response;
		buf_init(&response, IPC_MAX_BODY);
		nats_callout_handle(&cfg, &keys, NULL, NULL, NULL, &rq, (const char *)body + sizeof rq, len - sizeof rq, &reply,
				    &response);
		buf_free(&response);
	}
	return 0;
}

/* Each receiving role with the peers it hears from. */
static const struct {
	unsigned self, peers;
} ends[] = {
	{ IPC_ROLE_VERIFIER, IPC_ROLE_WORKER | IPC_ROLE_NATS },
	{ IPC_ROLE_WRITER, IPC_ROLE_WORKER },
	{ IPC_ROLE_WORKER, IPC_ROLE_VERIFIER },
	{ IPC_ROLE_WORKER, IPC_ROLE_WRITER },
	{ IPC_ROLE_NATS, IPC_ROLE_VERIFIER },
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fds[2] = { -1, -1 };
	static struct ipc_receiver rx[sizeof ends / sizeof ends[0]];
	if (fds[0] < 0) {
		if (ipc_socketpair(fds) < 0 || reserved_list_init(&reserved) < 0 || attest_key_generate(&attest) < 0)
			abort();
		for (size_t i = 0; i < sizeof ends / sizeof ends[0]; i++)
			if (ipc_receiver_init(&rx[i], ends[i].self, dispatch, NULL) < 0)
				abort();
	}
	if (size == 0)
		return 0;
	for (size_t i = 0; i < sizeof ends / sizeof ends[0]; i++) {
		if (send(fds[0], data, size, MSG_DONTWAIT) < 0)
			return 0;
		struct ipc_channel ch;
		ipc_channel_init(&ch, fds[1], ends[i].peers, IPC_QUEUE_DEFAULT_BYTES);
		(void)ipc_drain(&rx[i], &ch, 0);
	}
	return 0;
}
