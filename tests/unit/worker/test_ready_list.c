/* Connections that used up their turn wait on the ready list. One of them
 * closing (an RST arriving) and its slot going to a new connection in the
 * same batch must neither loop run_ready forever nor leave the others
 * queued for ever; an epoll event for the closed one must not reach the
 * new one. Each scenario runs in a child with an alarm, so a hang fails. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/config/config.h"
#include "worker/connection.h"
#include "../unit.h"

#define SLOTS   8
#define REQUEST "GET / HTTP/1.1\r\nHost: t\r\n\r\n"
/* More than one turn reads (16 reads of 16 KiB), less than a socket holds. */
#define INPUT   (320 * 1024)

struct fixture {
	struct config     cfg;
	struct worker     w;
	struct connection conns[SLOTS];
	unsigned          free_slots[SLOTS];
	int               client[SLOTS]; /* our end of each connection, by slot */
	unsigned          answered[SLOTS];
};

static struct fixture *fx;

static void on_head(struct worker *w, struct connection *c) { c->req.endpoint = EP_HEALTHZ; }
static void on_request(struct worker *w, struct connection *c) { fx->answered[c->slot]++; }

static bool setup(struct fixture *f)
{
	memset(f, 0, sizeof *f);
	fx = f;
	f->cfg.max_connections = SLOTS;
	f->cfg.max_header_bytes = 16384;
	f->cfg.max_body_bytes = 16384;
	f->cfg.header_timeout_ms = 10000;
	f->cfg.idle_timeout_ms = 60000;
	f->w.cfg = &f->cfg;
	f->w.conns = f->conns;
	f->w.free_slots = f->free_slots;
	for (unsigned i = 0; i < SLOTS; i++)
		f->free_slots[i] = SLOTS - 1 - i;
	f->w.n_free = SLOTS;
	f->w.epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	f->w.hooks.request_head = on_head;
	f->w.hooks.request = on_request;
	connection_init(&f->w);
	return f->w.epoll_fd >= 0;
}

/* A connection whose client has already sent INPUT bytes of requests. */
static struct connection *open_loaded(struct fixture *f)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0)
		return NULL;
	int big = 4 * 1024 * 1024;
	(void)setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
	(void)setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
	char *data = malloc(INPUT);
	if (!data)
		return NULL;
	size_t r = sizeof REQUEST - 1, n = INPUT / r * r;
	for (size_t at = 0; at < n; at += r)
		memcpy(data + at, REQUEST, r);
	size_t sent = 0;
	while (sent < n) {
		ssize_t k = write(sv[0], data + sent, n - sent);
		if (k <= 0)
			break;
		sent += (size_t)k;
	}
	free(data);
	if (sent < n)
		return NULL;
	struct sockaddr_storage peer = { .ss_family = AF_UNIX };
	unsigned slot = f->free_slots[f->w.n_free - 1];
	f->client[slot] = sv[0];
	f->answered[slot] = 0;
	connection_accept(&f->w, sv[1], &peer, false);
	return f->conns[slot].in_use ? &f->conns[slot] : NULL;
}

static unsigned per_connection(void)
{
	return INPUT / (sizeof REQUEST - 1);
}

/* Runs the ready list until it is empty (bounded). */
static void run_all(struct fixture *f)
{
	for (int i = 0; i < 1000 && !TAILQ_EMPTY(&f->w.ready); i++)
		connection_run_ready(&f->w);
}

/* The scenario, in this process. 0 when all went as it should. */
static int scenario(bool close_tail)
{
	struct fixture *f = calloc(1, sizeof *f);
	if (!f || !setup(f))
		return 10;
	struct connection *a = open_loaded(f), *b = open_loaded(f), *d = open_loaded(f);
	if (!a || !b || !d)
		return 11;
	/* each used its turn at the accept and waits for another */
	if (!a->queued_ready || !b->queued_ready || !d->queued_ready || f->w.n_ready != 3)
		return 12;
	struct connection *gone = close_tail ? d : b;
	unsigned gone_slot = gone->slot;
	uint64_t stale_tag = ((uint64_t)gone->instance << 32) | (gone_slot + CONN_TAG_BASE);
	/* the next batch: the client reset, and a new client arrives */
	connection_on_event(&f->w, gone, EPOLLERR);
	if (gone->in_use || gone->queued_ready || f->w.n_ready != 2)
		return 13;
	close(f->client[gone_slot]);
	struct connection *c = open_loaded(f);
	if (!c || c->slot != gone_slot)
		return 14; /* the free slot is reused first */
	/* a stale event for the old connection does not reach the new one */
	if (connection_from_tag(&f->w, stale_tag) != NULL)
		return 15;
	uint64_t tag = ((uint64_t)c->instance << 32) | (c->slot + CONN_TAG_BASE);
	if (connection_from_tag(&f->w, tag) != c)
		return 16;
	run_all(f);
	if (!TAILQ_EMPTY(&f->w.ready))
		return 17;
	/* everyone still open got every request answered */
	struct connection *open[] = { a, close_tail ? b : d, c };
	for (size_t i = 0; i < 3; i++)
		if (f->answered[open[i]->slot] != per_connection() || open[i]->queued_ready)
			return 20 + (int)i;
	return 0;
}

static void run_in_child(bool close_tail)
{
	pid_t pid = fork();
	REQUIRE(pid >= 0);
	if (pid == 0) {
		alarm(20); /* a run_ready that never returns ends here */
		_exit(scenario(close_tail));
	}
	int status = 0;
	REQUIRE(waitpid(pid, &status, 0) == pid);
	if (WIFSIGNALED(status))
		unit_fail(__FILE__, __LINE__, "the scenario was killed by signal %d (hung?)", WTERMSIG(status));
	else
		CHECK_EQ_INT(WEXITSTATUS(status), 0);
}

UNIT_TEST(ready_list_tail_closed_and_slot_reused)
{
	run_in_child(true);
}

UNIT_TEST(ready_list_middle_closed_and_slot_reused)
{
	run_in_child(false);
}
