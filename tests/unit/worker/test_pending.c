/* What waits on the verifier or the writer: a request whose connection
 * closed is dropped before it is sent, a respawn re-sends each waiting
 * request exactly once (flagged when asked), a reply reaches its request
 * once, the IPC deadline ends a wait, and the queue is bounded in bytes. */
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/config/config.h"
#include "worker/pending.h"
#include "../unit.h"

#define N_CONNS 160

struct fixture {
	struct config        cfg;
	struct shared_state  state;
	struct child_context ctx;
	struct worker        w;
	struct connection    conns[N_CONNS];
	int                  peer_fd; /* the verifier's (or writer's) end */
	int                  writer_peer_fd;
};

static struct {
	int            replies, losses;
	unsigned       last_slot, last_stage;
	enum pending_loss last_loss;
} seen;

static void on_reply(struct worker *w, struct connection *c, unsigned stage, const struct ipc_header *h,
		     const void *body, size_t len)
{
	seen.replies++;
	seen.last_slot = c->slot;
	seen.last_stage = stage;
}

static void on_lost(struct worker *w, struct connection *c, unsigned stage, enum pending_loss why)
{
	seen.losses++;
	seen.last_slot = c->slot;
	seen.last_stage = stage;
	seen.last_loss = why;
}

static const struct pending_ops ops = { .reply = on_reply, .lost = on_lost };

static bool setup(struct fixture *f)
{
	memset(f, 0, sizeof *f);
	memset(&seen, 0, sizeof seen);
	f->cfg.max_connections = N_CONNS;
	atomic_init(&f->state.verifier_ready, 1);
	atomic_init(&f->state.writer_ready, 1);
	f->ctx.cfg = &f->cfg;
	f->ctx.state = &f->state;
	f->w.ctx = &f->ctx;
	f->w.cfg = &f->cfg;
	int v[2], wr[2];
	if (ipc_socketpair(v) < 0 || ipc_socketpair(wr) < 0)
		return false;
	ipc_channel_init(&f->w.to_verifier, v[0], IPC_ROLE_VERIFIER, IPC_QUEUE_DEFAULT_BYTES);
	ipc_channel_init(&f->w.to_writer, wr[0], IPC_ROLE_WRITER, IPC_QUEUE_DEFAULT_BYTES);
	f->peer_fd = v[1];
	f->writer_peer_fd = wr[1];
	for (unsigned i = 0; i < N_CONNS; i++)
		f->conns[i].slot = i;
	return pending_init(&f->w) == 0;
}

static void teardown(struct fixture *f)
{
	pending_free(&f->w);
	ipc_channel_clear(&f->w.to_verifier);
	ipc_channel_clear(&f->w.to_writer);
	close(f->w.to_verifier.fd);
	close(f->w.to_writer.fd);
	close(f->peer_fd);
	close(f->writer_peer_fd);
}

/* Fills the socket until the channel has to queue: what comes next waits. */
static bool fill_channel(struct ipc_channel *ch)
{
	static const char filler[1000];
	for (int i = 0; i < 100000 && !ipc_pending(ch); i++)
		if (ipc_send(ch, IPC_NATS_REQUEST, 0, 0, filler, sizeof filler) < 0)
			return false;
	return ipc_pending(ch);
}

/* (The filler is a type the tests never count, and a size the message table
 * allows.) Reads every message waiting at fd; counts those of type `type` per slot. */
static int drain(int fd, uint16_t type, int per_slot[N_CONNS], uint16_t *flags_seen)
{
	unsigned char *body = malloc(IPC_MAX_BODY);
	int n = 0;
	for (int i = 0; body && i < 1000000; i++) {
		struct ipc_header h;
		ssize_t len = ipc_recv(fd, &h, body, IPC_MAX_BODY);
		if (len < 0 && errno == EAGAIN)
			break;
		if (len < 0)
			continue;
		if (h.type != type)
			continue;
		n++;
		if ((h.id >> 32) < N_CONNS)
			per_slot[h.id >> 32]++;
		if (flags_seen)
			*flags_seen |= h.flags;
	}
	free(body);
	return n;
}

static int start(struct fixture *f, unsigned slot, enum pending_peer peer, uint16_t retry_flags, size_t len)
{
	static const char body[IPC_MAX_BODY];
	struct pending_message m = { .peer = peer, .stage = 7, .type = IPC_VERIFY_REQUEST,
				     .retry_flags = retry_flags, .tail = body, .tail_len = len, .ops = &ops };
	return pending_start(&f->w, &f->conns[slot], &m);
}

UNIT_TEST(pending_closed_requests_are_never_sent)
{
	struct fixture f;
	REQUIRE(setup(&f));
	REQUIRE(fill_channel(&f.w.to_verifier));
	for (unsigned s = 0; s < 3; s++)
		REQUIRE(start(&f, s, PEER_VERIFIER, 0, 100) == 0);
	CHECK_EQ_INT(f.conns[1].phase, PHASE_WAITING);
	CHECK_EQ_INT(pending_stage(&f.w, &f.conns[1]), 7);
	pending_cancel(&f.w, &f.conns[1]); /* its client left before it was sent */
	CHECK_EQ_INT(pending_stage(&f.w, &f.conns[1]), 0);
	int per_slot[N_CONNS] = { 0 };
	(void)drain(f.peer_fd, IPC_VERIFY_REQUEST, per_slot, NULL);
	/* the socket has room again: the channel's queue, then ours */
	for (int i = 0; i < 100 && ipc_pending(&f.w.to_verifier); i++) {
		(void)ipc_flush(&f.w.to_verifier);
		(void)drain(f.peer_fd, IPC_VERIFY_REQUEST, per_slot, NULL);
	}
	pending_flush(&f.w, PEER_VERIFIER);
	(void)drain(f.peer_fd, IPC_VERIFY_REQUEST, per_slot, NULL);
	CHECK_EQ_INT(per_slot[0], 1);
	CHECK_EQ_INT(per_slot[1], 0);
	CHECK_EQ_INT(per_slot[2], 1);
	CHECK_EQ_INT(seen.losses, 0);
	teardown(&f);
}

UNIT_TEST(pending_respawn_resends_each_once)
{
	struct fixture f;
	REQUIRE(setup(&f));
	/* two sent to the writer, one still waiting behind a clogged channel */
	REQUIRE(start(&f, 0, PEER_WRITER, IPC_FLAG_RETRY, 100) == 0);
	REQUIRE(start(&f, 1, PEER_WRITER, IPC_FLAG_RETRY, 100) == 0);
	REQUIRE(fill_channel(&f.w.to_writer));
	REQUIRE(start(&f, 2, PEER_WRITER, IPC_FLAG_RETRY, 100) == 0);
	int first[N_CONNS] = { 0 };
	uint16_t first_flags = 0;
	(void)drain(f.writer_peer_fd, IPC_VERIFY_REQUEST, first, &first_flags);
	CHECK_EQ_INT(first[0], 1);
	CHECK_EQ_INT(first[1], 1);
	CHECK_EQ_INT(first_flags & IPC_FLAG_RETRY, 0);
	/* the writer is replaced: what it was given may be lost */
	atomic_store(&f.state.writer_generation, 1);
	pending_check_generations(&f.w);
	int again[N_CONNS] = { 0 };
	uint16_t again_flags = 0;
	for (int i = 0; i < 100; i++) {
		(void)drain(f.writer_peer_fd, IPC_VERIFY_REQUEST, again, &again_flags);
		(void)ipc_flush(&f.w.to_writer);
		pending_flush(&f.w, PEER_WRITER);
	}
	/* each waiting request exactly once, the filler dropped, nothing twice */
	CHECK_EQ_INT(again[0], 1);
	CHECK_EQ_INT(again[1], 1);
	CHECK_EQ_INT(again[2], 1);
	CHECK(again_flags & IPC_FLAG_RETRY);
	/* the same generation again changes nothing */
	pending_check_generations(&f.w);
	int none[N_CONNS] = { 0 };
	CHECK_EQ_INT(drain(f.writer_peer_fd, IPC_VERIFY_REQUEST, none, NULL), 0);
	teardown(&f);
}

UNIT_TEST(pending_reply_reaches_its_request_once)
{
	struct fixture f;
	REQUIRE(setup(&f));
	REQUIRE(start(&f, 5, PEER_VERIFIER, 0, 10) == 0);
	struct ipc_header h;
	unsigned char body[64];
	REQUIRE(ipc_recv(f.peer_fd, &h, body, sizeof body) == 10);
	struct ipc_header reply = { .type = IPC_VERIFY_REPLY, .id = h.id };
	/* from the wrong peer, or with another id: stale */
	pending_on_message(&f.w, PEER_WRITER, &reply, NULL, 0);
	struct ipc_header other = reply;
	other.id ^= 1;
	pending_on_message(&f.w, PEER_VERIFIER, &other, NULL, 0);
	CHECK_EQ_INT(seen.replies, 0);
	pending_on_message(&f.w, PEER_VERIFIER, &reply, NULL, 0);
	CHECK_EQ_INT(seen.replies, 1);
	CHECK_EQ_INT(seen.last_slot, 5);
	CHECK_EQ_INT(seen.last_stage, 7);
	pending_on_message(&f.w, PEER_VERIFIER, &reply, NULL, 0); /* twice */
	CHECK_EQ_INT(seen.replies, 1);
	CHECK(!pending_any(&f.w));
	teardown(&f);
}

UNIT_TEST(pending_deadline_ends_the_wait)
{
	struct fixture f;
	REQUIRE(setup(&f));
	f.w.now_ms = 1000;
	REQUIRE(start(&f, 3, PEER_VERIFIER, 0, 10) == 0);
	CHECK(pending_any(&f.w));
	REQUIRE(f.w.n_deadline_lists == 1);
	deadline_expire(f.w.deadline_lists, 1, 1000 + PENDING_TIMEOUT_MS - 1);
	CHECK_EQ_INT(seen.losses, 0);
	deadline_expire(f.w.deadline_lists, 1, 1000 + PENDING_TIMEOUT_MS);
	CHECK_EQ_INT(seen.losses, 1);
	CHECK_EQ_INT(seen.last_slot, 3);
	CHECK_EQ_INT(seen.last_loss, PENDING_TIMED_OUT);
	CHECK(!pending_any(&f.w));
	teardown(&f);
}

UNIT_TEST(pending_queue_bounded_in_bytes)
{
	struct fixture f;
	REQUIRE(setup(&f));
	REQUIRE(fill_channel(&f.w.to_verifier));
	unsigned fit = PENDING_QUEUE_MAX_BYTES / IPC_MAX_BODY;
	REQUIRE(fit + 2 <= N_CONNS);
	for (unsigned s = 0; s < fit; s++)
		REQUIRE(start(&f, s, PEER_VERIFIER, 0, IPC_MAX_BODY) == 0);
	/* no room for a large one; a small one neither once the bytes are used up */
	CHECK_EQ_INT(start(&f, fit, PEER_VERIFIER, 0, IPC_MAX_BODY), -1);
	CHECK_EQ_INT(f.conns[fit].phase, PHASE_READING);
	CHECK_EQ_INT(start(&f, fit, PEER_VERIFIER, 0, 1), -1);
	/* a cancelled one frees its bytes */
	pending_cancel(&f.w, &f.conns[0]);
	CHECK_EQ_INT(start(&f, fit, PEER_VERIFIER, 0, IPC_MAX_BODY), 0);
	/* the writer's queue is its own */
	CHECK_EQ_INT(start(&f, fit + 1, PEER_WRITER, 0, 10), 0);
	teardown(&f);
}
