/* The write limit's table (API.md §5): token buckets per client address,
 * mapped shared by the master before the first fork so that all workers
 * count together. N writes a minute, bursts of N. */
#ifndef KEZ_PROC_RATE_TABLE_H
#define KEZ_PROC_RATE_TABLE_H

#include <stdbool.h>
#include <sys/socket.h>

struct rate_table;

/* NULL when it cannot be mapped. */
struct rate_table *rate_table_create(void);
/* Takes one write from the bucket of (family, addr: 16 bytes, an IPv4
 * address in its first 4); limit: writes a minute, > 0. true when allowed;
 * otherwise *retry_after_s says when one will be. */
bool rate_table_take(struct rate_table *t, unsigned limit, sa_family_t family, const unsigned char addr[16],
		     long long now_ms, unsigned *retry_after_s);

#endif
