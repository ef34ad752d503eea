/* Everything that waits on the verifier or the writer: request ids, the
 * owner's stage, the IPC deadline, the queue of messages not yet handed to
 * a channel, re-sends after a respawn, and the reply table (id -> waiting
 * request). Its users (registration, the NATS endpoint) get the outcome
 * through the callbacks they pass; this module names none of them.
 *
 * A channel is given at most one message it has to queue: the rest wait
 * here, where a request whose connection closed or timed out is dropped
 * before it is sent, and a respawn re-sends each waiting request once. */
#ifndef KEZ_WORKER_PENDING_H
#define KEZ_WORKER_PENDING_H

#include "worker/worker.h"

enum pending_peer { PEER_VERIFIER, PEER_WRITER, PEER_COUNT };

enum pending_loss {
	PENDING_TIMED_OUT,  /* no answer within the IPC timeout */
	PENDING_UNSENDABLE, /* the channel refused it (peer gone, too large) */
};

struct pending_ops {
	/* The answer came to the request of `stage`; the wait is over (start
	 * another for a next hop). */
	void (*reply)(struct worker *w, struct connection *c, unsigned stage, const struct ipc_header *h,
		      const void *body, size_t len);
	/* No answer will come; the wait is over. */
	void (*lost)(struct worker *w, struct connection *c, unsigned stage, enum pending_loss why);
};

struct pending_message {
	enum pending_peer         peer;
	unsigned                  stage;       /* the owner's label, non-zero */
	uint16_t                  type;        /* enum ipc_type */
	uint16_t                  flags;
	uint16_t                  retry_flags; /* added when re-sent to a restarted process */
	const void               *head;        /* the body is head then tail, copied */
	size_t                    head_len;
	const void               *tail;
	size_t                    tail_len;
	const struct pending_ops *ops;
};

/* The most message bytes waiting here for one peer. */
#define PENDING_QUEUE_MAX_BYTES (8u * 1024 * 1024)
#define PENDING_TIMEOUT_MS      5000

/* Registers the IPC deadline list with the worker. 0, or -1 (no memory). */
int      pending_init(struct worker *w);
void     pending_free(struct worker *w);
/* c waits (PHASE_WAITING) until its ops are called. 0, or -1 when it cannot
 * be queued (too many bytes waiting, no memory, too large): c is untouched
 * and the caller answers 503. */
int      pending_start(struct worker *w, struct connection *c, const struct pending_message *m);
/* The stage c waits in, 0 when none. */
unsigned pending_stage(const struct worker *w, const struct connection *c);
/* c is closing: its request is forgotten, and dropped unless already sent. */
void     pending_cancel(struct worker *w, struct connection *c);
/* A message from a peer: a reply to one waiting request, or stale. */
void     pending_on_message(struct worker *w, enum pending_peer from, const struct ipc_header *h,
			    const void *body, size_t len);
/* The peer's channel may take more (after EPOLLOUT). */
void     pending_flush(struct worker *w, enum pending_peer peer);
/* Re-sends what a restarted verifier or writer may have lost. */
void     pending_check_generations(struct worker *w);
bool     pending_any(const struct worker *w);
/* Requests handed to the peer and not answered yet. */
unsigned pending_in_flight(const struct worker *w, enum pending_peer peer);

#endif
