/* The one receive loop every process uses on its socketpairs: take
 * datagrams until the socket is empty (or a burst is used up, so that one
 * busy peer cannot starve the others), check each against the message
 * table (sender's role, receiver's role, body length), drop and log (rate
 * limited) what breaks it, and hand the rest to the receiver's dispatch
 * function. End of file, or an error that will not pass, means the peer is
 * gone: the loop reports it and the caller lets the link go. */
#ifndef KEZ_IPC_DRAIN_H
#define KEZ_IPC_DRAIN_H

#include <stddef.h>

#include "common/proc/ipc.h"
#include "common/proc/log_limit.h"

/* A message that passed the table. `body` lives in the receiver's buffer
 * until the next message is read: copy what must last. Returns 0 to go on,
 * non-zero to stop draining for now (the rest stays in the socket). */
typedef int (*ipc_dispatch_fn)(void *arg, struct ipc_channel *ch, const struct ipc_header *h, const void *body,
			       size_t len);

struct ipc_receiver {
	unsigned         self_role; /* enum ipc_role: what this process is */
	unsigned char   *buf;       /* IPC_MAX_BODY bytes on the heap, owned here */
	ipc_dispatch_fn  dispatch;
	void            *arg;
	struct log_limit drop_log;
	unsigned long    dropped;   /* messages refused by the table, ever */
};

/* 0, or -1 out of memory. */
int  ipc_receiver_init(struct ipc_receiver *rx, unsigned self_role, ipc_dispatch_fn dispatch, void *arg);
void ipc_receiver_free(struct ipc_receiver *rx);

enum ipc_drain_result {
	IPC_DRAIN_EMPTY, /* the socket has nothing more (EAGAIN) */
	IPC_DRAIN_MORE,  /* the burst ran out, or dispatch asked to stop: more may wait */
	IPC_DRAIN_GONE,  /* end of file or a hard error: the peer is gone */
};

/* Receives from `ch` up to `burst` datagrams (0: until the socket is empty,
 * for edge-triggered callers). */
enum ipc_drain_result ipc_drain(struct ipc_receiver *rx, struct ipc_channel *ch, unsigned burst);

#endif
