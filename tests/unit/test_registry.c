/* The registry's LMDB layout: uniqueness and the order of its checks,
 * retries, batches, a full map, damaged records, what a read-only opener in
 * another process sees, and the errors of opening.
 *
 * LMDB forbids opening one environment twice in a process, so the read-only
 * side runs in a child process (struct reader) that the test questions over
 * pipes. */
#include <errno.h>
#include <dirent.h>
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

/* Whatever a case left in the directory (the file, its lock, a directory
 * standing where the file should be), then the directory. */
static void tmp_db_remove(struct tmp_db *t)
{
	DIR *d = opendir(t->dir);
	struct dirent *e;
	while (d && (e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		char path[sizeof t->dir + sizeof e->d_name + 1];
		snprintf(path, sizeof path, "%s/%s", t->dir, e->d_name);
		if (unlink(path) < 0 && rmdir(path) < 0)
			unit_fail(__FILE__, __LINE__, "cannot remove %s", path);
	}
	if (d)
		closedir(d);
	if (rmdir(t->dir) < 0)
		unit_fail(__FILE__, __LINE__, "cannot remove %s", t->dir);
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

/* ---- the fixture: a temporary directory, the registry, maybe a reader and
 * an open batch, torn down when the case ends (after a failed REQUIRE too) ---- */

struct fixture {
	struct tmp_db   t;
	struct registry w;
	bool            open;    /* w is open */
	MDB_txn        *txn;     /* the batch in progress, or NULL */
	struct reader   rd;
	bool            reading; /* rd was forked and not yet stopped */
};

static void fixture_teardown(void *arg)
{
	struct fixture *f = arg;
	if (f->txn)
		registry_batch_abort(f->txn);
	if (f->reading)
		(void)reader_stop(&f->rd); /* a case that cares has stopped it and checked */
	if (f->open)
		registry_close(&f->w);
	tmp_db_remove(&f->t);
	free(f);
}

/* A fresh directory with nothing in it yet; NULL (a failure recorded) when
 * it cannot be made. */
static struct fixture *fixture_dir(void)
{
	struct fixture *f = calloc(1, sizeof *f);
	if (!f) {
		unit_fail(__FILE__, __LINE__, "out of memory");
		return NULL;
	}
	if (!tmp_db_make(&f->t)) {
		unit_fail(__FILE__, __LINE__, "mkdtemp: %s", strerror(errno));
		free(f);
		return NULL;
	}
	if (!unit_defer(fixture_teardown, f)) {
		fixture_teardown(f);
		return NULL;
	}
	return f;
}

static bool fixture_open(struct fixture *f, size_t map_size)
{
	char err[256];
	if (registry_open(&f->w, f->t.path, map_size, true, err, sizeof err) < 0) {
		unit_fail(__FILE__, __LINE__, "%s", err);
		return false;
	}
	f->open = true;
	return true;
}

static void fixture_close(struct fixture *f)
{
	registry_close(&f->w);
	f->open = false;
}

/* A fresh directory with the registry opened read-write in it. */
static struct fixture *fixture_new(size_t map_size)
{
	struct fixture *f = fixture_dir();
	return f && fixture_open(f, map_size) ? f : NULL;
}

static bool fixture_reader_start(struct fixture *f, size_t map_size)
{
	bool ok = reader_start(&f->rd, f->t.path, map_size);
	f->reading = f->rd.pid > 0;
	return ok;
}

static bool fixture_reader_stop(struct fixture *f)
{
	f->reading = false;
	return reader_stop(&f->rd);
}

static bool batch_begin(struct fixture *f)
{
	if (registry_batch_begin(&f->w, &f->txn) == 0)
		return true;
	f->txn = NULL;
	return false;
}

/* LMDB frees the transaction whether the commit succeeds or not. */
static bool batch_commit(struct fixture *f)
{
	MDB_txn *txn = f->txn;
	f->txn = NULL;
	return txn && registry_batch_commit(txn) == 0;
}

static void batch_abort(struct fixture *f)
{
	if (f->txn)
		registry_batch_abort(f->txn);
	f->txn = NULL;
}

/* ---- cases written as steps ---- */

enum op {
	INSERT,          /* handle, key: in a batch of its own, committed; want an api_error */
	IN_BATCH,        /* the same in the open batch */
	BEGIN,           /* a batch; want 0 */
	COMMIT,          /* the open batch; want 0 */
	ABORT,           /* the open batch */
	FIND,            /* handle: want find's result; a record found has that handle, and key and at when given */
	FIND_KEY,        /* key: the same; a record found has that key, and handle and at when given */
	READER_FIND,     /* handle, in the reader process */
	READER_FIND_KEY, /* key, in the reader process */
};

struct step {
	int         line;
	enum op     op;
	const char *handle;
	unsigned    key;  /* key number (make_key); 0: not checked in FIND */
	int         want;
	int64_t     at;   /* inserts: the registered_at told; finds: the record's; 0: not checked */
	int64_t     now;  /* inserts: the clock, AT when 0 */
	bool        retry;
};

#define S(...) { .line = __LINE__, __VA_ARGS__ }
#define RUN(f, steps) run_steps(f, steps, sizeof steps / sizeof steps[0])

static void check_record(const struct step *s, const struct registry_record *rec)
{
	uint8_t key[32];
	make_key(s->key, key);
	if (s->handle && (rec->handle_len != strlen(s->handle) || strcmp(rec->handle, s->handle) != 0))
		unit_fail(__FILE__, s->line, "the record's handle is \"%s\" (%zu bytes), expected \"%s\"", rec->handle,
			  rec->handle_len, s->handle);
	else if (s->key && memcmp(rec->primary, key, 32) != 0)
		unit_fail(__FILE__, s->line, "the record's key is not key %u", s->key);
	else if (s->at && rec->registered_at != s->at)
		unit_fail(__FILE__, s->line, "the record's time is %lld, expected %lld", (long long)rec->registered_at,
			  (long long)s->at);
}

static void run_step(struct fixture *f, const struct step *s)
{
	int64_t now = s->now ? s->now : AT, at = 0;
	uint8_t key[32];
	make_key(s->key, key);
	struct registry_record rec;
	memset(&rec, 0, sizeof rec);
	int got = 0;
	bool insert = s->op == INSERT || s->op == IN_BATCH;
	switch (s->op) {
	case INSERT: got = insert_one(&f->w, s->handle, s->key, now, s->retry, &at); break;
	case IN_BATCH:
		got = f->txn ? registry_insert(&f->w, f->txn, s->handle, strlen(s->handle), key, now, s->retry, &at)
			     : API_ERROR_COUNT;
		break;
	case BEGIN: got = batch_begin(f) ? 0 : -1; break;
	case COMMIT: got = batch_commit(f) ? 0 : -1; break;
	case ABORT: batch_abort(f); break;
	case FIND: got = registry_find_handle(&f->w, s->handle, strlen(s->handle), &rec); break;
	case FIND_KEY: got = registry_find_key(&f->w, key, &rec); break;
	case READER_FIND: got = f->reading ? reader_find(&f->rd, s->handle) : -9; break;
	case READER_FIND_KEY: got = f->reading ? reader_find_key(&f->rd, s->key) : -9; break;
	}
	if (got != s->want) {
		if (insert)
			unit_fail(__FILE__, s->line, "insert \"%s\" with key %u: %s, expected %s", s->handle, s->key,
				  api_error_info(got)->code, api_error_info(s->want)->code);
		else
			unit_fail(__FILE__, s->line, "got %d, expected %d", got, s->want);
		return;
	}
	if (insert && s->at && at != s->at)
		unit_fail(__FILE__, s->line, "insert told %lld, expected %lld", (long long)at, (long long)s->at);
	if ((s->op == FIND || s->op == FIND_KEY) && got == 1)
		check_record(s, &rec);
}

static void run_steps(struct fixture *f, const struct step *steps, size_t n)
{
	for (size_t i = 0; i < n; i++)
		run_step(f, &steps[i]);
}

/* ---- the cases ---- */

UNIT_TEST(registry_insert_and_find_by_handle_and_key)
{
	struct fixture *f = fixture_new(MAP_1M);
	REQUIRE(f);
	static const struct step steps[] = {
		S(INSERT, "alice", 1, API_OK, .at = AT),
		S(FIND, "alice", 1, 1, .at = AT),
		S(FIND_KEY, "alice", 1, 1, .at = AT),
		S(FIND_KEY, NULL, 2, 0),
		S(FIND, "carol", 0, 0),
		S(FIND, "alic", 0, 0),  /* no prefix matches */
		S(FIND, "ALICE", 0, 0), /* stored lowercase; callers lowercase first */
		S(FIND, "a", 0, 0),     /* not a handle at all */
	};
	RUN(f, steps);
	struct registry_record rec;
	memset(&rec, 0, sizeof rec);
	CHECK_EQ_INT(registry_find_handle(&f->w, "alice", 0, &rec), 0);
}

UNIT_TEST(registry_uniqueness_handle_checked_before_key)
{
	struct fixture *f = fixture_new(MAP_1M);
	REQUIRE(f);
	static const struct step steps[] = {
		S(INSERT, "alice", 1, API_OK),
		S(INSERT, "alice", 2, API_HANDLE_TAKEN), /* check 14 */
		S(INSERT, "bob", 1, API_KEY_TAKEN),      /* check 15 */
		S(INSERT, "alice", 1, API_HANDLE_TAKEN), /* both: 14 wins */
		/* A refused insert left nothing behind: its handle and key stay free. */
		S(FIND, "bob", 0, 0),
		S(INSERT, "bob", 2, API_OK),
		S(FIND_KEY, "bob", 2, 1),
	};
	RUN(f, steps);
}

UNIT_TEST(registry_retry_finds_its_own_insert)
{
	struct fixture *f = fixture_new(MAP_1M);
	REQUIRE(f);
	static const struct step steps[] = {
		S(INSERT, "alice", 1, API_OK, .at = AT),
		/* The same handle and key again, flagged as a retry: success, with
		 * the time of the first insert, not the retry's. */
		S(INSERT, "alice", 1, API_OK, .at = AT, .now = AT + 60, .retry = true),
		/* Without the flag it is a replay: taken. */
		S(INSERT, "alice", 1, API_HANDLE_TAKEN, .now = AT + 60),
		/* A retry with another key is someone else's handle. */
		S(INSERT, "alice", 3, API_HANDLE_TAKEN, .now = AT + 60, .retry = true),
		/* A retry whose handle is free is a plain insert, key check included. */
		S(INSERT, "bob", 1, API_KEY_TAKEN, .now = AT + 60, .retry = true),
		S(INSERT, "bob", 2, API_OK, .at = AT + 60, .now = AT + 60, .retry = true),
		S(FIND, "alice", 1, 1, .at = AT),
	};
	RUN(f, steps);
}

UNIT_TEST(registry_refuses_what_is_not_a_handle)
{
	struct fixture *f = fixture_new(MAP_1M);
	REQUIRE(f);
	static const struct step steps[] = {
		S(INSERT, "Bad", 10, API_INTERNAL),
		S(INSERT, "ab", 11, API_INTERNAL),
		S(INSERT, "_alice", 12, API_INTERNAL),
		S(INSERT, "-alice", 13, API_INTERNAL),
		S(INSERT, "al ice", 14, API_INTERNAL),
		S(INSERT, "al.ice", 15, API_INTERNAL),
		S(INSERT, "abcdefghijklmnopqrstuvwxyz0123456" /* 33 */, 16, API_INTERNAL),
		/* 32 characters is still a handle */
		S(INSERT, "abcdefghijklmnopqrstuvwxyz012345", 21, API_OK),
	};
	RUN(f, steps);
	/* bytes after a NUL do not sneak in; nor do missing arguments */
	uint8_t key[32];
	make_key(20, key);
	int64_t at;
	REQUIRE(batch_begin(f));
	CHECK_EQ_INT(registry_insert(&f->w, f->txn, "abc\0def", 7, key, AT, false, &at), API_INTERNAL);
	CHECK_EQ_INT(registry_insert(&f->w, f->txn, NULL, 5, key, AT, false, &at), API_INTERNAL);
	CHECK_EQ_INT(registry_insert(&f->w, f->txn, "alice", 5, NULL, AT, false, &at), API_INTERNAL);
	batch_abort(f);
}

UNIT_TEST(registry_batch_decides_in_order)
{
	struct fixture *f = fixture_new(MAP_1M);
	REQUIRE(f);
	static const struct step steps[] = {
		S(INSERT, "zoe", 9, API_OK),
		S(BEGIN),
		S(IN_BATCH, "dave", 1, API_OK),
		S(IN_BATCH, "dave", 2, API_HANDLE_TAKEN), /* taken earlier in the batch */
		S(IN_BATCH, "erin", 1, API_KEY_TAKEN),    /* key taken earlier in the batch */
		S(IN_BATCH, "erin", 2, API_OK),           /* the refusal undid itself */
		S(IN_BATCH, "zoe", 3, API_HANDLE_TAKEN),  /* taken before the batch */
		S(IN_BATCH, "frank", 9, API_KEY_TAKEN),
		S(IN_BATCH, "frank", 3, API_OK),
		S(COMMIT),
		S(FIND, "dave", 1, 1),
		S(FIND, "erin", 2, 1),
		S(FIND_KEY, "frank", 3, 1),
		/* An aborted batch leaves nothing. */
		S(BEGIN),
		S(IN_BATCH, "gina", 4, API_OK),
		S(ABORT),
		S(FIND, "gina", 0, 0),
		S(FIND_KEY, NULL, 4, 0),
	};
	RUN(f, steps);
}

UNIT_TEST(registry_reader_sees_commits_only)
{
	struct fixture *f = fixture_new(MAP_1M);
	REQUIRE(f);
	REQUIRE(fixture_reader_start(f, MAP_1M));
	static const struct step steps[] = {
		S(BEGIN),
		S(IN_BATCH, "dave", 1, API_OK),
		S(READER_FIND, "dave", 0, 0), /* in the open batch: not visible */
		S(READER_FIND_KEY, NULL, 1, 0),
		S(FIND, "dave", 0, 0),        /* not even to the writer's own reads */
		S(COMMIT),
		/* The reader opened before the commit; it holds no snapshot
		 * between lookups, so the next one sees it. */
		S(READER_FIND, "dave", 0, 1),
		S(READER_FIND_KEY, NULL, 1, 1),
		S(READER_FIND, "erin", 0, 0),
		/* An aborted batch never shows. */
		S(BEGIN),
		S(IN_BATCH, "erin", 2, API_OK),
		S(ABORT),
		S(READER_FIND, "erin", 0, 0),
	};
	RUN(f, steps);
	CHECK(fixture_reader_stop(f));
}

UNIT_TEST(registry_persists_across_reopening)
{
	struct fixture *f = fixture_new(MAP_1M);
	REQUIRE(f);
	static const struct step before[] = {
		S(INSERT, "alice", 1, API_OK),
		S(INSERT, "bob", 2, API_OK, .now = AT + 1),
	};
	RUN(f, before);
	fixture_close(f);

	REQUIRE(fixture_reader_start(f, MAP_1M));
	static const struct step read[] = {
		S(READER_FIND, "alice", 0, 1),
		S(READER_FIND_KEY, NULL, 2, 1),
	};
	RUN(f, read);
	CHECK(fixture_reader_stop(f));

	/* Reopened read-write: uniqueness still holds against the old records. */
	REQUIRE(fixture_open(f, MAP_1M));
	static const struct step after[] = {
		S(FIND, "bob", 2, 1, .at = AT + 1),
		S(INSERT, "alice", 3, API_HANDLE_TAKEN),
		S(INSERT, "carol", 2, API_KEY_TAKEN),
	};
	RUN(f, after);
}

UNIT_TEST(registry_reader_before_the_tables_exist)
{
	struct fixture *f = fixture_dir();
	REQUIRE(f);
	/* An LMDB file without the registry's tables, as before the writer's
	 * first start. */
	MDB_env *env;
	REQUIRE(mdb_env_create(&env) == 0);
	int rc = mdb_env_open(env, f->t.path, MDB_NOSUBDIR, 0600);
	mdb_env_close(env);
	REQUIRE(rc == 0);

	REQUIRE(fixture_reader_start(f, MAP_1M)); /* opens: an empty registry */
	static const struct step empty[] = {
		S(READER_FIND, "alice", 0, 0),
		S(READER_FIND_KEY, NULL, 1, 0),
	};
	RUN(f, empty);

	REQUIRE(fixture_open(f, MAP_1M)); /* makes the tables */
	static const struct step made[] = {
		S(READER_FIND, "alice", 0, 0),
		S(INSERT, "alice", 1, API_OK),
		S(READER_FIND, "alice", 0, 1),
		S(READER_FIND_KEY, NULL, 1, 1),
		S(READER_FIND, "bob", 0, 0),
	};
	RUN(f, made);
	CHECK(fixture_reader_stop(f));
}

UNIT_TEST(registry_reader_follows_a_grown_map)
{
	const size_t small = 64 * 1024;
	struct fixture *f = fixture_new(small);
	REQUIRE(f);
	int64_t at;
	CHECK_EQ_INT(insert_one(&f->w, "alice", 1, AT, false, &at), API_OK);
	fixture_close(f);
	REQUIRE(fixture_reader_start(f, small));
	CHECK_EQ_INT(reader_find(&f->rd, "alice"), 1);

	/* The writer comes back with a larger map and writes past the reader's. */
	REQUIRE(fixture_open(f, 4 * MAP_1M));
	REQUIRE(batch_begin(f));
	for (unsigned i = 0; i < 3000; i++) {
		char handle[16];
		snprintf(handle, sizeof handle, "user%u", i);
		if (!CHECK_EQ_INT(insert_in(&f->w, f->txn, handle, 100 + i, false, &at), API_OK))
			break;
	}
	REQUIRE(batch_commit(f));
	MDB_envinfo info;
	MDB_stat stat;
	REQUIRE(mdb_env_info(f->w.env, &info) == 0 && mdb_env_stat(f->w.env, &stat) == 0);
	CHECK((info.me_last_pgno + 1) * stat.ms_psize > small); /* past the reader's map */
	static const struct step grown[] = {
		S(READER_FIND, "user2999", 0, 1),
		S(READER_FIND, "alice", 0, 1),
		S(READER_FIND_KEY, NULL, 100, 1),
	};
	RUN(f, grown);
	CHECK(fixture_reader_stop(f));
}

UNIT_TEST(registry_map_full)
{
	const size_t tiny = 64 * 1024;
	struct fixture *f = fixture_new(tiny);
	REQUIRE(f);

	/* One insert a batch until the map takes no more: each says OK and is
	 * durable, or the batch fails with MDB_MAP_FULL (at the insert or at
	 * the commit) and leaves the earlier ones as they were. */
	unsigned stored = 0;
	bool full = false;
	while (!full && stored < 5000) {
		char handle[16];
		snprintf(handle, sizeof handle, "user%u", stored);
		REQUIRE(batch_begin(f));
		int64_t at;
		enum api_error e = insert_in(&f->w, f->txn, handle, stored, false, &at);
		if (e == API_STORAGE_FULL) {
			batch_abort(f);
			full = true;
		} else if (CHECK_EQ_INT(e, API_OK) && !batch_commit(f)) {
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
	REQUIRE(batch_begin(f));
	enum api_error e = API_OK;
	int64_t at;
	unsigned n = 0;
	for (; n < 5000 && e == API_OK; n++) {
		char handle[16];
		snprintf(handle, sizeof handle, "more%u", n);
		e = insert_in(&f->w, f->txn, handle, 10000 + n, false, &at);
	}
	CHECK_EQ_INT(e, API_STORAGE_FULL);
	CHECK_EQ_INT(insert_in(&f->w, f->txn, "user0", 20000, false, &at), API_HANDLE_TAKEN);
	CHECK_EQ_INT(insert_in(&f->w, f->txn, "zed", 0, false, &at), API_KEY_TAKEN);
	int committed = batch_commit(f);
	if (!committed)
		CHECK_EQ_INT(errno, MDB_MAP_FULL);

	/* Whatever happened, the file is whole: every earlier record is there,
	 * the batch is there entirely or not at all. */
	fixture_close(f);
	REQUIRE(fixture_reader_start(f, tiny));
	CHECK_EQ_INT(reader_find(&f->rd, "user0"), 1);
	if (stored > 0) {
		char last[16];
		snprintf(last, sizeof last, "user%u", stored - 1);
		CHECK_EQ_INT(reader_find(&f->rd, last), 1);
	}
	CHECK_EQ_INT(reader_find(&f->rd, "more0"), committed);
	CHECK(fixture_reader_stop(f));
}

UNIT_TEST(registry_damaged_records_are_errors)
{
	struct fixture *f = fixture_new(MAP_1M);
	REQUIRE(f);
	struct registry *w = &f->w;
	static const struct step sound[] = {
		S(INSERT, "alice", 1, API_OK),
		S(INSERT, "bob", 2, API_OK),
	};
	RUN(f, sound);

	/* Written past the registry's API, as a damaged or foreign file would be. */
	MDB_txn *txn;
	REQUIRE(mdb_txn_begin(w->env, NULL, 0, &txn) == 0);
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
	int rc = mdb_put(txn, w->handles, &k1, &v1, 0);
	if (rc == 0)
		rc = mdb_put(txn, w->handles, &k2, &v2, 0);
	if (rc == 0)
		rc = mdb_put(txn, w->keys, &k3, &v3, 0);
	if (rc == 0)
		rc = mdb_put(txn, w->keys, &k4, &v4, 0);
	if (rc == 0)
		rc = mdb_put(txn, w->keys, &k5, &v5, 0);
	if (rc != 0)
		mdb_txn_abort(txn);
	REQUIRE(rc == 0 && mdb_txn_commit(txn) == 0);

	static const struct step damaged[] = {
		S(FIND, "carol", 0, -1),
		S(FIND, "dave", 0, -1),
		S(FIND_KEY, NULL, 7, -1),
		S(FIND_KEY, NULL, 8, -1),
		S(FIND_KEY, NULL, 9, -1),
		/* The sound records still read, and the damaged one still blocks
		 * its handle (the writer never overwrites). */
		S(FIND, "alice", 0, 1),
		S(INSERT, "carol", 30, API_HANDLE_TAKEN),
	};
	RUN(f, damaged);
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

	struct fixture *f = fixture_dir();
	REQUIRE(f);
	const struct tmp_db *t = &f->t;
	char lock[128];
	snprintf(lock, sizeof lock, "%s-lock", t->path);

	/* read-only, and no file yet: an error, and no lock file left behind */
	CHECK_EQ_INT(open_error(t->path, false, err, sizeof err), -1);
	CHECK(strstr(err, "No such file or directory") != NULL);
	CHECK(!exists(lock));

	/* a directory where the file should be */
	REQUIRE(mkdir(t->path, 0700) == 0);
	CHECK_EQ_INT(open_error(t->path, true, err, sizeof err), -1);
	CHECK(strstr(err, "is a directory") != NULL);
	CHECK_EQ_INT(open_error(t->path, false, err, sizeof err), -1);
	CHECK(strstr(err, "is a directory") != NULL);
	rmdir(t->path);

	/* a file that is not LMDB: refused, untouched, no lock file left */
	static const char text[] = "not an lmdb file, only some text that is long enough to be read\n";
	int fd = open(t->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	REQUIRE(fd >= 0);
	CHECK(write(fd, text, sizeof text - 1) == (ssize_t)(sizeof text - 1));
	close(fd);
	CHECK_EQ_INT(open_error(t->path, true, err, sizeof err), -1);
	CHECK(strstr(err, "is not an LMDB file") != NULL);
	CHECK_EQ_INT(open_error(t->path, false, err, sizeof err), -1);
	CHECK(strstr(err, "is not an LMDB file") != NULL);
	CHECK(!exists(lock));
	struct stat st;
	CHECK(stat(t->path, &st) == 0 && st.st_size == (off_t)(sizeof text - 1));
	unlink(t->path);

	/* a registry this user may not read (as root: checked as nobody) */
	REQUIRE(fixture_open(f, MAP_1M));
	fixture_close(f);
	CHECK(chmod(t->path, 0) == 0);
	CHECK(chmod(lock, 0) == 0);
	CHECK(chmod(t->dir, 0711) == 0); /* so that the file's own mode is what refuses */
	int pipe_fds[2];
	REQUIRE(pipe(pipe_fds) == 0);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		close(pipe_fds[0]);
		if (geteuid() == 0 && (setgroups(0, NULL) < 0 || setgid(NOBODY) < 0 || setuid(NOBODY) < 0))
			_exit(2);
		int rc = open_error(t->path, false, err, sizeof err);
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
	CHECK(strstr(child_err, t->path) != NULL);
}
