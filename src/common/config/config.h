/* Configuration from flags and KEZ_CHAT_* environment variables (flags win). */
#ifndef KEZ_CONFIG_H
#define KEZ_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "common/base/log.h"

#define KEZ_VERSION "0.1.0"
#define KEZ_NAME    "kez-chat-server"
/* The largest --max-body-size: one request body must fit one IPC message. */
#define CONFIG_MAX_BODY_LIMIT (64 * 1024)
#define CONFIG_ADDR_TEXT_MAX  280 /* HOST:PORT as given */

struct config {
	char                    bind_text[CONFIG_ADDR_TEXT_MAX];   /* as given, for messages */
	struct sockaddr_storage bind_addr;
	socklen_t               bind_addr_len;
	bool                    has_metrics;      /* --metrics-bind given */
	char                    metrics_text[CONFIG_ADDR_TEXT_MAX];
	struct sockaddr_storage metrics_addr;
	socklen_t               metrics_addr_len;
	const char             *db_path;
	const char             *server;           /* this server's domain */
	char                    sig_server_url[512]; /* no trailing slash */
	const char             *web_dir;          /* NULL: placeholder page */
	char                    public_url[512];  /* no trailing slash */
	unsigned                workers;
	unsigned                verifier_threads; /* 1: verify on the verifier's one loop */
	bool                    verifier_pinning; /* --verifier-affinity auto */
	const char             *user;             /* NULL: stay who we are */
	bool                    has_run_user;     /* resolved at start: chroot hides /etc/passwd */
	uid_t                   run_uid;
	gid_t                   run_gid;
	const char             *reserved_file;
	enum log_level          log_level;

	size_t   max_header_bytes;  /* request line + headers */
	size_t   max_body_bytes;
	unsigned header_timeout_ms; /* a request's head (and body) must arrive within this */
	unsigned idle_timeout_ms;   /* keep-alive idle time between requests */
	unsigned max_connections;   /* per worker */
	size_t   map_size;          /* LMDB map, bytes */
	unsigned rate_limit;        /* writes a minute per client address; 0: off */
	const char *trusted_proxy;  /* a literal address whose X-Forwarded-For is believed; NULL: none */

	/* NATS auth callout (all unset: no NATS at all) */
	const char *nats_url;
	const char *nats_user;        /* service credentials: user/password ... */
	const char *nats_password;
	const char *nats_seed_file;        /* read by the master (common/nats/nats_keys.h) */
	const char *nats_issuer_seed_file;
	const char *nats_account;
	unsigned    nats_user_ttl;    /* seconds */
	const char *nats_xkey_seed_file;
	/* --serve: which APIs answer (healthz and the placeholder page always do) */
	bool        serve_registry;     /* /v1/register, /v1/u/, WebFinger, the NATS callout */
	bool        serve_sigchain;     /* /v1/sigchains/ */
	bool        sigchain_registered_only; /* --sigchain-policy registered */
	uint32_t    max_chain_length;
	bool        nats_http_callout; /* POST /internal/nats/auth answers (loopback only) */
	bool        check_only;        /* --check: judge all of the above, start nothing */
};

/* Fills `c` from argv and the environment. Prints help/version and exits 0
 * for --help/--version; prints one line naming the flag and exits 2 for a bad
 * value. */
void config_load(struct config *c, int argc, char **argv);

#endif
