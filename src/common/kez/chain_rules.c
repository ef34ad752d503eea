#include "common/kez/chain_rules.h"

#include <stdio.h>
#include <string.h>

#include "common/base/log.h"
#include "common/kez/chain_store.h"

struct claim_ctx {
	const struct registry *r;
	MDB_txn               *txn;
	const uint8_t         *chain;
};

static int claim_in_store(void *ctx, uint32_t seq, enum chain_claim *out)
{
	const struct claim_ctx *c = ctx;
	return chain_store_claim(c->r, c->txn, c->chain, seq, out);
}

static enum api_error fail(char *detail, size_t cap, enum api_error e, const char *text)
{
	if (cap)
		snprintf(detail, cap, "%s", text);
	return e;
}

enum api_error chain_rules_decide(const struct registry *r, MDB_txn *txn, const struct sigchain_fields *f,
				  const struct chain_policy *p, struct chain_outcome *out, char *detail, size_t cap)
{
	if (cap)
		detail[0] = '\0';
	out->identical = false;
	if (chain_store_head(r, txn, f->chain, &out->head) < 0)
		return fail(detail, cap, API_INTERNAL, "the chain could not be read");

	/* 14: a retried POST is harmless */
	struct chain_stored_event stored;
	int found = f->seq <= out->head.length ? chain_store_event(r, txn, f->chain, f->seq, &stored) : 0;
	if (found < 0)
		return fail(detail, cap, API_INTERNAL, "the chain could not be read");
	if (found && memcmp(stored.hash, f->hash, sizeof stored.hash) == 0) {
		out->identical = true;
		return API_OK;
	}

	/* 15 to 19 */
	struct claim_ctx ctx = { r, txn, f->chain };
	enum api_error e = chain_state_check(&out->head, f, claim_in_store, &ctx, detail, cap);
	if (e != API_OK)
		return e;

	/* 20 */
	if (out->head.length >= p->max_length) {
		if (cap)
			snprintf(detail, cap, "this chain holds %u events, as many as this server allows", out->head.length);
		return API_CHAIN_FULL;
	}

	/* 21: the keys table is the registry's own, in the same transaction */
	if (p->registered_only) {
		MDB_val k = { 32, (void *)f->chain }, v;
		int rc = mdb_get(txn, r->keys, &k, &v);
		if (rc == MDB_NOTFOUND)
			return fail(detail, cap, API_NOT_REGISTERED,
				    "payload.chain is not the primary key of a handle registered on this server");
		if (rc != 0) {
			log_error("sigchain rules: reading the keys table: %s", mdb_strerror(rc));
			return fail(detail, cap, API_INTERNAL, "the registry could not be read");
		}
	}
	return API_OK;
}

enum api_error chain_rules_append(struct registry *r, MDB_txn *txn, const struct sigchain_fields *f,
				  const void *jcs, size_t len, const struct chain_policy *p, struct chain_outcome *out,
				  char *detail, size_t cap)
{
	enum api_error e = chain_rules_decide(r, txn, f, p, out, detail, cap);
	if (e != API_OK || out->identical)
		return e;
	e = chain_store_append(r, txn, &out->head, f, jcs, len);
	if (e == API_STORAGE_FULL)
		return fail(detail, cap, e, "the registry is full; the operator must raise its size");
	if (e != API_OK)
		return fail(detail, cap, e, "the event could not be stored");
	return API_OK;
}
