/* What the writer lets into the registry. It trusts no worker: an insert is
 * stored only when the verifier attested exactly its handle and key, and
 * only when the handle passes the handle rules and the reserved list here
 * too (a verifier bug must not be enough either). */
#ifndef KEZ_INSERT_GATE_H
#define KEZ_INSERT_GATE_H

#include "common/kez/api_error.h"
#include "common/kez/handle.h"
#include "common/proc/attest.h"
#include "common/proc/ipc.h"
#include "common/proc/log_limit.h"

struct insert_gate {
	const struct reserved_list *reserved;
	const struct attest_key    *attest;
	struct log_limit            refusal_log;
};

void insert_gate_init(struct insert_gate *g, const struct reserved_list *reserved, const struct attest_key *attest);
/* API_OK, or the error a refusal is answered with (logged here, a few lines
 * a second at most; `peer` names the worker link in the log). */
enum api_error insert_gate_check(struct insert_gate *g, unsigned peer, const struct ipc_insert_request *rq);

#endif
