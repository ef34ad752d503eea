/* The probes sandbox_enter() runs once a process is confined (hooks build,
 * KEZ_TEST_PROBE set): each tries what the role must not do. */
#include "probes/probes.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/base/log.h"
#include "common/proc/child.h"
#include "common/proc/ipc.h"

static void try_open(const char *role, const char *what, const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC);
	log_info("probe %s: %s: %s", role, what, fd >= 0 ? "opened" : strerror(errno));
	if (fd >= 0)
		close(fd);
}

static void try_socket(const char *role)
{
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	log_info("probe %s: socket: %s", role, s >= 0 ? "created" : strerror(errno));
	if (s >= 0)
		close(s);
}

/* The hubs learn a link, and the role at its far end, only from the
 * master's control sockets. A worker or the nats client that could reach
 * one could hand a hub a link under a role of its choosing: it tries, on
 * every socketpair it holds besides its own links. */
static void try_hand_over_link(const char *role, const struct child_context *ctx)
{
	long max = sysconf(_SC_OPEN_MAX);
	int limit = max > 0 && max < 65536 ? (int)max : 65536;
	int handed = -1, others = 0;
	for (int fd = 0; fd < limit && handed < 0; fd++) {
		int type = 0;
		socklen_t len = sizeof type;
		if (fd == ctx->verifier_fd || fd == ctx->writer_fd || fcntl(fd, F_GETFD) < 0 ||
		    getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 || type != SOCK_SEQPACKET)
			continue;
		others++;
		if (ipc_send_fd(fd, ctx->verifier_fd, IPC_ROLE_WORKER) == 0)
			handed = fd;
	}
	if (handed >= 0)
		log_info("probe %s: hand a link to a hub: handed over on descriptor %d", role, handed);
	else
		log_info("probe %s: hand a link to a hub: refused (%d other socketpairs, none took it)", role, others);
}

/* Anything off the verifier's list kills it: only its first incarnation
 * tries, so that the master's report and the respawn can be watched. */
static void probe_verifier(const struct child_context *ctx)
{
	if (ctx->incarnation > 1) {
		log_info("probe verifier: incarnation %u: no probe", ctx->incarnation);
		return;
	}
	log_info("probe verifier: socket: trying (seccomp must kill this process)");
	try_socket("verifier");
}

/* The first seed file the configuration names, if any. */
static const char *a_seed_file(const struct config *cfg)
{
	if (cfg->nats_issuer_seed_file)
		return cfg->nats_issuer_seed_file;
	if (cfg->nats_seed_file)
		return cfg->nats_seed_file;
	return cfg->nats_xkey_seed_file;
}

void sandbox_probe(const struct child_context *ctx)
{
	if (!getenv("KEZ_TEST_PROBE"))
		return;
	const char *role = ctx->role;
	const struct config *cfg = ctx->cfg;
	switch (ctx->sandbox) {
	case SANDBOX_VERIFIER:
		probe_verifier(ctx);
		break;
	case SANDBOX_WORKER:
		try_open(role, "open /etc/passwd", "/etc/passwd", O_RDONLY);
		try_socket(role);
		try_open(role, "open registry for writing", cfg->db_path, O_RDWR);
		if (a_seed_file(cfg))
			try_open(role, "open seed file", a_seed_file(cfg), O_RDONLY);
		try_hand_over_link(role, ctx);
		break;
	case SANDBOX_WRITER:
		try_open(role, "open /etc/passwd", "/etc/passwd", O_RDONLY);
		try_socket(role);
		break;
	case SANDBOX_NATS:
		try_open(role, "open /etc/passwd", "/etc/passwd", O_RDONLY);
		try_open(role, "open registry for writing", cfg->db_path, O_RDWR);
		if (a_seed_file(cfg))
			try_open(role, "open seed file", a_seed_file(cfg), O_RDONLY);
		try_hand_over_link(role, ctx);
		probe_nats_link(ctx);
		break;
	}
}
