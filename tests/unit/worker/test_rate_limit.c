/* The write limit's token buckets: the burst, the refill, Retry-After,
 * addresses apart, many addresses in a bounded table, and one count across
 * processes (the table is shared memory). */
#include <sys/wait.h>
#include <unistd.h>

#include "worker/client_addr.h"
#include "common/proc/rate_table.h"
#include "../unit.h"

static struct peer_addr addr(const char *text)
{
	struct peer_addr a;
	memset(&a, 0, sizeof a);
	(void)peer_addr_parse(text, strlen(text), &a);
	return a;
}

UNIT_TEST(rate_limit_burst_refill_retry_after)
{
	struct rate_table *t = rate_table_create();
	REQUIRE(t);
	struct peer_addr a = addr("192.0.2.1");
	unsigned retry = 0;
	long long now = 1000000;
	for (int i = 0; i < 3; i++)
		CHECK(rate_table_take(t, 3, a.family, a.bytes, now, &retry));
	CHECK(!rate_table_take(t, 3, a.family, a.bytes, now, &retry));
	CHECK_EQ_INT(retry, 20); /* 3 a minute: one every 20 s */
	CHECK(!rate_table_take(t, 3, a.family, a.bytes, now + 19000, &retry));
	CHECK_EQ_INT(retry, 1);
	CHECK(rate_table_take(t, 3, a.family, a.bytes, now + 20000, &retry));
	CHECK(!rate_table_take(t, 3, a.family, a.bytes, now + 20000, &retry));
	/* a long pause refills to the burst, no further */
	now += 3600 * 1000;
	for (int i = 0; i < 3; i++)
		CHECK(rate_table_take(t, 3, a.family, a.bytes, now, &retry));
	CHECK(!rate_table_take(t, 3, a.family, a.bytes, now, &retry));
}

UNIT_TEST(rate_limit_addresses_apart)
{
	struct rate_table *t = rate_table_create();
	REQUIRE(t);
	struct peer_addr a = addr("192.0.2.1"), b = addr("192.0.2.2"), c = addr("2001:db8::1"),
			 mapped = addr("::ffff:192.0.2.1");
	unsigned retry;
	CHECK(rate_table_take(t, 1, a.family, a.bytes, 0, &retry));
	CHECK(!rate_table_take(t, 1, a.family, a.bytes, 0, &retry));
	CHECK(rate_table_take(t, 1, b.family, b.bytes, 0, &retry));
	CHECK(rate_table_take(t, 1, c.family, c.bytes, 0, &retry));
	/* an IPv4 client through a dual-stack socket is the same client */
	CHECK(!rate_table_take(t, 1, mapped.family, mapped.bytes, 0, &retry));
}

UNIT_TEST(rate_limit_table_is_bounded)
{
	struct rate_table *t = rate_table_create();
	REQUIRE(t);
	unsigned retry;
	char text[32];
	/* far more addresses than entries: each still gets its burst */
	for (unsigned i = 0; i < 20000; i++) {
		snprintf(text, sizeof text, "10.%u.%u.%u", (i >> 16) & 255, (i >> 8) & 255, i & 255);
		struct peer_addr a = addr(text);
		if (!CHECK(rate_table_take(t, 1, a.family, a.bytes, i, &retry)))
			break;
	}
	/* the most recent one is still remembered */
	struct peer_addr last = addr("10.0.78.31"); /* 19999 */
	CHECK(!rate_table_take(t, 1, last.family, last.bytes, 20000, &retry));
}

UNIT_TEST(rate_limit_shared_across_processes)
{
	struct rate_table *t = rate_table_create();
	REQUIRE(t);
	struct peer_addr a = addr("198.51.100.4");
	pid_t pid = fork();
	REQUIRE(pid >= 0);
	if (pid == 0) {
		unsigned r;
		int ok = 0;
		for (int i = 0; i < 5; i++)
			ok += rate_table_take(t, 5, a.family, a.bytes, 0, &r);
		_exit(ok == 5 ? 0 : 1);
	}
	int status = 0;
	REQUIRE(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	unsigned retry;
	CHECK(!rate_table_take(t, 5, a.family, a.bytes, 0, &retry)); /* the child used the burst */
}

UNIT_TEST(client_addr_forwarded_for)
{
	struct peer_addr a, want = addr("203.0.113.7");
	CHECK(peer_addr_last_forwarded("10.0.0.1, 203.0.113.7", 21, &a) && peer_addr_equal(&a, &want));
	CHECK(peer_addr_last_forwarded("203.0.113.7", 11, &a) && peer_addr_equal(&a, &want));
	CHECK(peer_addr_last_forwarded("[2001:db8::5]", 13, &a) && a.family == AF_INET6);
	CHECK(!peer_addr_last_forwarded("10.0.0.1, unknown", 17, &a));
	CHECK(!peer_addr_last_forwarded("10.0.0.1,", 9, &a));
	CHECK(!peer_addr_last_forwarded("", 0, &a));
	struct peer_addr lo = addr("127.0.0.2"), lo6 = addr("::1"), pub = addr("192.0.2.1");
	CHECK(peer_addr_is_loopback(&lo));
	CHECK(peer_addr_is_loopback(&lo6));
	CHECK(!peer_addr_is_loopback(&pub));
}
