/* The master's loop: starts the table's processes in order, reads signals,
 * reaps and respawns, reloads on SIGHUP, stops everything in order. */
#include "master/supervisor.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/base/clock.h"
#include "common/base/log.h"
#include "common/proc/metrics.h"
#include "common/proc/rate_table.h"
#include "master/listener.h"
#include "master/procs.h"

#define STOP_GRACE_MS   15000
#define STARTUP_WAIT_MS 10000

/* Links: one a linked process, twice for those a reload doubles while the
 * old generation drains. Slots: one a process, plus the draining ones. */
static int setup_slots(struct supervisor *sv)
{
	unsigned n_links = 0, n_slots = 0;
	for (unsigned t = 0; t < proc_table_len; t++) {
		const struct proc_def *d = &proc_table[t];
		unsigned n = proc_count(d, sv->cfg) * (d->reloaded ? 2 : 1);
		n_slots += n;
		if (d->links & ~(unsigned)LINK_LISTENER)
			n_links += n;
	}
	sv->n_links = n_links;
	sv->n_slots = n_slots;
	sv->links = calloc(n_links ? n_links : 1, sizeof *sv->links);
	sv->slots = calloc(n_slots ? n_slots : 1, sizeof *sv->slots);
	sv->attest = calloc(1, sizeof *sv->attest);
	if (!sv->links || !sv->slots || !sv->attest) {
		log_error("out of memory");
		return -1;
	}
	if (attest_key_generate(sv->attest) < 0) {
		log_error("cannot make the attestation key (RAND_bytes failed)");
		return -1;
	}
	for (unsigned i = 0; i < n_links; i++)
		link_close_ends(&sv->links[i]); /* all -1 */
	for (unsigned t = 0; t < proc_table_len; t++) {
		const struct proc_def *d = &proc_table[t];
		unsigned n = proc_count(d, sv->cfg);
		for (unsigned i = 0; i < n; i++) {
			struct slot *s = slot_new(sv);
			s->def = d;
			s->index = d->per_worker ? i + 1 : 0;
			if ((d->links & ~(unsigned)LINK_LISTENER) && (s->link = link_new(sv, d->links, d->ipc_role)) < 0)
				return -1;
		}
	}
	return 0;
}

static int setup(struct supervisor *sv)
{
	for (int h = 0; h < N_HUBS; h++)
		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv->control[h]) < 0) {
			log_error("socketpair: %s", strerror(errno));
			return -1;
		}
	if (setup_slots(sv) < 0)
		return -1;
	/* Block 0 is the master's; a slot keeps its block (reload.c swaps them). */
	if (!metrics_create(1 + sv->n_slots)) {
		log_error("cannot map the metrics region: %s", strerror(errno));
		return -1;
	}
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0 ||
	    (sv->signal_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) < 0) {
		log_error("signalfd: %s", strerror(errno));
		return -1;
	}
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

static void teardown(struct supervisor *sv)
{
	for (unsigned i = 0; sv->links && i < sv->n_links; i++)
		if (sv->links[i].in_use)
			link_close_ends(&sv->links[i]);
	for (int h = 0; h < N_HUBS; h++)
		for (int e = 0; e < 2; e++)
			close_if_open(sv->control[h][e]);
	close_if_open(sv->signal_fd);
	close_if_open(sv->metrics_fd);
	free(sv->links);
	free(sv->slots);
	if (sv->attest)
		attest_key_wipe(sv->attest);
	free(sv->attest);
}

/* Reads pending signals. Returns the last stop signal seen (0: none). */
static int read_signals(struct supervisor *sv, int *child_exited, int *reload_asked)
{
	int stop = 0;
	struct signalfd_siginfo si;
	while (read(sv->signal_fd, &si, sizeof si) == (ssize_t)sizeof si) {
		switch (si.ssi_signo) {
		case SIGCHLD: *child_exited = 1; break;
		case SIGTERM: case SIGINT: case SIGQUIT: stop = (int)si.ssi_signo; break;
		case SIGHUP: *reload_asked = 1; break;
		default: break;
		}
	}
	return stop;
}

static void pause_ms(long long ms)
{
	struct timespec t = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000 * 1000 };
	nanosleep(&t, NULL);
}

/* Starts a process the others wait for, and waits until its flag in the
 * shared page says it serves: started again, as after any quick death, up
 * to MAX_QUICK_FAILURES times. 0 when ready, -1 to stop. */
static int start_and_wait(struct supervisor *sv, struct slot *s)
{
	atomic_int *ready = s->def->ready(sv->state);
	for (;;) {
		if (spawn(sv, s) < 0)
			return -1;
		long long deadline = monotonic_ms() + STARTUP_WAIT_MS;
		int status = 0;
		pid_t pid = 0;
		while (!atomic_load(ready) && monotonic_ms() < deadline &&
		       (pid = waitpid(s->pid, &status, WNOHANG)) == 0)
			pause_ms(5);
		if (atomic_load(ready))
			return 0;
		if (pid != s->pid) {
			log_error("%s did not become ready in %d s", s->def->name, STARTUP_WAIT_MS / 1000);
			return -1;
		}
		/* A configuration it cannot use will not get better by retrying. */
		if (WIFEXITED(status) && WEXITSTATUS(status) == CHILD_EXIT_STARTUP) {
			s->pid = 0;
			log_error("the %s could not start (see above); stopping", s->def->name);
			return -1;
		}
		if (slot_died(sv, s, status) == DEATH_GIVE_UP)
			return -1;
		pause_ms(s->respawn_at - monotonic_ms());
	}
}

static unsigned running(const struct supervisor *sv, bool hubs)
{
	unsigned n = 0;
	for (unsigned i = 0; i < sv->n_slots; i++)
		if (sv->slots[i].used && sv->slots[i].pid && (sv->slots[i].def->hub != NO_HUB) == hubs)
			n++;
	return n;
}

static void signal_children(const struct supervisor *sv, bool hubs, int sig)
{
	for (unsigned i = 0; i < sv->n_slots; i++)
		if (sv->slots[i].used && sv->slots[i].pid && (sv->slots[i].def->hub != NO_HUB) == hubs)
			kill(sv->slots[i].pid, sig);
}

/* The hubs' clients first (they finish their requests, which may still need
 * the verifier and the writer), then the hubs. */
static void stop_children(struct supervisor *sv)
{
	sv->stopping = 1;
	for (int phase = 0; phase < 2; phase++) {
		bool hubs = phase == 1;
		signal_children(sv, hubs, SIGTERM);
		long long deadline = monotonic_ms() + STOP_GRACE_MS;
		int killed = 0;
		while (running(sv, hubs)) {
			if (!killed && monotonic_ms() >= deadline) {
				log_warn("children did not stop in %d s; killing them", STOP_GRACE_MS / 1000);
				signal_children(sv, hubs, SIGKILL);
				killed = 1;
			}
			struct pollfd pfd = { .fd = sv->signal_fd, .events = POLLIN };
			(void)poll(&pfd, 1, 100);
			int exited = 0, reload_asked = 0;
			(void)read_signals(sv, &exited, &reload_asked);
			(void)reap(sv);
		}
	}
}

static int start_all(struct supervisor *sv)
{
	for (unsigned i = 0; i < sv->n_slots; i++) {
		struct slot *s = &sv->slots[i];
		if (!s->used)
			continue;
		if (s->def->ready ? start_and_wait(sv, s) < 0 : spawn(sv, s) < 0)
			return -1;
	}
	return 0;
}

static int loop(struct supervisor *sv)
{
	for (;;) {
		struct pollfd pfd = { .fd = sv->signal_fd, .events = POLLIN };
		int rc = poll(&pfd, 1, next_timeout_ms(sv));
		if (rc < 0 && errno != EINTR) {
			log_error("poll: %s", strerror(errno));
			return 1;
		}
		int child_exited = 0, reload_asked = 0;
		int stop = read_signals(sv, &child_exited, &reload_asked);
		if (child_exited && reap(sv))
			return 1;
		if (reload_asked && !stop)
			reload(sv);
		if (stop) {
			log_info("%s: stopping (finishing requests in flight)", strsignal(stop));
			return 0;
		}
		respawn_due(sv);
	}
}

int supervisor_run(const struct config *cfg, struct nats_keys *keys, const struct reserved_list *reserved,
		   int listen_fd, struct shared_state *state)
{
	struct supervisor sv = {
		.cfg = cfg, .keys = keys, .reserved = reserved, .state = state, .pid = getpid(),
		.listen_fd = listen_fd, .signal_fd = -1, .metrics_fd = listener_open_metrics(cfg),
		.control = { { -1, -1 }, { -1, -1 } },
	};
	int rc = 1;
	if (cfg->has_metrics && sv.metrics_fd < 0)
		return 1;
	sv.rate_table = rate_table_create();
	if (!sv.rate_table) {
		log_error("cannot map the rate-limit table: %s", strerror(errno));
		return 1;
	}
	if (setup(&sv) == 0 && start_all(&sv) == 0) {
		log_info("ready: %u workers, a verifier, a writer%s (server %s, version " KEZ_VERSION ")",
			 cfg->workers, cfg->nats_url ? " and the NATS callout client" : "", cfg->server);
		rc = loop(&sv);
	}
	stop_children(&sv);
	log_info("stopped");
	teardown(&sv);
	return rc;
}
