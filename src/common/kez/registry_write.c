/* The registry's write side (registry.h): the writer's batches. */
#include "common/kez/registry.h"

#include <errno.h>
#include <string.h>

#include "common/base/log.h"
#include "common/kez/registry_record.h"

/* ---- writing ---- */

int registry_batch_begin(struct registry *r, MDB_txn **txn)
{
	if (!r->env || !r->writable) {
		log_error("registry write: the registry is not open for writing");
		return -1;
	}
	int rc = mdb_txn_begin(r->env, NULL, 0, txn);
	if (rc == MDB_MAP_RESIZED) {
		rc = mdb_env_set_mapsize(r->env, 0);
		if (rc == 0)
			rc = mdb_txn_begin(r->env, NULL, 0, txn);
	}
	if (rc != 0) {
		log_error("registry write: %s", mdb_strerror(rc));
		*txn = NULL;
		return -1;
	}
	return 0;
}

static enum api_error storage_error(int rc, const char *handle, size_t len)
{
	if (rc == MDB_MAP_FULL)
		return API_STORAGE_FULL; /* the writer says that one in its own words */
	log_error("registry insert of '%.*s': %s", (int)len, handle, mdb_strerror(rc));
	return API_INTERNAL;
}

enum api_error registry_insert(struct registry *r, MDB_txn *txn, const char *handle, size_t len,
			       const uint8_t key[32], int64_t now, bool retry, int64_t *registered_at)
{
	/* The writer trusts nobody: the worker checked these too. */
	if (!txn || !key || !registered_at || !handle_is_valid(handle, len))
		return API_INTERNAL;

	/* Both checks come before any write, check 14 (handle) before check 15
	 * (key), so that a 409 stays a 409 even when the map is full. The batch
	 * is one write transaction, so nothing can slip in between. */
	MDB_val hk = { len, (void *)handle }, kk = { KEY_SIZE, (void *)key }, found;
	int rc = mdb_get(txn, r->handles, &hk, &found);
	if (rc == 0) {
		/* A retry finding its own earlier insert (same handle, same key)
		 * is that insert's success. */
		struct registry_record existing;
		if (retry && registry_decode_record(&found, &existing) == 0 && memcmp(existing.primary, key, KEY_SIZE) == 0) {
			*registered_at = existing.registered_at;
			return API_OK;
		}
		return API_HANDLE_TAKEN;
	}
	if (rc == MDB_NOTFOUND) {
		rc = mdb_get(txn, r->keys, &kk, &found);
		if (rc == 0)
			return API_KEY_TAKEN;
	}
	if (rc != MDB_NOTFOUND)
		return storage_error(rc, handle, len);

	/* A nested transaction holds the two writes: when the second finds no
	 * room, the first is undone with it, and the batch's other inserts
	 * stay. */
	MDB_txn *child;
	rc = mdb_txn_begin(r->env, txn, 0, &child);
	if (rc != 0)
		return storage_error(rc, handle, len);
	uint8_t record[RECORD_SIZE];
	registry_encode_record(key, now, record);
	MDB_val hv = { sizeof record, record }, kv = { len, (void *)handle };
	rc = mdb_put(child, r->handles, &hk, &hv, MDB_NOOVERWRITE);
	if (rc == 0)
		rc = mdb_put(child, r->keys, &kk, &kv, MDB_NOOVERWRITE);
	if (rc != 0) {
		mdb_txn_abort(child);
		return storage_error(rc, handle, len);
	}
	rc = mdb_txn_commit(child); /* into the batch; nothing is on disk yet */
	if (rc != 0)
		return storage_error(rc, handle, len);
	*registered_at = now;
	return API_OK;
}

int registry_batch_commit(MDB_txn *txn)
{
	int rc = mdb_txn_commit(txn);
	if (rc != 0) {
		if (rc != MDB_MAP_FULL) /* the writer says that one in its own words */
			log_error("registry commit: %s", mdb_strerror(rc));
		errno = rc;
		return -1;
	}
	return 0;
}

void registry_batch_abort(MDB_txn *txn)
{
	mdb_txn_abort(txn);
}
