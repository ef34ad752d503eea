#include "signer/verify_pool.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common/base/log.h"
#include "common/proc/ipc.h"

void verify_pool_answer(struct answer_core *core, struct pool_job *j)
{
	uint16_t reply_type = 0;
	j->ok = answer_request(core, j->type, j->id, j->body, j->len, &reply_type, &j->reply);
	j->type = reply_type;
}

/* The oldest queued job, off the list; NULL when none waits. p->lock held. */
static struct pool_job *pop_todo_locked(struct verify_pool *p)
{
	struct pool_job *j = p->todo;
	if (j) {
		p->todo = j->next;
		if (!p->todo)
			p->todo_tail = NULL;
		j->next = NULL;
	}
	return j;
}

static void *thread_main(void *arg)
{
	struct verify_pool *p = arg;
	pthread_mutex_lock(&p->lock);
	/* Past its start-up calls (set_robust_list, rseq): the filter may come. */
	p->running++;
	pthread_cond_broadcast(&p->work);
	for (;;) {
		while (!p->todo && !p->stopping)
			pthread_cond_wait(&p->work, &p->lock);
		/* (the cond is shared with the start-up wait: a wake-up may be for it) */
		if (p->stopping)
			break;
		struct pool_job *j = pop_todo_locked(p);
		pthread_mutex_unlock(&p->lock);

		verify_pool_answer(p->core, j);

		pthread_mutex_lock(&p->lock);
		bool was_empty = p->done == NULL;
		if (p->done_tail)
			p->done_tail->next = j;
		else
			p->done = j;
		p->done_tail = j;
		if (was_empty) {
			/* One wake-up per batch: the loop takes the whole list. */
			uint64_t one = 1;
			if (write(p->wake_fd, &one, sizeof one) != (ssize_t)sizeof one && errno != EAGAIN)
				log_warn("cannot wake the loop: %s", strerror(errno));
		}
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

int verify_pool_start(struct verify_pool *p, struct answer_core *core, unsigned n)
{
	memset(p, 0, sizeof *p);
	p->core = core;
	p->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	p->threads = calloc(n, sizeof *p->threads);
	if (p->wake_fd < 0 || !p->threads || pthread_mutex_init(&p->lock, NULL) != 0) {
		log_error("cannot start the verification threads: %s", strerror(errno));
		if (p->wake_fd >= 0)
			close(p->wake_fd);
		free(p->threads);
		return -1;
	}
	if (pthread_cond_init(&p->work, NULL) != 0) {
		log_error("cannot start the verification threads");
		pthread_mutex_destroy(&p->lock);
		close(p->wake_fd);
		free(p->threads);
		return -1;
	}
	for (unsigned i = 0; i < n; i++) {
		int rc = pthread_create(&p->threads[i], NULL, thread_main, p);
		if (rc != 0) {
			log_error("cannot start verification thread %u: %s", i + 1, strerror(rc));
			verify_pool_stop(p);
			return -1;
		}
		p->n_threads = i + 1;
	}
	/* The filter is loaded next: no thread may still be starting then. */
	pthread_mutex_lock(&p->lock);
	while (p->running < n)
		pthread_cond_wait(&p->work, &p->lock);
	pthread_mutex_unlock(&p->lock);
	return 0;
}

static void free_list(struct pool_job *j)
{
	while (j) {
		struct pool_job *next = j->next;
		verify_pool_job_free(j);
		j = next;
	}
}

void verify_pool_stop(struct verify_pool *p)
{
	pthread_mutex_lock(&p->lock);
	p->stopping = true;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->lock);
	for (unsigned i = 0; i < p->n_threads; i++)
		pthread_join(p->threads[i], NULL);
	free_list(p->todo);
	free_list(p->done);
	p->todo = p->todo_tail = p->done = p->done_tail = NULL;
	free(p->threads);
	p->threads = NULL;
	p->n_threads = 0;
	pthread_cond_destroy(&p->work);
	pthread_mutex_destroy(&p->lock);
	close(p->wake_fd);
	p->wake_fd = -1;
}

int verify_pool_submit(struct verify_pool *p, unsigned link, uint32_t link_gen, uint16_t type, uint64_t id,
		       const void *body, size_t len)
{
	struct pool_job *j = malloc(sizeof *j + (len ? len : 1));
	if (!j)
		return -1;
	*j = (struct pool_job){ .link = link, .link_gen = link_gen, .type = type, .id = id, .ok = -1, .len = len };
	buf_init(&j->reply, IPC_MAX_BODY);
	if (len)
		memcpy(j->body, body, len);
	pthread_mutex_lock(&p->lock);
	if (p->todo_tail)
		p->todo_tail->next = j;
	else
		p->todo = j;
	p->todo_tail = j;
	p->outstanding++;
	pthread_cond_signal(&p->work);
	pthread_mutex_unlock(&p->lock);
	return 0;
}

struct pool_job *verify_pool_take_done(struct verify_pool *p)
{
	uint64_t count;
	if (read(p->wake_fd, &count, sizeof count) < 0 && errno != EAGAIN)
		log_warn("eventfd: %s", strerror(errno));
	pthread_mutex_lock(&p->lock);
	struct pool_job *list = p->done;
	p->done = p->done_tail = NULL;
	for (struct pool_job *j = list; j; j = j->next)
		p->outstanding--;
	pthread_mutex_unlock(&p->lock);
	return list;
}

struct pool_job *verify_pool_take_todo(struct verify_pool *p)
{
	pthread_mutex_lock(&p->lock);
	struct pool_job *j = pop_todo_locked(p);
	if (j)
		p->outstanding--;
	pthread_mutex_unlock(&p->lock);
	return j;
}

void verify_pool_job_free(struct pool_job *j)
{
	buf_free(&j->reply);
	free(j);
}

bool verify_pool_full(struct verify_pool *p)
{
	pthread_mutex_lock(&p->lock);
	bool full = p->outstanding >= VERIFY_POOL_BACKLOG;
	pthread_mutex_unlock(&p->lock);
	return full;
}
