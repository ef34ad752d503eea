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

/* Pins threads[0..n-1], in order, to the verifier's allowed CPUs, one each;
 * called before the seccomp filter is loaded. Logs what it did (or why it
 * did nothing); a failure only costs speed, so it never stops the start. */
void verifier_pin_threads(const pthread_t *threads, unsigned n);

#endif
