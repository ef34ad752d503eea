#include "probes/forged_append.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "common/base/log.h"
#include "common/kez/api_error.h"
#include "common/kez/key_text.h"
#include "common/kez/sigchain_event.h"
#include "common/proc/ipc_drain.h"
#include "probes/writer_answers.h"

/* An id whose slot part no connection has: a late answer is ignored. */
#define PROBE_ID 0xfffffffe00000000ull

struct probe_state {
	int     answered;
	int32_t error; /* -1: no answer yet */
};

static int on_reply(void *arg, struct ipc_channel *ch, const struct ipc_header *h, const void *body, size_t len)
{
	(void)ch;
	(void)len;
	struct probe_state *p = arg;
	if (h->type != IPC_APPEND_REPLY || h->id != PROBE_ID || p->answered)
		return 0;
	struct ipc_append_reply r;
	memcpy(&r, body, sizeof r);
	p->error = (int32_t)(r.error < API_ERROR_COUNT ? r.error : API_INTERNAL);
	p->answered = 1;
	return 1;
}

/* Fields a verifier could have produced for a first event of `chain`. */
static int forge(struct ipc_channel *ch, const uint8_t chain[32])
{
	static const char event[] = "{\"kez\":\"sigchain_event\",\"payload\":{},\"signature\":{}}";
	struct sigchain_fields f;
	memset(&f, 0, sizeof f);
	memcpy(f.chain, chain, 32);
	memcpy(f.signing_key, chain, 32);
	f.seq = 1;
	f.op = SIGCHAIN_OP_ADD;
	f.created_at.seconds = 1764547200;
	struct ipc_append_request rq;
	memset(&rq, 0, sizeof rq);
	if (sigchain_sha256(event, sizeof event - 1, f.hash) < 0 ||
	    getrandom(rq.mac, sizeof rq.mac, 0) != (ssize_t)sizeof rq.mac)
		return -1;
	sigchain_fields_encode(&f, rq.fields);
	return ipc_send2(ch, IPC_APPEND_REQUEST, 0, PROBE_ID, &rq, sizeof rq, event, sizeof event - 1);
}

void probe_forged_append(const struct child_context *ctx, struct ipc_channel *to_writer)
{
	if (!getenv("KEZ_TEST_PROBE") || ctx->index != 1)
		return;
	struct probe_state p = { .answered = 0, .error = -1 };
	uint8_t chain[32];
	char hex[65];
	struct ipc_receiver rx;
	if (getrandom(chain, sizeof chain, 0) != (ssize_t)sizeof chain ||
	    ipc_receiver_init(&rx, IPC_ROLE_WORKER, on_reply, &p) < 0) {
		log_info("probe worker: forged append: could not start");
		return;
	}
	hex_encode(chain, 32, hex);
	if (forge(to_writer, chain) < 0) {
		log_info("probe worker: forged append: could not send");
		ipc_receiver_free(&rx);
		return;
	}
	probe_await_answers(&rx, to_writer, &p.answered, 1);
	char outcome[128];
	probe_describe(outcome, sizeof outcome, hex, p.error);
	log_info("probe worker: forged append: %s", outcome);
	ipc_receiver_free(&rx);
}
