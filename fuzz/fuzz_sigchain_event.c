/* Sigchain events on arbitrary bytes: the whole input as one event (rows
 * 3–13), and its lines as a chain, through rows 14–21 twice (in memory, as
 * kezctl show and verify-file check, and the writer's rules over LMDB),
 * which must agree. A parsed event's stored bytes (JCS) parse again to the
 * same fields and hash, and the fields survive their wire form: what the
 * writer receives is what the verifier checked. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/kez/chain_rules.h"
#include "common/kez/chain_verify.h"
#include "common/kez/key_text.h"
#include "common/kez/registry.h"
#include "common/kez/sigchain_event.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_round_trips(const struct sigchain_event *ev, enum api_error verified)
{
	uint8_t wire[SIGCHAIN_FIELDS_WIRE_LEN], wire2[SIGCHAIN_FIELDS_WIRE_LEN];
	struct sigchain_fields back;
	sigchain_fields_encode(&ev->f, wire);
	if (sigchain_fields_decode(wire, &back) < 0)
		abort();
	sigchain_fields_encode(&back, wire2);
	if (memcmp(wire, wire2, sizeof wire) != 0)
		abort();

	struct sigchain_parse_policy p = { .check_clock = false };
	struct sigchain_event again;
	char detail[256];
	sigchain_event_init(&again);
	if (sigchain_event_parse(ev->event_jcs.data, ev->event_jcs.len, &p, &again, detail, sizeof detail) != API_OK)
		abort();
	sigchain_fields_encode(&again.f, wire2);
	if (memcmp(wire, wire2, sizeof wire) != 0 || again.payload_jcs.len != ev->payload_jcs.len ||
	    memcmp(again.payload_jcs.data, ev->payload_jcs.data, ev->payload_jcs.len) != 0)
		abort();
	if (sigchain_event_verify(&again, detail, sizeof detail) != verified)
		abort();
	sigchain_event_free(&again);
}

static void one_event(const char *text, size_t size)
{
	/* the clock row too, at a fixed instant (2100-01-01): only a lead fails it */
	struct sigchain_parse_policy p = { .check_clock = true, .now = 4102444800 };
	struct sigchain_event ev;
	char detail[256];
	sigchain_event_init(&ev);
	enum api_error e = sigchain_event_parse(text, size, &p, &ev, detail, sizeof detail);
	if (e == API_OK) {
		enum api_error v = sigchain_event_verify(&ev, detail, sizeof detail);
		if (v != API_OK && v != API_INVALID_SIGNATURE)
			abort();
		check_round_trips(&ev, v);
	}
	sigchain_event_free(&ev);
}

/* The writer's tables, in a temporary directory made once; each input
 * works in one write transaction that is aborted, so inputs never meet. */
static struct registry db;
static char db_dir[] = "/tmp/kez-fuzz-chain-XXXXXX";
static char db_path[sizeof db_dir + 8];

static void remove_db(void)
{
	char lock[sizeof db_path + 8];
	registry_close(&db);
	snprintf(lock, sizeof lock, "%s-lock", db_path);
	unlink(db_path);
	unlink(lock);
	rmdir(db_dir);
}

static void open_db(void)
{
	char err[256];
	if (!mkdtemp(db_dir))
		abort();
	snprintf(db_path, sizeof db_path, "%s/r.db", db_dir);
	if (registry_open(&db, db_path, 64u << 20, true, err, sizeof err) < 0)
		abort();
	atexit(remove_db);
}

static bool same_head(const struct chain_head *a, const struct chain_head *b)
{
	return memcmp(a->chain, b->chain, 32) == 0 && a->length == b->length &&
	       memcmp(a->head, b->head, SIGCHAIN_HASH_LEN) == 0 && memcmp(a->signing_key, b->signing_key, 32) == 0 &&
	       sigchain_instant_compare(a->last_created_at, b->last_created_at) == 0;
}

/* The lines as one chain, checked twice: in memory (chain_verify, as
 * kezctl checks) and by the writer's rules over LMDB (chain_rules); the two
 * must give every line the same verdict and end at the same head. */
static void as_chain(const char *text, size_t size)
{
	static const struct chain_policy policy = { .max_length = SIGCHAIN_MAX_SEQ };
	struct chain_verify v;
	struct sigchain_event ev, mem_ev;
	char detail[256], hex[65];
	uint32_t accepted = 0;
	MDB_txn *txn;
	if (registry_batch_begin(&db, &txn) < 0)
		abort();
	chain_verify_init(&v, NULL);
	sigchain_event_init(&ev);
	sigchain_event_init(&mem_ev);
	for (size_t at = 0; at < size;) {
		const char *end = memchr(text + at, '\n', size - at);
		size_t n = end ? (size_t)(end - (text + at)) : size - at;
		at += n + 1;

		/* rows 3-13 as the verifier runs them for this chain's path */
		struct sigchain_parse_policy pp = { .check_clock = false };
		if (v.named) {
			hex_encode(v.head.chain, 32, hex);
			pp.chain_hex = hex;
			pp.chain_hex_len = 64;
		}
		enum api_error e = sigchain_event_parse(text + at - n - 1, n, &pp, &ev, detail, sizeof detail);
		if (e == API_OK)
			e = sigchain_event_verify(&ev, detail, sizeof detail);
		enum api_error mem = chain_verify_next(&v, text + at - n - 1, n, &mem_ev, detail, sizeof detail);
		if (e != API_OK) {
			if (mem != e)
				abort();
			break;
		}
		struct chain_outcome out;
		enum api_error disk = chain_rules_append(&db, txn, &ev.f, ev.event_jcs.data, ev.event_jcs.len, &policy,
							 &out, detail, sizeof detail);
		if (disk == API_OK && out.identical)
			break; /* row 14: a stored event again, which memory calls a conflict */
		if (disk != mem)
			abort();
		if (mem != API_OK)
			break;
		accepted++;
		/* an accepted event extends the head by one, to its own hash */
		if (v.head.length != accepted || memcmp(v.head.head, ev.f.hash, SIGCHAIN_HASH_LEN) != 0 ||
		    !same_head(&v.head, &out.head))
			abort();
		if (ev.f.op == SIGCHAIN_OP_ADD && chain_verify_claim(&v, ev.f.seq) != CHAIN_CLAIM_ACTIVE)
			abort();
	}
	registry_batch_abort(txn);
	sigchain_event_free(&ev);
	sigchain_event_free(&mem_ev);
	chain_verify_free(&v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!db.env)
		open_db();
	one_event((const char *)data, size);
	as_chain((const char *)data, size);
	return 0;
}
