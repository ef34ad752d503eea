#include "probes/forged_insert.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "common/base/log.h"
#include "common/kez/api_error.h"
#include "common/proc/ipc_drain.h"
#include "probes/writer_answers.h"

/* Ids whose slot part no connection has: a late answer is ignored. */
#define PROBE_ID_BASE 0xffffffff00000000ull

struct probe_state {
	int     answered;
	int32_t error[2]; /* -1: no answer yet */
};

static int on_reply(void *arg, struct ipc_channel *ch, const struct ipc_header *h, const void *body, size_t len)
{
	struct probe_state *p = arg;
	uint64_t i = h->id - PROBE_ID_BASE;
	if (h->type != IPC_INSERT_REPLY || i > 1 || p->error[i] >= 0)
		return 0;
	struct ipc_insert_reply r;
	memcpy(&r, body, sizeof r);
	p->error[i] = (int32_t)(r.error < API_ERROR_COUNT ? r.error : API_INTERNAL);
	p->answered++;
	return 0;
}

static int forge(struct ipc_channel *ch, unsigned i, const char *handle, bool zero_mac)
{
	struct ipc_insert_request rq;
	memset(&rq, 0, sizeof rq);
	if (getrandom(rq.primary, sizeof rq.primary, 0) != (ssize_t)sizeof rq.primary ||
	    (!zero_mac && getrandom(rq.mac, sizeof rq.mac, 0) != (ssize_t)sizeof rq.mac))
		return -1;
	rq.handle_len = (uint8_t)strlen(handle);
	memcpy(rq.handle, handle, rq.handle_len);
	return ipc_send(ch, IPC_INSERT_REQUEST, 0, PROBE_ID_BASE + i, &rq, sizeof rq);
}

void probe_forged_insert(const struct child_context *ctx, struct ipc_channel *to_writer)
{
	if (!getenv("KEZ_TEST_PROBE") || ctx->index != 1)
		return;
	struct probe_state p = { .answered = 0, .error = { -1, -1 } };
	struct ipc_receiver rx;
	if (ipc_receiver_init(&rx, IPC_ROLE_WORKER, on_reply, &p) < 0 || forge(to_writer, 0, "admin", true) < 0 ||
	    forge(to_writer, 1, PROBE_FORGED_HANDLE, false) < 0) {
		log_info("probe worker: forged insert: could not send");
		ipc_receiver_free(&rx);
		return;
	}
	probe_await_answers(&rx, to_writer, &p.answered, 2);
	char a[64], b[64];
	probe_describe(a, sizeof a, "admin", p.error[0]);
	probe_describe(b, sizeof b, PROBE_FORGED_HANDLE, p.error[1]);
	log_info("probe worker: forged insert: %s, %s", a, b);
	ipc_receiver_free(&rx);
}
