/* What the writer probes share (forged_insert.c, forged_append.c): waiting
 * for the writer's answers to what they sent, and the words they log for
 * each outcome. */
#ifndef KEZ_PROBE_WRITER_ANSWERS_H
#define KEZ_PROBE_WRITER_ANSWERS_H

#ifdef KEZ_TEST_HOOKS
#include <stddef.h>
#include <stdint.h>

#include "common/proc/ipc_drain.h"

/* Reads answers into rx (whose handler counts them in *answered) until
 * `want` have come, the link ends, or 3 s have passed. */
void probe_await_answers(struct ipc_receiver *rx, struct ipc_channel *to_writer, const int *answered, int want);
/* "<what> stored", "<what> refused (<code>)", or "<what> no answer" for an
 * error of -1. */
void probe_describe(char *out, size_t cap, const char *what, int32_t error);
#endif

#endif
