#include "kezctl/progress.h"

#include <stdio.h>
#include <unistd.h>

#include "common/base/clock.h"

#define REDRAW_MS 100

void progress_start(struct progress *p, const char *what, uint64_t total)
{
	*p = (struct progress){ .on = isatty(STDERR_FILENO) == 1, .what = what, .total = total,
				.start_ms = monotonic_ms() };
}

/* "7s", "4m05s", "2h03m": short enough to keep the line on one row. */
static void format_duration(uint64_t s, char *out, size_t cap)
{
	if (s < 60)
		snprintf(out, cap, "%us", (unsigned)s);
	else if (s < 3600)
		snprintf(out, cap, "%um%02us", (unsigned)(s / 60), (unsigned)(s % 60));
	else
		snprintf(out, cap, "%lluh%02um", (unsigned long long)(s / 3600), (unsigned)(s % 3600 / 60));
}

static void draw(struct progress *p, int64_t now, bool last)
{
	int64_t elapsed = now - p->start_ms;
	double rate = elapsed > 0 ? (double)p->done * 1000.0 / (double)elapsed : 0.0;
	char when[32] = "";
	if (last) {
		char d[24];
		format_duration((uint64_t)(elapsed / 1000), d, sizeof d);
		snprintf(when, sizeof when, "  in %s", d);
	} else if (p->total && rate > 0.0) {
		char d[24];
		format_duration((uint64_t)((double)(p->total - p->done) / rate + 0.5), d, sizeof d);
		snprintf(when, sizeof when, "  ETA %s", d);
	} else if (p->total) {
		snprintf(when, sizeof when, "  ETA ?");
	}
	/* \r and erase-line: the new text replaces the old on the same row */
	if (p->total)
		fprintf(stderr, "\r\033[K%s %llu/%llu (%u%%)  %.0f/s%s", p->what, (unsigned long long)p->done,
			(unsigned long long)p->total, (unsigned)(p->done * 100 / p->total), rate, when);
	else
		fprintf(stderr, "\r\033[K%s %llu  %.0f/s%s", p->what, (unsigned long long)p->done, rate, when);
	fflush(stderr);
	p->drawn = true;
	p->drawn_ms = now;
}

void progress_update(struct progress *p, uint64_t done)
{
	if (!p->on)
		return;
	p->done = p->total && done > p->total ? p->total : done;
	int64_t now = monotonic_ms();
	if (!p->drawn || now - p->drawn_ms >= REDRAW_MS)
		draw(p, now, false);
}

void progress_end(struct progress *p)
{
	if (!p->on || !p->drawn)
		return;
	draw(p, monotonic_ms(), true);
	fputc('\n', stderr);
	fflush(stderr);
	p->drawn = false;
}
