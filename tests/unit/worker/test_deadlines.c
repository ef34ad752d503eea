/* The deadline lists: FIFO order, expiry through the list's callback,
 * clearing, re-arming, and the wait until the earliest deadline. */
#include <stddef.h>

#include "worker/deadlines.h"
#include "../unit.h"

struct waiter {
	struct deadline_entry d;
	int                   id;
};

struct record {
	int                   order[16];
	int                   n;
	struct deadline_entry *clear_on_expiry; /* a callback that clears another entry */
};

static void expired(struct deadline_entry *e, void *arg)
{
	struct record *r = arg;
	struct waiter *w = (struct waiter *)((char *)e - offsetof(struct waiter, d));
	if (r->n < 16)
		r->order[r->n++] = w->id;
	if (r->clear_on_expiry)
		deadline_clear(r->clear_on_expiry);
}

UNIT_TEST(deadlines_expire_in_order)
{
	struct record rec = { .n = 0 };
	struct deadline_list l;
	deadline_list_init(&l, 100, expired, &rec);
	struct deadline_list *lists[] = { &l };
	struct waiter a = { .id = 1 }, b = { .id = 2 }, c = { .id = 3 };
	CHECK_EQ_INT(deadline_next_timeout(lists, 1, 0), -1);
	deadline_set(&l, &a.d, 0);
	deadline_set(&l, &b.d, 10);
	deadline_set(&l, &c.d, 20);
	CHECK(deadline_is_set(&a.d));
	CHECK_EQ_INT(deadline_next_timeout(lists, 1, 50), 50);
	deadline_expire(lists, 1, 99);
	CHECK_EQ_INT(rec.n, 0);
	deadline_expire(lists, 1, 105);
	REQUIRE(rec.n == 1);
	CHECK_EQ_INT(rec.order[0], 1);
	CHECK(!deadline_is_set(&a.d));
	CHECK_EQ_INT(deadline_next_timeout(lists, 1, 105), 5);
	deadline_expire(lists, 1, 500);
	REQUIRE(rec.n == 3);
	CHECK_EQ_INT(rec.order[1], 2);
	CHECK_EQ_INT(rec.order[2], 3);
	CHECK_EQ_INT(deadline_next_timeout(lists, 1, 500), -1);
}

UNIT_TEST(deadlines_clear_and_rearm)
{
	struct record rec = { .n = 0 };
	struct deadline_list l;
	deadline_list_init(&l, 100, expired, &rec);
	struct deadline_list *lists[] = { &l };
	struct waiter a = { .id = 1 }, b = { .id = 2 };
	deadline_set(&l, &a.d, 0);
	deadline_set(&l, &b.d, 50);
	deadline_clear(&a.d);
	deadline_clear(&a.d); /* twice is harmless */
	CHECK(!deadline_is_set(&a.d));
	CHECK_EQ_INT(deadline_next_timeout(lists, 1, 60), 90);
	/* re-arming moves an entry to the back with a new time */
	deadline_set(&l, &a.d, 60);
	deadline_set(&l, &b.d, 70);
	deadline_expire(lists, 1, 165);
	REQUIRE(rec.n == 1);
	CHECK_EQ_INT(rec.order[0], 1);
	deadline_expire(lists, 1, 170);
	REQUIRE(rec.n == 2);
	CHECK_EQ_INT(rec.order[1], 2);
}

UNIT_TEST(deadlines_callback_may_clear_others)
{
	struct record rec = { .n = 0 };
	struct deadline_list l;
	deadline_list_init(&l, 10, expired, &rec);
	struct deadline_list *lists[] = { &l };
	struct waiter a = { .id = 1 }, b = { .id = 2 }, c = { .id = 3 };
	deadline_set(&l, &a.d, 0);
	deadline_set(&l, &b.d, 0);
	deadline_set(&l, &c.d, 0);
	rec.clear_on_expiry = &b.d; /* a's expiry clears b: b never fires */
	deadline_expire(lists, 1, 100);
	REQUIRE(rec.n == 2);
	CHECK_EQ_INT(rec.order[0], 1);
	CHECK_EQ_INT(rec.order[1], 3);
}

UNIT_TEST(deadlines_next_timeout_over_lists)
{
	struct record r1 = { .n = 0 }, r2 = { .n = 0 };
	struct deadline_list slow, fast;
	deadline_list_init(&slow, 1000, expired, &r1);
	deadline_list_init(&fast, 100, expired, &r2);
	struct deadline_list *lists[] = { &slow, &fast };
	struct waiter a = { .id = 1 }, b = { .id = 2 };
	deadline_set(&slow, &a.d, 0);
	CHECK_EQ_INT(deadline_next_timeout(lists, 2, 0), 1000);
	deadline_set(&fast, &b.d, 500);
	CHECK_EQ_INT(deadline_next_timeout(lists, 2, 500), 100);
	CHECK_EQ_INT(deadline_next_timeout(lists, 2, 700), 0); /* overdue */
	deadline_expire(lists, 2, 700);
	CHECK_EQ_INT(r1.n, 0);
	CHECK_EQ_INT(r2.n, 1);
	CHECK_EQ_INT(deadline_next_timeout(lists, 2, 700), 300);
}
