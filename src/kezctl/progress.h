/* A progress line for long runs (import, events): count, rate and time left,
 * redrawn in place on stderr when stderr is a terminal; nothing at all when
 * it is not, so logs and pipes see only the results. */
#ifndef KEZCTL_PROGRESS_H
#define KEZCTL_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

struct progress {
	bool        on;       /* stderr is a terminal */
	bool        drawn;    /* a line is on screen */
	const char *what;     /* "posted", "events" */
	uint64_t    total;    /* 0: unknown, no ETA */
	uint64_t    done;
	int64_t     start_ms; /* monotonic */
	int64_t     drawn_ms;
};

void progress_start(struct progress *p, const char *what, uint64_t total);
/* `done` items so far; redraws at most ten times a second. */
void progress_update(struct progress *p, uint64_t done);
/* The last count drawn and the line ended, so what follows starts clean. */
void progress_end(struct progress *p);

#endif
