/* Signed sigchain events, made with the same JCS and Ed25519 code that
 * checks them: kezctl's add, revoke, rotate and events, and the tests. */
#ifndef KEZ_SIGCHAIN_BUILD_H
#define KEZ_SIGCHAIN_BUILD_H

#include <jansson.h>
#include <stdint.h>

#include "common/base/buf.h"
#include "common/kez/sigchain_event.h"

struct sigchain_draft {
	const uint8_t   *chain;      /* 32 bytes: the chain's first key */
	uint32_t         seq;
	const uint8_t   *prev;       /* the previous event's hash; NULL for null */
	enum sigchain_op op;
	const char      *created_at; /* RFC 3339 text, as it will be signed */
	json_t          *body;       /* the op's body object (borrowed) */
};

/* Appends JCS(event) to out: payload from the draft, signed by `seed`
 * (signature.key is its public key). 0, or -1 (a buffer limit, text that is
 * not UTF-8, a libcrypto failure). */
int sigchain_build(const struct sigchain_draft *d, const uint8_t seed[32], struct buf *out);

/* Appends JCS({kez, payload, signature}) for any payload, signed by seed. */
int sigchain_sign_payload(json_t *payload, const uint8_t seed[32], struct buf *out);

/* Writes "YYYY-MM-DDTHH:MM:SS.mmmZ" and a NUL for unix milliseconds. */
#define SIGCHAIN_TIME_MS_LEN 24
void sigchain_format_ms(int64_t unix_ms, char out[SIGCHAIN_TIME_MS_LEN + 1]);

#endif
