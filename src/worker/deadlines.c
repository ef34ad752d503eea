/* Deadline lists (deadlines.h): O(1) set and clear, expiry from the front. */
#include "worker/deadlines.h"

void deadline_list_init(struct deadline_list *l, unsigned timeout_ms, deadline_fn expired, void *arg)
{
	TAILQ_INIT(&l->entries);
	l->timeout_ms = timeout_ms;
	l->expired = expired;
	l->arg = arg;
}

void deadline_clear(struct deadline_entry *e)
{
	if (!e->list)
		return;
	TAILQ_REMOVE(&e->list->entries, e, link);
	e->list = NULL;
}

void deadline_set(struct deadline_list *l, struct deadline_entry *e, long long now_ms)
{
	deadline_clear(e);
	e->at_ms = now_ms + l->timeout_ms;
	e->list = l;
	TAILQ_INSERT_TAIL(&l->entries, e, link);
}

int deadline_next_timeout(struct deadline_list *const *lists, size_t n, long long now_ms)
{
	long long soonest = -1;
	for (size_t i = 0; i < n; i++) {
		const struct deadline_entry *e = TAILQ_FIRST(&lists[i]->entries);
		if (e && (soonest < 0 || e->at_ms < soonest))
			soonest = e->at_ms;
	}
	if (soonest < 0)
		return -1;
	if (soonest <= now_ms)
		return 0;
	long long wait = soonest - now_ms;
	return wait > 0x7fffffff ? 0x7fffffff : (int)wait;
}

void deadline_expire(struct deadline_list *const *lists, size_t n, long long now_ms)
{
	for (size_t i = 0; i < n; i++) {
		struct deadline_list *l = lists[i];
		struct deadline_entry *e;
		/* The callback may clear or set other entries: take the front anew each time. */
		while ((e = TAILQ_FIRST(&l->entries)) && e->at_ms <= now_ms) {
			deadline_clear(e);
			l->expired(e, l->arg);
		}
	}
}
