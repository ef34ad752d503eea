#include "common/kez/chain_state.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/kez/key_text.h"

void chain_head_empty(struct chain_head *h, const uint8_t chain[32])
{
	memset(h, 0, sizeof *h);
	memcpy(h->chain, chain, 32);
	memcpy(h->signing_key, chain, 32);
}

void chain_head_advance(struct chain_head *h, const struct sigchain_fields *f)
{
	h->length = f->seq;
	memcpy(h->head, f->hash, sizeof h->head);
	h->last_created_at = f->created_at;
	if (f->op == SIGCHAIN_OP_ROTATE)
		memcpy(h->signing_key, f->new_key, sizeof h->signing_key);
}

static enum api_error say(char *detail, size_t cap, enum api_error e, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static enum api_error say(char *detail, size_t cap, enum api_error e, const char *fmt, ...)
{
	if (cap) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(detail, cap, fmt, ap);
		va_end(ap);
	}
	return e;
}

enum api_error chain_state_check(const struct chain_head *h, const struct sigchain_fields *f, chain_claim_fn claim_of,
				 void *ctx, char *detail, size_t cap)
{
	if (cap)
		detail[0] = '\0';

	/* 15 */
	if (f->seq != h->length + 1)
		return say(detail, cap, API_SEQ_CONFLICT, "payload.seq is %u but the chain has %u events: the next seq is %u",
			   f->seq, h->length, h->length + 1);
	if (h->length > 0 && (!f->has_prev || memcmp(f->prev, h->head, sizeof h->head) != 0)) {
		char head[SIGCHAIN_HASH_TEXT_LEN + 1];
		sigchain_hash_format(h->head, head);
		return say(detail, cap, API_SEQ_CONFLICT, "payload.prev is not the chain's head %s", head);
	}

	/* 16 */
	if (memcmp(f->signing_key, h->signing_key, sizeof h->signing_key) != 0) {
		char key[KEY_TEXT_LEN + 1];
		key_text_format(h->signing_key, key);
		return say(detail, cap, API_WRONG_SIGNING_KEY, "event %u must be signed by the chain's signing key %s",
			   f->seq, key);
	}

	/* 17: as instants, fractions included */
	if (h->length > 0 && sigchain_instant_compare(f->created_at, h->last_created_at) < 0)
		return say(detail, cap, API_TIMESTAMP_REGRESSION, "payload.created_at is earlier than event %u's",
			   h->length);

	/* 18 */
	if (f->op == SIGCHAIN_OP_REVOKE) {
		if (f->revoke_seq >= f->seq)
			return say(detail, cap, API_INVALID_REVOKE, "body.seq %u does not name an earlier event", f->revoke_seq);
		enum chain_claim claim;
		if (claim_of(ctx, f->revoke_seq, &claim) < 0)
			return say(detail, cap, API_INTERNAL, "the chain could not be read");
		if (claim == CHAIN_CLAIM_NONE)
			return say(detail, cap, API_INVALID_REVOKE, "event %u is not an add", f->revoke_seq);
		if (claim == CHAIN_CLAIM_REVOKED)
			return say(detail, cap, API_INVALID_REVOKE, "event %u is already revoked", f->revoke_seq);
	}

	/* 19 */
	if (f->op == SIGCHAIN_OP_ROTATE && memcmp(f->new_key, h->signing_key, sizeof h->signing_key) == 0)
		return say(detail, cap, API_INVALID_EVENT, "body.new_key is already the chain's signing key");
	return API_OK;
}
