/* A NATS connect storm as a load generator that costs little itself: every
 * user opens its connection at once, reads INFO, signs the nonce with its
 * nkey, sends CONNECT and PING, and waits for PONG (admitted) or -ERR / a
 * close (refused). All stay connected until the last one has its answer.
 * Prints one line:  admitted A of N in S seconds
 * Usage: nats-storm HOST PORT SEEDS [TIMEOUT_S]
 * SEEDS: one user per line, its Ed25519 seed as 64 lowercase hex digits. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/base/buf.h"
#include "common/enc/base64url.h"
#include "common/kez/ed25519.h"
#include "common/kez/key_text.h"
#include "common/nats/nkeys.h"

#define LINE_MAX_BYTES 8192

enum state { CONNECTING, WANT_INFO, WANT_PONG, ADMITTED, REFUSED };

struct user {
	uint8_t    seed[ED25519_SEED_LEN];
	char       nkey[NKEY_PUBLIC_LEN + 1];
	int        fd;
	enum state state;
	size_t     have;
	char       in[LINE_MAX_BYTES];
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int read_seeds(const char *path, struct user **out, size_t *n)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	size_t cap = 0;
	char line[256];
	*out = NULL;
	*n = 0;
	while (fgets(line, sizeof line, f)) {
		size_t len = strcspn(line, "\r\n");
		if (len == 0)
			continue;
		if (*n == cap) {
			cap = cap ? 2 * cap : 1024;
			struct user *grown = realloc(*out, cap * sizeof **out);
			if (!grown) {
				fprintf(stderr, "nats-storm: out of memory at line %zu of %s\n", *n + 1, path);
				fclose(f);
				return -1;
			}
			*out = grown;
		}
		struct user *u = &(*out)[*n];
		memset(u, 0, sizeof *u);
		uint8_t pub[ED25519_KEY_LEN];
		if (hex_decode_lower(line, len, u->seed, sizeof u->seed) != 0 || ed25519_public_key(u->seed, pub) != 0) {
			fprintf(stderr, "nats-storm: line %zu of %s is no seed\n", *n + 1, path);
			fclose(f);
			return -1;
		}
		nkey_encode_public(NKEY_PREFIX_USER, pub, u->nkey);
		u->fd = -1;
		(*n)++;
	}
	int failed = ferror(f);
	fclose(f);
	return failed || *n == 0 ? -1 : 0;
}

/* CONNECT with the nonce of `info` signed, then PING. 0, or -1. */
static int send_connect(struct user *u, const char *info, size_t len)
{
	json_t *doc = json_loadb(info, len, 0, NULL);
	const char *nonce = json_string_value(json_object_get(doc, "nonce"));
	uint8_t sig[ED25519_SIG_LEN];
	char out[512];
	struct buf sig_text;
	buf_init(&sig_text, 128);
	int rc = -1;
	if (nonce && ed25519_sign(u->seed, (const uint8_t *)nonce, strlen(nonce), sig) == 0 &&
	    base64url_encode(sig, sizeof sig, &sig_text) == 0) {
		int n = snprintf(out, sizeof out,
				 "CONNECT {\"verbose\":false,\"pedantic\":false,\"nkey\":\"%s\",\"sig\":\"%.*s\","
				 "\"protocol\":1,\"lang\":\"c\",\"version\":\"storm\"}\r\nPING\r\n",
				 u->nkey, (int)sig_text.len, sig_text.data);
		rc = n > 0 && (size_t)n < sizeof out && send(u->fd, out, (size_t)n, MSG_NOSIGNAL) == n ? 0 : -1;
	}
	buf_free(&sig_text);
	json_decref(doc);
	return rc;
}

/* Takes the complete lines read so far; the user's state moves on. */
static void take_lines(struct user *u)
{
	char *start = u->in;
	char *end;
	while (u->state == WANT_INFO || u->state == WANT_PONG) {
		end = memchr(start, '\n', u->have - (size_t)(start - u->in));
		if (!end)
			break;
		size_t len = (size_t)(end - start);
		if (u->state == WANT_INFO && len > 5 && memcmp(start, "INFO ", 5) == 0)
			u->state = send_connect(u, start + 5, len - 5) == 0 ? WANT_PONG : REFUSED;
		else if (u->state == WANT_PONG && len >= 4 && memcmp(start, "PONG", 4) == 0)
			u->state = ADMITTED;
		else if (len >= 4 && memcmp(start, "-ERR", 4) == 0)
			u->state = REFUSED;
		start = end + 1;
	}
	size_t rest = u->have - (size_t)(start - u->in);
	memmove(u->in, start, rest);
	u->have = rest;
	if (u->have == sizeof u->in)
		u->state = REFUSED; /* a line longer than any NATS server sends here */
}

static bool answered(const struct user *u)
{
	return u->state == ADMITTED || u->state == REFUSED;
}

int main(int argc, char **argv)
{
	if (argc < 4 || argc > 5) {
		fprintf(stderr, "usage: nats-storm HOST PORT SEEDS [TIMEOUT_S]\n");
		return 2;
	}
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[2])) };
	double timeout = argc == 5 ? atof(argv[4]) : 60;
	struct user *users;
	size_t n;
	if (inet_pton(AF_INET, argv[1], &addr.sin_addr) != 1 || read_seeds(argv[3], &users, &n) != 0) {
		fprintf(stderr, "nats-storm: bad address or seed file\n");
		return 2;
	}
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < n + 64) {
		rl.rlim_cur = rl.rlim_max < n + 64 ? rl.rlim_max : n + 64;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	int ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0) {
		perror("nats-storm: epoll");
		return 1;
	}
	double start = now_s();
	size_t done = 0;
	for (size_t i = 0; i < n; i++) {
		struct user *u = &users[i];
		u->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP, .data.ptr = u };
		int one = 1;
		if (u->fd < 0 || setsockopt(u->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0 ||
		    (connect(u->fd, (struct sockaddr *)&addr, sizeof addr) != 0 && errno != EINPROGRESS) ||
		    epoll_ctl(ep, EPOLL_CTL_ADD, u->fd, &ev) != 0) {
			u->state = REFUSED;
			done++;
			continue;
		}
		u->state = WANT_INFO;
	}
	struct epoll_event events[256];
	while (done < n && now_s() - start < timeout) {
		int k = epoll_wait(ep, events, 256, 100);
		if (k < 0 && errno != EINTR) {
			perror("nats-storm: epoll_wait");
			return 1;
		}
		for (int i = 0; i < k; i++) {
			struct user *u = events[i].data.ptr;
			if (answered(u))
				continue;
			ssize_t got = recv(u->fd, u->in + u->have, sizeof u->in - u->have, 0);
			if (got > 0) {
				u->have += (size_t)got;
				take_lines(u);
			} else if (got == 0 || (errno != EAGAIN && errno != EINTR)) {
				u->state = REFUSED;
			}
			if (answered(u)) {
				done++;
				(void)epoll_ctl(ep, EPOLL_CTL_DEL, u->fd, NULL);
			}
		}
	}
	double elapsed = now_s() - start;
	size_t admitted = 0;
	for (size_t i = 0; i < n; i++) {
		admitted += users[i].state == ADMITTED;
		if (users[i].fd >= 0)
			close(users[i].fd);
	}
	printf("admitted %zu of %zu in %.3f seconds%s\n", admitted, n, elapsed, done < n ? " (timed out)" : "");
	close(ep);
	free(users);
	return 0;
}
