#include "writer/chain_append.h"

#include <stdlib.h>
#include <string.h>

#include "common/base/clock.h"
#include "common/base/log.h"

#define REFUSAL_LOG_MS    1000
#define REFUSAL_LOG_LINES 5

void append_gate_init(struct append_gate *g, const struct attest_key *attest, uint32_t max_length,
		      bool registered_only)
{
	g->attest = attest;
	g->policy = (struct chain_policy){ .max_length = max_length, .registered_only = registered_only };
	g->refusal_log = (struct log_limit)LOG_LIMIT_INIT(REFUSAL_LOG_MS, REFUSAL_LOG_LINES);
}

static void refuse(struct append_gate *g, unsigned peer, struct chain_append *a, const char *why)
{
	a->reply.error = API_FORBIDDEN;
	unsigned long held_back = 0;
	if (log_limit_allow(&g->refusal_log, monotonic_ms(), &held_back))
		log_warn("refused a sigchain append from worker link %u: %s; nothing stored%s", peer + 1, why,
			 held_back ? " (more refusals were not logged)" : "");
}

struct chain_append *chain_append_take(struct append_gate *g, unsigned peer, const void *body, size_t len)
{
	struct chain_append *a = calloc(1, sizeof *a);
	if (!a)
		return NULL;
	struct ipc_append_request rq;
	memcpy(&rq, body, sizeof rq);
	a->len = len - sizeof rq;
	a->jcs = malloc(a->len);
	if (!a->jcs) {
		free(a);
		return NULL;
	}
	memcpy(a->jcs, (const char *)body + sizeof rq, a->len);
	if (!attest_append_check(g->attest, rq.fields, sizeof rq.fields, a->jcs, a->len, rq.mac))
		refuse(g, peer, a, "no valid attestation from the verifier");
	else if (sigchain_fields_decode(rq.fields, &a->f) < 0)
		refuse(g, peer, a, "attested fields out of range");
	else
		a->reply.error = API_OK;
	return a;
}

enum api_error chain_append_apply(struct append_gate *g, struct registry *r, MDB_txn *txn, struct chain_append *a)
{
	struct chain_outcome out;
	memset(&out, 0, sizeof out);
	char detail[IPC_DETAIL_MAX] = "";
	enum api_error e = txn ? chain_rules_append(r, txn, &a->f, a->jcs, a->len, &g->policy, &out, detail,
						    sizeof detail)
			       : API_INTERNAL;
	struct ipc_append_reply *rp = &a->reply;
	memset(rp, 0, sizeof *rp);
	rp->error = (uint32_t)e;
	rp->identical = out.identical;
	rp->length = out.head.length;
	rp->has_head = out.head.length > 0;
	memcpy(rp->head, out.head.head, sizeof rp->head);
	memcpy(rp->signing_key, out.head.signing_key, sizeof rp->signing_key);
	memcpy(rp->detail, detail, sizeof rp->detail);
	rp->detail[sizeof rp->detail - 1] = '\0';
	return e;
}

void chain_append_free(struct chain_append *a)
{
	if (!a)
		return;
	free(a->jcs);
	free(a);
}
