#include "master/supervisor.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/proc/child.h"
#include "common/proc/ipc.h"
#include "common/base/clock.h"
#include "common/base/log.h"
#include "common/proc/proctitle.h"
#include <openssl/crypto.h>
#include <stdbool.h>

enum role { ROLE_WRITER, ROLE_VERIFIER, ROLE_NATS, ROLE_WORKER };

/* One worker's (or the NATS client's) socketpairs. The master keeps both ends
 * of each for as long as the worker lives: a respawned verifier or writer
 * takes over the same sockets, and nothing queued in them is lost. */
struct link {
	int  verifier[2]; /* [0] worker end, [1] verifier end */
	int  writer[2];   /* [0] worker end, [1] writer end; -1 for the NATS client */
	bool in_use;
};

struct slot {
	bool      used;
	enum role role;
	unsigned  index;      /* worker number from 1 */
	pid_t     pid;        /* 0: not running */
	long long started_ms;
	long long respawn_at; /* 0: no respawn pending */
	int       link;       /* workers and the NATS client; -1 otherwise */
	bool      draining;   /* an old worker finishing its requests after a reload */
};

struct supervisor {
	const struct config *cfg;
	struct nats_keys    *keys;
	const struct reserved_list *reserved;
	struct shared_state *state;
	struct rate_table   *rate_table;
	int                  listen_fd;
	int                  signal_fd;
	int                  control_verifier[2]; /* [0] master end, [1] verifier end */
	int                  control_writer[2];
	struct link         *links;
	unsigned             n_links;             /* capacity: two generations of workers, and the NATS client */
	struct slot         *slots;               /* writer, verifier, the NATS client, workers, draining workers */
	unsigned             n_slots;
	int                  stopping;
};

/* A child that dies sooner than this after its start is respawned after a
 * pause, so a crash loop cannot eat the machine. */
#define FAST_DEATH_MS    1000
#define RESPAWN_PAUSE_MS 500
#define STOP_GRACE_MS    15000
#define STARTUP_WAIT_MS  10000

static void slot_name(const struct slot *s, char *out, size_t cap)
{
	switch (s->role) {
	case ROLE_WRITER: snprintf(out, cap, "writer"); break;
	case ROLE_VERIFIER: snprintf(out, cap, "verifier"); break;
	case ROLE_NATS: snprintf(out, cap, "nats"); break;
	case ROLE_WORKER: snprintf(out, cap, "worker %u", s->index); break;
	}
}

static void close_if_open(int fd)
{
	if (fd >= 0)
		close(fd);
}

/* In the child: close every descriptor of the master that this role must not hold. */
static void close_foreign_fds(const struct supervisor *sv, const struct slot *s)
{
	close(sv->signal_fd);
	close(sv->control_verifier[0]);
	close(sv->control_writer[0]);
	if (s->role != ROLE_VERIFIER)
		close(sv->control_verifier[1]);
	if (s->role != ROLE_WRITER)
		close(sv->control_writer[1]);
	for (unsigned i = 0; i < sv->n_links; i++) {
		const struct link *l = &sv->links[i];
		if (!l->in_use)
			continue;
		bool mine = s->link == (int)i;
		if (!mine) {
			close_if_open(l->verifier[0]);
			close_if_open(l->writer[0]);
		}
		if (s->role != ROLE_VERIFIER)
			close_if_open(l->verifier[1]);
		if (s->role != ROLE_WRITER)
			close_if_open(l->writer[1]);
	}
	if (s->role != ROLE_WORKER)
		close(sv->listen_fd);
}

/* The verifier's (which = 1) or the writer's (which = 2) ends of every live link. */
static unsigned collect_ends(const struct supervisor *sv, int which, int *out)
{
	unsigned n = 0;
	for (unsigned i = 0; i < sv->n_links; i++) {
		const struct link *l = &sv->links[i];
		int fd = which == 1 ? l->verifier[1] : l->writer[1];
		if (l->in_use && fd >= 0)
			out[n++] = fd;
	}
	return n;
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
	nats_keys_keep(sv->keys, s->role == ROLE_NATS, s->role == ROLE_VERIFIER);

	int *ends = calloc(sv->n_links + 1, sizeof *ends);
	if (!ends)
		exit(CHILD_EXIT_STARTUP);
	struct child_context ctx = {
		.cfg = sv->cfg,
		.nats_keys = sv->keys,
		.reserved = sv->reserved,
		.state = sv->state,
		.rate_table = sv->rate_table,
		.index = s->index,
		.listen_fd = -1,
		.verifier_fd = -1,
		.writer_fd = -1,
		.peer_fds = ends,
		.max_peers = sv->n_links,
		.control_fd = -1,
	};
	int rc;
	switch (s->role) {
	case ROLE_WRITER:
		ctx.n_peers = collect_ends(sv, 2, ends);
		ctx.control_fd = sv->control_writer[1];
		rc = writer_run(&ctx);
		break;
	case ROLE_VERIFIER:
		ctx.n_peers = collect_ends(sv, 1, ends);
		ctx.control_fd = sv->control_verifier[1];
		rc = verifier_run(&ctx);
		break;
	case ROLE_NATS:
		ctx.verifier_fd = sv->links[s->link].verifier[0];
		rc = nats_client_run(&ctx);
		break;
	default:
		ctx.listen_fd = sv->listen_fd;
		ctx.verifier_fd = sv->links[s->link].verifier[0];
		ctx.writer_fd = sv->links[s->link].writer[0];
		rc = worker_run(&ctx);
		break;
	}
	free(ends);
	exit(rc);
}

static int spawn(struct supervisor *sv, struct slot *s)
{
	pid_t pid = fork();
	if (pid < 0) {
		log_error("fork: %s", strerror(errno));
		s->respawn_at = monotonic_ms() + RESPAWN_PAUSE_MS;
		return -1;
	}
	if (pid == 0)
		child_main(sv, s);
	s->pid = pid;
	s->started_ms = monotonic_ms();
	s->respawn_at = 0;
	return 0;
}

static struct slot *slot_by_pid(struct supervisor *sv, pid_t pid)
{
	for (unsigned i = 0; i < sv->n_slots; i++)
		if (sv->slots[i].used && sv->slots[i].pid == pid)
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

static void close_link_ends(struct link *l)
{
	for (int e = 0; e < 2; e++) {
		close_if_open(l->verifier[e]);
		close_if_open(l->writer[e]);
		l->verifier[e] = l->writer[e] = -1;
	}
}

/* The worker of this link is gone: with the master's copies closed too, the
 * verifier and the writer see end of file on theirs and let them go. */
static void free_link(struct supervisor *sv, int i)
{
	if (i < 0 || (unsigned)i >= sv->n_links || !sv->links[i].in_use)
		return;
	close_link_ends(&sv->links[i]);
	sv->links[i].in_use = false;
}

static int new_link(struct supervisor *sv, bool with_writer)
{
	for (unsigned i = 0; i < sv->n_links; i++) {
		struct link *l = &sv->links[i];
		if (l->in_use)
			continue;
		l->verifier[0] = l->verifier[1] = l->writer[0] = l->writer[1] = -1;
		if (ipc_socketpair(l->verifier) < 0 || (with_writer && ipc_socketpair(l->writer) < 0)) {
			log_error("socketpair: %s", strerror(errno));
			close_link_ends(l);
			return -1;
		}
		l->in_use = true;
		return (int)i;
	}
	log_error("no free worker links (a reload is still finishing)");
	return -1;
}

static struct slot *new_slot(struct supervisor *sv)
{
	for (unsigned i = 0; i < sv->n_slots; i++)
		if (!sv->slots[i].used) {
			sv->slots[i] = (struct slot){ .used = true, .link = -1 };
			return &sv->slots[i];
		}
	return NULL;
}

/* SIGHUP: a new generation of workers on new links takes over the listening
 * socket; the old ones stop accepting, finish what they have, and exit. */
static void reload_workers(struct supervisor *sv)
{
	unsigned started = 0;
	for (unsigned i = 0; i < sv->n_slots; i++) {
		struct slot *s = &sv->slots[i];
		if (!s->used || s->role != ROLE_WORKER || s->draining)
			continue;
		int link = new_link(sv, true);
		if (link < 0)
			break;
		/* The verifier and the writer learn the new ends first. */
		if (ipc_send_fd(sv->control_verifier[0], sv->links[link].verifier[1]) < 0 ||
		    ipc_send_fd(sv->control_writer[0], sv->links[link].writer[1]) < 0)
			log_warn("reload: the verifier or writer is restarting; it will pick the new link up");
		if (s->pid) {
			struct slot *old = new_slot(sv);
			if (!old) {
				free_link(sv, link);
				break;
			}
			*old = *s;
			old->draining = true;
			old->respawn_at = 0;
		} else {
			free_link(sv, s->link);
		}
		s->link = link;
		s->pid = 0;
		if (spawn(sv, s) == 0)
			started++;
	}
	for (unsigned i = 0; i < sv->n_slots; i++)
		if (sv->slots[i].used && sv->slots[i].draining && sv->slots[i].pid)
			kill(sv->slots[i].pid, SIGTERM);
	log_info("SIGHUP: %u new workers; the old ones finish their requests and exit", started);
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
		if (s->draining) {
			log_info("old %s (pid %ld) finished after the reload", name, (long)pid);
			free_link(sv, s->link);
			s->used = false;
			continue;
		}
		mark_down(sv, s);
		if (WIFEXITED(status) && WEXITSTATUS(status) == CHILD_EXIT_STARTUP)
			startup_failure = 1;
		if (sv->stopping) {
			if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
				log_info("%s (pid %ld) stopped", name, (long)pid);
			else if (WIFSIGNALED(status))
				log_warn("%s (pid %ld) was killed by signal %d while stopping", name, (long)pid,
					 WTERMSIG(status));
			else
				log_warn("%s (pid %ld) stopped with status %d", name, (long)pid, WEXITSTATUS(status));
			continue;
		}
		if (WIFSIGNALED(status))
			log_warn("%s (pid %ld) was killed by signal %d (%s); starting a new one", name,
				 (long)pid, WTERMSIG(status), strsignal(WTERMSIG(status)));
		else
			log_warn("%s (pid %ld) exited with status %d; starting a new one", name, (long)pid,
				 WEXITSTATUS(status));
		long long now = monotonic_ms();
		s->respawn_at = now - s->started_ms < FAST_DEATH_MS ? now + RESPAWN_PAUSE_MS : now;
	}
	return startup_failure;
}

static void respawn_due(struct supervisor *sv)
{
	long long now = monotonic_ms();
	for (unsigned i = 0; i < sv->n_slots; i++) {
		struct slot *s = &sv->slots[i];
		if (s->used && !s->pid && s->respawn_at && s->respawn_at <= now)
			spawn(sv, s);
	}
}

static int next_timeout_ms(const struct supervisor *sv)
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

/* Reads pending signals. Returns the last stop signal seen (0: none). */
static int read_signals(struct supervisor *sv, int *child_exited, int *reload)
{
	int stop = 0;
	struct signalfd_siginfo si;
	while (read(sv->signal_fd, &si, sizeof si) == (ssize_t)sizeof si) {
		switch (si.ssi_signo) {
		case SIGCHLD: *child_exited = 1; break;
		case SIGTERM: case SIGINT: case SIGQUIT: stop = (int)si.ssi_signo; break;
		case SIGHUP: *reload = 1; break;
		default: break;
		}
	}
	return stop;
}

/* Waits for one child to become ready (its flag in the shared page) or to
 * exit. 0 when ready, -1 when it died or took too long. */
static int wait_ready(struct supervisor *sv, struct slot *s, atomic_int *ready)
{
	long long deadline = monotonic_ms() + STARTUP_WAIT_MS;
	while (monotonic_ms() < deadline) {
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
		if (sv->slots[i].used && sv->slots[i].pid && (!workers_only || sv->slots[i].role == ROLE_WORKER))
			n++;
	return n;
}

static void signal_children(const struct supervisor *sv, int workers_only, int sig)
{
	for (unsigned i = 0; i < sv->n_slots; i++)
		if (sv->slots[i].used && sv->slots[i].pid && (!workers_only || sv->slots[i].role == ROLE_WORKER))
			kill(sv->slots[i].pid, sig);
}

/* Workers first (they finish their requests, which may still need the
 * verifier and the writer), then the verifier and the writer. */
static void stop_children(struct supervisor *sv)
{
	for (int phase = 0; phase < 2; phase++) {
		int workers_only = phase == 0;
		signal_children(sv, workers_only, SIGTERM);
		long long deadline = monotonic_ms() + STOP_GRACE_MS;
		int killed = 0;
		while (running_children(sv, workers_only)) {
			if (!killed && monotonic_ms() >= deadline) {
				log_warn("children did not stop in %d s; killing them", STOP_GRACE_MS / 1000);
				signal_children(sv, workers_only, SIGKILL);
				killed = 1;
			}
			struct pollfd pfd = { .fd = sv->signal_fd, .events = POLLIN };
			(void)poll(&pfd, 1, 100);
			int exited = 0, reload = 0;
			(void)read_signals(sv, &exited, &reload);
			(void)reap(sv);
		}
	}
}

static int setup(struct supervisor *sv)
{
	unsigned n = sv->cfg->workers;
	bool nats = sv->cfg->nats_url != NULL;
	sv->n_links = 2 * n + (nats ? 1 : 0);
	sv->links = calloc(sv->n_links, sizeof *sv->links);
	sv->n_slots = 2 * n + 3;
	sv->slots = calloc(sv->n_slots, sizeof *sv->slots);
	if (!sv->links || !sv->slots) {
		log_error("out of memory");
		return -1;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv->control_verifier) < 0 ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv->control_writer) < 0) {
		log_error("socketpair: %s", strerror(errno));
		return -1;
	}
	for (unsigned i = 0; i < sv->n_links; i++)
		sv->links[i].verifier[0] = sv->links[i].verifier[1] = sv->links[i].writer[0] =
			sv->links[i].writer[1] = -1;
	new_slot(sv)->role = ROLE_WRITER;
	new_slot(sv)->role = ROLE_VERIFIER;
	if (nats) {
		struct slot *s = new_slot(sv);
		s->role = ROLE_NATS;
		if ((s->link = new_link(sv, false)) < 0)
			return -1;
	}
	for (unsigned i = 0; i < n; i++) {
		struct slot *s = new_slot(sv);
		s->role = ROLE_WORKER;
		s->index = i + 1;
		if ((s->link = new_link(sv, true)) < 0)
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
			close_link_ends(&sv->links[i]);
	for (int e = 0; e < 2; e++) {
		if (sv->control_verifier[e] > 0)
			close(sv->control_verifier[e]);
		if (sv->control_writer[e] > 0)
			close(sv->control_writer[e]);
	}
	if (sv->signal_fd >= 0)
		close(sv->signal_fd);
	free(sv->links);
	free(sv->slots);
}

static int run(struct supervisor *sv);

int supervisor_run(const struct config *cfg, struct nats_keys *keys, const struct reserved_list *reserved,
		   int listen_fd, struct shared_state *state)
{
	struct supervisor sv = { .cfg = cfg, .keys = keys, .reserved = reserved, .state = state, .listen_fd = listen_fd, .signal_fd = -1 };
	sv.rate_table = rate_table_create();
	if (!sv.rate_table) {
		log_error("cannot map the rate-limit table: %s", strerror(errno));
		return 1;
	}
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
		log_info("stopping: the registry writer could not start");
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
		if (sv->slots[i].used && spawn(sv, &sv->slots[i]) < 0) {
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
		int child_exited = 0, reload = 0;
		int stop = read_signals(sv, &child_exited, &reload);
		if (child_exited)
			(void)reap(sv);
		if (reload && !stop)
			reload_workers(sv);
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
