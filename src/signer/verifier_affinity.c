#include "signer/verifier_affinity.h"

#include <errno.h>
#include <sched.h>
#include <string.h>

#include "common/base/log.h"

void verifier_pin_threads(pthread_t loop, const pthread_t *others, unsigned n_others)
{
	unsigned n = n_others + 1;
	cpu_set_t allowed;
	CPU_ZERO(&allowed);
	if (sched_getaffinity(0, sizeof allowed, &allowed) < 0) {
		log_warn("verification threads not pinned: sched_getaffinity: %s", strerror(errno));
		return;
	}
	unsigned cpus = (unsigned)CPU_COUNT(&allowed);
	if (cpus < n) {
		log_info("verification threads not pinned: %u threads, %u CPU%s to run on", n, cpus,
			 cpus == 1 ? "" : "s");
		return;
	}
	int cpu = -1;
	for (unsigned i = 0; i < n; i++) {
		do
			cpu++;
		while (!CPU_ISSET(cpu, &allowed));
		cpu_set_t one;
		CPU_ZERO(&one);
		CPU_SET(cpu, &one);
		int rc = pthread_setaffinity_np(i == 0 ? loop : others[i - 1], sizeof one, &one);
		if (rc != 0) {
			log_warn("verification thread %u not pinned to CPU %d: %s", i + 1, cpu, strerror(rc));
			continue;
		}
		log_debug("verification thread %u pinned to CPU %d", i + 1, cpu);
	}
}
