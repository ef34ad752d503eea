/* The registry's LMDB layout: uniqueness and the order of its checks,
 * retries, batches, a full map, damaged records, what a read-only opener in
 * another process sees, and the errors of opening. The fixture and the step
 * tables are in registry_fixture.h. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "registry_fixture.h"
#include "unit.h"

#define NOBODY 65534

static bool exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

/* ---- the cases ---- */

UNIT_TEST(registry_insert_and_find_by_handle_and_key)
{
	struct fixture *f = fx_new(MAP_1M);
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
	struct fixture *f = fx_new(MAP_1M);
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
	struct fixture *f = fx_new(MAP_1M);
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
	struct fixture *f = fx_new(MAP_1M);
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
	fx_key(20, key);
	int64_t at;
	REQUIRE(fx_begin(f));
	CHECK_EQ_INT(registry_insert(&f->w, f->txn, "abc\0def", 7, key, AT, false, &at), API_INTERNAL);
	CHECK_EQ_INT(registry_insert(&f->w, f->txn, NULL, 5, key, AT, false, &at), API_INTERNAL);
	CHECK_EQ_INT(registry_insert(&f->w, f->txn, "alice", 5, NULL, AT, false, &at), API_INTERNAL);
	fx_abort(f);
}

UNIT_TEST(registry_batch_decides_in_order)
{
	struct fixture *f = fx_new(MAP_1M);
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
	struct fixture *f = fx_new(MAP_1M);
	REQUIRE(f);
	REQUIRE(fx_reader_start(f, MAP_1M));
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
	CHECK(fx_reader_stop(f));
}

UNIT_TEST(registry_persists_across_reopening)
{
	struct fixture *f = fx_new(MAP_1M);
	REQUIRE(f);
	static const struct step before[] = {
		S(INSERT, "alice", 1, API_OK),
		S(INSERT, "bob", 2, API_OK, .now = AT + 1),
	};
	RUN(f, before);
	fx_close(f);

	REQUIRE(fx_reader_start(f, MAP_1M));
	static const struct step read[] = {
		S(READER_FIND, "alice", 0, 1),
		S(READER_FIND_KEY, NULL, 2, 1),
	};
	RUN(f, read);
	CHECK(fx_reader_stop(f));

	/* Reopened read-write: uniqueness still holds against the old records. */
	REQUIRE(fx_open(f, MAP_1M));
	static const struct step after[] = {
		S(FIND, "bob", 2, 1, .at = AT + 1),
		S(INSERT, "alice", 3, API_HANDLE_TAKEN),
		S(INSERT, "carol", 2, API_KEY_TAKEN),
	};
	RUN(f, after);
}

UNIT_TEST(registry_reader_before_the_tables_exist)
{
	struct fixture *f = fx_dir();
	REQUIRE(f);
	/* An LMDB file without the registry's tables, as before the writer's
	 * first start. */
	MDB_env *env;
	REQUIRE(mdb_env_create(&env) == 0);
	int rc = mdb_env_open(env, f->t.path, MDB_NOSUBDIR, 0600);
	mdb_env_close(env);
	REQUIRE(rc == 0);

	REQUIRE(fx_reader_start(f, MAP_1M)); /* opens: an empty registry */
	static const struct step empty[] = {
		S(READER_FIND, "alice", 0, 0),
		S(READER_FIND_KEY, NULL, 1, 0),
	};
	RUN(f, empty);

	REQUIRE(fx_open(f, MAP_1M)); /* makes the tables */
	static const struct step made[] = {
		S(READER_FIND, "alice", 0, 0),
		S(INSERT, "alice", 1, API_OK),
		S(READER_FIND, "alice", 0, 1),
		S(READER_FIND_KEY, NULL, 1, 1),
		S(READER_FIND, "bob", 0, 0),
	};
	RUN(f, made);
	CHECK(fx_reader_stop(f));
}

UNIT_TEST(registry_reader_follows_a_grown_map)
{
	const size_t small = 64 * 1024;
	struct fixture *f = fx_new(small);
	REQUIRE(f);
	int64_t at;
	CHECK_EQ_INT(fx_insert_one(&f->w, "alice", 1, AT, false, &at), API_OK);
	fx_close(f);
	REQUIRE(fx_reader_start(f, small));
	CHECK_EQ_INT(fx_reader_find(&f->rd, "alice"), 1);

	/* The writer comes back with a larger map and writes past the reader's. */
	REQUIRE(fx_open(f, 4 * MAP_1M));
	REQUIRE(fx_begin(f));
	for (unsigned i = 0; i < 3000; i++) {
		char handle[16];
		snprintf(handle, sizeof handle, "user%u", i);
		if (!CHECK_EQ_INT(fx_insert_in(&f->w, f->txn, handle, 100 + i, false, &at), API_OK))
			break;
	}
	REQUIRE(fx_commit(f));
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
	CHECK(fx_reader_stop(f));
}

UNIT_TEST(registry_map_full)
{
	const size_t tiny = 64 * 1024;
	struct fixture *f = fx_new(tiny);
	REQUIRE(f);

	/* One insert a batch until the map takes no more: each says OK and is
	 * durable, or the batch fails with MDB_MAP_FULL (at the insert or at
	 * the commit) and leaves the earlier ones as they were. */
	unsigned stored = 0;
	bool full = false;
	while (!full && stored < 5000) {
		char handle[16];
		snprintf(handle, sizeof handle, "user%u", stored);
		REQUIRE(fx_begin(f));
		int64_t at;
		enum api_error e = fx_insert_in(&f->w, f->txn, handle, stored, false, &at);
		if (e == API_STORAGE_FULL) {
			fx_abort(f);
			full = true;
		} else if (CHECK_EQ_INT(e, API_OK) && !fx_commit(f)) {
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
	REQUIRE(fx_begin(f));
	enum api_error e = API_OK;
	int64_t at;
	unsigned n = 0;
	for (; n < 5000 && e == API_OK; n++) {
		char handle[16];
		snprintf(handle, sizeof handle, "more%u", n);
		e = fx_insert_in(&f->w, f->txn, handle, 10000 + n, false, &at);
	}
	CHECK_EQ_INT(e, API_STORAGE_FULL);
	CHECK_EQ_INT(fx_insert_in(&f->w, f->txn, "user0", 20000, false, &at), API_HANDLE_TAKEN);
	CHECK_EQ_INT(fx_insert_in(&f->w, f->txn, "zed", 0, false, &at), API_KEY_TAKEN);
	int committed = fx_commit(f);
	if (!committed)
		CHECK_EQ_INT(errno, MDB_MAP_FULL);

	/* Whatever happened, the file is whole: every earlier record is there,
	 * the batch is there entirely or not at all. */
	fx_close(f);
	REQUIRE(fx_reader_start(f, tiny));
	CHECK_EQ_INT(fx_reader_find(&f->rd, "user0"), 1);
	if (stored > 0) {
		char last[16];
		snprintf(last, sizeof last, "user%u", stored - 1);
		CHECK_EQ_INT(fx_reader_find(&f->rd, last), 1);
	}
	CHECK_EQ_INT(fx_reader_find(&f->rd, "more0"), committed);
	CHECK(fx_reader_stop(f));
}

UNIT_TEST(registry_damaged_records_are_errors)
{
	struct fixture *f = fx_new(MAP_1M);
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
	fx_key(7, key);
	MDB_val k3 = { 32, key }, v3 = { 4, "nope" }; /* a key whose handle is missing */
	uint8_t key8[32];
	fx_key(8, key8);
	MDB_val k4 = { 32, key8 }, v4 = { 5, "alice" }; /* a key naming another key's handle */
	uint8_t key9[32];
	fx_key(9, key9);
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

	struct fixture *f = fx_dir();
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
	REQUIRE(fx_open(f, MAP_1M));
	fx_close(f);
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
