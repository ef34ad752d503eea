/* Messages between processes over SOCK_SEQPACKET socketpairs (one datagram a
 * message, boundaries kept by the kernel). Every message is a header with a
 * type and a request id, then a body: a fixed struct, a fixed struct and
 * variable bytes, or variable bytes. Each type is declared once, in the
 * table of ipc_msg.c (who may send it, who takes it, how long its body may
 * be); ipc_drain.c checks every received message against it. */
#ifndef KEZ_IPC_H
#define KEZ_IPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/kez/handle.h"
#include "common/kez/sigchain_event.h"
#include "common/proc/attest.h"

#define IPC_MAX_BODY   (64 * 1024)
#define IPC_DETAIL_MAX 160
/* What a channel may hold for a peer that does not read, in bytes. */
#define IPC_QUEUE_DEFAULT_BYTES ((size_t)4 << 20)

/* The roles at either end of a socketpair (bit masks, so a table entry may
 * name several senders). */
enum ipc_role {
	IPC_ROLE_WORKER   = 1u << 0,
	IPC_ROLE_VERIFIER = 1u << 1,
	IPC_ROLE_WRITER   = 1u << 2,
	IPC_ROLE_NATS     = 1u << 3,
};

enum ipc_type {
	IPC_VERIFY_REQUEST = 1, /* worker -> verifier: body = raw envelope bytes */
	IPC_VERIFY_REPLY,       /* verifier -> worker: struct ipc_verify_reply */
	IPC_INSERT_REQUEST,     /* worker -> writer: struct ipc_insert_request */
	IPC_INSERT_REPLY,       /* writer -> worker: struct ipc_insert_reply */
	IPC_NATS_REQUEST,       /* worker or NATS client -> verifier: struct ipc_nats_request + request bytes */
	IPC_NATS_REPLY,         /* verifier -> asker: struct ipc_nats_reply + response JWT (may be empty) */
	IPC_EVENT_VERIFY_REQUEST, /* worker -> verifier: struct ipc_event_verify_request + raw event bytes */
	IPC_EVENT_VERIFY_REPLY,   /* verifier -> worker: struct ipc_event_verify_reply (+ JCS(event) when API_OK) */
	IPC_APPEND_REQUEST,       /* worker -> writer: struct ipc_append_request + JCS(event) */
	IPC_APPEND_REPLY,         /* writer -> worker: struct ipc_append_reply */
	IPC_TYPE_END
};

/* Set by a worker on an insert it re-sends after the writer restarted: an
 * existing record with the same handle AND key is then the worker's own
 * earlier insert, and counts as success. */
#define IPC_FLAG_RETRY 0x1u

/* The wire structs: every byte is a named field (explicit padding, zeroed by
 * the sender), so nothing of a sender's memory leaks through a gap and both
 * ends agree on each offset. */
struct ipc_header {
	uint16_t type;
	uint16_t flags;
	uint32_t length; /* of the body that follows */
	uint64_t id;     /* chosen by the requester, echoed in the reply */
};

struct ipc_verify_reply {
	uint32_t error;                  /* enum api_error; API_OK when it verified */
	uint8_t  handle_len;
	uint8_t  pad[3];
	char     handle[HANDLE_MAX_LEN]; /* not NUL-terminated */
	uint8_t  primary[32];
	uint8_t  mac[ATTEST_MAC_LEN];    /* API_OK: the verifier's attestation of (handle, primary) */
	char     detail[IPC_DETAIL_MAX]; /* NUL-terminated; "" = default message */
};

struct ipc_insert_request {
	uint8_t primary[32];
	uint8_t mac[ATTEST_MAC_LEN]; /* copied from the verify reply; the writer checks it */
	uint8_t handle_len;
	char    handle[HANDLE_MAX_LEN];
};

struct ipc_insert_reply {
	uint32_t error;         /* API_OK, API_HANDLE_TAKEN, API_KEY_TAKEN, API_STORAGE_FULL, API_INTERNAL, or a refusal */
	uint32_t pad;
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
	uint8_t  pad[2];
	char     detail[IPC_DETAIL_MAX]; /* why a request was refused, for the log */
};

/* A sigchain append, in two hops like a registration: the verifier checks
 * rows 3-13 of SIGCHAIN.md's table and attests the event's fields and its
 * canonical bytes; the writer checks the attestation, then rows 14-21
 * against the stored chain. */
#define IPC_CHAIN_HEX_MAX 64
struct ipc_event_verify_request {
	uint8_t chain_hex_len;              /* the path's {hex}: 0..64 bytes kept; 65 = longer (never a key) */
	char    chain_hex[IPC_CHAIN_HEX_MAX]; /* not NUL-terminated */
	uint8_t pad[7];
};

struct ipc_event_verify_reply {
	uint32_t error;                            /* enum api_error; API_OK: rows 3-13 passed */
	uint8_t  fields[SIGCHAIN_FIELDS_WIRE_LEN]; /* API_OK: sigchain_fields_encode of the event */
	uint8_t  pad[2];
	uint8_t  mac[ATTEST_MAC_LEN];              /* API_OK: attest_append_mac(fields, JCS(event)) */
	char     detail[IPC_DETAIL_MAX];           /* NUL-terminated; "" = default message */
};

struct ipc_append_request {
	uint8_t fields[SIGCHAIN_FIELDS_WIRE_LEN]; /* copied from the verify reply */
	uint8_t pad[2];
	uint8_t mac[ATTEST_MAC_LEN];
};

struct ipc_append_reply {
	uint32_t error;        /* API_OK (201, or 200 when identical), a row's error, 503/507 cases */
	uint8_t  identical;    /* row 14: the very same event was stored already */
	uint8_t  has_head;     /* the chain has events (else length 0, head null) */
	uint8_t  pad[2];
	uint32_t length;       /* the chain now: after the append, or as it stands for the error */
	uint8_t  head[SIGCHAIN_HASH_LEN];
	uint8_t  signing_key[32];
	char     detail[IPC_DETAIL_MAX];
};

_Static_assert(sizeof(struct ipc_header) == 16, "ipc_header: 16 bytes, no padding");
_Static_assert(sizeof(struct ipc_verify_reply) == 4 + 4 + HANDLE_MAX_LEN + 32 + ATTEST_MAC_LEN + IPC_DETAIL_MAX,
	       "ipc_verify_reply: no implicit padding");
_Static_assert(sizeof(struct ipc_insert_request) == 32 + ATTEST_MAC_LEN + 1 + HANDLE_MAX_LEN,
	       "ipc_insert_request: no implicit padding");
_Static_assert(sizeof(struct ipc_insert_reply) == 16, "ipc_insert_reply: no implicit padding");
_Static_assert(sizeof(struct ipc_nats_request) == 57, "ipc_nats_request: no implicit padding");
_Static_assert(sizeof(struct ipc_nats_reply) == 4 + 2 + HANDLE_MAX_LEN + 2 + IPC_DETAIL_MAX,
	       "ipc_nats_reply: no implicit padding");
_Static_assert(sizeof(struct ipc_event_verify_request) == 1 + IPC_CHAIN_HEX_MAX + 7,
	       "ipc_event_verify_request: no implicit padding");
_Static_assert(sizeof(struct ipc_event_verify_reply) ==
		       4 + SIGCHAIN_FIELDS_WIRE_LEN + 2 + ATTEST_MAC_LEN + IPC_DETAIL_MAX,
	       "ipc_event_verify_reply: no implicit padding");
_Static_assert(sizeof(struct ipc_append_request) == SIGCHAIN_FIELDS_WIRE_LEN + 2 + ATTEST_MAC_LEN,
	       "ipc_append_request: no implicit padding");
_Static_assert(sizeof(struct ipc_append_reply) == 12 + SIGCHAIN_HASH_LEN + 32 + IPC_DETAIL_MAX,
	       "ipc_append_reply: no implicit padding");
_Static_assert(HANDLE_MAX_LEN <= UINT8_MAX, "handle lengths travel in one byte");

/* One end of a socketpair, non-blocking, with a queue (bounded in bytes) for
 * messages the kernel could not take yet. */
struct ipc_queued;
struct ipc_channel {
	int                fd;
	unsigned           peer_roles;       /* enum ipc_role bits: who may be at the other end */
	struct ipc_queued *head, *tail;
	size_t             queued_bytes;     /* headers and bodies waiting */
	size_t             max_queued_bytes;
};

void ipc_channel_init(struct ipc_channel *ch, int fd, unsigned peer_roles, size_t max_queued_bytes);
/* Drops anything still queued (the fd is not closed). */
void ipc_channel_clear(struct ipc_channel *ch);

/* A message body in parts, sent as one datagram (a fixed struct, then
 * variable bytes): sendmsg gathers them, nothing is packed by hand. */
struct ipc_part {
	const void *data;
	size_t      len;
};
#define IPC_MAX_PARTS 3

/* Sends now or queues (a copy). 0 on success, -1 when the body breaks the
 * table's size for its type (EINVAL), the queue has no room for it (ENOBUFS)
 * or the peer is gone for good. */
int ipc_sendv(struct ipc_channel *ch, uint16_t type, uint16_t flags, uint64_t id, const struct ipc_part *parts,
	      size_t n_parts);
static inline int ipc_send(struct ipc_channel *ch, uint16_t type, uint16_t flags, uint64_t id, const void *body,
			   size_t len)
{
	struct ipc_part p = { body, len };
	return ipc_sendv(ch, type, flags, id, &p, 1);
}
/* A fixed struct and the bytes that follow it. */
static inline int ipc_send2(struct ipc_channel *ch, uint16_t type, uint16_t flags, uint64_t id, const void *head,
			    size_t head_len, const void *tail, size_t tail_len)
{
	struct ipc_part p[2] = { { head, head_len }, { tail, tail_len } };
	return ipc_sendv(ch, type, flags, id, p, 2);
}
/* Sends what is queued: 1 when nothing is left, 0 when the kernel is full
 * again (wait for EPOLLOUT), -1 on a hard error. */
int  ipc_flush(struct ipc_channel *ch);
static inline bool ipc_pending(const struct ipc_channel *ch) { return ch->head != NULL; }

/* Receives one datagram without blocking. Returns the body length (>= 0) with
 * *h filled, -1 with errno EAGAIN when there is nothing, -1 with EPROTO for a
 * datagram that is truncated, shorter than a header, larger than `cap` or
 * whose header disagrees with its length, and 0 with h->type == 0 at end of
 * file. Only framing is checked here; the table is ipc_drain's. */
ssize_t ipc_recv(int fd, struct ipc_header *h, void *body, size_t cap);

/* Hands a descriptor to the process at the other end (SCM_RIGHTS), with the
 * role (enum ipc_role) of the process at the far end of that link: how the
 * master gives the verifier and the writer their ends of a new worker's
 * socketpairs on reload. 0, or -1. */
int ipc_send_fd(int sock, int fd, unsigned role);
/* The same datagram with any byte: what ipc_send_fd sends once it has
 * checked the role (tests send what the master never would with it). */
int ipc_send_fd_token(int sock, int fd, unsigned char token);
/* The descriptor sent, its role in *role, or -1 (nothing waiting: errno
 * EAGAIN; end of file: errno 0; no descriptor, or no single role: EPROTO,
 * any descriptor that came closed). */
int ipc_recv_fd(int sock, unsigned *role);

/* A SOCK_SEQPACKET socketpair, both ends non-blocking and close-on-exec, with
 * buffers large enough for IPC_MAX_BODY messages. */
int ipc_socketpair(int fds[2]);

#endif
