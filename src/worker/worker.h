/* The HTTP worker's shared types: the worker itself, its connections, and the
 * deadline lists that bound how long any connection may hold anything. */
#ifndef KEZ_WORKER_H
#define KEZ_WORKER_H

#include <llhttp.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/kez/api_error.h"
#include "common/base/buf.h"
#include "common/proc/child.h"
#include "common/kez/handle.h"
#include "common/proc/ipc.h"
#include "common/proc/ipc_drain.h"
#include "common/kez/registry.h"
#include "worker/static_files.h"

struct connection;

/* Connections waiting on the same kind of deadline, oldest first: every
 * member of a list got the same timeout, so appending keeps it sorted. */
struct deadline_list {
	struct connection *head, *tail;
	unsigned           timeout_ms;
};

enum endpoint {
	EP_NONE = 0,
	EP_HEALTHZ,
	EP_USER,       /* /v1/u/{handle} */
	EP_REGISTER,
	EP_WEBFINGER,
	EP_NATS_AUTH,
	EP_STATIC,     /* the web app, or the placeholder page */
	EP_UNKNOWN,    /* 404 whatever the method */
};

enum conn_phase {
	PHASE_READING,   /* parsing requests */
	PHASE_WAITING,   /* a registration is with the verifier or the writer */
	PHASE_LINGERING, /* our side is shut; draining what the client still sends */
};

enum ipc_stage { STAGE_NONE, STAGE_VERIFY, STAGE_INSERT, STAGE_NATS };

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
	size_t         head_bytes;    /* request line + headers seen so far */
	struct buf     target;        /* the request target as received */
	char           content_type[SMALL_HEADER_MAX];
	char           if_none_match[SMALL_HEADER_MAX];
	int            header;        /* which header's value is arriving (enum in connection.c) */
	char           field[24];     /* the header name arriving (longer names are "other") */
	size_t         field_len;
	bool           content_type_cut; /* the value did not fit: never application/json */
	size_t         path_start, path_len;   /* within target */
	size_t         query_start, query_len; /* within target; query_len 0: none */
	struct buf     body;
	size_t         body_seen;
};

struct connection {
	int                   fd;
	unsigned              slot;      /* index in worker.conns */
	enum conn_phase       phase;
	bool                  in_use;
	bool                  can_read;  /* edge-triggered: more may be waiting */
	bool                  eof;
	bool                  close_after_send;
	bool                  got_bytes; /* any byte of the current request */
	bool                  loopback;  /* the peer is on this machine */
	llhttp_t              parser;
	struct request        req;
	struct buf            in;        /* bytes read but not yet parsed */
	struct buf            out;       /* response bytes not yet written */
	int                   file_fd;   /* static file body, sent after `out` */
	off_t                 file_offset;
	off_t                 file_left;

	/* the registration in flight */
	enum ipc_stage        stage;
	uint64_t              ipc_id;
	unsigned              ipc_generation; /* of the process it was sent to */
	char                  handle[HANDLE_MAX_LEN + 1];
	size_t                handle_len;
	uint8_t               primary[32];
	uint8_t               attest_mac[ATTEST_MAC_LEN]; /* the verifier's, carried to the writer */

	struct connection    *ready_next; /* more input to parse once others had a turn */
	bool                  queued_ready;

	struct deadline_list *deadline_list;
	long long             deadline_ms;
	struct connection    *dl_prev, *dl_next;
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
	unsigned                    seen_verifier_generation;
	unsigned                    seen_writer_generation;
	uint32_t                    next_sequence;
	struct ipc_receiver         ipc_rx;   /* replies from both */

	struct connection          *conns;    /* max_connections slots */
	unsigned                   *free_slots;
	unsigned                    n_free;
	unsigned                    n_open;

	struct connection          *ready_head, *ready_tail;

	struct deadline_list        request_deadlines; /* head and body must arrive */
	struct deadline_list        idle_deadlines;    /* keep-alive */
	struct deadline_list        send_deadlines;    /* the client must read */
	struct deadline_list        ipc_deadlines;     /* verifier/writer must answer */
	struct deadline_list        linger_deadlines;
};

/* deadlines.c */
void      deadline_set(struct worker *w, struct connection *c, struct deadline_list *list);
void      deadline_clear(struct connection *c);
/* Milliseconds until the earliest deadline (-1: none). */
int       deadline_next_timeout(const struct worker *w);
void      deadline_expire(struct worker *w);

/* connection.c */
void connection_accept(struct worker *w, int fd, bool loopback);
void connection_on_event(struct worker *w, struct connection *c, uint32_t events);
/* Continues after a response was produced asynchronously. */
void connection_resume(struct worker *w, struct connection *c);
void connection_close(struct worker *w, struct connection *c);
void connection_timed_out(struct worker *w, struct connection *c);
/* Writes what is pending. -1 when the connection was closed. */
int  connection_flush(struct worker *w, struct connection *c);
void connection_settings_init(void);
/* Continues connections that had to yield the CPU to others. */
void connection_run_ready(struct worker *w);

/* router.c: endpoint, early error and body policy once the head is in. */
void route_request_head(struct worker *w, struct connection *c);
/* Answers a complete request (or starts an asynchronous one). */
void route_request(struct worker *w, struct connection *c);

/* response.c */
struct response {
	int         status;
	const char *content_type;  /* NULL: no Content-Type */
	size_t      content_length;
	const char *extra_headers; /* complete "Name: value\r\n" lines, or NULL */
	bool        no_cache;
};
/* Appends the status line and headers; the body follows unless HEAD. */
void response_head(struct worker *w, struct connection *c, const struct response *r);
/* A whole response with an in-memory body (omitted for HEAD). */
void response_send(struct worker *w, struct connection *c, const struct response *r, const char *body);
/* {"error":code,"message":...} with the catalogue's status; detail replaces
 * the default message. A 405 carries the endpoint's Allow header. */
void response_error(struct worker *w, struct connection *c, enum api_error e, const char *detail);
/* The methods an endpoint takes, as an Allow header value. */
const char *route_allowed_methods(enum endpoint ep);
void response_refresh_date(struct worker *w);

/* handlers.c */
void handle_healthz(struct worker *w, struct connection *c);
void handle_user(struct worker *w, struct connection *c, const char *path, size_t len);
void handle_webfinger(struct worker *w, struct connection *c, const char *query, size_t len);
void handle_static(struct worker *w, struct connection *c, const char *path, size_t len);
void handle_register_options(struct worker *w, struct connection *c);
/* nats_endpoint.c: POST /internal/nats/auth */
void handle_nats_auth(struct worker *w, struct connection *c);
void nats_endpoint_on_reply(struct worker *w, struct connection *c, const void *body, size_t len);
/* Asks a respawned verifier again. */
void nats_endpoint_resend(struct worker *w, struct connection *c);
/* Appends a registry record as JSON. */
int  render_record(struct worker *w, struct buf *out, const struct registry_record *rec);

/* registration.c */
void registration_start(struct worker *w, struct connection *c);
void registration_on_reply(struct worker *w, const struct ipc_header *h, const void *body, size_t len);
void registration_timed_out(struct worker *w, struct connection *c);
/* Re-sends what a restarted verifier or writer may have lost. */
void registration_check_generations(struct worker *w);
void registration_abandon(struct worker *w, struct connection *c);

#endif
