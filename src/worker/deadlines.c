/* Deadlines as a few FIFO lists instead of a heap: within a list every
 * deadline is "time of insertion + the list's timeout", so order is free. */
#include "worker/worker.h"

void deadline_clear(struct connection *c)
{
	struct deadline_list *l = c->deadline_list;
	if (!l)
		return;
	if (c->dl_prev)
		c->dl_prev->dl_next = c->dl_next;
	else
		l->head = c->dl_next;
	if (c->dl_next)
		c->dl_next->dl_prev = c->dl_prev;
	else
		l->tail = c->dl_prev;
	c->dl_prev = c->dl_next = NULL;
	c->deadline_list = NULL;
}

void deadline_set(struct worker *w, struct connection *c, struct deadline_list *list)
{
	deadline_clear(c);
	c->deadline_ms = w->now_ms + list->timeout_ms;
	c->deadline_list = list;
	c->dl_prev = list->tail;
	c->dl_next = NULL;
	if (list->tail)
		list->tail->dl_next = c;
	else
		list->head = c;
	list->tail = c;
}

static struct deadline_list *all_lists(struct worker *w, int i)
{
	struct deadline_list *lists[] = { &w->request_deadlines, &w->idle_deadlines, &w->send_deadlines,
					  &w->ipc_deadlines, &w->linger_deadlines };
	return i < (int)(sizeof lists / sizeof lists[0]) ? lists[i] : NULL;
}

int deadline_next_timeout(const struct worker *w)
{
	long long soonest = -1;
	struct deadline_list *l;
	for (int i = 0; (l = all_lists((struct worker *)w, i)); i++)
		if (l->head && (soonest < 0 || l->head->deadline_ms < soonest))
			soonest = l->head->deadline_ms;
	if (soonest < 0)
		return -1;
	return soonest <= w->now_ms ? 0 : (int)(soonest - w->now_ms);
}

void deadline_expire(struct worker *w)
{
	struct deadline_list *l;
	for (int i = 0; (l = all_lists(w, i)); i++)
		while (l->head && l->head->deadline_ms <= w->now_ms) {
			struct connection *c = l->head;
			deadline_clear(c);
			if (l == &w->ipc_deadlines)
				registration_timed_out(w, c);
			else
				connection_timed_out(w, c);
		}
}
