/* The auth callout's decision, whole and without I/O: a request JWT in, a
 * signed authorization response out — a grant under the handle the client's
 * key is registered to, or a refusal that says why. Whoever calls this holds
 * the issuer seed (the verifier) and a way to look keys up (the registry). */
#ifndef KEZ_NATS_ANSWER_H
#define KEZ_NATS_ANSWER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/base/buf.h"
#include "common/kez/ed25519.h"
#include "common/kez/handle.h"

#define NATS_ANSWER_WHY_MAX 160

struct nats_answer_signer {
	const uint8_t *issuer_seed;   /* 32 bytes: signs grants and refusals */
	const char    *issuer_public; /* its A… key: the requests' "sub", the answers' "iss" */
	const char    *account;       /* the account granted users join (its name) */
	int64_t        user_ttl;      /* seconds a grant lasts */
	const struct ed25519_keypair *issuer_keypair; /* when set: issuer_seed expanded once, signs instead */
};

/* The handle `key` is the primary key of: 1 (handle NUL-terminated), 0 none,
 * -1 the registry could not be read. */
typedef int (*nats_key_lookup)(void *ctx, const uint8_t key[32], char handle[HANDLE_MAX_LEN + 1]);

enum nats_answer_kind {
	NATS_ANSWER_NONE = 0, /* not a genuine request: nothing is answered */
	NATS_ANSWER_REFUSED,  /* a signed refusal was appended */
	NATS_ANSWER_GRANTED,  /* a signed grant was appended */
	NATS_ANSWER_FAILED,   /* could not sign (out of memory): nothing appended */
};

enum nats_refusal {
	NATS_REFUSAL_NONE = 0,
	NATS_REFUSAL_PROOF,        /* the nonce's signature or the key did not hold */
	NATS_REFUSAL_UNREGISTERED, /* no handle has this key */
	NATS_REFUSAL_REGISTRY,     /* the registry could not be read */
};

struct nats_answer {
	enum nats_answer_kind kind;
	enum nats_refusal     refusal; /* REFUSED: why, in a fixed set (for metrics) */
	char handle[HANDLE_MAX_LEN + 1];  /* GRANTED: whose connection it is */
	char why[NATS_ANSWER_WHY_MAX];    /* NONE, REFUSED, FAILED: the reason, for the log */
};

/* Answers one request read at `now`. `server_xkey`, when not NULL, is the key
 * a sealed request came from: a request that names another one is not
 * genuine. The response JWT is appended to `out`. */
enum nats_answer_kind nats_answer_request(const struct nats_answer_signer *s, const char *jwt, size_t len,
					  const char *server_xkey, int64_t now, nats_key_lookup lookup,
					  void *lookup_ctx, struct nats_answer *a, struct buf *out);

#endif
