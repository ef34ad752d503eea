#include "common/registry.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"

#define RECORD_FORMAT 1
#define RECORD_SIZE   (1 + 32 + 8) /* format, key, registered_at (big-endian) */
#define MAX_READERS   1024         /* a slot per worker, with room to spare */

static void encode_record(const uint8_t key[32], int64_t at, uint8_t out[RECORD_SIZE])
{
	out[0] = RECORD_FORMAT;
	memcpy(out + 1, key, 32);
	uint64_t t = (uint64_t)at;
	for (int i = 0; i < 8; i++)
		out[33 + i] = (uint8_t)(t >> (56 - 8 * i));
}

static int decode_record(const MDB_val *v, struct registry_record *rec)
{
	const uint8_t *p = v->mv_data;
	if (v->mv_size != RECORD_SIZE || p[0] != RECORD_FORMAT)
		return -1;
	memcpy(rec->primary, p + 1, 32);
	uint64_t t = 0;
	for (int i = 0; i < 8; i++)
		t = t << 8 | p[33 + i];
	rec->registered_at = (int64_t)t;
	return 0;
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
	/* LMDB makes "<path>-lock" beside the file; if the file turns out not to
	 * be a registry, that new lock file must not stay behind. */
	char lock_path[4200];
	snprintf(lock_path, sizeof lock_path, "%s-lock", path);
	bool lock_existed = stat(lock_path, &st) == 0;
	int rc = mdb_env_create(&r->env);
	if (rc == 0)
		rc = mdb_env_set_maxdbs(r->env, 2);
	if (rc == 0)
		rc = mdb_env_set_mapsize(r->env, map_size);
	if (rc == 0)
		rc = mdb_env_set_maxreaders(r->env, MAX_READERS);
	/* Full durability on the write side: a commit returns once on disk. */
	unsigned flags = MDB_NOSUBDIR | MDB_NOTLS | MDB_NORDAHEAD | (writable ? 0 : MDB_RDONLY);
	if (rc == 0)
		rc = mdb_env_open(r->env, path, flags, 0600);
	if (rc != 0) {
		snprintf(err, errlen, "cannot open registry '%s': %s", path,
			 rc == MDB_INVALID ? "not an LMDB registry file" : mdb_strerror(rc));
		goto fail;
	}
	MDB_txn *txn;
	rc = mdb_txn_begin(r->env, NULL, writable ? 0 : MDB_RDONLY, &txn);
	if (rc == 0) {
		unsigned create = writable ? MDB_CREATE : 0;
		rc = mdb_dbi_open(txn, "handles", create, &r->handles);
		if (rc == 0)
			rc = mdb_dbi_open(txn, "keys", create, &r->keys);
		rc = rc == 0 ? mdb_txn_commit(txn) : (mdb_txn_abort(txn), rc);
	}
	if (rc != 0) {
		snprintf(err, errlen, "cannot open registry '%s': %s", path,
			 rc == MDB_NOTFOUND ? "it has no registry tables yet (the writer creates them)" : mdb_strerror(rc));
		goto fail;
	}
	if (!writable) {
		rc = mdb_txn_begin(r->env, NULL, MDB_RDONLY, &r->read_txn);
		if (rc != 0) {
			snprintf(err, errlen, "cannot read registry '%s': %s", path, mdb_strerror(rc));
			goto fail;
		}
		mdb_txn_reset(r->read_txn);
	}
	return 0;
fail:
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

/* A short read snapshot: renewed for one lookup, reset right after, so a
 * reader never pins old pages between requests. */
static int read_begin(struct registry *r)
{
	int rc = mdb_txn_renew(r->read_txn);
	if (rc == MDB_MAP_RESIZED) {
		mdb_env_set_mapsize(r->env, 0);
		rc = mdb_txn_renew(r->read_txn);
	}
	if (rc != 0)
		log_error("registry read: %s", mdb_strerror(rc));
	return rc == 0 ? 0 : -1;
}

static int find_in(struct registry *r, MDB_txn *txn, const char *handle, size_t len,
		   struct registry_record *out)
{
	MDB_val k = { len, (void *)handle }, v;
	int rc = mdb_get(txn, r->handles, &k, &v);
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc != 0 || len > HANDLE_MAX_LEN || decode_record(&v, out) < 0) {
		log_error("registry read of '%.*s': %s", (int)(len > 64 ? 64 : len), handle,
			  rc ? mdb_strerror(rc) : "malformed record");
		return -1;
	}
	memcpy(out->handle, handle, len);
	out->handle[len] = '\0';
	out->handle_len = len;
	return 1;
}

int registry_find_handle(struct registry *r, const char *handle, size_t len, struct registry_record *out)
{
	if (len == 0 || len > HANDLE_MAX_LEN)
		return 0;
	if (read_begin(r) < 0)
		return -1;
	int found = find_in(r, r->read_txn, handle, len, out);
	mdb_txn_reset(r->read_txn);
	return found;
}

int registry_find_key(struct registry *r, const uint8_t key[32], struct registry_record *out)
{
	if (read_begin(r) < 0)
		return -1;
	MDB_val k = { 32, (void *)key }, v;
	int rc = mdb_get(r->read_txn, r->keys, &k, &v);
	int found;
	if (rc == MDB_NOTFOUND)
		found = 0;
	else if (rc != 0 || v.mv_size == 0 || v.mv_size > HANDLE_MAX_LEN)
		found = -1;
	else {
		char handle[HANDLE_MAX_LEN];
		size_t len = v.mv_size;
		memcpy(handle, v.mv_data, len);
		found = find_in(r, r->read_txn, handle, len, out);
	}
	mdb_txn_reset(r->read_txn);
	return found;
}

int registry_batch_begin(struct registry *r, MDB_txn **txn)
{
	int rc = mdb_txn_begin(r->env, NULL, 0, txn);
	if (rc != 0)
		log_error("registry write: %s", mdb_strerror(rc));
	return rc == 0 ? 0 : -1;
}

enum api_error registry_insert(struct registry *r, MDB_txn *txn, const char *handle, size_t len,
			       const uint8_t key[32], int64_t now, bool retry, int64_t *registered_at)
{
	if (!handle_is_valid(handle, len))
		return API_INTERNAL;
	/* A nested transaction per insert: a failure undoes this insert only. */
	MDB_txn *child;
	int rc = mdb_txn_begin(r->env, txn, 0, &child);
	if (rc != 0)
		return rc == MDB_MAP_FULL ? API_STORAGE_FULL : API_INTERNAL;
	uint8_t record[RECORD_SIZE];
	encode_record(key, now, record);
	MDB_val hk = { len, (void *)handle }, hv = { sizeof record, record };
	rc = mdb_put(child, r->handles, &hk, &hv, MDB_NOOVERWRITE);
	if (rc == MDB_KEYEXIST) {
		struct registry_record existing;
		enum api_error e = API_HANDLE_TAKEN;
		/* hv now holds the existing record. */
		if (retry && decode_record(&hv, &existing) == 0 && memcmp(existing.primary, key, 32) == 0) {
			*registered_at = existing.registered_at;
			e = API_OK;
		}
		mdb_txn_abort(child);
		return e;
	}
	if (rc == 0) {
		MDB_val kk = { 32, (void *)key }, kv = { len, (void *)handle };
		rc = mdb_put(child, r->keys, &kk, &kv, MDB_NOOVERWRITE);
		if (rc == MDB_KEYEXIST) {
			mdb_txn_abort(child);
			return API_KEY_TAKEN;
		}
	}
	if (rc == 0)
		rc = mdb_txn_commit(child);
	else
		mdb_txn_abort(child);
	if (rc == 0) {
		*registered_at = now;
		return API_OK;
	}
	if (rc != MDB_MAP_FULL)
		log_error("registry insert of '%.*s': %s", (int)len, handle, mdb_strerror(rc));
	return rc == MDB_MAP_FULL ? API_STORAGE_FULL : API_INTERNAL;
}

int registry_batch_commit(MDB_txn *txn)
{
	int rc = mdb_txn_commit(txn);
	if (rc != 0) {
		if (rc != MDB_MAP_FULL) /* the writer says that one in its own words */
			log_error("registry commit: %s", mdb_strerror(rc));
		errno = rc;
	}
	return rc == 0 ? 0 : -1;
}

void registry_batch_abort(MDB_txn *txn)
{
	mdb_txn_abort(txn);
}
