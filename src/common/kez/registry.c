#include "common/kez/registry.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/base/log.h"
#include "common/kez/registry_record.h"

#define MAX_READERS   1024         /* a slot per worker, with room to spare */
#define MAX_DBS       5

/* LMDB numbers its two built-in tables 0 and 1; a named table is never 0, so
 * 0 in r->handles means "not opened yet" (a reader that came before the
 * writer made the tables). */
#define TABLES_NOT_OPEN 0

static const char HANDLES_TABLE[] = "handles";
static const char KEYS_TABLE[] = "keys";
static const char *const CHAIN_TABLES[3] = { "chain_events", "chain_heads", "chain_claims" };

/* ---- opening ---- */

static int open_tables(struct registry *r, MDB_txn *txn, unsigned flags)
{
	int rc = mdb_dbi_open(txn, HANDLES_TABLE, flags, &r->handles);
	if (rc == 0)
		rc = mdb_dbi_open(txn, KEYS_TABLE, flags, &r->keys);
	MDB_dbi *chain[3] = { &r->chain_events, &r->chain_heads, &r->chain_claims };
	for (int i = 0; i < 3 && rc == 0; i++)
		rc = mdb_dbi_open(txn, CHAIN_TABLES[i], flags, chain[i]);
	if (rc != 0)
		r->handles = r->keys = TABLES_NOT_OPEN;
	return rc;
}

static int open_environment(struct registry *r, const char *path, size_t map_size)
{
	int rc = mdb_env_create(&r->env);
	if (rc != 0) {
		r->env = NULL;
		return rc;
	}
	rc = mdb_env_set_maxdbs(r->env, MAX_DBS);
	if (rc == 0)
		rc = mdb_env_set_mapsize(r->env, map_size);
	if (rc == 0)
		rc = mdb_env_set_maxreaders(r->env, MAX_READERS);
	/* No MDB_NOSYNC / MDB_NOMETASYNC: a write commit returns only once the
	 * data is on disk, which is what lets the writer answer 201. MDB_NOTLS:
	 * the read transaction is ours to keep, not tied to a thread. */
	unsigned flags = MDB_NOSUBDIR | MDB_NOTLS | MDB_NORDAHEAD | (r->writable ? 0 : MDB_RDONLY);
	if (rc == 0)
		rc = mdb_env_open(r->env, path, flags, 0600);
	return rc;
}

/* The writer creates the tables; a reader that finds none yet sees an empty
 * registry until they appear (see read_begin). */
static int prepare_tables(struct registry *r)
{
	MDB_txn *txn;
	int rc = mdb_txn_begin(r->env, NULL, r->writable ? 0 : MDB_RDONLY, &txn);
	if (rc != 0)
		return rc;
	rc = open_tables(r, txn, r->writable ? MDB_CREATE : 0);
	if (rc == MDB_NOTFOUND && !r->writable) {
		mdb_txn_abort(txn);
		return 0;
	}
	if (rc != 0) {
		mdb_txn_abort(txn);
		return rc;
	}
	/* Only a committed transaction hands its table handles to the environment. */
	rc = mdb_txn_commit(txn);
	if (rc != 0)
		r->handles = r->keys = TABLES_NOT_OPEN;
	return rc;
}

static const char *open_error_text(int rc)
{
	switch (rc) {
	case MDB_INVALID:
		return "it is not an LMDB file";
	case MDB_INCOMPATIBLE:
		return "its tables are not the registry's";
	default:
		return mdb_strerror(rc);
	}
}

int registry_open(struct registry *r, const char *path, size_t map_size, bool writable, char *err,
		  size_t errlen)
{
	memset(r, 0, sizeof *r);
	r->writable = writable;
	struct stat st;
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "cannot open registry '%s': it is a directory (--db names a file)", path);
		return -1;
	}
	/* LMDB makes "<path>-lock" beside the file; when the open fails (not a
	 * registry, no permission) a lock file it just made must not stay. */
	char lock_path[4200];
	int n = snprintf(lock_path, sizeof lock_path, "%s-lock", path);
	if (n < 0 || (size_t)n >= sizeof lock_path) {
		snprintf(err, errlen, "cannot open registry '%.200s...': %s", path, strerror(ENAMETOOLONG));
		return -1;
	}
	bool lock_existed = stat(lock_path, &st) == 0;

	const char *doing = "open";
	int rc = open_environment(r, path, map_size);
	if (rc == 0)
		rc = prepare_tables(r);
	if (rc == 0) {
		/* Kept reset between lookups; renewed for each one. */
		doing = "read";
		rc = mdb_txn_begin(r->env, NULL, MDB_RDONLY, &r->read_txn);
		if (rc == 0)
			mdb_txn_reset(r->read_txn);
		else
			r->read_txn = NULL;
	}
	if (rc == 0)
		return 0;

	snprintf(err, errlen, "cannot %s registry '%s': %s", doing, path, open_error_text(rc));
	if (r->env)
		mdb_env_close(r->env);
	r->env = NULL;
	if (!lock_existed)
		(void)unlink(lock_path);
	return -1;
}

void registry_close(struct registry *r)
{
	if (r->read_txn)
		mdb_txn_abort(r->read_txn);
	if (r->env)
		mdb_env_close(r->env);
	memset(r, 0, sizeof *r);
}

/* ---- reading ---- */

static int renew(struct registry *r)
{
	int rc = mdb_txn_renew(r->read_txn);
	if (rc == MDB_MAP_RESIZED) {
		/* The writer grew the map (a larger --map-size): adopt its size. */
		rc = mdb_env_set_mapsize(r->env, 0);
		if (rc == 0)
			rc = mdb_txn_renew(r->read_txn);
	}
	return rc;
}

/* Tables the writer made after this reader opened: open them now. Table
 * handles outlive only a committed transaction, and committing ends the read
 * transaction, so a new one takes its place. 0 with *present set (when not,
 * the transaction is reset again), or an LMDB error. */
static int open_late_tables(struct registry *r, bool *present)
{
	*present = false;
	int rc = open_tables(r, r->read_txn, 0);
	if (rc != 0) {
		mdb_txn_reset(r->read_txn);
		return rc == MDB_NOTFOUND ? 0 : rc;
	}
	rc = mdb_txn_commit(r->read_txn);
	r->read_txn = NULL;
	if (rc == 0)
		rc = mdb_txn_begin(r->env, NULL, MDB_RDONLY, &r->read_txn);
	if (rc != 0) {
		r->read_txn = NULL; /* read_begin takes a new one next time */
		r->handles = r->keys = TABLES_NOT_OPEN;
		return rc;
	}
	*present = true;
	return 0;
}

/* A short read snapshot: renewed for one lookup, reset right after (by
 * read_end), so a reader never pins old pages between requests.
 * 1 ready, 0 the registry has no tables yet (nothing to end), -1 error. */
static int read_begin(struct registry *r)
{
	if (!r->env) {
		log_error("registry read: the registry is not open");
		return -1;
	}
	int rc;
	if (r->read_txn) {
		rc = renew(r);
	} else {
		rc = mdb_txn_begin(r->env, NULL, MDB_RDONLY, &r->read_txn);
		if (rc != 0)
			r->read_txn = NULL;
	}
	bool present = true;
	if (rc == 0 && r->handles == TABLES_NOT_OPEN)
		rc = open_late_tables(r, &present);
	if (rc != 0) {
		log_error("registry read: %s", mdb_strerror(rc));
		return -1;
	}
	return present ? 1 : 0;
}

static void read_end(struct registry *r)
{
	mdb_txn_reset(r->read_txn);
}

int registry_read_begin(struct registry *r, MDB_txn **txn)
{
	int ready = read_begin(r);
	*txn = ready == 1 ? r->read_txn : NULL;
	return ready;
}

void registry_read_end(struct registry *r)
{
	read_end(r);
}

/* Looks `handle` up in the open read transaction and copies the record out
 * (the value points into the map, valid only until the reset). */
static int find_in(struct registry *r, const char *handle, size_t len, struct registry_record *out)
{
	MDB_val k = { len, (void *)handle }, v;
	int rc = mdb_get(r->read_txn, r->handles, &k, &v);
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc != 0) {
		log_error("registry read of '%.*s': %s", (int)len, handle, mdb_strerror(rc));
		return -1;
	}
	if (registry_decode_record(&v, out) < 0) {
		registry_report_bad_record("unknown size or format version", handle, len);
		return -1;
	}
	memcpy(out->handle, handle, len);
	out->handle[len] = '\0';
	out->handle_len = len;
	return 1;
}

int registry_find_handle(struct registry *r, const char *handle, size_t len, struct registry_record *out)
{
	if (!handle_is_valid(handle, len))
		return 0; /* never stored, so never found */
	int ready = read_begin(r);
	if (ready <= 0)
		return ready;
	int found = find_in(r, handle, len, out);
	read_end(r);
	return found;
}

int registry_find_key(struct registry *r, const uint8_t key[32], struct registry_record *out)
{
	int ready = read_begin(r);
	if (ready <= 0)
		return ready;
	MDB_val k = { KEY_SIZE, (void *)key }, v;
	int rc = mdb_get(r->read_txn, r->keys, &k, &v);
	int found;
	if (rc == MDB_NOTFOUND) {
		found = 0;
	} else if (rc != 0) {
		log_error("registry read of a key: %s", mdb_strerror(rc));
		found = -1;
	} else if (!handle_is_valid(v.mv_data, v.mv_size)) {
		registry_report_bad_record("a key points at something that is not a handle", NULL, 0);
		found = -1;
	} else {
		char handle[HANDLE_MAX_LEN];
		size_t len = v.mv_size;
		memcpy(handle, v.mv_data, len);
		found = find_in(r, handle, len, out);
		/* The two tables are written together; a key whose handle is
		 * missing or names another key means the file was damaged. */
		if (found == 0 || (found == 1 && memcmp(out->primary, key, KEY_SIZE) != 0)) {
			registry_report_bad_record("its key entry does not match it", handle, len);
			found = -1;
		}
	}
	read_end(r);
	return found;
}

