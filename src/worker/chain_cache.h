/* Rendered sigchain bodies kept in memory files, so that a popular chain is
 * sent with sendfile from the page cache (as a static file is) instead of
 * being copied out of LMDB and through a write for every request. An entry
 * is keyed by what determines the bytes — chain, head hash, page bounds,
 * form — so a chain that grows simply misses (its head changed) and the
 * stale entry ages out. Only long bodies are kept (a short one costs less
 * to make again than to keep), and a worker keeps at most
 * CHAIN_CACHE_ENTRIES of them, CHAIN_CACHE_BYTES in all. */
#ifndef KEZ_WORKER_CHAIN_CACHE_H
#define KEZ_WORKER_CHAIN_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CHAIN_CACHE_ENTRIES  256
#define CHAIN_CACHE_BODY_MIN (16 * 1024)
#define CHAIN_CACHE_BODY_MAX (256 * 1024)
#define CHAIN_CACHE_BYTES    (32u * 1024 * 1024)

struct chain_cache_key {
	uint8_t  chain[32];
	uint8_t  head[32];
	uint32_t after, last;
	bool     jsonl;
};

struct chain_cache;

/* NULL when out of memory (the worker then renders every body). */
struct chain_cache *chain_cache_new(void);
void chain_cache_free(struct chain_cache *cc);
/* A new descriptor for the body under `key` (the caller closes it), with its
 * length in *len; -1 when it is not cached. */
int  chain_cache_open(struct chain_cache *cc, const struct chain_cache_key *key, size_t *len);
/* Keeps `body` under `key`, replacing the least recently used entry. A
 * failure (no memory file) only means it is not kept. */
void chain_cache_put(struct chain_cache *cc, const struct chain_cache_key *key, const void *body, size_t len);

#endif
