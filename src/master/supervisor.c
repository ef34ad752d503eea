#include "master/supervisor.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/child.h"
#include "common/ipc.h"
#include "common/log.h"
#include "common/proctitle.h"
#include <openssl/crypto.h>
#include <stdbool.h>

enum role { ROLE_WRITER, ROLE_VERIFIER, ROLE_NATS, ROLE_WORKER };

struct slot {
	enum role role;
	unsigned  index;      /* worker number from 1 */
	pid_t     pid;        /* 0: not running */
	long long started_ms;
	long long respawn_at; /* 0: no respawn pending */
};

struct supervisor {
	const struct config *cfg;
	struct shared_state *state;
	int                  listen_fd;
	int                  signal_fd;
	int                (*verifier_pairs)[2]; /* [i][0] worker end, [i][1] verifier end; the NATS client's last */
	unsigned             n_verifier_peers;
	int                (*writer_pairs)[2];   /* [i][0] worker end, [i][1] writer end */
	int                 *verifier_ends;      /* copies of [i][1] for the child context */
	int                 *writer_ends;
	struct slot         *slots;              /* writer, verifier, then the workers */
	unsigned             n_slots;
	int                  stopping;
};

/* A child that dies sooner than this after its start is respawned after a
 * pause, so a crash loop cannot eat the machine. */
#define FAST_DEATH_MS    1000
#define RESPAWN_PAUSE_MS 500
#define STOP_GRACE_MS    15000
#define STARTUP_WAIT_MS  10000

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void slot_name(const struct slot *s, char *out, size_t cap)
{
	switch (s->role) {
	case ROLE_WRITER: snprintf(out, cap, "writer"); break;
	case ROLE_VERIFIER: snprintf(out, cap, "verifier"); break;
	case ROLE_NATS: snprintf(out, cap, "nats"); break;
	case ROLE_WORKER: snprintf(out, cap, "worker %u", s->index); break;
	}
}

/* In the child: close every descriptor of the master that this role must not hold. */
static void close_foreign_fds(const struct supervisor *sv, const struct slot *s)
{
	unsigned n = sv->cfg->workers;
	close(sv->signal_fd);
	for (unsigned i = 0; i < sv->n_verifier_peers; i++) {
		bool mine = (s->role == ROLE_WORKER && s->index == i + 1) || (s->role == ROLE_NATS && i == n);
		if (!mine)
			close(sv->verifier_pairs[i][0]);
		if (s->role != ROLE_VERIFIER)
			close(sv->verifier_pairs[i][1]);
	}
	for (unsigned i = 0; i < n; i++) {
		if (!(s->role == ROLE_WORKER && s->index == i + 1))
			close(sv->writer_pairs[i][0]);
		if (s->role != ROLE_WRITER)
			close(sv->writer_pairs[i][1]);
	}
	if (s->role != ROLE_WORKER)
		close(sv->listen_fd);
}

static _Noreturn void child_main(const struct supervisor *sv, const struct slot *s)
{
	char name[32];
	slot_name(s, name, sizeof name);
	proctitle_set(name);
	log_set_process(name);
	(void)child_stop_flag();
	close_foreign_fds(sv, s);
	/* Secrets stay only in the process whose job needs them. */
	struct config *cfg = (struct config *)sv->cfg;
	if (s->role != ROLE_VERIFIER) {
		OPENSSL_cleanse(cfg->nats_issuer_seed, sizeof cfg->nats_issuer_seed);
		OPENSSL_cleanse(cfg->nats_xkey_seed, sizeof cfg->nats_xkey_seed);
	}
	if (s->role != ROLE_NATS)
		OPENSSL_cleanse(cfg->nats_seed, sizeof cfg->nats_seed);

	struct child_context ctx = {
		.cfg = sv->cfg,
		.state = sv->state,
		.index = s->index,
		.listen_fd = -1,
		.verifier_fd = -1,
		.writer_fd = -1,
		.n_peers = sv->cfg->workers,
	};
	int rc;
	switch (s->role) {
	case ROLE_WRITER:
		ctx.peer_fds = sv->writer_ends;
		rc = writer_run(&ctx);
		break;
	case ROLE_VERIFIER:
		ctx.peer_fds = sv->verifier_ends;
		ctx.n_peers = sv->n_verifier_peers;
		rc = verifier_run(&ctx);
		break;
	case ROLE_NATS:
		ctx.verifier_fd = sv->verifier_pairs[sv->cfg->workers][0];
		rc = nats_client_run(&ctx);
		break;
	default:
		ctx.listen_fd = sv->listen_fd;
		ctx.verifier_fd = sv->verifier_pairs[s->index - 1][0];
		ctx.writer_fd = sv->writer_pairs[s->index - 1][0];
		rc = worker_run(&ctx);
		break;
	}
	exit(rc);
}

static int spawn(struct supervisor *sv, struct slot *s)
{
	pid_t pid = fork();
	if (pid < 0) {
		log_error("fork: %s", strerror(errno));
		s->respawn_at = now_ms() + RESPAWN_PAUSE_MS;
		return -1;
	}
	if (pid == 0)
		child_main(sv, s);
	s->pid = pid;
	s->started_ms = now_ms();
	s->respawn_at = 0;
	return 0;
}

static struct slot *slot_by_pid(struct supervisor *sv, pid_t pid)
{
	for (unsigned i = 0; i < sv->n_slots; i++)
		if (sv->slots[i].pid == pid)
			return &sv->slots[i];
	return NULL;
}

static void mark_down(struct supervisor *sv, const struct slot *s)
{
	if (s->role == ROLE_VERIFIER)
		atomic_store(&sv->state->verifier_ready, 0);
	else if (s->role == ROLE_WRITER)
		atomic_store(&sv->state->writer_ready, 0);
}

/* Reaps every exited child; schedules respawns unless stopping. Returns the
 * exit status of a child that could not start, or 0. */
static int reap(struct supervisor *sv)
{
	int startup_failure = 0;
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
		s->pid = 0;
		mark_down(sv, s);
		if (WIFEXITED(status) && WEXITSTATUS(status) == CHILD_EXIT_STARTUP)
			startup_failure = 1;
		if (sv->stopping) {
			log_info("%s (pid %ld) stopped", name, (long)pid);
			continue;
		}
		if (WIFSIGNALED(status))
			log_warn("%s (pid %ld) was killed by signal %d (%s); starting a new one", name,
				 (long)pid, WTERMSIG(status), strsignal(WTERMSIG(status)));
		else
			log_warn("%s (pid %ld) exited with status %d; starting a new one", name, (long)pid,
				 WEXITSTATUS(status));
		long long now = now_ms();
		s->respawn_at = now - s->started_ms < FAST_DEATH_MS ? now + RESPAWN_PAUSE_MS : now;
	}
	return startup_failure;
}

static void respawn_due(struct supervisor *sv)
{
	long long now = now_ms();
	for (unsigned i = 0; i < sv->n_slots; i++) {
		struct slot *s = &sv->slots[i];
		if (!s->pid && s->respawn_at && s->respawn_at <= now)
			spawn(sv, s);
	}
}

static int next_timeout_ms(const struct supervisor *sv)
{
	long long now = now_ms(), soonest = -1;
	for (unsigned i = 0; i < sv->n_slots; i++) {
		const struct slot *s = &sv->slots[i];
		if (!s->pid && s->respawn_at && (soonest < 0 || s->respawn_at < soonest))
			soonest = s->respawn_at;
	}
	if (soonest < 0)
		return 1000;
	return soonest <= now ? 0 : (int)(soonest - now);
}

/* Reads pending signals. Returns the last stop signal seen (0: none). */
static int read_signals(struct supervisor *sv, int *child_exited)
{
	int stop = 0;
	struct signalfd_siginfo si;
	while (read(sv->signal_fd, &si, sizeof si) == (ssize_t)sizeof si) {
		switch (si.ssi_signo) {
		case SIGCHLD: *child_exited = 1; break;
		case SIGTERM: case SIGINT: case SIGQUIT: stop = (int)si.ssi_signo; break;
		case SIGHUP:
			log_info("SIGHUP: nothing to reload (the configuration is read at start)");
			break;
		default: break;
		}
	}
	return stop;
}

/* Waits for one child to become ready (its flag in the shared page) or to
 * exit. 0 when ready, -1 when it died or took too long. */
static int wait_ready(struct supervisor *sv, struct slot *s, atomic_int *ready)
{
	long long deadline = now_ms() + STARTUP_WAIT_MS;
	while (now_ms() < deadline) {
		if (atomic_load(ready))
			return 0;
		int status;
		pid_t pid = waitpid(s->pid, &status, WNOHANG);
		if (pid == s->pid) {
			s->pid = 0;
			return -1;
		}
		struct timespec pause = { 0, 5 * 1000 * 1000 };
		nanosleep(&pause, NULL);
	}
	return -1;
}

static unsigned running_children(const struct supervisor *sv, int workers_only)
{
	unsigned n = 0;
	for (unsigned i = 0; i < sv->n_slots; i++)
		if (sv->slots[i].pid && (!workers_only || sv->slots[i].role == ROLE_WORKER))
			n++;
	return n;
}

static void signal_children(const struct supervisor *sv, int workers_only, int sig)
{
	for (unsigned i = 0; i < sv->n_slots; i++)
		if (sv->slots[i].pid && (!workers_only || sv->slots[i].role == ROLE_WORKER))
			kill(sv->slots[i].pid, sig);
}

/* Workers first (they finish their requests, which may still need the
 * verifier and the writer), then the verifier and the writer. */
static void stop_children(struct supervisor *sv)
{
	for (int phase = 0; phase < 2; phase++) {
		int workers_only = phase == 0;
		signal_children(sv, workers_only, SIGTERM);
		long long deadline = now_ms() + STOP_GRACE_MS;
		int killed = 0;
		while (running_children(sv, workers_only)) {
			if (!killed && now_ms() >= deadline) {
				log_warn("children did not stop in %d s; killing them", STOP_GRACE_MS / 1000);
				signal_children(sv, workers_only, SIGKILL);
				killed = 1;
			}
			struct pollfd pfd = { .fd = sv->signal_fd, .events = POLLIN };
			(void)poll(&pfd, 1, 100);
			int exited = 0;
			(void)read_signals(sv, &exited);
			(void)reap(sv);
		}
	}
}

static int setup(struct supervisor *sv)
{
	unsigned n = sv->cfg->workers;
	bool nats = sv->cfg->nats_url != NULL;
	sv->n_verifier_peers = n + (nats ? 1 : 0);
	sv->verifier_pairs = calloc(sv->n_verifier_peers, sizeof *sv->verifier_pairs);
	sv->writer_pairs = calloc(n, sizeof *sv->writer_pairs);
	sv->verifier_ends = calloc(sv->n_verifier_peers, sizeof *sv->verifier_ends);
	sv->writer_ends = calloc(n, sizeof *sv->writer_ends);
	sv->n_slots = n + 2 + (nats ? 1 : 0);
	sv->slots = calloc(sv->n_slots, sizeof *sv->slots);
	if (!sv->verifier_pairs || !sv->writer_pairs || !sv->verifier_ends || !sv->writer_ends || !sv->slots) {
		log_error("out of memory");
		return -1;
	}
	/* The master keeps both ends of every pair for the server's whole life: a
	 * respawned child takes over the same socket, and messages queued in it
	 * while nobody was reading are not lost. */
	for (unsigned i = 0; i < sv->n_verifier_peers; i++) {
		if (ipc_socketpair(sv->verifier_pairs[i]) < 0) {
			log_error("socketpair: %s", strerror(errno));
			return -1;
		}
		sv->verifier_ends[i] = sv->verifier_pairs[i][1];
	}
	for (unsigned i = 0; i < n; i++) {
		if (ipc_socketpair(sv->writer_pairs[i]) < 0) {
			log_error("socketpair: %s", strerror(errno));
			return -1;
		}
		sv->writer_ends[i] = sv->writer_pairs[i][1];
	}
	unsigned k = 0;
	sv->slots[k++] = (struct slot){ .role = ROLE_WRITER };
	sv->slots[k++] = (struct slot){ .role = ROLE_VERIFIER };
	if (nats)
		sv->slots[k++] = (struct slot){ .role = ROLE_NATS };
	for (unsigned i = 0; i < n; i++)
		sv->slots[k++] = (struct slot){ .role = ROLE_WORKER, .index = i + 1 };

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
	for (unsigned i = 0; sv->verifier_pairs && i < sv->n_verifier_peers; i++)
		for (int end = 0; end < 2; end++)
			if (sv->verifier_pairs[i][end] > 0)
				close(sv->verifier_pairs[i][end]);
	for (unsigned i = 0; sv->writer_pairs && i < sv->cfg->workers; i++)
		for (int end = 0; end < 2; end++)
			if (sv->writer_pairs[i][end] > 0)
				close(sv->writer_pairs[i][end]);
	if (sv->signal_fd >= 0)
		close(sv->signal_fd);
	free(sv->verifier_pairs);
	free(sv->writer_pairs);
	free(sv->verifier_ends);
	free(sv->writer_ends);
	free(sv->slots);
}

static int run(struct supervisor *sv);

int supervisor_run(const struct config *cfg, int listen_fd, struct shared_state *state)
{
	struct supervisor sv = { .cfg = cfg, .state = state, .listen_fd = listen_fd, .signal_fd = -1 };
	int rc = run(&sv);
	teardown(&sv);
	return rc;
}

static int run(struct supervisor *sv)
{
	const struct config *cfg = sv->cfg;
	struct shared_state *state = sv->state;
	if (setup(sv) < 0)
		return 1;

	/* The writer first: it creates the registry, and if it cannot, nothing
	 * else is worth starting. */
	if (spawn(sv, &sv->slots[0]) < 0 || wait_ready(sv, &sv->slots[0], &state->writer_ready) < 0) {
		log_error("the registry writer could not start (see above); stopping");
		sv->stopping = 1;
		stop_children(sv);
		return 1;
	}
	if (spawn(sv, &sv->slots[1]) < 0 || wait_ready(sv, &sv->slots[1], &state->verifier_ready) < 0) {
		log_error("the verifier could not start (see above); stopping");
		sv->stopping = 1;
		stop_children(sv);
		return 1;
	}
	for (unsigned i = 2; i < sv->n_slots; i++)
		if (spawn(sv, &sv->slots[i]) < 0) {
			sv->stopping = 1;
			stop_children(sv);
			return 1;
		}
	log_info("ready: %u workers, a verifier, a writer%s (server %s, version " KEZ_VERSION ")", cfg->workers,
		 cfg->nats_url ? " and the NATS callout client" : "", cfg->server);

	int exit_status = 0;
	for (;;) {
		struct pollfd pfd = { .fd = sv->signal_fd, .events = POLLIN };
		int rc = poll(&pfd, 1, next_timeout_ms(sv));
		if (rc < 0 && errno != EINTR) {
			log_error("poll: %s", strerror(errno));
			exit_status = 1;
			break;
		}
		int child_exited = 0;
		int stop = read_signals(sv, &child_exited);
		if (child_exited)
			(void)reap(sv);
		if (stop) {
			log_info("%s: stopping (finishing requests in flight)", strsignal(stop));
			break;
		}
		respawn_due(sv);
	}
	sv->stopping = 1;
	stop_children(sv);
	log_info("stopped");
	return exit_status;
}
