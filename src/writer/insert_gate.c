#include "writer/insert_gate.h"

#include "common/base/clock.h"
#include "common/base/log.h"

#define REFUSAL_LOG_MS    1000 /* lines about refused inserts: at most */
#define REFUSAL_LOG_LINES 5    /* this many a second */

void insert_gate_init(struct insert_gate *g, const struct reserved_list *reserved, const struct attest_key *attest)
{
	g->reserved = reserved;
	g->attest = attest;
	g->refusal_log = (struct log_limit)LOG_LIMIT_INIT(REFUSAL_LOG_MS, REFUSAL_LOG_LINES);
}

static void note_refusal(struct insert_gate *g, unsigned peer, const struct ipc_insert_request *rq, const char *why)
{
	unsigned long held_back = 0;
	if (!log_limit_allow(&g->refusal_log, monotonic_ms(), &held_back))
		return;
	/* The handle is printed only when it is one: a hostile one could be anything. */
	bool printable = rq->handle_len <= HANDLE_MAX_LEN && handle_is_valid(rq->handle, rq->handle_len);
	log_warn("refused an insert from worker link %u%s%.*s%s: %s; nothing stored%s", peer + 1,
		 printable ? " for '" : "", printable ? (int)rq->handle_len : 0, rq->handle, printable ? "'" : "",
		 why, held_back ? " (more refusals were not logged)" : "");
}

enum api_error insert_gate_check(struct insert_gate *g, unsigned peer, const struct ipc_insert_request *rq)
{
	const char *why;
	enum api_error e;
	if (rq->handle_len > HANDLE_MAX_LEN || !handle_is_valid(rq->handle, rq->handle_len)) {
		why = "not a valid handle";
		e = API_INVALID_HANDLE;
	} else if (reserved_list_contains(g->reserved, rq->handle, rq->handle_len)) {
		why = "a reserved handle";
		e = API_HANDLE_RESERVED;
	} else if (!attest_insert_check(g->attest, rq->handle, rq->handle_len, rq->primary, rq->mac)) {
		why = "no valid attestation from the verifier";
		e = API_FORBIDDEN;
	} else {
		return API_OK;
	}
	note_refusal(g, peer, rq, why);
	return e;
}
