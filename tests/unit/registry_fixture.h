/* What the registry's unit cases share: a registry in a fresh temporary
 * directory, a read-only registry in another process, and cases written as
 * tables of steps.
 *
 * LMDB forbids opening one environment twice in a process, so the read-only
 * side runs in a child process (struct reader) that the case questions over
 * pipes. The fixture (struct fixture) is allocated and torn down by
 * unit_defer when the case ends, however it ends: the batch aborted, the
 * reader stopped, the registry closed, the directory removed. */
#ifndef KEZ_UNIT_REGISTRY_FIXTURE_H
#define KEZ_UNIT_REGISTRY_FIXTURE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/kez/registry.h"

#define MAP_1M ((size_t)1 << 20)
#define AT     1779678000 /* 2026-05-25T03:00:00Z */

struct tmp_db {
	char dir[64];
	char path[96];
};

struct reader {
	pid_t pid;
	int   ask;    /* questions: "h<handle>\n" or "k<key number>\n" */
	int   answer; /* one byte each: '0' + (find's result + 1); 'E' when the open failed */
};

/* Key number n: 32 bytes that differ for every n. */
void           fx_key(unsigned n, uint8_t key[32]);
/* An insert of key number key_n at AT in the batch txn. */
enum api_error fx_insert_in(struct registry *r, MDB_txn *txn, const char *handle, unsigned key_n, bool retry,
			    int64_t *at);
/* One insert in a batch of its own, committed; API_ERROR_COUNT when the
 * batch itself fails. */
enum api_error fx_insert_one(struct registry *r, const char *handle, unsigned key_n, int64_t now, bool retry,
			     int64_t *at);
/* find's result in the reader (1, 0, -1), or -9 when it did not answer. */
int            fx_reader_find(struct reader *rd, const char *handle);
int            fx_reader_find_key(struct reader *rd, unsigned key_n);

struct fixture {
	struct tmp_db   t;
	struct registry w;
	bool            open;    /* w is open */
	MDB_txn        *txn;     /* the batch in progress, or NULL */
	struct reader   rd;
	bool            reading; /* rd was forked and not yet stopped */
};

/* A fresh directory with nothing in it yet; NULL (a failure recorded) when
 * it cannot be made. */
struct fixture *fx_dir(void);
/* The same with the registry opened read-write in it. */
struct fixture *fx_new(size_t map_size);
bool            fx_open(struct fixture *f, size_t map_size);
void            fx_close(struct fixture *f);
/* A reader that opens the registry read-only now and answers until stopped;
 * stop says whether it exited cleanly. */
bool            fx_reader_start(struct fixture *f, size_t map_size);
bool            fx_reader_stop(struct fixture *f);
/* The batch in f->txn. */
bool            fx_begin(struct fixture *f);
bool            fx_commit(struct fixture *f);
void            fx_abort(struct fixture *f);

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
	unsigned    key;  /* key number (fx_key); 0: not checked in FIND */
	int         want;
	int64_t     at;   /* inserts: the registered_at told; finds: the record's; 0: not checked */
	int64_t     now;  /* inserts: the clock, AT when 0 */
	bool        retry;
};

/* A step of a table, its line being where the table says it. */
#define S(...) { .line = __LINE__, __VA_ARGS__ }
#define RUN(f, steps) fx_run(f, steps, sizeof steps / sizeof steps[0])

/* Runs the steps in order, each failure reported at its step's line. */
void fx_run(struct fixture *f, const struct step *steps, size_t n);

#endif
