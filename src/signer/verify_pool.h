/* Verification threads inside the verifier. The loop thread alone reads
 * and writes the links; it queues each request (a copy of its body, tagged
 * with the link it came on), and the threads compute the answers
 * (answer.h). The loop thread takes queued requests too, between its
 * looks at the links (verify_pool_take_todo), so that with N verifying
 * threads it is one of them and no core waits on a hand-over. Answers
 * the threads finish come back to the loop thread, which an eventfd wakes,
 * and it sends each on its link, in whatever order they finish: the ids
 * match them. Every thread is started before the seccomp filter is loaded,
 * which then covers them all (TSYNC). */
#ifndef KEZ_VERIFY_POOL_H
#define KEZ_VERIFY_POOL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/base/buf.h"
#include "signer/answer.h"

/* Requests handed out and not yet answered, at most: past it the loop
 * stops reading the links until answers come back. */
#define VERIFY_POOL_BACKLOG 1024

struct pool_job {
	struct pool_job *next;
	unsigned         link;     /* the peer_set index it came on */
	uint32_t         link_gen; /* that index's generation then: a link reused since gets no stale answer */
	uint16_t         type;     /* the request's; the reply's once done */
	uint64_t         id;
	int              ok;       /* 0: `reply` holds the answer */
	struct buf       reply;
	size_t           len;
	unsigned char    body[];
};

struct verify_pool {
	struct answer_core *core;
	pthread_t          *threads;
	unsigned            n_threads;
	unsigned            running;     /* threads past their start-up */
	pthread_mutex_t     lock;
	pthread_cond_t      work;
	struct pool_job    *todo, *todo_tail;
	struct pool_job    *done, *done_tail;
	unsigned            outstanding; /* handed out, not yet taken back */
	bool                stopping;
	int                 wake_fd;     /* eventfd: answers are waiting */
};

/* Starts n threads. 0, or -1 after logging why (nothing left running). */
int  verify_pool_start(struct verify_pool *p, struct answer_core *core, unsigned n);
/* Stops and joins every thread, and frees what is left. */
void verify_pool_stop(struct verify_pool *p);
/* Queues a copy of one request. 0, or -1 out of memory. */
int  verify_pool_submit(struct verify_pool *p, unsigned link, uint32_t link_gen, uint16_t type, uint64_t id,
			const void *body, size_t len);
/* Takes every finished job (a list through ->next; free each with
 * verify_pool_job_free) after clearing the eventfd. */
struct pool_job *verify_pool_take_done(struct verify_pool *p);
/* Takes the oldest queued request for the caller to answer itself (it is
 * no longer outstanding); NULL when none waits. */
struct pool_job *verify_pool_take_todo(struct verify_pool *p);
/* Computes j's answer (j->ok, j->type and j->reply), as every verifying
 * thread does. */
void verify_pool_answer(struct answer_core *core, struct pool_job *j);
void verify_pool_job_free(struct pool_job *j);
bool verify_pool_full(struct verify_pool *p);

#endif
