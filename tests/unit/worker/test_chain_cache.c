/* The rendered-body cache of sigchain reads: hits only for the very key,
 * short bodies not kept, least recently used out first, bounded in bytes. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../unit.h"
#include "worker/chain_cache.h"

static struct chain_cache_key key_of(uint8_t chain, uint8_t head, uint32_t after)
{
	struct chain_cache_key k;
	memset(&k, 0, sizeof k);
	memset(k.chain, chain, sizeof k.chain);
	memset(k.head, head, sizeof k.head);
	k.after = after;
	k.last = after + 100;
	return k;
}

/* The cached bytes read back through the descriptor. */
static bool holds(struct chain_cache *cc, const struct chain_cache_key *k, const char *body, size_t len)
{
	size_t got_len = 0;
	int fd = chain_cache_open(cc, k, &got_len);
	if (fd < 0)
		return false;
	char *got = malloc(len + 1);
	ssize_t n = got ? pread(fd, got, len + 1, 0) : -1;
	bool same = got_len == len && n == (ssize_t)len && memcmp(got, body, len) == 0;
	free(got);
	close(fd);
	return same;
}

UNIT_TEST(chain_cache_hits_only_the_same_key)
{
	struct chain_cache *cc = chain_cache_new();
	REQUIRE(cc);
	size_t len = CHAIN_CACHE_BODY_MIN + 10;
	char *body = malloc(len);
	REQUIRE(body);
	memset(body, 'x', len);
	struct chain_cache_key k = key_of(1, 2, 0);
	chain_cache_put(cc, &k, body, len);
	CHECK(holds(cc, &k, body, len));
	struct chain_cache_key grown = key_of(1, 3, 0), page = key_of(1, 2, 5), other = key_of(9, 2, 0);
	size_t unused;
	CHECK(chain_cache_open(cc, &grown, &unused) < 0); /* the head changed: a miss */
	CHECK(chain_cache_open(cc, &page, &unused) < 0);
	CHECK(chain_cache_open(cc, &other, &unused) < 0);
	struct chain_cache_key jsonl = k;
	jsonl.jsonl = true;
	CHECK(chain_cache_open(cc, &jsonl, &unused) < 0);
	/* a short body is not kept */
	struct chain_cache_key small = key_of(4, 4, 0);
	chain_cache_put(cc, &small, body, CHAIN_CACHE_BODY_MIN - 1);
	CHECK(chain_cache_open(cc, &small, &unused) < 0);
	free(body);
	chain_cache_free(cc);
}

UNIT_TEST(chain_cache_bounded_least_recently_used_first)
{
	struct chain_cache *cc = chain_cache_new();
	REQUIRE(cc);
	size_t len = CHAIN_CACHE_BODY_MAX;
	char *body = malloc(len);
	REQUIRE(body);
	memset(body, 'y', len);
	unsigned fit = CHAIN_CACHE_BYTES / CHAIN_CACHE_BODY_MAX; /* bodies the byte budget holds */
	for (unsigned i = 0; i < fit; i++) {
		struct chain_cache_key k = key_of((uint8_t)i, 1, 0);
		chain_cache_put(cc, &k, body, len);
	}
	struct chain_cache_key first = key_of(0, 1, 0), second = key_of(1, 1, 0);
	CHECK(holds(cc, &first, body, len)); /* touched: now the most recent */
	struct chain_cache_key extra = key_of(200, 1, 0);
	chain_cache_put(cc, &extra, body, len);
	CHECK(holds(cc, &extra, body, len));
	CHECK(holds(cc, &first, body, len));
	size_t unused;
	CHECK(chain_cache_open(cc, &second, &unused) < 0); /* the least recently used went */
	free(body);
	chain_cache_free(cc);
}
