/* At most one log line an interval for a kind of event that a peer can
 * cause at will (a malformed message, a refused request): the first is
 * logged at once, the rest of the interval only counted, and the count told
 * with the next line. */
#ifndef KEZ_LOG_LIMIT_H
#define KEZ_LOG_LIMIT_H

#include <stdbool.h>

struct log_limit {
	long long     interval_ms;
	long long     last_ms;    /* when a line was last allowed; 0: never */
	unsigned long held_back;  /* events since, not logged */
};

#define LOG_LIMIT_INIT(ms) { .interval_ms = (ms), .last_ms = 0, .held_back = 0 }

/* True when this event may be logged now; *held_back then says how many
 * were not logged since the last line (and the count starts again). */
bool log_limit_allow(struct log_limit *l, long long now_ms, unsigned long *held_back);

#endif
