/* The chain rules (rows 14–21) and the chain store, on a real LMDB file in a
 * temporary directory: every row, rotations, revokes, batches, pages, and a
 * read-only reader in another process. */
#include <jansson.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/kez/chain_rules.h"
#include "common/kez/chain_store.h"
#include "common/kez/registry.h"
#include "sigchain_fixture.h"
#include "unit.h"

#define MAP_4M ((size_t)4 << 20)

struct rig {
	char               dir[64], path[96];
	struct registry    r;
	struct chain_policy policy;
	struct buf         text;
	char               detail[256];
	struct chain_outcome out;
};

static bool rig_open(struct rig *g, size_t map_size)
{
	memset(g, 0, sizeof *g);
	snprintf(g->dir, sizeof g->dir, "/tmp/kez-unit-chain-XXXXXX");
	if (!mkdtemp(g->dir))
		return false;
	snprintf(g->path, sizeof g->path, "%s/r.db", g->dir);
	char err[256];
	if (registry_open(&g->r, g->path, map_size, true, err, sizeof err) < 0) {
		unit_fail(__FILE__, __LINE__, "%s", err);
		return false;
	}
	g->policy = (struct chain_policy){ .max_length = 10000, .registered_only = false };
	buf_init(&g->text, SC_MAX);
	return true;
}

static void rig_close(struct rig *g)
{
	registry_close(&g->r);
	buf_free(&g->text);
	char lock[128];
	snprintf(lock, sizeof lock, "%s-lock", g->path);
	unlink(g->path);
	unlink(lock);
	rmdir(g->dir);
}

/* g->text through rows 3–13 and then 14–21 in a batch of its own. */
static enum api_error post_text(struct rig *g)
{
	struct sigchain_event ev;
	sigchain_event_init(&ev);
	struct sigchain_parse_policy p = { .chain_hex = NULL, .check_clock = false };
	enum api_error e = sigchain_event_parse(g->text.data, g->text.len, &p, &ev, g->detail, sizeof g->detail);
	if (e == API_OK)
		e = sigchain_event_verify(&ev, g->detail, sizeof g->detail);
	MDB_txn *txn;
	if (e == API_OK && registry_batch_begin(&g->r, &txn) == 0) {
		e = chain_rules_append(&g->r, txn, &ev.f, ev.event_jcs.data, ev.event_jcs.len, &g->policy, &g->out,
				       g->detail, sizeof g->detail);
		if (registry_batch_commit(txn) < 0)
			e = API_ERROR_COUNT;
	} else if (e == API_OK) {
		e = API_ERROR_COUNT;
	}
	sigchain_event_free(&ev);
	return e;
}

/* Builds and posts one event of `chain`, signed by `signer`, at
 * 10:00:00 + `ms` milliseconds, with the given prev (NULL: null). */
static enum api_error post(struct rig *g, const struct sc_key *signer, const struct sc_key *chain, uint32_t seq,
			   const uint8_t *prev, enum sigchain_op op, int ms, json_t *body)
{
	char when[40];
	snprintf(when, sizeof when, "2026-12-01T10:00:%02d.%03dZ", ms / 1000, ms % 1000);
	if (sc_event(&g->text, signer, chain->pub, seq, prev, op, when, body) < 0)
		return API_ERROR_COUNT;
	return post_text(g);
}

static json_t *add_body(const char *subject)
{
	return json_pack("{s:s}", "subject", subject);
}

static json_t *revoke_body(int seq)
{
	return json_pack("{s:i}", "seq", seq);
}

static json_t *rotate_body(const struct sc_key *k)
{
	return json_pack("{s:s}", "new_key", k->text);
}

#define EXPECT(call, want)                                                                                     \
	do {                                                                                                    \
		enum api_error got_ = (call);                                                                   \
		if (got_ != (want))                                                                             \
			unit_fail(__FILE__, __LINE__, "%s: %s (%s), expected %s", #call,                        \
				  got_ < API_ERROR_COUNT ? api_error_info(got_)->code : "test failure", g.detail, \
				  api_error_info(want)->code);                                                  \
	} while (0)

static int count_visit(void *ctx, const struct chain_stored_event *ev)
{
	uint32_t *seqs = ctx;
	seqs[++seqs[0]] = ev->seq;
	return 0;
}

UNIT_TEST(chain_rules_append_read_and_identical)
{
	struct rig g;
	REQUIRE(rig_open(&g, MAP_4M));
	struct sc_key a;
	sc_key_make(1, &a);
	EXPECT(post(&g, &a, &a, 1, NULL, SIGCHAIN_OP_ADD, 0, add_body("github:a")), API_OK);
	CHECK(!g.out.identical);
	CHECK_EQ_INT(g.out.head.length, 1);
	uint8_t h1[32];
	memcpy(h1, g.out.head.head, 32);
	char first[2048];
	REQUIRE(g.text.len < sizeof first);
	memcpy(first, g.text.data, g.text.len + 1);

	EXPECT(post(&g, &a, &a, 2, h1, SIGCHAIN_OP_ADD, 1, add_body("dns:a.example")), API_OK);
	uint8_t h2[32];
	memcpy(h2, g.out.head.head, 32);
	EXPECT(post(&g, &a, &a, 3, h2, SIGCHAIN_OP_REVOKE, 2, revoke_body(1)), API_OK);
	CHECK_EQ_INT(g.out.head.length, 3);

	/* 14: the very same event again is 200, nothing written */
	struct chain_head before = g.out.head;
	memcpy(g.text.data, first, strlen(first) + 1);
	g.text.len = strlen(first);
	EXPECT(post_text(&g), API_OK);
	CHECK(g.out.identical);
	CHECK_EQ_INT(g.out.head.length, 3);
	CHECK_EQ_MEM(g.out.head.head, before.head, 32);

	/* reads in a read-only snapshot, as the workers do */
	MDB_txn *txn;
	REQUIRE(registry_read_begin(&g.r, &txn) == 1);
	struct chain_head h;
	CHECK_EQ_INT(chain_store_head(&g.r, txn, a.pub, &h), 1);
	CHECK_EQ_INT(h.length, 3);
	CHECK_EQ_MEM(h.head, before.head, 32);
	CHECK_EQ_MEM(h.signing_key, a.pub, 32);
	struct chain_stored_event se;
	CHECK_EQ_INT(chain_store_event(&g.r, txn, a.pub, 1, &se), 1);
	CHECK(se.len == strlen(first) && memcmp(se.jcs, first, se.len) == 0);
	CHECK_EQ_MEM(se.hash, h1, 32);
	CHECK_EQ_INT(chain_store_event(&g.r, txn, a.pub, 4, &se), 0);
	uint32_t seqs[8] = { 0 };
	CHECK_EQ_INT(chain_store_page(&g.r, txn, a.pub, 0, 2, count_visit, seqs), 2);
	CHECK(seqs[0] == 2 && seqs[1] == 1 && seqs[2] == 2);
	seqs[0] = 0;
	CHECK_EQ_INT(chain_store_page(&g.r, txn, a.pub, 1, 1000, count_visit, seqs), 2);
	CHECK(seqs[1] == 2 && seqs[2] == 3);
	CHECK_EQ_INT(chain_store_page(&g.r, txn, a.pub, 3, 1000, count_visit, seqs), 0);
	CHECK_EQ_INT(chain_store_page(&g.r, txn, a.pub, SIGCHAIN_MAX_SEQ, 1000, count_visit, seqs), 0);
	enum chain_claim c;
	CHECK(chain_store_claim(&g.r, txn, a.pub, 1, &c) == 0 && c == CHAIN_CLAIM_REVOKED);
	CHECK(chain_store_claim(&g.r, txn, a.pub, 2, &c) == 0 && c == CHAIN_CLAIM_ACTIVE);
	CHECK(chain_store_claim(&g.r, txn, a.pub, 3, &c) == 0 && c == CHAIN_CLAIM_NONE);
	struct sc_key b;
	sc_key_make(2, &b);
	CHECK_EQ_INT(chain_store_head(&g.r, txn, b.pub, &h), 0);
	CHECK(h.length == 0 && memcmp(h.signing_key, b.pub, 32) == 0);
	registry_read_end(&g.r);
	rig_close(&g);
}

UNIT_TEST(chain_rules_rows_15_to_17)
{
	struct rig g;
	REQUIRE(rig_open(&g, MAP_4M));
	struct sc_key a, b;
	sc_key_make(1, &a);
	sc_key_make(2, &b);
	uint8_t zero[32] = { 0 };

	/* 15 on an empty chain: only seq 1; 409 reports length 0 */
	EXPECT(post(&g, &a, &a, 2, zero, SIGCHAIN_OP_ADD, 0, add_body("x:y")), API_SEQ_CONFLICT);
	CHECK_EQ_INT(g.out.head.length, 0);
	/* 16 on an empty chain: the chain's own key signs event 1 */
	EXPECT(post(&g, &b, &a, 1, NULL, SIGCHAIN_OP_ADD, 0, add_body("x:y")), API_WRONG_SIGNING_KEY);
	CHECK_EQ_MEM(g.out.head.signing_key, a.pub, 32);

	EXPECT(post(&g, &a, &a, 1, NULL, SIGCHAIN_OP_ADD, 500, add_body("x:y")), API_OK);
	uint8_t h1[32];
	memcpy(h1, g.out.head.head, 32);
	/* 15: another event at a stored seq, a gap, a wrong prev */
	EXPECT(post(&g, &a, &a, 1, NULL, SIGCHAIN_OP_ADD, 600, add_body("x:y")), API_SEQ_CONFLICT);
	CHECK_EQ_INT(g.out.head.length, 1);
	CHECK_EQ_MEM(g.out.head.head, h1, 32);
	EXPECT(post(&g, &a, &a, 3, h1, SIGCHAIN_OP_ADD, 600, add_body("x:y")), API_SEQ_CONFLICT);
	EXPECT(post(&g, &a, &a, 2, zero, SIGCHAIN_OP_ADD, 600, add_body("x:y")), API_SEQ_CONFLICT);
	/* 15 before 16 and 17 */
	EXPECT(post(&g, &b, &a, 3, h1, SIGCHAIN_OP_ADD, 0, add_body("x:y")), API_SEQ_CONFLICT);
	/* 16 before 17 */
	EXPECT(post(&g, &b, &a, 2, h1, SIGCHAIN_OP_ADD, 0, add_body("x:y")), API_WRONG_SIGNING_KEY);
	CHECK_EQ_MEM(g.out.head.signing_key, a.pub, 32);
	/* 17: earlier by a fraction of a second; an equal instant is fine */
	EXPECT(post(&g, &a, &a, 2, h1, SIGCHAIN_OP_ADD, 499, add_body("x:y")), API_TIMESTAMP_REGRESSION);
	/* 17 before 18 */
	EXPECT(post(&g, &a, &a, 2, h1, SIGCHAIN_OP_REVOKE, 0, revoke_body(5)), API_TIMESTAMP_REGRESSION);
	EXPECT(post(&g, &a, &a, 2, h1, SIGCHAIN_OP_ADD, 500, add_body("x:z")), API_OK);
	CHECK_EQ_INT(g.out.head.length, 2);
	rig_close(&g);
}

UNIT_TEST(chain_rules_revokes)
{
	struct rig g;
	REQUIRE(rig_open(&g, MAP_4M));
	struct sc_key a, b;
	sc_key_make(1, &a);
	sc_key_make(2, &b);
	uint8_t h[32];
	EXPECT(post(&g, &a, &a, 1, NULL, SIGCHAIN_OP_ADD, 0, add_body("x:1")), API_OK);     /* 1 add */
	memcpy(h, g.out.head.head, 32);
	EXPECT(post(&g, &a, &a, 2, h, SIGCHAIN_OP_ADD, 0, add_body("x:2")), API_OK);        /* 2 add */
	memcpy(h, g.out.head.head, 32);
	EXPECT(post(&g, &a, &a, 3, h, SIGCHAIN_OP_ROTATE, 0, rotate_body(&b)), API_OK);     /* 3 rotate */
	memcpy(h, g.out.head.head, 32);
	EXPECT(post(&g, &b, &a, 4, h, SIGCHAIN_OP_REVOKE, 0, revoke_body(1)), API_OK);      /* 4 revoke 1 */
	memcpy(h, g.out.head.head, 32);
	/* twice, of a revoke, of a rotate, of itself, of a later seq */
	EXPECT(post(&g, &b, &a, 5, h, SIGCHAIN_OP_REVOKE, 0, revoke_body(1)), API_INVALID_REVOKE);
	EXPECT(post(&g, &b, &a, 5, h, SIGCHAIN_OP_REVOKE, 0, revoke_body(4)), API_INVALID_REVOKE);
	EXPECT(post(&g, &b, &a, 5, h, SIGCHAIN_OP_REVOKE, 0, revoke_body(3)), API_INVALID_REVOKE);
	EXPECT(post(&g, &b, &a, 5, h, SIGCHAIN_OP_REVOKE, 0, revoke_body(5)), API_INVALID_REVOKE);
	EXPECT(post(&g, &b, &a, 5, h, SIGCHAIN_OP_REVOKE, 0, revoke_body(6)), API_INVALID_REVOKE);
	/* 16 before 18: the old key may not even try */
	EXPECT(post(&g, &a, &a, 5, h, SIGCHAIN_OP_REVOKE, 0, revoke_body(2)), API_WRONG_SIGNING_KEY);
	CHECK_EQ_MEM(g.out.head.signing_key, b.pub, 32);
	EXPECT(post(&g, &b, &a, 5, h, SIGCHAIN_OP_REVOKE, 0, revoke_body(2)), API_OK);
	memcpy(h, g.out.head.head, 32);
	/* a claim added again after its revoke is a new add, revocable */
	EXPECT(post(&g, &b, &a, 6, h, SIGCHAIN_OP_ADD, 0, add_body("x:1")), API_OK);
	memcpy(h, g.out.head.head, 32);
	EXPECT(post(&g, &b, &a, 7, h, SIGCHAIN_OP_REVOKE, 0, revoke_body(6)), API_OK);
	CHECK_EQ_INT(g.out.head.length, 7);
	rig_close(&g);
}

/* Entries of one table, read in a transaction of their own. */
static long table_entries(struct rig *g, MDB_dbi table)
{
	MDB_txn *txn;
	if (registry_read_begin(&g->r, &txn) != 1)
		return -1;
	MDB_stat st;
	long n = mdb_stat(txn, table, &st) == 0 ? (long)st.ms_entries : -1;
	registry_read_end(&g->r);
	return n;
}

static long claim_records(struct rig *g)
{
	return table_entries(g, g->r.chain_claims);
}

/* Writes `value` under event `seq`'s key of `table` in a batch of its own. */
static bool put_record(struct rig *g, MDB_dbi table, const uint8_t chain[32], uint32_t seq, const void *value,
		       size_t len)
{
	uint8_t key[36];
	memcpy(key, chain, 32);
	for (int i = 0; i < 4; i++)
		key[32 + i] = (uint8_t)(seq >> (24 - 8 * i));
	MDB_txn *txn;
	if (registry_batch_begin(&g->r, &txn) != 0)
		return false;
	MDB_val k = { sizeof key, key }, v = { len, (void *)value };
	if (mdb_put(txn, table, &k, &v, 0) != 0) {
		mdb_txn_abort(txn);
		return false;
	}
	return registry_batch_commit(txn) == 0;
}

/* Adds 1..n to a's chain, each after the one before: whether all were stored. */
static bool posts_adds(struct rig *g, struct sc_key *a, uint32_t n)
{
	uint8_t h[32];
	if (post(g, a, a, 1, NULL, SIGCHAIN_OP_ADD, 0, add_body("x:1")) != API_OK)
		return false;
	for (uint32_t seq = 2; seq <= n; seq++) {
		memcpy(h, g->out.head.head, 32);
		if (post(g, a, a, seq, h, SIGCHAIN_OP_ADD, 0, add_body("x:n")) != API_OK)
			return false;
	}
	return true;
}

UNIT_TEST(chain_rules_claim_records)
{
	struct rig g;
	REQUIRE(rig_open(&g, MAP_4M));
	struct sc_key a;
	sc_key_make(1, &a);
	uint8_t h[32];
	REQUIRE(posts_adds(&g, &a, 4));
	/* an add writes its event only */
	CHECK_EQ_INT(claim_records(&g), 0);

	/* as a registry written before keeps it: an add's record saying active */
	const uint8_t active = 1;
	REQUIRE(put_record(&g, g.r.chain_claims, a.pub, 2, &active, 1));
	memcpy(h, g.out.head.head, 32);
	EXPECT(post(&g, &a, &a, 5, h, SIGCHAIN_OP_REVOKE, 0, revoke_body(2)), API_OK);
	memcpy(h, g.out.head.head, 32);
	EXPECT(post(&g, &a, &a, 6, h, SIGCHAIN_OP_REVOKE, 0, revoke_body(2)), API_INVALID_REVOKE);
	EXPECT(post(&g, &a, &a, 6, h, SIGCHAIN_OP_REVOKE, 0, revoke_body(1)), API_OK);
	CHECK_EQ_INT(claim_records(&g), 2);
	MDB_txn *txn;
	REQUIRE(registry_read_begin(&g.r, &txn) == 1);
	enum chain_claim c;
	CHECK(chain_store_claim(&g.r, txn, a.pub, 1, &c) == 0 && c == CHAIN_CLAIM_REVOKED);
	CHECK(chain_store_claim(&g.r, txn, a.pub, 2, &c) == 0 && c == CHAIN_CLAIM_REVOKED);
	CHECK(chain_store_claim(&g.r, txn, a.pub, 3, &c) == 0 && c == CHAIN_CLAIM_ACTIVE);
	CHECK(chain_store_claim(&g.r, txn, a.pub, 5, &c) == 0 && c == CHAIN_CLAIM_NONE);
	CHECK(chain_store_claim(&g.r, txn, a.pub, 7, &c) == 0 && c == CHAIN_CLAIM_NONE);
	registry_read_end(&g.r);

	/* an event record that no longer parses: refused as internal, chain unchanged */
	uint8_t damaged[32 + 2] = { 0 };
	memcpy(damaged + 32, "{}", 2);
	REQUIRE(put_record(&g, g.r.chain_events, a.pub, 3, damaged, sizeof damaged));
	memcpy(h, g.out.head.head, 32);
	EXPECT(post(&g, &a, &a, 7, h, SIGCHAIN_OP_REVOKE, 0, revoke_body(3)), API_INTERNAL);
	EXPECT(post(&g, &a, &a, 7, h, SIGCHAIN_OP_REVOKE, 0, revoke_body(4)), API_OK);
	CHECK_EQ_INT(g.out.head.length, 7);
	rig_close(&g);
}

/* Moves the chain's head record from the events table into the head table,
 * where registries written before kept it. */
static bool move_head_back(struct rig *g, const uint8_t chain[32])
{
	uint8_t key[36];
	memcpy(key, chain, 32);
	memset(key + 32, 0xff, 4);
	MDB_txn *txn;
	if (registry_batch_begin(&g->r, &txn) != 0)
		return false;
	MDB_val k = { sizeof key, key }, v, ok = { 32, (void *)chain };
	uint8_t head[128];
	bool moved = mdb_get(txn, g->r.chain_events, &k, &v) == 0 && v.mv_size <= sizeof head;
	if (moved) {
		memcpy(head, v.mv_data, v.mv_size);
		MDB_val hv = { v.mv_size, head };
		moved = mdb_del(txn, g->r.chain_events, &k, NULL) == 0 && mdb_put(txn, g->r.chain_heads, &ok, &hv, 0) == 0;
	}
	if (!moved) {
		mdb_txn_abort(txn);
		return false;
	}
	return registry_batch_commit(txn) == 0;
}

UNIT_TEST(chain_rules_heads_in_events)
{
	struct rig g;
	REQUIRE(rig_open(&g, MAP_4M));
	struct sc_key a;
	sc_key_make(1, &a);
	uint8_t h[32];
	REQUIRE(posts_adds(&g, &a, 3));
	/* the head is the events table's fourth entry, and no event */
	CHECK_EQ_INT(table_entries(&g, g.r.chain_heads), 0);
	CHECK_EQ_INT(table_entries(&g, g.r.chain_events), 4);
	MDB_txn *txn;
	REQUIRE(registry_read_begin(&g.r, &txn) == 1);
	struct chain_head head;
	struct chain_stored_event ev;
	CHECK(chain_store_head(&g.r, txn, a.pub, &head) == 1 && head.length == 3);
	CHECK_EQ_INT(chain_store_event(&g.r, txn, a.pub, UINT32_MAX, &ev), 0);
	CHECK_EQ_INT(chain_store_event(&g.r, txn, a.pub, SIGCHAIN_MAX_SEQ + 1, &ev), 0);
	CHECK_EQ_INT(chain_store_event(&g.r, txn, a.pub, 3, &ev), 1);
	uint32_t seqs[8] = { 0 };
	CHECK_EQ_INT(chain_store_page(&g.r, txn, a.pub, 0, 5, count_visit, seqs), 3);
	CHECK(seqs[0] == 3 && seqs[1] == 1 && seqs[3] == 3);
	seqs[0] = 0;
	CHECK_EQ_INT(chain_store_page(&g.r, txn, a.pub, 3, 5, count_visit, seqs), 0);
	registry_read_end(&g.r);

	/* as a registry written before keeps it: read from the head table,
	 * moved into the events table by the chain's next append */
	REQUIRE(move_head_back(&g, a.pub));
	CHECK_EQ_INT(table_entries(&g, g.r.chain_heads), 1);
	REQUIRE(registry_read_begin(&g.r, &txn) == 1);
	CHECK(chain_store_head(&g.r, txn, a.pub, &head) == 1 && head.length == 3);
	registry_read_end(&g.r);
	memcpy(h, g.out.head.head, 32);
	EXPECT(post(&g, &a, &a, 3, h, SIGCHAIN_OP_ADD, 0, add_body("x:n")), API_SEQ_CONFLICT);
	EXPECT(post(&g, &a, &a, 4, h, SIGCHAIN_OP_ADD, 0, add_body("x:n")), API_OK);
	CHECK_EQ_INT(table_entries(&g, g.r.chain_heads), 0);
	CHECK_EQ_INT(table_entries(&g, g.r.chain_events), 5);
	REQUIRE(registry_read_begin(&g.r, &txn) == 1);
	CHECK(chain_store_head(&g.r, txn, a.pub, &head) == 1 && head.length == 4);
	registry_read_end(&g.r);
	rig_close(&g);
}

UNIT_TEST(chain_rules_rotations)
{
	struct rig g;
	REQUIRE(rig_open(&g, MAP_4M));
	struct sc_key a, b, c;
	sc_key_make(1, &a);
	sc_key_make(2, &b);
	sc_key_make(3, &c);
	uint8_t h[32];
	EXPECT(post(&g, &a, &a, 1, NULL, SIGCHAIN_OP_ROTATE, 0, rotate_body(&a)), API_INVALID_EVENT); /* 19 */
	EXPECT(post(&g, &a, &a, 1, NULL, SIGCHAIN_OP_ROTATE, 0, rotate_body(&b)), API_OK);
	memcpy(h, g.out.head.head, 32);
	CHECK_EQ_MEM(g.out.head.signing_key, b.pub, 32);
	/* the chain keeps its name; the new key signs */
	EXPECT(post(&g, &a, &a, 2, h, SIGCHAIN_OP_ADD, 0, add_body("x:1")), API_WRONG_SIGNING_KEY);
	EXPECT(post(&g, &b, &a, 2, h, SIGCHAIN_OP_ROTATE, 0, rotate_body(&b)), API_INVALID_EVENT);    /* 19 */
	EXPECT(post(&g, &b, &a, 2, h, SIGCHAIN_OP_ADD, 0, add_body("x:1")), API_OK);
	memcpy(h, g.out.head.head, 32);
	EXPECT(post(&g, &b, &a, 3, h, SIGCHAIN_OP_ROTATE, 0, rotate_body(&c)), API_OK);
	memcpy(h, g.out.head.head, 32);
	EXPECT(post(&g, &b, &a, 4, h, SIGCHAIN_OP_ADD, 0, add_body("x:2")), API_WRONG_SIGNING_KEY);
	/* back to the first key: it is not the current one */
	EXPECT(post(&g, &c, &a, 4, h, SIGCHAIN_OP_ROTATE, 0, rotate_body(&a)), API_OK);
	memcpy(h, g.out.head.head, 32);
	EXPECT(post(&g, &a, &a, 5, h, SIGCHAIN_OP_ADD, 0, add_body("x:3")), API_OK);
	MDB_txn *txn;
	REQUIRE(registry_read_begin(&g.r, &txn) == 1);
	struct chain_head head;
	CHECK_EQ_INT(chain_store_head(&g.r, txn, a.pub, &head), 1);
	CHECK_EQ_INT(head.length, 5);
	CHECK_EQ_MEM(head.signing_key, a.pub, 32);
	registry_read_end(&g.r);
	rig_close(&g);
}

UNIT_TEST(chain_rules_length_and_policy)
{
	struct rig g;
	REQUIRE(rig_open(&g, MAP_4M));
	struct sc_key a, b;
	sc_key_make(1, &a);
	sc_key_make(2, &b);
	g.policy.max_length = 2;
	g.policy.registered_only = true;

	/* 21: not registered; then registered, and appends go */
	EXPECT(post(&g, &a, &a, 1, NULL, SIGCHAIN_OP_ADD, 0, add_body("x:1")), API_NOT_REGISTERED);
	MDB_txn *txn;
	int64_t at;
	REQUIRE(registry_batch_begin(&g.r, &txn) == 0);
	CHECK_EQ_INT(registry_insert(&g.r, txn, "alice", 5, a.pub, SC_NOW, false, &at), API_OK);
	REQUIRE(registry_batch_commit(txn) == 0);
	EXPECT(post(&g, &a, &a, 1, NULL, SIGCHAIN_OP_ADD, 0, add_body("x:1")), API_OK);
	uint8_t h[32];
	memcpy(h, g.out.head.head, 32);
	EXPECT(post(&g, &a, &a, 2, h, SIGCHAIN_OP_ADD, 0, add_body("x:2")), API_OK);
	char second[2048];
	memcpy(second, g.text.data, g.text.len + 1);
	memcpy(h, g.out.head.head, 32);
	/* 20, and 20 before 21 */
	EXPECT(post(&g, &a, &a, 3, h, SIGCHAIN_OP_ADD, 0, add_body("x:3")), API_CHAIN_FULL);
	EXPECT(post(&g, &b, &b, 1, NULL, SIGCHAIN_OP_ADD, 0, add_body("x:3")), API_NOT_REGISTERED);
	g.policy.max_length = 0;
	EXPECT(post(&g, &b, &b, 1, NULL, SIGCHAIN_OP_ADD, 0, add_body("x:3")), API_CHAIN_FULL);
	g.policy.max_length = 2;
	/* 14 before 20: a retry of the last event of a full chain is still 200 */
	memcpy(g.text.data, second, strlen(second) + 1);
	g.text.len = strlen(second);
	EXPECT(post_text(&g), API_OK);
	CHECK(g.out.identical);
	/* 15 before 20 */
	EXPECT(post(&g, &a, &a, 4, h, SIGCHAIN_OP_ADD, 0, add_body("x:3")), API_SEQ_CONFLICT);
	rig_close(&g);
}

UNIT_TEST(chain_rules_batches_and_chains)
{
	struct rig g;
	REQUIRE(rig_open(&g, MAP_4M));
	struct sc_key a, b;
	sc_key_make(1, &a);
	sc_key_make(2, &b);
	struct buf t1, t2;
	buf_init(&t1, SC_MAX);
	buf_init(&t2, SC_MAX);
	struct sigchain_event e1, e2;
	sigchain_event_init(&e1);
	sigchain_event_init(&e2);
	struct sigchain_parse_policy p = { 0 };
	REQUIRE(sc_event(&t1, &a, a.pub, 1, NULL, SIGCHAIN_OP_ADD, SC_NOW_TXT, add_body("x:1")) == 0);
	REQUIRE(sigchain_event_parse(t1.data, t1.len, &p, &e1, g.detail, sizeof g.detail) == API_OK);
	REQUIRE(sc_event(&t2, &a, a.pub, 2, e1.f.hash, SIGCHAIN_OP_ADD, SC_NOW_TXT, add_body("x:2")) == 0);
	REQUIRE(sigchain_event_parse(t2.data, t2.len, &p, &e2, g.detail, sizeof g.detail) == API_OK);

	/* one transaction, two appends: the second sees the first; an aborted
	 * batch leaves nothing */
	MDB_txn *txn;
	REQUIRE(registry_batch_begin(&g.r, &txn) == 0);
	CHECK_EQ_INT(chain_rules_append(&g.r, txn, &e1.f, e1.event_jcs.data, e1.event_jcs.len, &g.policy, &g.out,
					g.detail, sizeof g.detail), API_OK);
	CHECK_EQ_INT(chain_rules_append(&g.r, txn, &e2.f, e2.event_jcs.data, e2.event_jcs.len, &g.policy, &g.out,
					g.detail, sizeof g.detail), API_OK);
	CHECK_EQ_INT(g.out.head.length, 2);
	registry_batch_abort(txn);
	REQUIRE(registry_batch_begin(&g.r, &txn) == 0);
	struct chain_head h;
	CHECK_EQ_INT(chain_store_head(&g.r, txn, a.pub, &h), 0);
	CHECK_EQ_INT(chain_rules_append(&g.r, txn, &e1.f, e1.event_jcs.data, e1.event_jcs.len, &g.policy, &g.out,
					g.detail, sizeof g.detail), API_OK);
	CHECK_EQ_INT(chain_rules_append(&g.r, txn, &e2.f, e2.event_jcs.data, e2.event_jcs.len, &g.policy, &g.out,
					g.detail, sizeof g.detail), API_OK);
	/* the store refuses an append its head does not allow */
	CHECK_EQ_INT(chain_store_append(&g.r, txn, &h, &e2.f, e2.event_jcs.data, e2.event_jcs.len), API_INTERNAL);
	REQUIRE(registry_batch_commit(txn) == 0);

	/* another chain beside it: pages never cross chains */
	EXPECT(post(&g, &b, &b, 1, NULL, SIGCHAIN_OP_ADD, 0, add_body("x:b")), API_OK);
	REQUIRE(registry_read_begin(&g.r, &txn) == 1);
	uint32_t seqs[8] = { 0 };
	CHECK_EQ_INT(chain_store_page(&g.r, txn, a.pub, 0, 1000, count_visit, seqs), 2);
	seqs[0] = 0;
	CHECK_EQ_INT(chain_store_page(&g.r, txn, b.pub, 0, 1000, count_visit, seqs), 1);
	registry_read_end(&g.r);

	/* a worker's read-only handle in another process sees the chain */
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		struct registry ro;
		char err[256];
		int ok = registry_open(&ro, g.path, MAP_4M, false, err, sizeof err) == 0;
		MDB_txn *rt;
		struct chain_head rh;
		ok = ok && registry_read_begin(&ro, &rt) == 1 && chain_store_head(&ro, rt, a.pub, &rh) == 1 &&
		     rh.length == 2 && memcmp(rh.head, e2.f.hash, 32) == 0;
		_exit(ok ? 0 : 1);
	}
	int status = -1;
	CHECK(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
	sigchain_event_free(&e1);
	sigchain_event_free(&e2);
	buf_free(&t1);
	buf_free(&t2);
	rig_close(&g);
}

UNIT_TEST(chain_rules_map_full)
{
	struct rig g;
	REQUIRE(rig_open(&g, (size_t)64 << 10));
	struct sc_key a;
	sc_key_make(1, &a);
	char *pad = malloc(4001);
	REQUIRE(pad);
	memset(pad, 'p', 4000);
	pad[4000] = '\0';
	uint8_t h[32];
	enum api_error e = API_OK;
	uint32_t seq = 1;
	for (; seq <= 64 && e == API_OK; seq++) {
		e = post(&g, &a, &a, seq, seq == 1 ? NULL : h, SIGCHAIN_OP_ADD, 0,
			 json_pack("{s:s, s:s}", "subject", "x:y", "pad", pad));
		memcpy(h, g.out.head.head, 32);
	}
	CHECK_EQ_INT(e, API_STORAGE_FULL);
	/* the failed append left the chain as it was */
	MDB_txn *txn;
	REQUIRE(registry_read_begin(&g.r, &txn) == 1);
	struct chain_head head;
	CHECK_EQ_INT(chain_store_head(&g.r, txn, a.pub, &head), seq > 2 ? 1 : 0);
	CHECK_EQ_INT(head.length, seq - 2);
	registry_read_end(&g.r);
	free(pad);
	rig_close(&g);
}
