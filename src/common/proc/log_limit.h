/* A bounded number of log lines an interval for a kind of event that a peer
 * can cause at will (a malformed message, a refused request): the first few
 * are logged at once, the rest of the interval only counted, and the count
 * told with the next line logged. */
#ifndef KEZ_LOG_LIMIT_H
#define KEZ_LOG_LIMIT_H

#include <stdbool.h>

struct log_limit {
	long long     interval_ms;
	unsigned      burst;      /* lines an interval */
	long long     window_ms;  /* when the current interval began; 0: none yet */
	unsigned      in_window;  /* lines logged in it */
	unsigned long held_back;  /* events not logged since the last line */
};

#define LOG_LIMIT_INIT(ms, lines) \
	{ .interval_ms = (ms), .burst = (lines), .window_ms = 0, .in_window = 0, .held_back = 0 }

/* True when this event may be logged now; *held_back then says how many
 * were not logged since the last line (and that count starts again). */
bool log_limit_allow(struct log_limit *l, long long now_ms, unsigned long *held_back);

#endif
