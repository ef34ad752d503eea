/* Raw bytes into a worker's request handling: a real connection object, the
 * real llhttp callbacks, router and handlers, over a socketpair. The input
 * arrives in two reads (split at its first byte's value) to exercise
 * resumption; the deadlines then run out. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/config/config.h"
#include "common/base/log.h"
#include "worker/connection.h"
#include "worker/response.h"
#include "worker/wiring.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct worker w;
static struct config cfg;
static struct shared_state state;
static struct child_context ctx;

static void setup(void)
{
	char *argv[] = { "fuzz", "--server", "kez.lat", "--max-connections", "16", NULL };
	char dir[] = "/tmp/kez-fuzz-XXXXXX";
	if (!mkdtemp(dir))
		abort();
	char db[64], err[256];
	snprintf(db, sizeof db, "%s/kez.db", dir);
	static char db_path[64];
	memcpy(db_path, db, sizeof db);
	config_load(&cfg, 5, argv);
	cfg.db_path = db_path;
	cfg.map_size = 1 << 20;
	cfg.serve_registry = cfg.serve_sigchain = true; /* every route */
	log_setup(LOG_LEVEL_ERROR);
	struct registry rw;
	if (registry_open(&rw, db_path, cfg.map_size, true, err, sizeof err) < 0)
		abort();
	registry_close(&rw);
	if (registry_open(&w.registry, db_path, cfg.map_size, false, err, sizeof err) < 0)
		abort();
	ctx.cfg = &cfg;
	ctx.state = &state;
	w.ctx = &ctx;
	w.cfg = &cfg;
	w.epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	w.conns = calloc(cfg.max_connections, sizeof *w.conns);
	w.free_slots = calloc(cfg.max_connections, sizeof *w.free_slots);
	for (unsigned i = 0; i < cfg.max_connections; i++)
		w.free_slots[i] = i;
	w.n_free = cfg.max_connections;
	int v[2], wr[2];
	if (ipc_socketpair(v) < 0 || ipc_socketpair(wr) < 0)
		abort();
	ipc_channel_init(&w.to_verifier, v[0], IPC_ROLE_VERIFIER, IPC_QUEUE_DEFAULT_BYTES);
	ipc_channel_init(&w.to_writer, wr[0], IPC_ROLE_WRITER, IPC_QUEUE_DEFAULT_BYTES);
	cfg.header_timeout_ms = cfg.idle_timeout_ms = 1000;
	if (worker_modules_init(&w) < 0)
		abort();
	response_refresh_date(&w);
}

/* The rest of the input, end of file, the answers read, the deadlines. */
static void drive(struct connection *c, int client, const uint8_t *rest, size_t n)
{
	if (c->in_use && n > 0 && write(client, rest, n) >= 0)
		connection_on_event(&w, c, EPOLLIN);
	shutdown(client, SHUT_WR);
	if (c->in_use)
		connection_on_event(&w, c, EPOLLIN);
	char sink[65536];
	while (read(client, sink, sizeof sink) > 0)
		;
	if (c->in_use)
		connection_on_event(&w, c, EPOLLIN | EPOLLOUT);
	connection_run_ready(&w);
	w.now_ms = 1000000;
	deadline_expire(w.deadline_lists, w.n_deadline_lists, w.now_ms);
	if (c->in_use)
		connection_close(&w, c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!w.conns)
		setup();
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0)
		return 0;
	size_t first = size ? data[0] % (size + 1) : 0;
	if (write(sv[0], data, first) < 0) {
		close(sv[0]);
		close(sv[1]);
		return 0;
	}
	w.now_ms = 0;
	struct sockaddr_storage peer = { .ss_family = AF_UNIX };
	unsigned free_before = w.n_free;
	connection_accept(&w, sv[1], &peer, false);
	/* accept reads at once: a first part that already decides the answer
	 * (a malformed request line) may have closed the connection and given
	 * its slot back before this looks for it. */
	if (w.n_free + 1 == free_before)
		drive(&w.conns[w.free_slots[w.n_free]], sv[0], data + first, size - first);
	close(sv[0]);
	/* answers the verifier never sent: drop what the worker queued */
	ipc_channel_clear(&w.to_verifier);
	ipc_channel_clear(&w.to_writer);
	return 0;
}
