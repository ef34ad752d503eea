/* The registry's LMDB layout: uniqueness, order of checks, retries, map
 * full, and what a read-only opener sees. */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/registry.h"
#include "unit.h"

struct tmp_db {
	char dir[64];
	char path[96];
};

static void tmp_db_make(struct tmp_db *t)
{
	snprintf(t->dir, sizeof t->dir, "/tmp/kez-unit-XXXXXX");
	if (!mkdtemp(t->dir))
		abort();
	snprintf(t->path, sizeof t->path, "%s/r.db", t->dir);
}

static void tmp_db_remove(struct tmp_db *t)
{
	char lock[128];
	snprintf(lock, sizeof lock, "%s-lock", t->path);
	unlink(t->path);
	unlink(lock);
	rmdir(t->dir);
}

static enum api_error insert_one(struct registry *r, const char *handle, uint8_t key_byte, bool retry, int64_t *at)
{
	uint8_t key[32];
	memset(key, key_byte, sizeof key);
	MDB_txn *txn;
	if (registry_batch_begin(r, &txn) < 0)
		return API_INTERNAL;
	enum api_error e = registry_insert(r, txn, handle, strlen(handle), key, 1779678000, retry, at);
	if (registry_batch_commit(txn) < 0)
		return API_INTERNAL;
	return e;
}

UNIT_TEST(registry_insert_find_and_uniqueness)
{
	struct tmp_db t;
	tmp_db_make(&t);
	struct registry w, r;
	char err[256];
	CHECK(registry_open(&w, t.path, 1 << 20, true, err, sizeof err) == 0);
	CHECK(registry_open(&r, t.path, 1 << 20, false, err, sizeof err) == 0);
	int64_t at = 0;
	CHECK_EQ_INT(insert_one(&w, "alice", 1, false, &at), API_OK);
	CHECK_EQ_INT(at, 1779678000);
	CHECK_EQ_INT(insert_one(&w, "alice", 2, false, &at), API_HANDLE_TAKEN);
	CHECK_EQ_INT(insert_one(&w, "bob", 1, false, &at), API_KEY_TAKEN);
	CHECK_EQ_INT(insert_one(&w, "alice", 1, false, &at), API_HANDLE_TAKEN); /* both taken: handle first */
	CHECK_EQ_INT(insert_one(&w, "alice", 1, true, &at), API_OK);          /* a retry of the same insert */
	CHECK_EQ_INT(insert_one(&w, "alice", 3, true, &at), API_HANDLE_TAKEN);
	CHECK_EQ_INT(insert_one(&w, "Bad Handle", 4, false, &at), API_INTERNAL);
	struct registry_record rec;
	CHECK_EQ_INT(registry_find_handle(&r, "alice", 5, &rec), 1);
	CHECK_EQ_STR(rec.handle, "alice");
	CHECK_EQ_INT(rec.primary[0], 1);
	CHECK_EQ_INT(rec.registered_at, 1779678000);
	uint8_t key[32];
	memset(key, 1, sizeof key);
	CHECK_EQ_INT(registry_find_key(&r, key, &rec), 1);
	CHECK_EQ_STR(rec.handle, "alice");
	memset(key, 9, sizeof key);
	CHECK_EQ_INT(registry_find_key(&r, key, &rec), 0);
	CHECK_EQ_INT(registry_find_handle(&r, "carol", 5, &rec), 0);
	registry_close(&r);
	registry_close(&w);
	tmp_db_remove(&t);
}

UNIT_TEST(registry_batch_conflicts_and_uncommitted_reads)
{
	struct tmp_db t;
	tmp_db_make(&t);
	struct registry w, r;
	char err[256];
	CHECK(registry_open(&w, t.path, 1 << 20, true, err, sizeof err) == 0);
	CHECK(registry_open(&r, t.path, 1 << 20, false, err, sizeof err) == 0);
	MDB_txn *txn;
	CHECK(registry_batch_begin(&w, &txn) == 0);
	uint8_t k1[32], k2[32];
	memset(k1, 1, 32);
	memset(k2, 2, 32);
	int64_t at;
	CHECK_EQ_INT(registry_insert(&w, txn, "dave", 4, k1, 10, false, &at), API_OK);
	CHECK_EQ_INT(registry_insert(&w, txn, "dave", 4, k2, 10, false, &at), API_HANDLE_TAKEN);
	CHECK_EQ_INT(registry_insert(&w, txn, "erin", 4, k1, 10, false, &at), API_KEY_TAKEN);
	CHECK_EQ_INT(registry_insert(&w, txn, "erin", 4, k2, 10, false, &at), API_OK);
	struct registry_record rec;
	CHECK_EQ_INT(registry_find_handle(&r, "dave", 4, &rec), 0); /* not committed yet */
	CHECK(registry_batch_commit(txn) == 0);
	CHECK_EQ_INT(registry_find_handle(&r, "dave", 4, &rec), 1);
	CHECK_EQ_INT(registry_find_handle(&r, "erin", 4, &rec), 1);
	registry_close(&r);
	registry_close(&w);
	/* still there after reopening */
	CHECK(registry_open(&r, t.path, 1 << 20, false, err, sizeof err) == 0);
	CHECK_EQ_INT(registry_find_handle(&r, "erin", 4, &rec), 1);
	registry_close(&r);
	tmp_db_remove(&t);
}

UNIT_TEST(registry_map_full_keeps_earlier_inserts)
{
	struct tmp_db t;
	tmp_db_make(&t);
	struct registry w;
	char err[256];
	CHECK(registry_open(&w, t.path, 64 * 1024, true, err, sizeof err) == 0);
	MDB_txn *txn;
	CHECK(registry_batch_begin(&w, &txn) == 0);
	int ok = 0, full = 0;
	for (int i = 0; i < 5000 && !full; i++) {
		char handle[32];
		uint8_t key[32] = { 0 };
		snprintf(handle, sizeof handle, "user%d", i);
		memcpy(key, &i, sizeof i);
		int64_t at;
		enum api_error e = registry_insert(&w, txn, handle, strlen(handle), key, 1, false, &at);
		if (e == API_OK)
			ok++;
		else if (e == API_STORAGE_FULL)
			full = 1;
	}
	CHECK(full);
	CHECK(ok > 0);
	/* The batch's own pages may not fit either: then the whole batch fails
	 * as one (the writer answers 507 to each), and nothing half-written
	 * shows. */
	int committed = registry_batch_commit(txn) == 0;
	if (!committed)
		CHECK_EQ_INT(errno, MDB_MAP_FULL);
	struct registry r;
	CHECK(registry_open(&r, t.path, 64 * 1024, false, err, sizeof err) == 0);
	struct registry_record rec;
	CHECK_EQ_INT(registry_find_handle(&r, "user0", 5, &rec), committed);
	registry_close(&r);
	/* a small batch still fits when the big one did not */
	if (!committed) {
		int64_t at;
		CHECK_EQ_INT(insert_one(&w, "small", 7, false, &at), API_OK);
	}
	registry_close(&w);
	tmp_db_remove(&t);
}

UNIT_TEST(registry_open_errors)
{
	struct registry r;
	char err[256];
	CHECK(registry_open(&r, "/nonexistent-dir/r.db", 1 << 20, true, err, sizeof err) < 0);
	CHECK(strstr(err, "/nonexistent-dir/r.db") != NULL);
	CHECK(registry_open(&r, "/tmp", 1 << 20, true, err, sizeof err) < 0);
	CHECK(strstr(err, "directory") != NULL);
	char path[] = "/tmp/kez-unit-notlmdb-XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0 && write(fd, "not an lmdb file, just text that is long enough", 47) == 47);
	close(fd);
	CHECK(registry_open(&r, path, 1 << 20, true, err, sizeof err) < 0);
	char lock[64];
	snprintf(lock, sizeof lock, "%s-lock", path);
	unlink(lock);
	unlink(path);
}
