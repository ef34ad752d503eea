#include "registry_fixture.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "unit.h"

/* ---- a registry file in a fresh temporary directory ---- */

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

/* Key number n: 32 bytes that differ for every n. */
void fx_key(unsigned n, uint8_t key[32])
{
	memset(key, 0xa5, 32);
	memcpy(key, &n, sizeof n);
}

enum api_error fx_insert_in(struct registry *r, MDB_txn *txn, const char *handle, unsigned key_n, bool retry,
			    int64_t *at)
{
	uint8_t key[32];
	fx_key(key_n, key);
	return registry_insert(r, txn, handle, strlen(handle), key, AT, retry, at);
}

/* One insert in a batch of its own, committed. */
enum api_error fx_insert_one(struct registry *r, const char *handle, unsigned key_n, int64_t now, bool retry,
			     int64_t *at)
{
	uint8_t key[32];
	fx_key(key_n, key);
	MDB_txn *txn;
	if (registry_batch_begin(r, &txn) < 0)
		return API_ERROR_COUNT;
	enum api_error e = registry_insert(r, txn, handle, strlen(handle), key, now, retry, at);
	if (registry_batch_commit(txn) < 0)
		return API_ERROR_COUNT;
	return e;
}

/* ---- a read-only registry in another process ---- */

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
			fx_key((unsigned)strtoul(line + 1, NULL, 10), key);
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

int fx_reader_find(struct reader *rd, const char *handle)
{
	return reader_ask(rd, 'h', handle);
}

int fx_reader_find_key(struct reader *rd, unsigned key_n)
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
struct fixture *fx_dir(void)
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

bool fx_open(struct fixture *f, size_t map_size)
{
	char err[256];
	if (registry_open(&f->w, f->t.path, map_size, true, err, sizeof err) < 0) {
		unit_fail(__FILE__, __LINE__, "%s", err);
		return false;
	}
	f->open = true;
	return true;
}

void fx_close(struct fixture *f)
{
	registry_close(&f->w);
	f->open = false;
}

/* A fresh directory with the registry opened read-write in it. */
struct fixture *fx_new(size_t map_size)
{
	struct fixture *f = fx_dir();
	return f && fx_open(f, map_size) ? f : NULL;
}

bool fx_reader_start(struct fixture *f, size_t map_size)
{
	bool ok = reader_start(&f->rd, f->t.path, map_size);
	f->reading = f->rd.pid > 0;
	return ok;
}

bool fx_reader_stop(struct fixture *f)
{
	f->reading = false;
	return reader_stop(&f->rd);
}

bool fx_begin(struct fixture *f)
{
	if (registry_batch_begin(&f->w, &f->txn) == 0)
		return true;
	f->txn = NULL;
	return false;
}

/* LMDB frees the transaction whether the commit succeeds or not. */
bool fx_commit(struct fixture *f)
{
	MDB_txn *txn = f->txn;
	f->txn = NULL;
	return txn && registry_batch_commit(txn) == 0;
}

void fx_abort(struct fixture *f)
{
	if (f->txn)
		registry_batch_abort(f->txn);
	f->txn = NULL;
}

/* ---- cases written as steps ---- */

static void check_record(const struct step *s, const struct registry_record *rec)
{
	uint8_t key[32];
	fx_key(s->key, key);
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
	fx_key(s->key, key);
	struct registry_record rec;
	memset(&rec, 0, sizeof rec);
	int got = 0;
	bool insert = s->op == INSERT || s->op == IN_BATCH;
	switch (s->op) {
	case INSERT: got = fx_insert_one(&f->w, s->handle, s->key, now, s->retry, &at); break;
	case IN_BATCH:
		got = f->txn ? registry_insert(&f->w, f->txn, s->handle, strlen(s->handle), key, now, s->retry, &at)
			     : API_ERROR_COUNT;
		break;
	case BEGIN: got = fx_begin(f) ? 0 : -1; break;
	case COMMIT: got = fx_commit(f) ? 0 : -1; break;
	case ABORT: fx_abort(f); break;
	case FIND: got = registry_find_handle(&f->w, s->handle, strlen(s->handle), &rec); break;
	case FIND_KEY: got = registry_find_key(&f->w, key, &rec); break;
	case READER_FIND: got = f->reading ? fx_reader_find(&f->rd, s->handle) : -9; break;
	case READER_FIND_KEY: got = f->reading ? fx_reader_find_key(&f->rd, s->key) : -9; break;
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

void fx_run(struct fixture *f, const struct step *steps, size_t n)
{
	for (size_t i = 0; i < n; i++)
		run_step(f, &steps[i]);
}

