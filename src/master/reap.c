/* A child's death: what the log says about it, and when (or whether) it
 * is started again. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "common/base/clock.h"
#include "common/base/log.h"
#include "common/proc/metrics.h"
#include "master/procs.h"

struct slot *slot_new(struct supervisor *sv)
{
	for (unsigned i = 0; i < sv->n_slots; i++)
		if (!sv->slots[i].used) {
			unsigned block = sv->slots[i].metrics_block ? sv->slots[i].metrics_block : i + 1;
			sv->slots[i] = (struct slot){ .used = true, .link = -1, .metrics_block = block };
			return &sv->slots[i];
		}
	return NULL;
}

static struct slot *slot_by_pid(struct supervisor *sv, pid_t pid)
{
	for (unsigned i = 0; i < sv->n_slots; i++)
		if (sv->slots[i].used && sv->slots[i].pid == pid)
			return &sv->slots[i];
	return NULL;
}

static void log_death(const char *name, pid_t pid, int status, const char *then)
{
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS)
		log_error("%s killed by seccomp (SIGSYS): a system call outside its allow-list (pid %ld)%s", name,
			  (long)pid, then);
	else if (WIFSIGNALED(status))
		log_warn("%s (pid %ld) was killed by signal %d (%s)%s", name, (long)pid, WTERMSIG(status),
			 strsignal(WTERMSIG(status)), then);
	else if (WEXITSTATUS(status) == CHILD_EXIT_STARTUP)
		log_warn("%s (pid %ld) could not start%s", name, (long)pid, then);
	else
		log_warn("%s (pid %ld) exited with status %d%s", name, (long)pid, WEXITSTATUS(status), then);
}

enum death_verdict slot_died(struct supervisor *sv, struct slot *s, int status)
{
	char name[32];
	slot_name(s, name, sizeof name);
	pid_t pid = s->pid;
	s->pid = 0;
	if (s->def->ready)
		atomic_store(s->def->ready(sv->state), 0);
	long long now = monotonic_ms();
	bool startup = WIFEXITED(status) && WEXITSTATUS(status) == CHILD_EXIT_STARTUP;
	if (!startup && now - s->started_ms >= QUICK_DEATH_MS) {
		s->quick_failures = 0;
		s->respawn_at = now;
		metrics_restart(s->def->sandbox);
		log_death(name, pid, status, "; starting a new one");
		return DEATH_RESPAWN;
	}
	/* A process that cannot start is not retried for ever: a few times,
	 * waiting longer each time, then the whole server stops. */
	if (++s->quick_failures >= MAX_QUICK_FAILURES) {
		log_death(name, pid, status, "");
		log_error("%s failed %u times in a row within %d ms of starting; giving up: stopping the server",
			  name, s->quick_failures, QUICK_DEATH_MS);
		s->respawn_at = 0;
		return DEATH_GIVE_UP;
	}
	long long pause = (long long)RESPAWN_PAUSE_MS << (s->quick_failures - 1);
	char then[64];
	snprintf(then, sizeof then, "; starting a new one in %lld ms", pause);
	log_death(name, pid, status, then);
	metrics_restart(s->def->sandbox);
	s->respawn_at = now + pause;
	return DEATH_RESPAWN;
}

static void stopped(const char *name, pid_t pid, int status)
{
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		log_info("%s (pid %ld) stopped", name, (long)pid);
	else if (WIFSIGNALED(status))
		log_warn("%s (pid %ld) was killed by signal %d while stopping", name, (long)pid, WTERMSIG(status));
	else
		log_warn("%s (pid %ld) stopped with status %d", name, (long)pid, WEXITSTATUS(status));
}

int reap(struct supervisor *sv)
{
	int give_up = 0;
	for (;;) {
		int status;
		pid_t pid = waitpid(-1, &status, WNOHANG);
		if (pid <= 0)
			break;
		struct slot *s = slot_by_pid(sv, pid);
		if (!s)
			continue;
		char name[32];
		slot_name(s, name, sizeof name);
		metrics_clear_gauges(metrics_region(), s->metrics_block);
		if (s->draining) {
			log_info("old %s (pid %ld) finished after the reload", name, (long)pid);
			s->pid = 0;
			link_free(sv, s->link);
			s->used = false;
			continue;
		}
		if (sv->stopping) {
			s->pid = 0;
			if (s->def->ready)
				atomic_store(s->def->ready(sv->state), 0);
			stopped(name, pid, status);
			continue;
		}
		if (slot_died(sv, s, status) == DEATH_GIVE_UP)
			give_up = 1;
	}
	return give_up;
}

void respawn_due(struct supervisor *sv)
{
	long long now = monotonic_ms();
	for (unsigned i = 0; i < sv->n_slots; i++) {
		struct slot *s = &sv->slots[i];
		if (s->used && !s->pid && s->respawn_at && s->respawn_at <= now)
			spawn(sv, s);
	}
}

int next_timeout_ms(const struct supervisor *sv)
{
	long long now = monotonic_ms(), soonest = -1;
	for (unsigned i = 0; i < sv->n_slots; i++) {
		const struct slot *s = &sv->slots[i];
		if (s->used && !s->pid && s->respawn_at && (soonest < 0 || s->respawn_at < soonest))
			soonest = s->respawn_at;
	}
	if (soonest < 0)
		return 1000;
	return soonest <= now ? 0 : (int)(soonest - now);
}
