/* Keys and signed events for the sigchain cases. */
#ifndef KEZ_UNIT_SIGCHAIN_FIXTURE_H
#define KEZ_UNIT_SIGCHAIN_FIXTURE_H

#include <jansson.h>
#include <stdint.h>

#include "common/base/buf.h"
#include "common/kez/sigchain_event.h"

#define SC_NOW     1796119200 /* 2026-12-01T10:00:00Z */
#define SC_NOW_TXT "2026-12-01T10:00:00Z"
#define SC_MAX     (64 * 1024)

struct sc_key {
	uint8_t seed[32], pub[32];
	char    hex[65];  /* the public key in hex */
	char    text[73]; /* "ed25519:<hex>" */
};

/* Key number n: the same for every run. */
void sc_key_make(unsigned n, struct sc_key *k);

/* JCS text of an event of `chain` signed by `signer`; takes `body` (a new
 * reference). A NUL follows the text. 0, or -1. */
int sc_event(struct buf *out, const struct sc_key *signer, const uint8_t chain[32], uint32_t seq,
	     const uint8_t *prev, enum sigchain_op op, const char *created_at, json_t *body);

/* A new string: `text` with its first `from` replaced by `to`; NULL when
 * `from` is not in it. free() it. */
char *sc_replace(const char *text, const char *from, const char *to);

/* Parses text with the path's hex `chain_hex` at SC_NOW, checking the clock. */
enum api_error sc_parse(const char *text, const char *chain_hex, struct sigchain_event *ev, char *detail,
			size_t detail_len);

#endif
