/* The registry's LMDB layout: uniqueness and the order of its checks,
 * retries, batches, a full map, damaged records, what a read-only opener in
 * another process sees, and the errors of opening.
 *
 * LMDB forbids opening one environment twice in a process, so the read-only
 * side runs in a child process (struct reader) that the test questions over
 * pipes. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/kez/registry.h"
#include "unit.h"

#define MAP_1M   ((size_t)1 << 20)
#define AT       1779678000 /* 2026-05-25T03:00:00Z */
#define NOBODY   65534

/* ---- a registry file in a fresh temporary directory ---- */

struct tmp_db {
	char dir[64];
	char path[96];
};

static bool tmp_db_make(struct tmp_db *t)
{
	snprintf(t->dir, sizeof t->dir, "/tmp/kez-unit-registry-XXXXXX");
	if (!mkdtemp(t->dir))
		return false;
	snprintf(t->path, sizeof t->path, "%s/r.db", t->dir);
	return true;
}

static void tmp_db_remove(struct tmp_db *t)
{
	char lock[128];
	snprintf(lock, sizeof lock, "%s-lock", t->path);
	unlink(t->path);
	unlink(lock);
	rmdir(t->dir);
}

static bool exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

/* Key number n: 32 bytes that differ for every n. */
static void make_key(unsigned n, uint8_t key[32])
{
	memset(key, 0xa5, 32);
	memcpy(key, &n, sizeof n);
}

static enum api_error insert_in(struct registry *r, MDB_txn *txn, const char *handle, unsigned key_n,
				bool retry, int64_t *at)
{
	uint8_t key[32];
	make_key(key_n, key);
	return registry_insert(r, txn, handle, strlen(handle), key, AT, retry, at);
}

/* One insert in a batch of its own, committed. */
static enum api_error insert_one(struct registry *r, const char *handle, unsigned key_n, int64_t now, bool retry,
				 int64_t *at)
{
	uint8_t key[32];
	make_key(key_n, key);
	MDB_txn *txn;
	if (registry_batch_begin(r, &txn) < 0)
		return API_ERROR_COUNT;
	enum api_error e = registry_insert(r, txn, handle, strlen(handle), key, now, retry, at);
	if (registry_batch_commit(txn) < 0)
		return API_ERROR_COUNT;
	return e;
}

static int find(struct registry *r, const char *handle)
{
	struct registry_record rec;
	memset(&rec, 0, sizeof rec);
	return registry_find_handle(r, handle, strlen(handle), &rec);
}

/* ---- a read-only registry in another process ---- */

struct reader {
	pid_t pid;
	int   ask;    /* questions: "h<handle>\n" or "k<key number>\n" */
	int   answer; /* one byte each: '0' + (find's result + 1); 'E' when the open failed */
};

static void reader_serve(const char *path, size_t map_size, int in, int out)
{
	struct registry r;
	char err[512];
	if (registry_open(&r, path, map_size, false, err, sizeof err) < 0) {
		(void)!write(out, "E", 1);
		_exit(1);
	}
	(void)!write(out, "R", 1);
	FILE *questions = fdopen(in, "r");
	char line[64];
	while (questions && fgets(line, sizeof line, questions)) {
		line[strcspn(line, "\n")] = '\0';
		struct registry_record rec;
		memset(&rec, 0, sizeof rec);
		int found;
		if (line[0] == 'k') {
			uint8_t key[32];
			make_key((unsigned)strtoul(line + 1, NULL, 10), key);
			found = registry_find_key(&r, key, &rec);
		} else {
			found = registry_find_handle(&r, line + 1, strlen(line + 1), &rec);
		}
		char reply = (char)('0' + found + 1);
		if (write(out, &reply, 1) != 1)
			break;
	}
	registry_close(&r);
	_exit(0);
}

/* Forks a process that opens the registry read-only now and answers
 * lookups until reader_stop. */
static bool reader_start(struct reader *rd, const char *path, size_t map_size)
{
	int ask[2], answer[2];
	if (pipe(ask) < 0)
		return false;
	if (pipe(answer) < 0) {
		close(ask[0]);
		close(ask[1]);
		return false;
	}
	fflush(stdout);
	rd->pid = fork();
	if (rd->pid == 0) {
		close(ask[1]);
		close(answer[0]);
		reader_serve(path, map_size, ask[0], answer[1]);
	}
	close(ask[0]);
	close(answer[1]);
	rd->ask = ask[1];
	rd->answer = answer[0];
	char ready = 0;
	return rd->pid > 0 && read(rd->answer, &ready, 1) == 1 && ready == 'R';
}

/* find's result in the reader (1, 0, -1), or -9 when it did not answer. */
static int reader_ask(struct reader *rd, char kind, const char *what)
{
	char line[64];
	int n = snprintf(line, sizeof line, "%c%s\n", kind, what);
	char reply;
	if (write(rd->ask, line, (size_t)n) != n || read(rd->answer, &reply, 1) != 1)
		return -9;
	return reply - '0' - 1;
}

static int reader_find(struct reader *rd, const char *handle)
{
	return reader_ask(rd, 'h', handle);
}

static int reader_find_key(struct reader *rd, unsigned key_n)
{
	char n[16];
	snprintf(n, sizeof n, "%u", key_n);
	return reader_ask(rd, 'k', n);
}

/* True when the reader exited cleanly. */
static bool reader_stop(struct reader *rd)
{
	close(rd->ask);
	close(rd->answer);
	int status = 0;
	return rd->pid > 0 && waitpid(rd->pid, &status, 0) == rd->pid && WIFEXITED(status) &&
	       WEXITSTATUS(status) == 0;
}

/* ---- the cases ---- */

UNIT_TEST(registry_insert_and_find_by_handle_and_key)
{
	struct tmp_db t;
	REQUIRE(tmp_db_make(&t));
	struct registry w;
	char err[256];
	REQUIRE(registry_open(&w, t.path, MAP_1M, true, err, sizeof err) == 0);
	int64_t at = 0;
	CHECK_EQ_INT(insert_one(&w, "alice", 1, AT, false, &at), API_OK);
	CHECK_EQ_INT(at, AT);

	struct registry_record rec;
	memset(&rec, 0, sizeof rec);
	CHECK_EQ_INT(registry_find_handle(&w, "alice", 5, &rec), 1);
	CHECK_EQ_STR(rec.handle, "alice");
	CHECK_EQ_INT(rec.handle_len, 5);
	uint8_t key[32];
	make_key(1, key);
	CHECK_EQ_MEM(rec.primary, key, 32);
	CHECK_EQ_INT(rec.registered_at, AT);

	memset(&rec, 0, sizeof rec);
	CHECK_EQ_INT(registry_find_key(&w, key, &rec), 1);
	CHECK_EQ_STR(rec.handle, "alice");
	CHECK_EQ_MEM(rec.primary, key, 32);
	CHECK_EQ_INT(rec.registered_at, AT);

	make_key(2, key);
	CHECK_EQ_INT(registry_find_key(&w, key, &rec), 0);
	CHECK_EQ_INT(find(&w, "carol"), 0);
	CHECK_EQ_INT(find(&w, "alic"), 0);   /* no prefix matches */
	CHECK_EQ_INT(find(&w, "ALICE"), 0);  /* stored lowercase; callers lowercase first */
	CHECK_EQ_INT(find(&w, "a"), 0);      /* not a handle at all */
	CHECK_EQ_INT(registry_find_handle(&w, "alice", 0, &rec), 0);
	registry_close(&w);
	tmp_db_remove(&t);
}

UNIT_TEST(registry_uniqueness_handle_checked_before_key)
{
	struct tmp_db t;
	REQUIRE(tmp_db_make(&t));
	struct registry w;
	char err[256];
	REQUIRE(registry_open(&w, t.path, MAP_1M, true, err, sizeof err) == 0);
	int64_t at;
	CHECK_EQ_INT(insert_one(&w, "alice", 1, AT, false, &at), API_OK);
	CHECK_EQ_INT(insert_one(&w, "alice", 2, AT, false, &at), API_HANDLE_TAKEN); /* check 14 */
	CHECK_EQ_INT(insert_one(&w, "bob", 1, AT, false, &at), API_KEY_TAKEN);      /* check 15 */
	CHECK_EQ_INT(insert_one(&w, "alice", 1, AT, false, &at), API_HANDLE_TAKEN); /* both: 14 wins */
	/* A refused insert left nothing behind: its handle and key stay free. */
	CHECK_EQ_INT(find(&w, "bob"), 0);
	CHECK_EQ_INT(insert_one(&w, "bob", 2, AT, false, &at), API_OK);
	uint8_t key[32];
	struct registry_record rec;
	memset(&rec, 0, sizeof rec);
	make_key(2, key);
	CHECK_EQ_INT(registry_find_key(&w, key, &rec), 1);
	CHECK_EQ_STR(rec.handle, "bob");
	registry_close(&w);
	tmp_db_remove(&t);
}

UNIT_TEST(registry_retry_finds_its_own_insert)
{
	struct tmp_db t;
	REQUIRE(tmp_db_make(&t));
	struct registry w;
	char err[256];
	REQUIRE(registry_open(&w, t.path, MAP_1M, true, err, sizeof err) == 0);
	int64_t at = 0;
	CHECK_EQ_INT(insert_one(&w, "alice", 1, AT, false, &at), API_OK);
	/* The same handle and key again, flagged as a retry: success, with the
	 * time of the first insert, not the retry's. */
	at = 0;
	CHECK_EQ_INT(insert_one(&w, "alice", 1, AT + 60, true, &at), API_OK);
	CHECK_EQ_INT(at, AT);
	/* Without the flag it is a replay: taken. */
	CHECK_EQ_INT(insert_one(&w, "alice", 1, AT + 60, false, &at), API_HANDLE_TAKEN);
	/* A retry with another key is someone else's handle. */
	CHECK_EQ_INT(insert_one(&w, "alice", 3, AT + 60, true, &at), API_HANDLE_TAKEN);
	/* A retry whose handle is free is a plain insert, key check included. */
	CHECK_EQ_INT(insert_one(&w, "bob", 1, AT + 60, true, &at), API_KEY_TAKEN);
	CHECK_EQ_INT(insert_one(&w, "bob", 2, AT + 60, true, &at), API_OK);
	CHECK_EQ_INT(at, AT + 60);
	struct registry_record rec;
	memset(&rec, 0, sizeof rec);
	CHECK_EQ_INT(registry_find_handle(&w, "alice", 5, &rec), 1);
	CHECK_EQ_INT(rec.registered_at, AT);
	registry_close(&w);
	tmp_db_remove(&t);
}

UNIT_TEST(registry_refuses_what_is_not_a_handle)
{
	struct tmp_db t;
	REQUIRE(tmp_db_make(&t));
	struct registry w;
	char err[256];
	REQUIRE(registry_open(&w, t.path, MAP_1M, true, err, sizeof err) == 0);
	static const char *const bad[] = { "Bad", "ab", "_alice", "-alice", "al ice", "al.ice",
					   "abcdefghijklmnopqrstuvwxyz0123456" /* 33 */ };
	int64_t at;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CHECK_EQ_INT(insert_one(&w, bad[i], 10 + (unsigned)i, AT, false, &at), API_INTERNAL);
	/* bytes after a NUL do not sneak in */
	uint8_t key[32];
	make_key(20, key);
	MDB_txn *txn;
	REQUIRE(registry_batch_begin(&w, &txn) == 0);
	CHECK_EQ_INT(registry_insert(&w, txn, "abc\0def", 7, key, AT, false, &at), API_INTERNAL);
	CHECK_EQ_INT(registry_insert(&w, txn, NULL, 5, key, AT, false, &at), API_INTERNAL);
	CHECK_EQ_INT(registry_insert(&w, txn, "alice", 5, NULL, AT, false, &at), API_INTERNAL);
	registry_batch_abort(txn);
	/* 32 characters is still a handle */
	CHECK_EQ_INT(insert_one(&w, "abcdefghijklmnopqrstuvwxyz012345", 21, AT, false, &at), API_OK);
	registry_close(&w);
	tmp_db_remove(&t);
}

UNIT_TEST(registry_batch_decides_in_order)
{
	struct tmp_db t;
	REQUIRE(tmp_db_make(&t));
	struct registry w;
	char err[256];
	REQUIRE(registry_open(&w, t.path, MAP_1M, true, err, sizeof err) == 0);
	int64_t at;
	CHECK_EQ_INT(insert_one(&w, "zoe", 9, AT, false, &at), API_OK);
	MDB_txn *txn;
	REQUIRE(registry_batch_begin(&w, &txn) == 0);
	CHECK_EQ_INT(insert_in(&w, txn, "dave", 1, false, &at), API_OK);
	CHECK_EQ_INT(insert_in(&w, txn, "dave", 2, false, &at), API_HANDLE_TAKEN); /* taken earlier in the batch */
	CHECK_EQ_INT(insert_in(&w, txn, "erin", 1, false, &at), API_KEY_TAKEN);    /* key taken earlier in the batch */
	CHECK_EQ_INT(insert_in(&w, txn, "erin", 2, false, &at), API_OK);           /* the refusal undid itself */
	CHECK_EQ_INT(insert_in(&w, txn, "zoe", 3, false, &at), API_HANDLE_TAKEN);  /* taken before the batch */
	CHECK_EQ_INT(insert_in(&w, txn, "frank", 9, false, &at), API_KEY_TAKEN);
	CHECK_EQ_INT(insert_in(&w, txn, "frank", 3, false, &at), API_OK);
	REQUIRE(registry_batch_commit(txn) == 0);
	struct registry_record rec;
	memset(&rec, 0, sizeof rec);
	uint8_t key[32];
	CHECK_EQ_INT(registry_find_handle(&w, "dave", 4, &rec), 1);
	make_key(1, key);
	CHECK_EQ_MEM(rec.primary, key, 32);
	CHECK_EQ_INT(registry_find_handle(&w, "erin", 4, &rec), 1);
	make_key(2, key);
	CHECK_EQ_MEM(rec.primary, key, 32);
	make_key(3, key);
	CHECK_EQ_INT(registry_find_key(&w, key, &rec), 1);
	CHECK_EQ_STR(rec.handle, "frank");

	/* An aborted batch leaves nothing. */
	REQUIRE(registry_batch_begin(&w, &txn) == 0);
	CHECK_EQ_INT(insert_in(&w, txn, "gina", 4, false, &at), API_OK);
	registry_batch_abort(txn);
	CHECK_EQ_INT(find(&w, "gina"), 0);
	make_key(4, key);
	CHECK_EQ_INT(registry_find_key(&w, key, &rec), 0);
	registry_close(&w);
	tmp_db_remove(&t);
}

UNIT_TEST(registry_reader_sees_commits_only)
{
	struct tmp_db t;
	REQUIRE(tmp_db_make(&t));
	struct registry w;
	char err[256];
	REQUIRE(registry_open(&w, t.path, MAP_1M, true, err, sizeof err) == 0);
	struct reader rd;
	REQUIRE(reader_start(&rd, t.path, MAP_1M));
	MDB_txn *txn;
	int64_t at;
	REQUIRE(registry_batch_begin(&w, &txn) == 0);
	CHECK_EQ_INT(insert_in(&w, txn, "dave", 1, false, &at), API_OK);
	CHECK_EQ_INT(reader_find(&rd, "dave"), 0); /* in the open batch: not visible */
	CHECK_EQ_INT(reader_find_key(&rd, 1), 0);
	CHECK_EQ_INT(find(&w, "dave"), 0);         /* not even to the writer's own reads */
	REQUIRE(registry_batch_commit(txn) == 0);
	/* The reader opened before the commit; it holds no snapshot between
	 * lookups, so the next one sees it. */
	CHECK_EQ_INT(reader_find(&rd, "dave"), 1);
	CHECK_EQ_INT(reader_find_key(&rd, 1), 1);
	CHECK_EQ_INT(reader_find(&rd, "erin"), 0);
	/* An aborted batch never shows. */
	REQUIRE(registry_batch_begin(&w, &txn) == 0);
	CHECK_EQ_INT(insert_in(&w, txn, "erin", 2, false, &at), API_OK);
	registry_batch_abort(txn);
	CHECK_EQ_INT(reader_find(&rd, "erin"), 0);
	CHECK(reader_stop(&rd));
	registry_close(&w);
	tmp_db_remove(&t);
}

UNIT_TEST(registry_persists_across_reopening)
{
	struct tmp_db t;
	REQUIRE(tmp_db_make(&t));
	struct registry w;
	char err[256];
	REQUIRE(registry_open(&w, t.path, MAP_1M, true, err, sizeof err) == 0);
	int64_t at;
	CHECK_EQ_INT(insert_one(&w, "alice", 1, AT, false, &at), API_OK);
	CHECK_EQ_INT(insert_one(&w, "bob", 2, AT + 1, false, &at), API_OK);
	registry_close(&w);

	struct reader rd;
	REQUIRE(reader_start(&rd, t.path, MAP_1M));
	CHECK_EQ_INT(reader_find(&rd, "alice"), 1);
	CHECK_EQ_INT(reader_find_key(&rd, 2), 1);
	CHECK(reader_stop(&rd));

	/* Reopened read-write: uniqueness still holds against the old records. */
	REQUIRE(registry_open(&w, t.path, MAP_1M, true, err, sizeof err) == 0);
	struct registry_record rec;
	memset(&rec, 0, sizeof rec);
	CHECK_EQ_INT(registry_find_handle(&w, "bob", 3, &rec), 1);
	CHECK_EQ_INT(rec.registered_at, AT + 1);
	CHECK_EQ_INT(insert_one(&w, "alice", 3, AT, false, &at), API_HANDLE_TAKEN);
	CHECK_EQ_INT(insert_one(&w, "carol", 2, AT, false, &at), API_KEY_TAKEN);
	registry_close(&w);
	tmp_db_remove(&t);
}

UNIT_TEST(registry_reader_before_the_tables_exist)
{
	struct tmp_db t;
	REQUIRE(tmp_db_make(&t));
	/* An LMDB file without the registry's tables, as before the writer's
	 * first start. */
	MDB_env *env;
	REQUIRE(mdb_env_create(&env) == 0);
	int rc = mdb_env_open(env, t.path, MDB_NOSUBDIR, 0600);
	mdb_env_close(env);
	REQUIRE(rc == 0);

	struct reader rd;
	REQUIRE(reader_start(&rd, t.path, MAP_1M)); /* opens: an empty registry */
	CHECK_EQ_INT(reader_find(&rd, "alice"), 0);
	CHECK_EQ_INT(reader_find_key(&rd, 1), 0);

	struct registry w;
	char err[256];
	REQUIRE(registry_open(&w, t.path, MAP_1M, true, err, sizeof err) == 0); /* makes the tables */
	CHECK_EQ_INT(reader_find(&rd, "alice"), 0);
	int64_t at;
	CHECK_EQ_INT(insert_one(&w, "alice", 1, AT, false, &at), API_OK);
	CHECK_EQ_INT(reader_find(&rd, "alice"), 1);
	CHECK_EQ_INT(reader_find_key(&rd, 1), 1);
	CHECK_EQ_INT(reader_find(&rd, "bob"), 0);
	CHECK(reader_stop(&rd));
	registry_close(&w);
	tmp_db_remove(&t);
}

UNIT_TEST(registry_reader_follows_a_grown_map)
{
	struct tmp_db t;
	REQUIRE(tmp_db_make(&t));
	struct registry w;
	char err[256];
	const size_t small = 64 * 1024;
	REQUIRE(registry_open(&w, t.path, small, true, err, sizeof err) == 0);
	int64_t at;
	CHECK_EQ_INT(insert_one(&w, "alice", 1, AT, false, &at), API_OK);
	registry_close(&w);
	struct reader rd;
	REQUIRE(reader_start(&rd, t.path, small));
	CHECK_EQ_INT(reader_find(&rd, "alice"), 1);

	/* The writer comes back with a larger map and writes past the reader's. */
	REQUIRE(registry_open(&w, t.path, 4 * MAP_1M, true, err, sizeof err) == 0);
	MDB_txn *txn;
	REQUIRE(registry_batch_begin(&w, &txn) == 0);
	for (unsigned i = 0; i < 3000; i++) {
		char handle[16];
		snprintf(handle, sizeof handle, "user%u", i);
		if (!CHECK_EQ_INT(insert_in(&w, txn, handle, 100 + i, false, &at), API_OK))
			break;
	}
	REQUIRE(registry_batch_commit(txn) == 0);
	MDB_envinfo info;
	MDB_stat stat;
	REQUIRE(mdb_env_info(w.env, &info) == 0 && mdb_env_stat(w.env, &stat) == 0);
	CHECK((info.me_last_pgno + 1) * stat.ms_psize > small); /* past the reader's map */
	CHECK_EQ_INT(reader_find(&rd, "user2999"), 1);
	CHECK_EQ_INT(reader_find(&rd, "alice"), 1);
	CHECK_EQ_INT(reader_find_key(&rd, 100), 1);
	CHECK(reader_stop(&rd));
	registry_close(&w);
	tmp_db_remove(&t);
}

UNIT_TEST(registry_map_full)
{
	struct tmp_db t;
	REQUIRE(tmp_db_make(&t));
	struct registry w;
	char err[256];
	const size_t tiny = 64 * 1024;
	REQUIRE(registry_open(&w, t.path, tiny, true, err, sizeof err) == 0);

	/* One insert a batch until the map takes no more: each says OK and is
	 * durable, or the batch fails with MDB_MAP_FULL (at the insert or at
	 * the commit) and leaves the earlier ones as they were. */
	unsigned stored = 0;
	bool full = false;
	while (!full && stored < 5000) {
		char handle[16];
		snprintf(handle, sizeof handle, "user%u", stored);
		MDB_txn *txn;
		REQUIRE(registry_batch_begin(&w, &txn) == 0);
		int64_t at;
		enum api_error e = insert_in(&w, txn, handle, stored, false, &at);
		if (e == API_STORAGE_FULL) {
			registry_batch_abort(txn);
			full = true;
		} else if (CHECK_EQ_INT(e, API_OK) && registry_batch_commit(txn) < 0) {
			CHECK_EQ_INT(errno, MDB_MAP_FULL);
			full = true;
		} else {
			stored++;
		}
	}
	CHECK(full);
	CHECK(stored > 10);

	/* A batch that does not fit: the insert that finds no room says so
	 * (507 upstream, not 500) and undoes only itself; the transaction stays
	 * usable, and its uniqueness answers stay right. */
	MDB_txn *txn;
	REQUIRE(registry_batch_begin(&w, &txn) == 0);
	enum api_error e = API_OK;
	int64_t at;
	unsigned n = 0;
	for (; n < 5000 && e == API_OK; n++) {
		char handle[16];
		snprintf(handle, sizeof handle, "more%u", n);
		e = insert_in(&w, txn, handle, 10000 + n, false, &at);
	}
	CHECK_EQ_INT(e, API_STORAGE_FULL);
	CHECK_EQ_INT(insert_in(&w, txn, "user0", 20000, false, &at), API_HANDLE_TAKEN);
	CHECK_EQ_INT(insert_in(&w, txn, "zed", 0, false, &at), API_KEY_TAKEN);
	int committed = registry_batch_commit(txn) == 0;
	if (!committed)
		CHECK_EQ_INT(errno, MDB_MAP_FULL);

	/* Whatever happened, the file is whole: every earlier record is there,
	 * the batch is there entirely or not at all. */
	registry_close(&w);
	struct reader rd;
	REQUIRE(reader_start(&rd, t.path, tiny));
	CHECK_EQ_INT(reader_find(&rd, "user0"), 1);
	if (stored > 0) {
		char last[16];
		snprintf(last, sizeof last, "user%u", stored - 1);
		CHECK_EQ_INT(reader_find(&rd, last), 1);
	}
	CHECK_EQ_INT(reader_find(&rd, "more0"), committed);
	CHECK(reader_stop(&rd));
	tmp_db_remove(&t);
}

UNIT_TEST(registry_damaged_records_are_errors)
{
	struct tmp_db t;
	REQUIRE(tmp_db_make(&t));
	struct registry w;
	char err[256];
	REQUIRE(registry_open(&w, t.path, MAP_1M, true, err, sizeof err) == 0);
	int64_t at;
	CHECK_EQ_INT(insert_one(&w, "alice", 1, AT, false, &at), API_OK);
	CHECK_EQ_INT(insert_one(&w, "bob", 2, AT, false, &at), API_OK);

	/* Written past the registry's API, as a damaged or foreign file would be. */
	MDB_txn *txn;
	REQUIRE(mdb_txn_begin(w.env, NULL, 0, &txn) == 0);
	uint8_t future[41] = { 2 }; /* a format version this code does not know */
	uint8_t shortv[5] = { 1 };
	uint8_t key[32];
	MDB_val k1 = { 5, "carol" }, v1 = { sizeof future, future };
	MDB_val k2 = { 4, "dave" }, v2 = { sizeof shortv, shortv };
	make_key(7, key);
	MDB_val k3 = { 32, key }, v3 = { 4, "nope" }; /* a key whose handle is missing */
	uint8_t key8[32];
	make_key(8, key8);
	MDB_val k4 = { 32, key8 }, v4 = { 5, "alice" }; /* a key naming another key's handle */
	uint8_t key9[32];
	make_key(9, key9);
	MDB_val k5 = { 32, key9 }, v5 = { 4, "A\nB!" }; /* a key naming what is no handle */
	int rc = mdb_put(txn, w.handles, &k1, &v1, 0);
	if (rc == 0)
		rc = mdb_put(txn, w.handles, &k2, &v2, 0);
	if (rc == 0)
		rc = mdb_put(txn, w.keys, &k3, &v3, 0);
	if (rc == 0)
		rc = mdb_put(txn, w.keys, &k4, &v4, 0);
	if (rc == 0)
		rc = mdb_put(txn, w.keys, &k5, &v5, 0);
	if (rc != 0)
		mdb_txn_abort(txn);
	REQUIRE(rc == 0 && mdb_txn_commit(txn) == 0);

	struct registry_record rec;
	memset(&rec, 0, sizeof rec);
	CHECK_EQ_INT(registry_find_handle(&w, "carol", 5, &rec), -1);
	CHECK_EQ_INT(registry_find_handle(&w, "dave", 4, &rec), -1);
	CHECK_EQ_INT(registry_find_key(&w, key, &rec), -1);
	CHECK_EQ_INT(registry_find_key(&w, key8, &rec), -1);
	CHECK_EQ_INT(registry_find_key(&w, key9, &rec), -1);
	/* The sound records still read, and the damaged one still blocks its
	 * handle (the writer never overwrites). */
	CHECK_EQ_INT(registry_find_handle(&w, "alice", 5, &rec), 1);
	CHECK_EQ_INT(insert_one(&w, "carol", 30, AT, false, &at), API_HANDLE_TAKEN);
	registry_close(&w);
	tmp_db_remove(&t);
}

/* registry_open's answer for `path`, with the error line in err. */
static int open_error(const char *path, bool writable, char *err, size_t errlen)
{
	struct registry r;
	err[0] = '\0';
	int rc = registry_open(&r, path, MAP_1M, writable, err, errlen);
	if (rc == 0)
		registry_close(&r);
	return rc;
}

UNIT_TEST(registry_open_errors_say_what_is_wrong)
{
	char err[512];
	CHECK_EQ_INT(open_error("/nonexistent-kez-dir/r.db", true, err, sizeof err), -1);
	CHECK(strstr(err, "cannot open registry '/nonexistent-kez-dir/r.db'") == err);
	CHECK(strstr(err, "No such file or directory") != NULL);
	CHECK(strchr(err, '\n') == NULL);

	struct tmp_db t;
	REQUIRE(tmp_db_make(&t));
	char lock[128];
	snprintf(lock, sizeof lock, "%s-lock", t.path);

	/* read-only, and no file yet: an error, and no lock file left behind */
	CHECK_EQ_INT(open_error(t.path, false, err, sizeof err), -1);
	CHECK(strstr(err, "No such file or directory") != NULL);
	CHECK(!exists(lock));

	/* a directory where the file should be */
	REQUIRE(mkdir(t.path, 0700) == 0);
	CHECK_EQ_INT(open_error(t.path, true, err, sizeof err), -1);
	CHECK(strstr(err, "is a directory") != NULL);
	CHECK_EQ_INT(open_error(t.path, false, err, sizeof err), -1);
	CHECK(strstr(err, "is a directory") != NULL);
	rmdir(t.path);

	/* a file that is not LMDB: refused, untouched, no lock file left */
	static const char text[] = "not an lmdb file, only some text that is long enough to be read\n";
	int fd = open(t.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	REQUIRE(fd >= 0);
	CHECK(write(fd, text, sizeof text - 1) == (ssize_t)(sizeof text - 1));
	close(fd);
	CHECK_EQ_INT(open_error(t.path, true, err, sizeof err), -1);
	CHECK(strstr(err, "is not an LMDB file") != NULL);
	CHECK_EQ_INT(open_error(t.path, false, err, sizeof err), -1);
	CHECK(strstr(err, "is not an LMDB file") != NULL);
	CHECK(!exists(lock));
	struct stat st;
	CHECK(stat(t.path, &st) == 0 && st.st_size == (off_t)(sizeof text - 1));
	unlink(t.path);

	/* a registry this user may not read (as root: checked as nobody) */
	struct registry w;
	REQUIRE(registry_open(&w, t.path, MAP_1M, true, err, sizeof err) == 0);
	registry_close(&w);
	CHECK(chmod(t.path, 0) == 0);
	CHECK(chmod(lock, 0) == 0);
	CHECK(chmod(t.dir, 0711) == 0); /* so that the file's own mode is what refuses */
	int pipe_fds[2];
	REQUIRE(pipe(pipe_fds) == 0);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		close(pipe_fds[0]);
		if (geteuid() == 0 && (setgroups(0, NULL) < 0 || setgid(NOBODY) < 0 || setuid(NOBODY) < 0))
			_exit(2);
		int rc = open_error(t.path, false, err, sizeof err);
		(void)!write(pipe_fds[1], err, strlen(err));
		_exit(rc == -1 ? 0 : 1);
	}
	close(pipe_fds[1]);
	char child_err[512] = "";
	ssize_t got = read(pipe_fds[0], child_err, sizeof child_err - 1);
	close(pipe_fds[0]);
	child_err[got > 0 ? got : 0] = '\0';
	int status = 0;
	CHECK(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status));
	CHECK_EQ_INT(WEXITSTATUS(status), 0);
	CHECK(strstr(child_err, "Permission denied") != NULL);
	CHECK(strstr(child_err, t.path) != NULL);
	tmp_db_remove(&t);
}
