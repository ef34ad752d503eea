#include "common/proc/log_limit.h"

bool log_limit_allow(struct log_limit *l, long long now_ms, unsigned long *held_back)
{
	if (l->window_ms == 0 || now_ms - l->window_ms >= l->interval_ms) {
		/* 0 means "none yet": a clock that reads 0 still opens one. */
		l->window_ms = now_ms != 0 ? now_ms : 1;
		l->in_window = 0;
	}
	if (l->in_window >= l->burst) {
		l->held_back++;
		return false;
	}
	l->in_window++;
	*held_back = l->held_back;
	l->held_back = 0;
	return true;
}
