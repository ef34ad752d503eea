#include "common/kez/chain_verify.h"

#include <stdlib.h>
#include <string.h>

#include "common/kez/key_text.h"

void chain_verify_init(struct chain_verify *v, const uint8_t *chain)
{
	memset(v, 0, sizeof *v);
	if (chain) {
		v->named = true;
		chain_head_empty(&v->head, chain);
	}
}

void chain_verify_free(struct chain_verify *v)
{
	free(v->claims);
	memset(v, 0, sizeof *v);
}

enum chain_claim chain_verify_claim(const struct chain_verify *v, uint32_t seq)
{
	return seq <= v->head.length && seq < v->claims_cap ? (enum chain_claim)v->claims[seq] : CHAIN_CLAIM_NONE;
}

static int claim_in_memory(void *ctx, uint32_t seq, enum chain_claim *out)
{
	*out = chain_verify_claim(ctx, seq);
	return 0;
}

/* Room for claims[seq]. 0, or -1. */
static int reserve_claims(struct chain_verify *v, uint32_t seq)
{
	if (seq < v->claims_cap)
		return 0;
	size_t cap = v->claims_cap ? v->claims_cap : 64;
	while (cap <= seq)
		cap *= 2;
	uint8_t *p = realloc(v->claims, cap);
	if (!p)
		return -1;
	memset(p + v->claims_cap, CHAIN_CLAIM_NONE, cap - v->claims_cap);
	v->claims = p;
	v->claims_cap = cap;
	return 0;
}

enum api_error chain_verify_next(struct chain_verify *v, const char *text, size_t len, struct sigchain_event *ev,
				 char *detail, size_t cap)
{
	char hex[65];
	struct sigchain_parse_policy policy = { .check_clock = false };
	if (v->named) {
		hex_encode(v->head.chain, 32, hex);
		policy.chain_hex = hex;
		policy.chain_hex_len = 64;
	}
	enum api_error e = sigchain_event_parse(text, len, &policy, ev, detail, cap);
	if (e == API_OK)
		e = sigchain_event_verify(ev, detail, cap);
	if (e != API_OK)
		return e;
	if (!v->named) {
		v->named = true;
		chain_head_empty(&v->head, ev->f.chain);
	}
	e = chain_state_check(&v->head, &ev->f, claim_in_memory, v, detail, cap);
	if (e != API_OK)
		return e;
	if (reserve_claims(v, ev->f.seq) < 0)
		return API_INTERNAL;
	if (ev->f.op == SIGCHAIN_OP_ADD)
		v->claims[ev->f.seq] = CHAIN_CLAIM_ACTIVE;
	else if (ev->f.op == SIGCHAIN_OP_REVOKE)
		v->claims[ev->f.revoke_seq] = CHAIN_CLAIM_REVOKED;
	chain_head_advance(&v->head, &ev->f);
	return API_OK;
}
