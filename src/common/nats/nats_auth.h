/* The NATS auth callout without I/O (nats-server 2.10, config mode): read an
 * authorization request JWT, check the client's nonce signature, and build
 * the claims of the answer — a user JWT wrapped in an authorization response,
 * or a refusal. Signing is nats_jwt's (common/nats_jwt.h), by whoever holds
 * the issuer seed.
 *
 * The request is signed by the server's N… key; it names the connection's
 * fresh user_nkey, which the answer must be for. The server does not check
 * the client's signature of its nonce when it calls out: that is
 * nats_auth_check_nonce()'s job. */
#ifndef KEZ_NATS_AUTH_H
#define KEZ_NATS_AUTH_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/nats/nkeys.h"

#define NATS_AUTH_AUDIENCE   "nats-authorization-request"
#define NATS_AUTH_LEEWAY     5   /* seconds of clock skew: past exp, or iat ahead of us */
#define NATS_AUTH_NONCE_LEN  15  /* 11 random bytes, unpadded base64url: what nats-server makes */
#define NATS_AUTH_RESP_TTL_S 60  /* a user may answer a request it got, once, within this */
#define NATS_AUTH_TEXT_MAX   63  /* client-chosen texts kept for the log (cut, controls as '?') */
#define NATS_AUTH_KIND_MAX   15

enum nats_client_field {
	NATS_FIELD_ABSENT = 0,
	NATS_FIELD_MALFORMED, /* present, but not a user nkey / not 64 bytes of base64 */
	NATS_FIELD_PRESENT,
};

struct nats_auth_request {
	char     server_id[NKEY_PUBLIC_LEN + 1];   /* N…: nats.server_id.id, the issuer */
	char     server_name[NATS_AUTH_TEXT_MAX + 1];
	bool     has_server_xkey;                  /* nats.server_id.xkey: sealed answers go to it */
	char     server_xkey[NKEY_PUBLIC_LEN + 1];
	uint8_t  server_xkey_key[32];
	char     issuer_account[NKEY_PUBLIC_LEN + 1]; /* "sub": the callout issuer A… */
	char     user_nkey[NKEY_PUBLIC_LEN + 1];   /* U…: the answer's subject */
	int64_t  expires;                          /* "exp" */

	/* What the client sent (nats.connect_opts) and the nonce it was given. */
	enum nats_client_field client_key_state;
	uint8_t  client_key[32];                   /* connect_opts.nkey, when PRESENT */
	enum nats_client_field sig_state;
	uint8_t  sig[64];                          /* connect_opts.sig, when PRESENT */
	bool     has_nonce;
	char     nonce[NATS_AUTH_NONCE_LEN + 1];   /* client_info.nonce, as sent */

	/* For the log only. */
	uint64_t client_id;
	char     client_host[NATS_AUTH_TEXT_MAX + 1];
	char     client_name[NATS_AUTH_TEXT_MAX + 1];
	char     client_kind[NATS_AUTH_KIND_MAX + 1]; /* "Client", … */
	char     client_type[NATS_AUTH_KIND_MAX + 1]; /* "nats", "websocket", … */
};

/* Verifies and reads an authorization request JWT as nats-server 2.10 makes
 * it: signed by nats.server_id.id (an N… key, also "iss"), aud
 * NATS_AUTH_AUDIENCE, sub `issuer_account` (the callout's A… issuer),
 * nats.type "authorization_request", nats.version 2, iat not ahead of `now`
 * and exp not behind it by more than NATS_AUTH_LEEWAY, a valid
 * nats.user_nkey, a valid xkey if one is named, and a nonce, if any, of
 * exactly the server's form (NATS_AUTH_NONCE_LEN base64url characters) — so
 * that no signature made over anything else passes as a nonce signature.
 * The client's own fields never fail this; they are recorded for
 * nats_auth_check_nonce(). 0, or -1 with a reason in err (no answer is due to
 * something that is not a genuine request). */
int nats_auth_parse_request(const char *jwt, size_t len, const char *issuer_account, int64_t now,
			    struct nats_auth_request *out, char *err, size_t errlen);

enum nats_nonce_check {
	NATS_NONCE_OK = 0,
	NATS_NONCE_NO_KEY,       /* the client sent no nkey */
	NATS_NONCE_BAD_KEY,      /* its nkey is not a U… key */
	NATS_NONCE_NO_NONCE,     /* it was sent no nonce, or sent no sig (then the server leaves the nonce out) */
	NATS_NONCE_NO_SIG,       /* a nonce but no sig */
	NATS_NONCE_BAD_SIG_TEXT, /* the sig is not 64 bytes of base64 or base64url */
	NATS_NONCE_BAD_SIG,      /* the sig does not verify */
};

/* Whether the client proved its key: Ed25519 by connect_opts.nkey over the
 * nonce text exactly as sent (its ASCII bytes, not base64-decoded). */
enum nats_nonce_check nats_auth_check_nonce(const struct nats_auth_request *r);
/* A short reason for the log and for a refusal's "error". */
const char *nats_nonce_check_text(enum nats_nonce_check result);

/* The claims of the user JWT for a granted connection: sub r->user_nkey, iss
 * `issuer_account_pub` (A…), aud `account_name` (the target account's name in
 * the server config), name `handle`, iat now, exp now + ttl_seconds, and the
 * user's own mail only: subscribe kez.inbox.<hex>.> and _INBOX.<hex>.>
 * (<hex>: the key in lowercase hex), publish kez.inbox.*.>, and answer a
 * request it received once within NATS_AUTH_RESP_TTL_S ("resp") — never
 * _INBOX.>, which would let anyone read or forge everyone's replies. No
 * limits. NULL if an argument is not valid (the handle by the handle rules)
 * or out of memory. */
json_t *nats_auth_user_claims(const struct nats_auth_request *r, const char *issuer_account_pub,
			      const char *account_name, const char *handle, const uint8_t key[32], int64_t now,
			      int64_t ttl_seconds);
/* The claims of the authorization response: iss `issuer_account_pub`, sub
 * r->user_nkey, aud r->server_id, iat now, and exactly one of nats.jwt
 * (`user_jwt`, a grant) or nats.error (`error`, a refusal) — the other NULL.
 * "jti" is set when it is signed (nats_jwt_signing_input). NULL if the
 * arguments are not valid or out of memory. */
json_t *nats_auth_response_claims(const struct nats_auth_request *r, const char *issuer_account_pub,
				  const char *user_jwt, const char *error, int64_t now);

#endif
