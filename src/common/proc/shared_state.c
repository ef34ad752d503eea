#include "common/proc/shared_state.h"

#include <stddef.h>
#include <sys/mman.h>

struct shared_state *shared_state_create(void)
{
	void *p = mmap(NULL, sizeof(struct shared_state), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	struct shared_state *s = p;
	atomic_init(&s->verifier_ready, 0);
	atomic_init(&s->writer_ready, 0);
	atomic_init(&s->verifier_generation, 0);
	atomic_init(&s->writer_generation, 0);
	return s;
}
