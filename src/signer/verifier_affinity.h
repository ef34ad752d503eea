/* Where the verifier's verification threads run. With --verifier-affinity
 * auto (the default) each thread is pinned to a CPU of its own among those
 * the verifier may use, when there are at least as many such CPUs as
 * threads: left to the scheduler, the two threads of a two-core machine
 * shared one core now and then while the other ran the lighter processes,
 * and registrations came out 2-10 % slower in alternating rounds
 * (bench/NOTES.md). Fewer CPUs than threads: nothing is pinned, since a
 * pinned thread could not move away from a core another one needs. */
#ifndef KEZ_VERIFIER_AFFINITY_H
#define KEZ_VERIFIER_AFFINITY_H

#include <pthread.h>

/* Pins the loop thread, then others[0..n_others-1], to the verifier's
 * allowed CPUs, one each, in order; called before the seccomp filter is
 * loaded. Logs what it did (or why it did nothing); a failure only costs
 * speed, so it never stops the start. */
void verifier_pin_threads(pthread_t loop, const pthread_t *others, unsigned n_others);

#endif
