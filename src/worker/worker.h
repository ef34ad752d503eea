/* The HTTP worker's shared types: the worker itself and its connections (a
 * request is in http_parse.h). Each module's functions are in its own header.
 *
 * Layers, bottom up; a file calls only files below it, and a lower layer
 * reaches an upper one only through the function pointers in struct worker
 * (set once at start-up by wiring.c) or stored in a deadline list or a
 * pending request:
 *
 *   1. percent, mime_types, static_files, webfinger, deadlines, client_addr,
 *      record, sigchain_path, chain_cache (no worker state)
 *   2. response                          (status line, headers, error bodies)
 *   3. rate_limit, http_parse            (the shared write limit; llhttp
 *                                         callbacks -> hooks.request_head)
 *   4. pending                           (what waits on the verifier or writer)
 *   5. connection_out, connection        (writing and closing -> hooks.close; the
 *                                         socket I/O state machine -> hooks.request)
 *   6. router                            (endpoint and policy -> endpoints[])
 *   7. registration, nats_endpoint,      (the asynchronous endpoints)
 *      sigchain_append
 *   8. handlers, metrics_endpoint,       (the endpoints that answer at once)
 *      sigchain_read
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
#include "common/proc/ipc_drain.h"
#include "common/kez/registry.h"
#include "worker/deadlines.h"
#include "worker/http_parse.h"
#include "worker/static_files.h"

struct connection;
struct worker;
struct pending_table;
struct registration_slot;
struct sigchain_read_table;
struct sigchain_fields;
struct rate_table;

enum conn_phase {
	PHASE_READING,   /* parsing requests */
	PHASE_WAITING,   /* a request is with the verifier or the writer */
	PHASE_LINGERING, /* our side is shut; draining what the client still sends */
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
	bool                  hup_seen;  /* an event said the peer shut its side */
	bool                  eof;
	bool                  close_after_send;
	bool                  got_bytes; /* any byte of the current request */
	bool                  loopback;  /* the peer is on this machine */
	bool                  metrics;   /* accepted on the --metrics-bind listener */
	struct peer_addr      peer;
	llhttp_t              parser;
	struct request        req;
	struct buf            in;        /* bytes read but not yet parsed */
	struct buf            out;       /* response bytes not yet written */
	int                   file_fd;   /* static file body, sent after `out` */
	off_t                 file_offset;
	off_t                 file_left;
	/* A body made part by part as `out` drains (a long sigchain): appends
	 * the next part to c->out; returns 1 while more follows, 0 when done,
	 * -1 when the promised length cannot be kept (the connection closes). */
	int                 (*body_fill)(struct worker *w, struct connection *c);

	TAILQ_ENTRY(connection) ready_link; /* more input to parse once others had a turn */
	bool                  queued_ready;

	struct deadline_entry deadline;
};

typedef void (*worker_request_fn)(struct worker *w, struct connection *c);

/* Calls from lower layers to upper ones, set at start-up. */
struct worker_hooks {
	worker_request_fn request_head; /* the head is in: endpoint, early error, body policy */
	worker_request_fn request;      /* a complete request: answer it, or start doing so */
	worker_request_fn close;        /* connection_close, for the output half below it */
};

struct worker {
	const struct child_context *ctx;
	const struct config        *cfg;
	int                         epoll_fd;
	int                         listen_fd;
	int                         metrics_fd;      /* -1: no metrics listener */
	unsigned                    n_metrics_conns; /* of n_open */
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
	bool                        watching_space[2]; /* EPOLLOUT asked for: verifier, writer link */
	struct ipc_receiver         ipc_rx;   /* replies from both, checked against the message table */
	struct pending_table       *pending;
	/* What each request's first hop found, kept for its second: one per connection slot. */
	struct registration_slot   *registration_slots;
	struct sigchain_read_table *chain_reads;
	struct sigchain_fields     *append_slots;

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
