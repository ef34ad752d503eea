#include "master/listener.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/base/log.h"

/* Deep enough for a burst of wrk connections; the kernel caps it at somaxconn. */
#define LISTEN_BACKLOG 4096

static void describe(const struct sockaddr_storage *ss, char *out, size_t cap)
{
	char host[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
		inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
		port = ntohs(in->sin_port);
		snprintf(out, cap, "%s:%u", host, port);
	} else {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
		port = ntohs(in6->sin6_port);
		snprintf(out, cap, "[%s]:%u", host, port);
	}
}

static int open_at(const struct sockaddr_storage *addr, socklen_t addr_len, const char *text, const char *what)
{
	int fd = socket(addr->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		log_error("cannot create a socket for %s: %s", text, strerror(errno));
		return -1;
	}
	int one = 1;
	/* Restarts must not wait out TIME_WAIT; SO_REUSEPORT is left off on
	 * purpose so that a second server on the same port fails loudly. */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0)
		log_warn("SO_REUSEADDR: %s", strerror(errno));
	if (bind(fd, (const struct sockaddr *)addr, addr_len) < 0 ||
	    listen(fd, LISTEN_BACKLOG) < 0) {
		int err = errno;
		log_error("cannot listen on %s: %s", text,
			  err == EADDRINUSE ? "address already in use (is another server running on this port?)"
					    : strerror(err));
		close(fd);
		return -1;
	}
	struct sockaddr_storage actual;
	socklen_t len = sizeof actual;
	if (getsockname(fd, (struct sockaddr *)&actual, &len) == 0) {
		char where[128];
		describe(&actual, where, sizeof where);
		log_info("%s %s", what, where);
	}
	return fd;
}

int listener_open(const struct config *cfg)
{
	return open_at(&cfg->bind_addr, cfg->bind_addr_len, cfg->bind_text, "listening on");
}

int listener_open_metrics(const struct config *cfg)
{
	if (!cfg->has_metrics)
		return -1;
	return open_at(&cfg->metrics_addr, cfg->metrics_addr_len, cfg->metrics_text, "metrics served on");
}
