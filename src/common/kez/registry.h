/* The registry's layout in LMDB. One environment file at --db (MDB_NOSUBDIR,
 * so the file plus "<db>-lock"), two named databases:
 *   "handles": handle (lowercase bytes)  -> struct registry_record (packed, see registry.c)
 *   "keys":    primary key (32 bytes)    -> handle bytes
 * and the sigchain tables, laid out by chain_store.h.
 * The writer opens it read-write and is its only writer; workers open it
 * read-only and look up without crossing a process boundary. */
#ifndef KEZ_REGISTRY_H
#define KEZ_REGISTRY_H

#include <lmdb.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/kez/api_error.h"
#include "common/kez/handle.h"

struct registry {
	MDB_env *env;
	MDB_dbi  handles;
	MDB_dbi  keys;
	MDB_dbi  chain_events, chain_heads, chain_claims; /* see chain_store.h */
	MDB_txn *read_txn; /* read-only side: kept reset between lookups, renewed per lookup */
	bool     writable;
};

struct registry_record {
	char    handle[HANDLE_MAX_LEN + 1];
	size_t  handle_len;
	uint8_t primary[32];
	int64_t registered_at; /* unix seconds, UTC */
};

/* Opens (the writer: creating file and databases when missing) the registry
 * at `path` with a map of `map_size` bytes. 0, or -1 with a one-line reason in
 * err, e.g. "cannot open registry 'x.db': Permission denied". */
int  registry_open(struct registry *r, const char *path, size_t map_size, bool writable,
		   char *err, size_t errlen);
void registry_close(struct registry *r);

/* Read side. 1 found (out filled), 0 not found, -1 on an LMDB error. */
int  registry_find_handle(struct registry *r, const char *handle, size_t len,
			  struct registry_record *out);
int  registry_find_key(struct registry *r, const uint8_t key[32], struct registry_record *out);

/* A read snapshot for other tables' readers (chain_store.h): 1 with *txn
 * ready, 0 the tables do not exist yet, -1 error. End each 1 with
 * registry_read_end before the next read. */
int  registry_read_begin(struct registry *r, MDB_txn **txn);
void registry_read_end(struct registry *r);

/* Write side: one transaction holds a batch of inserts (group commit).
 * registry_insert checks handle AND key uniqueness and inserts inside a nested
 * transaction, so a failing insert (taken, map full) leaves the rest of the
 * batch in place; the commit itself may still find the map full (errno
 * MDB_MAP_FULL), and then the batch fails as a whole.
 * `retry`: an existing record with this same handle and key counts as success
 * and reports its stored registered_at (see IPC_FLAG_RETRY).
 * Returns API_OK (with *registered_at), API_HANDLE_TAKEN, API_KEY_TAKEN,
 * API_STORAGE_FULL or API_INTERNAL. */
int  registry_batch_begin(struct registry *r, MDB_txn **txn);
enum api_error registry_insert(struct registry *r, MDB_txn *txn, const char *handle, size_t len,
			       const uint8_t key[32], int64_t now, bool retry, int64_t *registered_at);
/* Commits (durably: the environment is opened with full sync). 0, or -1. */
int  registry_batch_commit(MDB_txn *txn);
void registry_batch_abort(MDB_txn *txn);

#endif
