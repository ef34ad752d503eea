/* Deadlines as a few FIFO lists instead of a heap: within a list every
 * deadline is "time of insertion + the list's timeout", so appending keeps
 * it sorted. A list calls back its owner through the function stored in it,
 * so this module names none of its users. */
#ifndef KEZ_WORKER_DEADLINES_H
#define KEZ_WORKER_DEADLINES_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/queue.h>

struct deadline_list;

/* Embedded in whatever waits; zeroed memory is a valid entry on no list. */
struct deadline_entry {
	TAILQ_ENTRY(deadline_entry) link;
	struct deadline_list       *list; /* NULL: on no list */
	long long                   at_ms;
};

/* Called with the entry already off its list. */
typedef void (*deadline_fn)(struct deadline_entry *e, void *arg);

struct deadline_list {
	TAILQ_HEAD(, deadline_entry) entries;
	unsigned                     timeout_ms;
	deadline_fn                  expired;
	void                        *arg;
};

void deadline_list_init(struct deadline_list *l, unsigned timeout_ms, deadline_fn expired, void *arg);
/* (Re)starts e's deadline on l: now + l's timeout. */
void deadline_set(struct deadline_list *l, struct deadline_entry *e, long long now_ms);
void deadline_clear(struct deadline_entry *e);
static inline bool deadline_is_set(const struct deadline_entry *e) { return e->list != NULL; }
/* Milliseconds until the earliest deadline of the lists (-1: none). */
int  deadline_next_timeout(struct deadline_list *const *lists, size_t n, long long now_ms);
/* Calls back every entry whose time has come, list by list. */
void deadline_expire(struct deadline_list *const *lists, size_t n, long long now_ms);

#endif
