/* Rendered sigchain bodies (chain_cache.h). */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "worker/chain_cache.h"

struct chain_cache_entry {
	struct chain_cache_key key;
	int                    fd;   /* -1: empty */
	size_t                 len;
	uint64_t               used; /* the cache's clock at the last hit */
};

struct chain_cache {
	struct chain_cache_entry entries[CHAIN_CACHE_ENTRIES];
	uint64_t                 clock;
	size_t                   bytes; /* held in all */
};

struct chain_cache *chain_cache_new(void)
{
	struct chain_cache *cc = calloc(1, sizeof *cc);
	if (!cc)
		return NULL;
	for (unsigned i = 0; i < CHAIN_CACHE_ENTRIES; i++)
		cc->entries[i].fd = -1;
	return cc;
}

void chain_cache_free(struct chain_cache *cc)
{
	if (!cc)
		return;
	for (unsigned i = 0; i < CHAIN_CACHE_ENTRIES; i++)
		if (cc->entries[i].fd >= 0)
			close(cc->entries[i].fd);
	free(cc);
}

static bool same_key(const struct chain_cache_key *a, const struct chain_cache_key *b)
{
	return a->after == b->after && a->last == b->last && a->jsonl == b->jsonl &&
	       memcmp(a->head, b->head, sizeof a->head) == 0 && memcmp(a->chain, b->chain, sizeof a->chain) == 0;
}

int chain_cache_open(struct chain_cache *cc, const struct chain_cache_key *key, size_t *len)
{
	for (unsigned i = 0; cc && i < CHAIN_CACHE_ENTRIES; i++) {
		struct chain_cache_entry *e = &cc->entries[i];
		if (e->fd >= 0 && same_key(&e->key, key)) {
			int fd = fcntl(e->fd, F_DUPFD_CLOEXEC, 0);
			if (fd >= 0) {
				e->used = ++cc->clock;
				*len = e->len;
			}
			return fd;
		}
	}
	return -1;
}

/* Writes all of body at the start of fd. 0, or -1. */
static int fill(int fd, const char *body, size_t len)
{
	size_t done = 0;
	while (done < len) {
		ssize_t n = write(fd, body + done, len - done);
		if (n <= 0)
			return -1;
		done += (size_t)n;
	}
	return 0;
}

/* The least recently used entry that holds a body, or NULL. */
static struct chain_cache_entry *oldest(struct chain_cache *cc)
{
	struct chain_cache_entry *o = NULL;
	for (unsigned i = 0; i < CHAIN_CACHE_ENTRIES; i++)
		if (cc->entries[i].fd >= 0 && (!o || cc->entries[i].used < o->used))
			o = &cc->entries[i];
	return o;
}

static void drop(struct chain_cache *cc, struct chain_cache_entry *e)
{
	close(e->fd);
	e->fd = -1;
	cc->bytes -= e->len;
}

void chain_cache_put(struct chain_cache *cc, const struct chain_cache_key *key, const void *body, size_t len)
{
	if (!cc || len < CHAIN_CACHE_BODY_MIN || len > CHAIN_CACHE_BODY_MAX)
		return;
	/* Room in bytes and in entries: the least recently used go first. */
	struct chain_cache_entry *o;
	while (cc->bytes + len > CHAIN_CACHE_BYTES && (o = oldest(cc)))
		drop(cc, o);
	struct chain_cache_entry *slot = NULL;
	for (unsigned i = 0; i < CHAIN_CACHE_ENTRIES && !slot; i++)
		if (cc->entries[i].fd < 0)
			slot = &cc->entries[i];
	if (!slot) {
		slot = oldest(cc);
		drop(cc, slot);
	}
	int fd = memfd_create("kez-chain", MFD_CLOEXEC);
	if (fd < 0)
		return;
	if (fill(fd, body, len) < 0) {
		close(fd);
		return;
	}
	slot->key = *key;
	slot->fd = fd;
	slot->len = len;
	slot->used = ++cc->clock;
	cc->bytes += len;
}
