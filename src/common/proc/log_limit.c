#include "common/proc/log_limit.h"

bool log_limit_allow(struct log_limit *l, long long now_ms, unsigned long *held_back)
{
	if (l->last_ms != 0 && now_ms - l->last_ms < l->interval_ms) {
		l->held_back++;
		return false;
	}
	*held_back = l->held_back;
	l->held_back = 0;
	/* 0 means "never": a clock that reads 0 still counts as a first line. */
	l->last_ms = now_ms != 0 ? now_ms : 1;
	return true;
}
