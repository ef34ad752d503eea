/* The HTTP worker's shared types: the worker itself, its connections and
 * their requests. Each module's functions are in its own header.
 *
 * Layers, bottom up; a file calls only files below it, and a lower layer
 * reaches an upper one only through the function pointers in struct worker
 * (set once at start-up by worker.c) or stored in a list or request:
 *
 *   1. percent, mime_types, static_files, webfinger, deadlines, client_addr,
 *      record                            (no worker state)
 *   2. response                          (status line, headers, error bodies)
 *   3. rate_limit, http_parse            (the shared write limit; llhttp
 *                                         callbacks -> hooks.request_head)
 *   4. pending                           (what waits on the verifier or writer)
 *   5. connection                        (socket I/O state machine -> hooks.request)
 *   6. router                            (endpoint and policy -> endpoints[])
 *   7. registration, nats_endpoint       (the two asynchronous endpoints)
 *   8. handlers                          (the endpoints that answer at once)
 *   9. wiring, worker.c                  (sets the hooks; the loop)
 */
#ifndef KEZ_WORKER_H
#define KEZ_WORKER_H

#include <llhttp.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "common/base/buf.h"
#include "common/kez/api_error.h"
#include "common/proc/child.h"
#include "common/proc/ipc.h"
#include "common/kez/registry.h"
#include "worker/deadlines.h"
#include "worker/static_files.h"

struct connection;
struct worker;
struct pending_table;
struct registration_table;
struct rate_table;

enum endpoint {
	EP_NONE = 0,
	EP_HEALTHZ,
	EP_USER,       /* /v1/u/{handle} */
	EP_REGISTER,
	EP_WEBFINGER,
	EP_NATS_AUTH,
	EP_STATIC,     /* the web app, or the placeholder page */
	EP_UNKNOWN,    /* 404 whatever the method */
	EP_COUNT
};

enum conn_phase {
	PHASE_READING,   /* parsing requests */
	PHASE_WAITING,   /* a request is with the verifier or the writer */
	PHASE_LINGERING, /* our side is shut; draining what the client still sends */
};

/* Small header values kept from a request (longer ones are cut, flagged). */
#define SMALL_HEADER_MAX 256

struct request {
	enum endpoint  endpoint;
	enum api_error early_error;   /* decided when the head is complete */
	bool           stopped;       /* our callback stopped the parser: answer early_error */
	uint8_t        method;        /* llhttp_method_t */
	bool           keep_alive;
	bool           expect_continue;
	bool           body_wanted;
	bool           cors;          /* under /v1/, and /.well-known/webfinger */
	const char    *allow;         /* the endpoint's methods, for a 405 (NULL: GET, HEAD) */
	size_t         head_bytes;    /* request line + headers seen so far */
	struct buf     target;        /* the request target as received */
	char           content_type[SMALL_HEADER_MAX];
	char           if_none_match[SMALL_HEADER_MAX];
	struct buf     forwarded_for; /* X-Forwarded-For lines joined with ',' */
	int            header;        /* which header's value is arriving (enum in http_parse.c) */
	char           field[24];     /* the header name arriving (longer names are "other") */
	size_t         field_len;
	bool           content_type_cut; /* the value did not fit: never application/json */
	size_t         path_start, path_len;   /* within target */
	size_t         query_start, query_len; /* within target; query_len 0: none */
	struct buf     body;
	size_t         body_seen;
};

/* An address without its port; IPv4-mapped IPv6 is stored as IPv4. */
struct peer_addr {
	sa_family_t   family; /* AF_INET, AF_INET6, or 0: unknown */
	unsigned char bytes[16];
};

struct connection {
	int                   fd;
	unsigned              slot;      /* index in worker.conns */
	uint32_t              instance;  /* changes at each accept into the slot: tags epoll events */
	enum conn_phase       phase;
	bool                  in_use;
	bool                  can_read;  /* edge-triggered: more may be waiting */
	bool                  eof;
	bool                  close_after_send;
	bool                  got_bytes; /* any byte of the current request */
	bool                  loopback;  /* the peer is on this machine */
	struct peer_addr      peer;
	llhttp_t              parser;
	struct request        req;
	struct buf            in;        /* bytes read but not yet parsed */
	struct buf            out;       /* response bytes not yet written */
	int                   file_fd;   /* static file body, sent after `out` */
	off_t                 file_offset;
	off_t                 file_left;

	TAILQ_ENTRY(connection) ready_link; /* more input to parse once others had a turn */
	bool                  queued_ready;

	struct deadline_entry deadline;
};

typedef void (*worker_request_fn)(struct worker *w, struct connection *c);

/* Calls from lower layers to upper ones, set at start-up. */
struct worker_hooks {
	worker_request_fn request_head; /* the head is in: endpoint, early error, body policy */
	worker_request_fn request;      /* a complete request: answer it, or start doing so */
};

struct worker {
	const struct child_context *ctx;
	const struct config        *cfg;
	int                         epoll_fd;
	int                         listen_fd;
	bool                        stopping;
	long long                   stop_deadline_ms;
	long long                   now_ms;
	char                        date_header[64]; /* "Date: ...\r\n", refreshed each second */
	long                        date_second;

	struct registry             registry;
	struct static_site          site;
	bool                        has_site;

	struct ipc_channel          to_verifier;
	struct ipc_channel          to_writer;
	unsigned char              *ipc_body; /* receive buffer, IPC_MAX_BODY */
	struct pending_table       *pending;
	struct registration_table  *registrations;

	struct connection          *conns;    /* max_connections slots */
	unsigned                   *free_slots;
	unsigned                    n_free;
	unsigned                    n_open;

	TAILQ_HEAD(, connection)    ready;
	unsigned                    n_ready;

	struct deadline_list        request_deadlines; /* head and body must arrive */
	struct deadline_list        idle_deadlines;    /* keep-alive */
	struct deadline_list        send_deadlines;    /* the client must read */
	struct deadline_list        linger_deadlines;
	struct deadline_list       *deadline_lists[8]; /* every list the loop expires */
	unsigned                    n_deadline_lists;

	struct worker_hooks         hooks;
	worker_request_fn           endpoints[EP_COUNT]; /* NULL: 404 */
};

#endif
