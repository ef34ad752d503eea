/* IPC on real socketpairs: framing, the message table, the drain loop's
 * refusals, vectored sends, the queue's byte bound, descriptor passing and
 * the control socket's end of file. */
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/proc/ipc.h"
#include "common/proc/ipc_drain.h"
#include "common/proc/ipc_msg.h"
#include "common/proc/peer_set.h"
#include "unit.h"

/* What a dispatch callback saw. */
struct seen {
	unsigned       count;
	uint16_t       types[16];
	uint64_t       ids[16];
	size_t         lens[16];
	unsigned char  first[64]; /* the first bytes of the last body */
	unsigned       stop_after; /* 0: never ask to stop */
};

static int record(void *arg, struct ipc_channel *ch, const struct ipc_header *h, const void *body, size_t len)
{
	(void)ch;
	struct seen *s = arg;
	if (s->count < 16) {
		s->types[s->count] = h->type;
		s->ids[s->count] = h->id;
		s->lens[s->count] = len;
	}
	memcpy(s->first, body, len < sizeof s->first ? len : sizeof s->first);
	s->count++;
	return s->stop_after && s->count >= s->stop_after;
}

/* A raw datagram, bypassing ipc_send (and its own checks). */
static bool send_raw(int fd, uint16_t type, uint32_t claimed_len, uint64_t id, const void *body, size_t len)
{
	struct ipc_header h = { .type = type, .flags = 0, .length = claimed_len, .id = id };
	unsigned char msg[sizeof h + 512];
	if (len > 512)
		return false;
	memcpy(msg, &h, sizeof h);
	if (len)
		memcpy(msg + sizeof h, body, len);
	return send(fd, msg, sizeof h + len, MSG_DONTWAIT) == (ssize_t)(sizeof h + len);
}

UNIT_TEST(ipc_framing_round_trip)
{
	int fds[2];
	REQUIRE(ipc_socketpair(fds) == 0);
	struct ipc_channel ch;
	ipc_channel_init(&ch, fds[0], IPC_ROLE_VERIFIER, IPC_QUEUE_DEFAULT_BYTES);
	const char envelope[] = "{\"handle\":\"alice\"}";
	CHECK_EQ_INT(ipc_send(&ch, IPC_VERIFY_REQUEST, 0x1, 0x1122334455667788ull, envelope, sizeof envelope - 1), 0);
	CHECK_EQ_INT(ipc_send(&ch, IPC_VERIFY_REQUEST, 0, 7, NULL, 0), 0); /* an empty body is a message too */
	unsigned char *body = malloc(IPC_MAX_BODY);
	REQUIRE(body);
	struct ipc_header h;
	ssize_t n = ipc_recv(fds[1], &h, body, IPC_MAX_BODY);
	CHECK_EQ_INT(n, (long long)sizeof envelope - 1);
	CHECK_EQ_INT(h.type, IPC_VERIFY_REQUEST);
	CHECK_EQ_INT(h.flags, 0x1);
	CHECK(h.id == 0x1122334455667788ull);
	CHECK_EQ_INT(h.length, sizeof envelope - 1);
	CHECK_EQ_MEM(body, envelope, sizeof envelope - 1);
	n = ipc_recv(fds[1], &h, body, IPC_MAX_BODY);
	CHECK_EQ_INT(n, 0);
	CHECK_EQ_INT(h.type, IPC_VERIFY_REQUEST);
	CHECK(h.id == 7);
	/* nothing left */
	n = ipc_recv(fds[1], &h, body, IPC_MAX_BODY);
	CHECK(n < 0 && errno == EAGAIN);
	/* the largest body the table allows goes through whole */
	memset(body, 'x', IPC_MAX_BODY);
	CHECK_EQ_INT(ipc_send(&ch, IPC_VERIFY_REQUEST, 0, 8, body, IPC_MAX_BODY), 0);
	memset(body, 0, IPC_MAX_BODY);
	n = ipc_recv(fds[1], &h, body, IPC_MAX_BODY);
	CHECK_EQ_INT(n, IPC_MAX_BODY);
	CHECK(body[0] == 'x' && body[IPC_MAX_BODY - 1] == 'x');
	/* end of file: 0 with type 0 */
	close(fds[0]);
	n = ipc_recv(fds[1], &h, body, IPC_MAX_BODY);
	CHECK_EQ_INT(n, 0);
	CHECK_EQ_INT(h.type, 0);
	close(fds[1]);
	free(body);
}

UNIT_TEST(ipc_vectored_send)
{
	int fds[2];
	REQUIRE(ipc_socketpair(fds) == 0);
	struct ipc_channel ch;
	ipc_channel_init(&ch, fds[0], IPC_ROLE_VERIFIER, IPC_QUEUE_DEFAULT_BYTES);
	struct ipc_nats_reply reply;
	memset(&reply, 0, sizeof reply);
	reply.error = 3;
	reply.granted = 1;
	reply.handle_len = 5;
	memcpy(reply.handle, "alice", 5);
	const char jwt[] = "eyJ0eXAiOiJKV1QifQ.payload.sig";
	CHECK_EQ_INT(ipc_send2(&ch, IPC_NATS_REPLY, 0, 42, &reply, sizeof reply, jwt, sizeof jwt - 1), 0);
	/* three parts, one of them empty */
	const struct ipc_part parts[3] = { { &reply, sizeof reply }, { "", 0 }, { "tail", 4 } };
	CHECK_EQ_INT(ipc_sendv(&ch, IPC_NATS_REPLY, 0, 43, parts, 3), 0);
	/* more parts than the limit: refused */
	const struct ipc_part many[IPC_MAX_PARTS + 1] = { { &reply, sizeof reply } };
	CHECK(ipc_sendv(&ch, IPC_NATS_REPLY, 0, 44, many, IPC_MAX_PARTS + 1) < 0 && errno == EINVAL);
	unsigned char body[1024];
	struct ipc_header h;
	ssize_t n = ipc_recv(fds[1], &h, body, sizeof body);
	REQUIRE(n == (ssize_t)(sizeof reply + sizeof jwt - 1));
	CHECK_EQ_MEM(body, &reply, sizeof reply);
	CHECK_EQ_MEM(body + sizeof reply, jwt, sizeof jwt - 1);
	n = ipc_recv(fds[1], &h, body, sizeof body);
	REQUIRE(n == (ssize_t)(sizeof reply + 4));
	CHECK(h.id == 43);
	CHECK_EQ_MEM(body + sizeof reply, "tail", 4);
	/* the sender keeps to the table: a fixed struct of the wrong size, a
	 * body over the limit and an undeclared type never leave */
	struct ipc_insert_request rq;
	memset(&rq, 0, sizeof rq);
	CHECK(ipc_send(&ch, IPC_INSERT_REQUEST, 0, 1, &rq, sizeof rq - 1) < 0 && errno == EINVAL);
	CHECK(ipc_send2(&ch, IPC_INSERT_REQUEST, 0, 1, &rq, sizeof rq, "x", 1) < 0 && errno == EINVAL);
	CHECK(ipc_send(&ch, IPC_NATS_REPLY, 0, 1, &reply, sizeof reply - 1) < 0 && errno == EINVAL);
	CHECK(ipc_send(&ch, 99, 0, 1, &rq, sizeof rq) < 0 && errno == EINVAL);
	CHECK(ipc_send(&ch, 0, 0, 1, &rq, sizeof rq) < 0 && errno == EINVAL);
	const struct ipc_part big[2] = { { body, IPC_MAX_BODY }, { body, 1 } };
	CHECK(ipc_sendv(&ch, IPC_VERIFY_REQUEST, 0, 1, big, 2) < 0 && errno == EINVAL);
	n = ipc_recv(fds[1], &h, body, sizeof body);
	CHECK(n < 0 && errno == EAGAIN);
	close(fds[0]);
	close(fds[1]);
}

UNIT_TEST(ipc_table)
{
	/* every type has its entry, in type order, with a name */
	for (uint16_t t = 1; t < IPC_TYPE_END; t++) {
		const struct ipc_msg_spec *s = ipc_msg_spec(t);
		if (!CHECK(s != NULL))
			continue;
		CHECK_EQ_INT(s->type, t);
		CHECK(s->name && strcmp(s->name, "unknown") != 0);
		CHECK(s->senders != 0 && s->receivers != 0);
		CHECK(s->min_len <= s->max_len && s->max_len <= IPC_MAX_BODY);
	}
	CHECK(ipc_msg_spec(0) == NULL);
	CHECK(ipc_msg_spec(IPC_TYPE_END) == NULL);
	CHECK(ipc_msg_spec(0xffff) == NULL);
	CHECK_EQ_STR(ipc_msg_name(IPC_INSERT_REQUEST), "INSERT_REQUEST");
	CHECK_EQ_STR(ipc_msg_name(77), "unknown");

	size_t rq = sizeof(struct ipc_insert_request);
	CHECK(ipc_msg_refusal(IPC_INSERT_REQUEST, rq, IPC_ROLE_WORKER, IPC_ROLE_WRITER) == NULL);
	CHECK_EQ_STR(ipc_msg_refusal(IPC_INSERT_REQUEST, rq - 1, IPC_ROLE_WORKER, IPC_ROLE_WRITER), "too short");
	CHECK_EQ_STR(ipc_msg_refusal(IPC_INSERT_REQUEST, rq + 1, IPC_ROLE_WORKER, IPC_ROLE_WRITER), "too long");
	/* only workers insert; the NATS client cannot, nor can the verifier */
	CHECK_EQ_STR(ipc_msg_refusal(IPC_INSERT_REQUEST, rq, IPC_ROLE_NATS, IPC_ROLE_WRITER), "wrong sender");
	CHECK_EQ_STR(ipc_msg_refusal(IPC_INSERT_REQUEST, rq, IPC_ROLE_VERIFIER, IPC_ROLE_WRITER), "wrong sender");
	/* an insert sent to the verifier is not its to take */
	CHECK_EQ_STR(ipc_msg_refusal(IPC_INSERT_REQUEST, rq, IPC_ROLE_WORKER, IPC_ROLE_VERIFIER), "wrong receiver");
	/* a worker cannot pose as the verifier towards the writer */
	CHECK_EQ_STR(ipc_msg_refusal(IPC_VERIFY_REPLY, sizeof(struct ipc_verify_reply), IPC_ROLE_WORKER,
				     IPC_ROLE_WRITER),
		     "wrong sender");
	CHECK_EQ_STR(ipc_msg_refusal(0, 0, IPC_ROLE_WORKER, IPC_ROLE_WRITER), "unknown type");
	CHECK_EQ_STR(ipc_msg_refusal(IPC_TYPE_END, 0, IPC_ROLE_WORKER, IPC_ROLE_WRITER), "unknown type");
	/* variable bodies: a floor (the fixed head) and the ceiling */
	size_t nr = sizeof(struct ipc_nats_request);
	CHECK(ipc_msg_refusal(IPC_NATS_REQUEST, nr, IPC_ROLE_NATS, IPC_ROLE_VERIFIER) == NULL);
	CHECK(ipc_msg_refusal(IPC_NATS_REQUEST, IPC_MAX_BODY, IPC_ROLE_WORKER, IPC_ROLE_VERIFIER) == NULL);
	CHECK_EQ_STR(ipc_msg_refusal(IPC_NATS_REQUEST, nr - 1, IPC_ROLE_NATS, IPC_ROLE_VERIFIER), "too short");
	CHECK_EQ_STR(ipc_msg_refusal(IPC_NATS_REQUEST, IPC_MAX_BODY + 1, IPC_ROLE_NATS, IPC_ROLE_VERIFIER),
		     "too long");
	/* a link that may be a worker or the NATS client (the verifier's) */
	CHECK(ipc_msg_refusal(IPC_VERIFY_REQUEST, 10, IPC_ROLE_WORKER | IPC_ROLE_NATS, IPC_ROLE_VERIFIER) == NULL);
	CHECK(ipc_msg_refusal(IPC_NATS_REPLY, sizeof(struct ipc_nats_reply), IPC_ROLE_VERIFIER, IPC_ROLE_NATS) == NULL);
}

UNIT_TEST(ipc_drain_drops_what_breaks_the_table)
{
	int fds[2];
	REQUIRE(ipc_socketpair(fds) == 0);
	/* the writer's end: a worker is at the other side */
	struct ipc_channel ch;
	ipc_channel_init(&ch, fds[1], IPC_ROLE_WORKER, IPC_QUEUE_DEFAULT_BYTES);
	struct seen seen;
	memset(&seen, 0, sizeof seen);
	struct ipc_receiver rx;
	REQUIRE(ipc_receiver_init(&rx, IPC_ROLE_WRITER, record, &seen) == 0);

	struct ipc_insert_request rq;
	memset(&rq, 0x5a, sizeof rq);
	struct ipc_verify_reply forged;
	memset(&forged, 0, sizeof forged);
	const uint32_t rql = sizeof rq;
	CHECK(send_raw(fds[0], IPC_VERIFY_REPLY, sizeof forged, 1, &forged, sizeof forged)); /* wrong sender */
	CHECK(send_raw(fds[0], IPC_INSERT_REQUEST, rql - 1, 2, &rq, rql - 1));                /* short */
	CHECK(send_raw(fds[0], IPC_INSERT_REQUEST, rql + 1, 3, &forged, rql + 1));            /* long */
	CHECK(send_raw(fds[0], IPC_INSERT_REQUEST, rql + 8, 4, &rq, rql));  /* header claims more than came */
	CHECK(send_raw(fds[0], 99, rql, 5, &rq, rql));                       /* unknown type */
	CHECK(send_raw(fds[0], IPC_NATS_REQUEST, sizeof(struct ipc_nats_request), 6, &forged,
		       sizeof(struct ipc_nats_request))); /* the verifier's, not the writer's */
	CHECK(send(fds[0], "abc", 3, MSG_DONTWAIT) == 3); /* shorter than a header */
	CHECK(send_raw(fds[0], IPC_INSERT_REQUEST, rql, 8, &rq, rql));       /* the one good message */
	/* larger than any buffer: cut by the kernel (MSG_TRUNC) */
	size_t huge_len = sizeof(struct ipc_header) + IPC_MAX_BODY + 100;
	unsigned char *huge = calloc(1, huge_len);
	REQUIRE(huge);
	struct ipc_header hh = { .type = IPC_INSERT_REQUEST, .length = IPC_MAX_BODY + 100, .id = 9 };
	memcpy(huge, &hh, sizeof hh);
	CHECK(send(fds[0], huge, huge_len, MSG_DONTWAIT) == (ssize_t)huge_len);
	free(huge);

	CHECK_EQ_INT(ipc_drain(&rx, &ch, 0), IPC_DRAIN_EMPTY);
	CHECK_EQ_INT(seen.count, 1);
	CHECK(seen.ids[0] == 8);
	CHECK_EQ_INT(seen.types[0], IPC_INSERT_REQUEST);
	CHECK_EQ_INT(seen.lens[0], sizeof rq);
	CHECK_EQ_MEM(seen.first, &rq, sizeof seen.first < sizeof rq ? sizeof seen.first : sizeof rq);
	CHECK_EQ_INT(rx.dropped, 8);
	/* a few lines for the first drops, the rest of the second only counted */
	CHECK_EQ_INT(rx.drop_log.in_window, 3);
	CHECK_EQ_INT(rx.drop_log.held_back, 5);

	/* end of file: the peer is gone, and the loop says so */
	close(fds[0]);
	CHECK_EQ_INT(ipc_drain(&rx, &ch, 0), IPC_DRAIN_GONE);
	close(fds[1]);
	ipc_receiver_free(&rx);
}

UNIT_TEST(ipc_drain_burst_and_stop)
{
	int fds[2];
	REQUIRE(ipc_socketpair(fds) == 0);
	struct ipc_channel tx, ch;
	ipc_channel_init(&tx, fds[0], IPC_ROLE_VERIFIER, IPC_QUEUE_DEFAULT_BYTES);
	ipc_channel_init(&ch, fds[1], IPC_ROLE_WORKER, IPC_QUEUE_DEFAULT_BYTES);
	struct seen seen;
	memset(&seen, 0, sizeof seen);
	struct ipc_receiver rx;
	REQUIRE(ipc_receiver_init(&rx, IPC_ROLE_VERIFIER, record, &seen) == 0);
	for (uint64_t id = 1; id <= 6; id++)
		CHECK_EQ_INT(ipc_send(&tx, IPC_VERIFY_REQUEST, 0, id, "{}", 2), 0);
	/* a burst of 2: two taken, more waiting */
	CHECK_EQ_INT(ipc_drain(&rx, &ch, 2), IPC_DRAIN_MORE);
	CHECK_EQ_INT(seen.count, 2);
	/* the callback asks to stop after the next one */
	seen.stop_after = 3;
	CHECK_EQ_INT(ipc_drain(&rx, &ch, 0), IPC_DRAIN_MORE);
	CHECK_EQ_INT(seen.count, 3);
	seen.stop_after = 0;
	CHECK_EQ_INT(ipc_drain(&rx, &ch, 0), IPC_DRAIN_EMPTY);
	CHECK_EQ_INT(seen.count, 6);
	for (unsigned i = 0; i < 6; i++)
		CHECK(seen.ids[i] == i + 1);
	CHECK_EQ_INT(rx.dropped, 0);
	close(fds[0]);
	close(fds[1]);
	ipc_receiver_free(&rx);
}

UNIT_TEST(ipc_queue_is_bounded_in_bytes)
{
	int fds[2];
	REQUIRE(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) == 0);
	int small = 4096;
	(void)setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
	const size_t body_len = 1000, msg_len = sizeof(struct ipc_header) + 1000;
	struct ipc_channel ch;
	ipc_channel_init(&ch, fds[0], IPC_ROLE_WORKER, 3 * msg_len);
	unsigned char body[1000];
	memset(body, 'e', sizeof body);
	/* fill the kernel's buffer until the channel starts queueing */
	uint64_t id = 0;
	while (!ipc_pending(&ch) && id < 100000)
		REQUIRE(ipc_send(&ch, IPC_VERIFY_REQUEST, 0, ++id, body, body_len) == 0);
	REQUIRE(ipc_pending(&ch));
	uint64_t first_queued = id;
	CHECK_EQ_INT(ch.queued_bytes, msg_len);
	CHECK_EQ_INT(ipc_send(&ch, IPC_VERIFY_REQUEST, 0, ++id, body, body_len), 0);
	CHECK_EQ_INT(ipc_send(&ch, IPC_VERIFY_REQUEST, 0, ++id, body, body_len), 0);
	CHECK_EQ_INT(ch.queued_bytes, 3 * msg_len);
	/* no room for one more byte's worth of message */
	CHECK(ipc_send(&ch, IPC_VERIFY_REQUEST, 0, id + 1, body, body_len) < 0 && errno == ENOBUFS);
	CHECK(ipc_send(&ch, IPC_VERIFY_REQUEST, 0, id + 1, NULL, 0) < 0 && errno == ENOBUFS);
	CHECK_EQ_INT(ch.queued_bytes, 3 * msg_len);
	CHECK_EQ_INT(ipc_flush(&ch), 0); /* still full */

	/* the reader catches up: everything leaves, in order */
	unsigned char *rbuf = malloc(IPC_MAX_BODY);
	REQUIRE(rbuf);
	uint64_t expect = 1;
	bool in_order = true;
	for (int round = 0; round < 100000 && expect <= id; round++) {
		struct ipc_header h;
		ssize_t n = ipc_recv(fds[1], &h, rbuf, IPC_MAX_BODY);
		if (n < 0) {
			REQUIRE(errno == EAGAIN);
			CHECK(ipc_flush(&ch) >= 0);
			continue;
		}
		in_order = in_order && h.id == expect && (size_t)n == body_len;
		expect++;
	}
	CHECK(in_order);
	CHECK(expect == id + 1);
	CHECK(first_queued > 1);
	CHECK(!ipc_pending(&ch));
	CHECK_EQ_INT(ch.queued_bytes, 0);
	CHECK_EQ_INT(ipc_flush(&ch), 1);
	free(rbuf);
	ipc_channel_clear(&ch);
	close(fds[0]);
	close(fds[1]);
}

UNIT_TEST(ipc_control_socket_end_of_file)
{
	int control[2], link[2];
	REQUIRE(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, control) == 0);
	REQUIRE(ipc_socketpair(link) == 0);
	int ep = epoll_create1(EPOLL_CLOEXEC);
	REQUIRE(ep >= 0);
	struct peer_set set;
	REQUIRE(peer_set_init(&set, 4, ep, IPC_ROLE_WORKER, IPC_QUEUE_DEFAULT_BYTES) == 0);
	/* nothing waiting: fine */
	CHECK_EQ_INT(peer_set_take_links(&set, control[1]), 0);
	/* a link handed over arrives as a live peer of the role it was sent with */
	CHECK_EQ_INT(ipc_send_fd(control[0], link[1], IPC_ROLE_WORKER), 0);
	CHECK_EQ_INT(peer_set_take_links(&set, control[1]), 0);
	CHECK(peer_set_live(&set, 0));
	CHECK_EQ_INT(set.peers[0].peer_roles, IPC_ROLE_WORKER);
	/* a role the set does not take is refused (the descriptor closed),
	 * and a link is sent with exactly one role */
	CHECK_EQ_INT(ipc_send_fd(control[0], link[1], IPC_ROLE_NATS), 0);
	CHECK_EQ_INT(peer_set_take_links(&set, control[1]), 0);
	CHECK(!peer_set_live(&set, 1));
	errno = 0;
	CHECK_EQ_INT(ipc_send_fd(control[0], link[1], IPC_ROLE_WORKER | IPC_ROLE_NATS), -1);
	CHECK_EQ_INT(errno, EINVAL);
	/* the master's end closes: the caller hears it, rather than spinning */
	close(control[0]);
	errno = 0;
	CHECK_EQ_INT(peer_set_take_links(&set, control[1]), -1);
	peer_set_drop(&set, 0);
	peer_set_free(&set);
	close(control[1]);
	close(link[0]);
	close(link[1]);
	close(ep);
}

UNIT_TEST(ipc_link_without_one_role_is_refused)
{
	int control[2], link[2];
	REQUIRE(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, control) == 0);
	REQUIRE(ipc_socketpair(link) == 0);
	/* no role, and two roles at once: neither names the far end */
	const unsigned char bad[] = { 0, IPC_ROLE_WORKER | IPC_ROLE_NATS, 0x80 };
	for (size_t i = 0; i < sizeof bad; i++) {
		REQUIRE(ipc_send_fd_token(control[0], link[1], bad[i]) == 0);
		unsigned role = 99;
		errno = 0;
		CHECK_EQ_INT(ipc_recv_fd(control[1], &role), -1);
		CHECK_EQ_INT(errno, EPROTO);
		CHECK_EQ_INT(role, 99);
	}
	/* one role: taken, with it */
	REQUIRE(ipc_send_fd_token(control[0], link[1], IPC_ROLE_NATS) == 0);
	unsigned role = 0;
	int fd = ipc_recv_fd(control[1], &role);
	CHECK(fd >= 0);
	CHECK_EQ_INT(role, IPC_ROLE_NATS);
	if (fd >= 0)
		close(fd);
	CHECK(ipc_role_is_one(IPC_ROLE_WRITER));
	CHECK(!ipc_role_is_one(0));
	CHECK(!ipc_role_is_one(IPC_ROLE_WORKER | IPC_ROLE_VERIFIER));
	close(control[0]);
	close(control[1]);
	close(link[0]);
	close(link[1]);
}

UNIT_TEST(log_limit_bounds_lines)
{
	struct log_limit l = LOG_LIMIT_INIT(1000, 2);
	unsigned long held = 99;
	CHECK(log_limit_allow(&l, 5000, &held));
	CHECK_EQ_INT(held, 0);
	CHECK(log_limit_allow(&l, 5001, &held));
	CHECK(!log_limit_allow(&l, 5002, &held));
	CHECK(!log_limit_allow(&l, 5500, &held));
	CHECK(!log_limit_allow(&l, 5999, &held));
	/* the next interval: the line tells how many were held back */
	CHECK(log_limit_allow(&l, 6000, &held));
	CHECK_EQ_INT(held, 3);
	CHECK(log_limit_allow(&l, 6001, &held));
	CHECK_EQ_INT(held, 0);
	CHECK(!log_limit_allow(&l, 6002, &held));
	/* a clock at 0 still counts */
	struct log_limit z = LOG_LIMIT_INIT(1000, 1);
	CHECK(log_limit_allow(&z, 0, &held));
	CHECK(!log_limit_allow(&z, 0, &held));
}
