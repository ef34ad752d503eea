#include "common/kez/chain_store.h"

#include <string.h>

#include "common/base/log.h"

#define HEAD_FORMAT   1
#define HEAD_SIZE     (1 + 4 + 32 + 32 + 8 + 4)
#define EVENT_KEY_LEN (32 + 4)
/* A chain's head sits in the events table under this seq, after its last
 * event: an append's two writes then fall in one leaf most of the time. */
#define HEAD_KEY_SEQ UINT32_MAX
_Static_assert(SIGCHAIN_MAX_SEQ < HEAD_KEY_SEQ, "no event seq may be the head's key");
#define CLAIM_ACTIVE  1
#define CLAIM_REVOKED 0

/* A damaged file would otherwise log at every read of the bad record. */
static bool reported_damage;

static void report_damage(const char *what)
{
	if (reported_damage)
		return;
	reported_damage = true;
	log_error("sigchain store: %s is damaged; further damage is not logged", what);
}

static void put_be(uint8_t *p, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * (bytes - 1 - i)));
}

static uint64_t get_be(const uint8_t *p, int bytes)
{
	uint64_t v = 0;
	for (int i = 0; i < bytes; i++)
		v = v << 8 | p[i];
	return v;
}

static void event_key(const uint8_t chain[32], uint32_t seq, uint8_t out[EVENT_KEY_LEN])
{
	memcpy(out, chain, 32);
	put_be(out + 32, seq, 4);
}

static void encode_head(const struct chain_head *h, uint8_t out[HEAD_SIZE])
{
	out[0] = HEAD_FORMAT;
	put_be(out + 1, h->length, 4);
	memcpy(out + 5, h->head, 32);
	memcpy(out + 37, h->signing_key, 32);
	put_be(out + 69, (uint64_t)h->last_created_at.seconds, 8);
	put_be(out + 77, (uint64_t)h->last_created_at.nanos, 4);
}

static int decode_head(const MDB_val *v, struct chain_head *h)
{
	const uint8_t *p = v->mv_data;
	if (v->mv_size != HEAD_SIZE || p[0] != HEAD_FORMAT)
		return -1;
	h->length = (uint32_t)get_be(p + 1, 4);
	memcpy(h->head, p + 5, 32);
	memcpy(h->signing_key, p + 37, 32);
	h->last_created_at.seconds = (int64_t)get_be(p + 69, 8);
	h->last_created_at.nanos = (int32_t)get_be(p + 77, 4);
	if (h->length < 1 || h->length > SIGCHAIN_MAX_SEQ || h->last_created_at.nanos < 0 ||
	    h->last_created_at.nanos > 999999999)
		return -1;
	return 0;
}

static int lmdb_failed(const char *doing, int rc)
{
	log_error("sigchain store %s: %s", doing, mdb_strerror(rc));
	return -1;
}

int chain_store_head(const struct registry *r, MDB_txn *txn, const uint8_t chain[32], struct chain_head *out)
{
	chain_head_empty(out, chain);
	uint8_t key[EVENT_KEY_LEN];
	event_key(chain, HEAD_KEY_SEQ, key);
	MDB_val k = { sizeof key, key }, v;
	int rc = mdb_get(txn, r->chain_events, &k, &v);
	if (rc == MDB_NOTFOUND) {
		/* registries written before: the head table, until the chain's next append */
		k = (MDB_val){ 32, (void *)chain };
		rc = mdb_get(txn, r->chain_heads, &k, &v);
	}
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc != 0)
		return lmdb_failed("read of a head", rc);
	if (decode_head(&v, out) < 0) {
		chain_head_empty(out, chain);
		report_damage("a chain's head record");
		return -1;
	}
	return 1;
}

/* The value of an events entry: the hash, then at least "{}". */
static int decode_event(const MDB_val *v, uint32_t seq, struct chain_stored_event *out)
{
	if (v->mv_size < SIGCHAIN_HASH_LEN + 2) {
		report_damage("an event record");
		return -1;
	}
	out->seq = seq;
	memcpy(out->hash, v->mv_data, SIGCHAIN_HASH_LEN);
	out->jcs = (const char *)v->mv_data + SIGCHAIN_HASH_LEN;
	out->len = v->mv_size - SIGCHAIN_HASH_LEN;
	return 0;
}

int chain_store_event(const struct registry *r, MDB_txn *txn, const uint8_t chain[32], uint32_t seq,
		      struct chain_stored_event *out)
{
	if (seq < 1 || seq > SIGCHAIN_MAX_SEQ)
		return 0; /* no event has it (the head's key is not an event) */
	uint8_t key[EVENT_KEY_LEN];
	event_key(chain, seq, key);
	MDB_val k = { sizeof key, key }, v;
	int rc = mdb_get(txn, r->chain_events, &k, &v);
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc != 0)
		return lmdb_failed("read of an event", rc);
	return decode_event(&v, seq, out) < 0 ? -1 : 1;
}

long chain_store_page(const struct registry *r, MDB_txn *txn, const uint8_t chain[32], uint32_t after,
		      uint32_t limit, chain_store_visit_fn visit, void *ctx)
{
	if (after >= SIGCHAIN_MAX_SEQ || limit == 0)
		return 0;
	MDB_cursor *cur;
	int rc = mdb_cursor_open(txn, r->chain_events, &cur);
	if (rc != 0)
		return lmdb_failed("page", rc);
	uint8_t key[EVENT_KEY_LEN];
	event_key(chain, after + 1, key);
	MDB_val k = { sizeof key, key }, v;
	long visited = 0;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0 && (uint32_t)visited < limit;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size != EVENT_KEY_LEN || memcmp(k.mv_data, chain, 32) != 0)
			break; /* the next chain's events */
		uint32_t seq = (uint32_t)get_be((const uint8_t *)k.mv_data + 32, 4);
		if (seq > SIGCHAIN_MAX_SEQ)
			break; /* the chain's head, after its last event */
		struct chain_stored_event ev;
		if (decode_event(&v, seq, &ev) < 0 ||
		    visit(ctx, &ev) != 0) {
			visited = -1;
			break;
		}
		visited++;
	}
	if (rc != 0 && rc != MDB_NOTFOUND && visited >= 0)
		visited = lmdb_failed("page", rc);
	mdb_cursor_close(cur);
	return visited;
}

/* The op of stored event `seq`, read back from its JCS: 1 with *op set,
 * 0 no such event, -1 error. Only a revoke asks, so the parse is rare. */
static int stored_op(const struct registry *r, MDB_txn *txn, const uint8_t chain[32], uint32_t seq,
		     enum sigchain_op *op)
{
	struct chain_stored_event stored;
	int rc = chain_store_event(r, txn, chain, seq, &stored);
	if (rc <= 0)
		return rc;
	struct sigchain_event ev;
	sigchain_event_init(&ev);
	const struct sigchain_parse_policy as_stored = { 0 }; /* no path to match, no clock */
	char detail[256];
	enum api_error e = sigchain_event_parse(stored.jcs, stored.len, &as_stored, &ev, detail, sizeof detail);
	bool same = e == API_OK && ev.f.seq == seq && memcmp(ev.f.chain, chain, 32) == 0;
	if (same)
		*op = ev.f.op;
	sigchain_event_free(&ev);
	if (!same) {
		report_damage("an event record");
		return -1;
	}
	return 1;
}

int chain_store_claim(const struct registry *r, MDB_txn *txn, const uint8_t chain[32], uint32_t seq,
		      enum chain_claim *out)
{
	uint8_t key[EVENT_KEY_LEN];
	event_key(chain, seq, key);
	MDB_val k = { sizeof key, key }, v;
	int rc = mdb_get(txn, r->chain_claims, &k, &v);
	*out = CHAIN_CLAIM_NONE;
	if (rc == MDB_NOTFOUND) {
		/* No record: an add no revoke named yet, or no add at all. */
		enum sigchain_op op;
		rc = stored_op(r, txn, chain, seq, &op);
		if (rc > 0 && op == SIGCHAIN_OP_ADD)
			*out = CHAIN_CLAIM_ACTIVE;
		return rc < 0 ? -1 : 0;
	}
	if (rc != 0)
		return lmdb_failed("read of a claim", rc);
	const uint8_t *p = v.mv_data;
	if (v.mv_size != 1 || (p[0] != CLAIM_ACTIVE && p[0] != CLAIM_REVOKED)) {
		report_damage("a claim record");
		return -1;
	}
	*out = p[0] == CLAIM_ACTIVE ? CHAIN_CLAIM_ACTIVE : CHAIN_CLAIM_REVOKED;
	return 0;
}

static enum api_error storage_error(int rc)
{
	if (rc == MDB_MAP_FULL)
		return API_STORAGE_FULL; /* the writer says that one in its own words */
	log_error("sigchain append: %s", mdb_strerror(rc));
	return API_INTERNAL;
}

/* The writes of one append, in `child`: the event, the head, and a
 * revoke's claim record. */
static int put_all(struct registry *r, MDB_txn *child, const struct chain_head *next, const struct sigchain_fields *f,
		   const void *jcs, size_t len)
{
	uint8_t ekey[EVENT_KEY_LEN];
	event_key(f->chain, f->seq, ekey);
	MDB_val k = { sizeof ekey, ekey }, v = { SIGCHAIN_HASH_LEN + len, NULL };
	/* MDB_RESERVE: the value is written in place, no copy of the event. */
	int rc = mdb_put(child, r->chain_events, &k, &v, MDB_NOOVERWRITE | MDB_RESERVE);
	if (rc != 0)
		return rc;
	memcpy(v.mv_data, f->hash, SIGCHAIN_HASH_LEN);
	memcpy((uint8_t *)v.mv_data + SIGCHAIN_HASH_LEN, jcs, len);

	uint8_t head[HEAD_SIZE], hkey[EVENT_KEY_LEN];
	encode_head(next, head);
	event_key(f->chain, HEAD_KEY_SEQ, hkey);
	MDB_val hk = { sizeof hkey, hkey }, hv = { sizeof head, head };
	rc = mdb_put(child, r->chain_events, &hk, &hv, 0);
	if (rc != 0)
		return rc;
	/* A head a registry written before kept in the head table moves with
	 * the chain's first append now (an empty table answers at once). */
	MDB_val old = { 32, (void *)f->chain };
	rc = mdb_del(child, r->chain_heads, &old, NULL);
	if (rc != 0 && rc != MDB_NOTFOUND)
		return rc;
	if (f->op != SIGCHAIN_OP_REVOKE)
		return 0;

	/* Only a revoke writes a claim record: an add's is its event (a third
	 * table's leaf less in every commit of adds). */
	uint8_t ckey[EVENT_KEY_LEN], state = CLAIM_REVOKED;
	event_key(f->chain, f->revoke_seq, ckey);
	MDB_val ck = { sizeof ckey, ckey }, cv = { 1, &state };
	return mdb_put(child, r->chain_claims, &ck, &cv, 0);
}

enum api_error chain_store_append(struct registry *r, MDB_txn *txn, struct chain_head *head,
				  const struct sigchain_fields *f, const void *jcs, size_t len)
{
	if (!txn || !jcs || len < 2 || f->seq != head->length + 1 || memcmp(f->chain, head->chain, 32) != 0)
		return API_INTERNAL; /* the rules were not decided on this head */
	struct chain_head next = *head;
	chain_head_advance(&next, f);
	MDB_txn *child;
	int rc = mdb_txn_begin(r->env, txn, 0, &child);
	if (rc != 0)
		return storage_error(rc);
	rc = put_all(r, child, &next, f, jcs, len);
	if (rc != 0) {
		mdb_txn_abort(child);
		return storage_error(rc);
	}
	rc = mdb_txn_commit(child); /* into the batch; nothing is on disk yet */
	if (rc != 0)
		return storage_error(rc);
	*head = next;
	return API_OK;
}
