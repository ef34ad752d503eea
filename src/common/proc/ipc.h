/* Messages between processes over SOCK_SEQPACKET socketpairs (one datagram a
 * message, boundaries kept by the kernel). Every message has a header with a
 * type and a request id; the receiver treats the sender as untrusted and checks
 * each body's exact size and fields. */
#ifndef KEZ_IPC_H
#define KEZ_IPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/kez/handle.h"

#define IPC_MAX_BODY   (64 * 1024)
#define IPC_DETAIL_MAX 160

enum ipc_type {
	IPC_VERIFY_REQUEST = 1, /* worker -> verifier: body = raw envelope bytes */
	IPC_VERIFY_REPLY,       /* verifier -> worker: struct ipc_verify_reply */
	IPC_INSERT_REQUEST,     /* worker -> writer: struct ipc_insert_request */
	IPC_INSERT_REPLY,       /* writer -> worker: struct ipc_insert_reply */
	IPC_NATS_REQUEST,       /* worker or NATS client -> verifier: struct ipc_nats_request + request bytes */
	IPC_NATS_REPLY,         /* verifier -> asker: struct ipc_nats_reply + response JWT (may be empty) */
};

/* Set by a worker on an insert it re-sends after the writer restarted: an
 * existing record with the same handle AND key is then the worker's own
 * earlier insert, and counts as success. */
#define IPC_FLAG_RETRY 0x1u

struct ipc_header {
	uint16_t type;
	uint16_t flags;
	uint32_t length; /* of the body that follows */
	uint64_t id;     /* chosen by the requester, echoed in the reply */
};

struct ipc_verify_reply {
	uint32_t error;                  /* enum api_error; API_OK when it verified */
	uint8_t  handle_len;
	char     handle[HANDLE_MAX_LEN]; /* not NUL-terminated */
	uint8_t  primary[32];
	char     detail[IPC_DETAIL_MAX]; /* NUL-terminated; "" = default message */
};

struct ipc_insert_request {
	uint8_t primary[32];
	uint8_t handle_len;
	char    handle[HANDLE_MAX_LEN];
};

struct ipc_insert_reply {
	uint32_t error;         /* API_OK, API_HANDLE_TAKEN, API_KEY_TAKEN, API_STORAGE_FULL, API_INTERNAL */
	int64_t  registered_at; /* unix seconds, UTC; set when error == API_OK */
};

/* The auth callout is one question: the verifier checks the request, looks
 * the client's key up in the registry itself and signs the answer. */
struct ipc_nats_request {
	char    server_xkey[57]; /* Nats-Server-Xkey header when the request is sealed, else "" */
};

struct ipc_nats_reply {
	uint32_t error;      /* API_OK: a response follows; API_BAD_REQUEST: not a genuine request; API_NOT_IMPLEMENTED */
	uint8_t  granted;    /* the response is a grant for `handle` (else a refusal, reason in detail) */
	uint8_t  handle_len;
	char     handle[HANDLE_MAX_LEN];  /* not NUL-terminated */
	char     detail[IPC_DETAIL_MAX]; /* why a request was refused, for the log */
};

/* A non-blocking sending end with a bounded queue for messages the kernel
 * could not take yet. */
struct ipc_queued;
struct ipc_channel {
	int                fd;
	struct ipc_queued *head, *tail;
	size_t             queued;
	size_t             max_queued;
};

void ipc_channel_init(struct ipc_channel *ch, int fd, size_t max_queued);
/* Drops anything still queued (the fd is not closed). */
void ipc_channel_clear(struct ipc_channel *ch);
/* Sends now or queues. 0 on success, -1 when the queue is full or the peer is
 * gone for good. */
int  ipc_send(struct ipc_channel *ch, uint16_t type, uint16_t flags, uint64_t id,
	      const void *body, size_t len);
/* Sends what is queued: 1 when nothing is left, 0 when the kernel is full
 * again (wait for EPOLLOUT), -1 on a hard error. */
int  ipc_flush(struct ipc_channel *ch);
static inline bool ipc_pending(const struct ipc_channel *ch) { return ch->head != NULL; }

/* Receives one message without blocking. Returns the body length (>= 0) with
 * *h filled, -1 with errno EAGAIN when there is nothing, -1 with EPROTO for a
 * message that is truncated, too short or larger than `cap`, and 0 with
 * h->type == 0 at end of file. */
ssize_t ipc_recv(int fd, struct ipc_header *h, void *body, size_t cap);

/* Hands a descriptor to the process at the other end (SCM_RIGHTS): how the
 * master gives the verifier and the writer their ends of a new worker's
 * socketpairs on reload. 0, or -1. */
int ipc_send_fd(int sock, int fd);
/* The descriptor sent, or -1 (nothing waiting: errno EAGAIN; end of file:
 * errno 0). */
int ipc_recv_fd(int sock);

/* A SOCK_SEQPACKET socketpair, both ends non-blocking and close-on-exec, with
 * buffers large enough for IPC_MAX_BODY messages. */
int ipc_socketpair(int fds[2]);

#endif
