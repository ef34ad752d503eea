/* A chain as kezctl reads it (show, export, verify-file, import): every
 * event through the common chain verifier (common/kez/chain_verify.h), the
 * adds kept so that the active claims can be printed. */
#ifndef KEZCTL_CHAIN_READING_H
#define KEZCTL_CHAIN_READING_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "common/base/buf.h"
#include "common/kez/chain_verify.h"

#define CHAIN_MAX_ANSWER (64u * 1024 * 1024) /* a whole chain of large events */

struct chain_claim_text {
	uint32_t seq;
	char    *subject;
};

struct chain_reading {
	struct chain_verify      v;
	struct sigchain_event    ev; /* the last event read */
	struct chain_claim_text *adds;
	size_t                   n_adds, cap_adds;
};

/* `chain` NULL: the first event names it. */
void chain_reading_init(struct chain_reading *r, const uint8_t *chain);
void chain_reading_free(struct chain_reading *r);

/* The next event as text. 0, or -1 after printing "kezctl: WHERE: code:
 * message" on stderr. */
int  chain_reading_next(struct chain_reading *r, const char *text, size_t len, const char *where);

/* Each line of a JSON Lines text (every line ends in '\n'; the last one may
 * not). 0, or -1 after printing why. */
int  chain_reading_lines(struct chain_reading *r, const char *text, size_t len, const char *name);

/* The chain's key, length, head, signing key and active claims on stdout. */
void chain_reading_print(const struct chain_reading *r);

/* A chain endpoint's answer as JSON: duplicate members refused, but not the
 * request bodies' cost caps (a page holds up to 1000 events). Integers too
 * large for json_int_t make every number a real, as the server reads them.
 * NULL when it is no JSON. */
json_t *chain_answer_load(const char *text, size_t len);

/* A count in an answer (length, seq): an integer, or a real holding one
 * (see chain_answer_load), from 0 to max. 0 with *out, or -1. */
int  chain_answer_count(const json_t *v, uint32_t max, uint32_t *out);

/* A file's whole contents, at most `max` bytes. 0, or -1 after printing why. */
int  read_whole_file(const char *path, size_t max, struct buf *out);

/* "ed25519:<64 hex>" or the bare 64 hex digits. 0, or -1. */
int  chain_key_arg(const char *s, uint8_t key[32]);

/* Appends base + "/v1/sigchains/ed25519/<hex>" + suffix and a NUL. 0, or -1. */
int  chain_url(struct buf *url, const char *base, size_t base_len, const uint8_t key[32], const char *suffix);

#endif
