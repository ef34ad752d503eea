/* Shared token buckets (rate_table.h). The table is a fixed array of small
 * groups, one spinlock each; an address hashes to a group and takes a free
 * entry there, or the one used longest ago. A lock held by a process that
 * died is taken over after a bounded spin. */
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>

#include "common/base/clock.h"
#include "common/base/log.h"
#include "common/proc/rate_table.h"

#define RATE_GROUPS     1024
#define RATE_GROUP_SIZE 8
#define RATE_SPIN_MAX   (1u << 22)
/* Fixed point: one write is this many units; a bucket refills `limit`
 * units a millisecond, i.e. `limit` writes a minute. */
#define RATE_UNIT       60000

struct rate_entry {
	int64_t       tokens;  /* units */
	int64_t       last_ms; /* last refill */
	sa_family_t   family;  /* 0: free */
	unsigned char addr[16];
};

struct rate_group {
	atomic_uint       lock;
	struct rate_entry entries[RATE_GROUP_SIZE];
};

struct rate_table {
	uint64_t          seed;
	struct rate_group groups[RATE_GROUPS];
};

struct rate_table *rate_table_create(void)
{
	void *p = mmap(NULL, sizeof(struct rate_table), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	struct rate_table *t = p; /* zeroed: every lock free, every entry free */
	if (getrandom(&t->seed, sizeof t->seed, 0) != sizeof t->seed)
		t->seed = (uint64_t)monotonic_ms() * 0x9e3779b97f4a7c15ull;
	for (unsigned i = 0; i < RATE_GROUPS; i++)
		atomic_init(&t->groups[i].lock, 0);
	return t;
}

static struct rate_group *group_of(struct rate_table *t, sa_family_t family, const unsigned char addr[16])
{
	uint64_t h = 0xcbf29ce484222325ull ^ t->seed;
	h = (h ^ family) * 0x100000001b3ull;
	for (size_t i = 0; i < 16; i++)
		h = (h ^ addr[i]) * 0x100000001b3ull;
	h ^= h >> 29;
	return &t->groups[h % RATE_GROUPS];
}

static void lock(struct rate_group *g)
{
	for (unsigned i = 0; i < RATE_SPIN_MAX; i++)
		if (atomic_exchange_explicit(&g->lock, 1, memory_order_acquire) == 0)
			return;
	/* Held far longer than any update takes: its holder died. */
	log_warn("taking over a rate-limit lock left held");
	atomic_store_explicit(&g->lock, 1, memory_order_relaxed);
}

static void unlock(struct rate_group *g)
{
	atomic_store_explicit(&g->lock, 0, memory_order_release);
}

static struct rate_entry *entry_for(struct rate_group *g, sa_family_t family, const unsigned char addr[16],
				    int64_t full, long long now)
{
	struct rate_entry *oldest = &g->entries[0];
	for (unsigned i = 0; i < RATE_GROUP_SIZE; i++) {
		struct rate_entry *e = &g->entries[i];
		if (e->family == family && memcmp(e->addr, addr, sizeof e->addr) == 0)
			return e;
		if (oldest->family != 0 && (e->family == 0 || e->last_ms < oldest->last_ms))
			oldest = e;
	}
	oldest->family = family;
	memcpy(oldest->addr, addr, sizeof oldest->addr);
	oldest->tokens = full;
	oldest->last_ms = now;
	return oldest;
}

bool rate_table_take(struct rate_table *t, unsigned limit, sa_family_t family, const unsigned char addr[16],
		     long long now_ms, unsigned *retry_after_s)
{
	int64_t full = (int64_t)limit * RATE_UNIT;
	struct rate_group *g = group_of(t, family, addr);
	lock(g);
	struct rate_entry *e = entry_for(g, family, addr, full, now_ms);
	if (now_ms > e->last_ms) {
		int64_t gained = (now_ms - e->last_ms) * (int64_t)limit;
		e->tokens = gained >= full - e->tokens ? full : e->tokens + gained;
		e->last_ms = now_ms;
	}
	bool ok = e->tokens >= RATE_UNIT;
	if (ok) {
		e->tokens -= RATE_UNIT;
	} else {
		int64_t ms = (RATE_UNIT - e->tokens + limit - 1) / limit;
		*retry_after_s = (unsigned)((ms + 999) / 1000);
		if (*retry_after_s == 0)
			*retry_after_s = 1;
	}
	unlock(g);
	return ok;
}
