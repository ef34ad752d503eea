/* One sigchain event (SIGCHAIN.md §1): rows 3–12 of the POST table
 * (sigchain_event_parse) and row 13 (sigchain_event_verify). The verifier
 * calls both; what the writer needs travels as struct sigchain_fields,
 * plain values with a fixed wire form, so the writer never parses,
 * canonicalizes or hashes. kezctl builds and checks chains with the same code. */
#ifndef KEZ_SIGCHAIN_EVENT_H
#define KEZ_SIGCHAIN_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/base/buf.h"
#include "common/kez/api_error.h"

#define SIGCHAIN_MAX_SEQ       2147483647u /* 2^31 - 1 */
#define SIGCHAIN_MAX_AHEAD     300         /* seconds created_at may lead the server clock */
#define SIGCHAIN_HASH_LEN      32
#define SIGCHAIN_HASH_TEXT_LEN (7 + 64)    /* "sha256:" + 64 lowercase hex */
#define SIGCHAIN_SUBJECT_MAX_SYSTEM     32
#define SIGCHAIN_SUBJECT_MAX_IDENTIFIER 256 /* code points */

enum sigchain_op { SIGCHAIN_OP_ADD = 1, SIGCHAIN_OP_REVOKE = 2, SIGCHAIN_OP_ROTATE = 3 };

/* An instant: unix seconds and the fraction, to the nanosecond. */
struct sigchain_instant {
	int64_t seconds;
	int32_t nanos; /* 0..999999999 */
};

/* <0, 0, >0 as a is before, at, after b. */
int sigchain_instant_compare(struct sigchain_instant a, struct sigchain_instant b);

/* What the chain rules (the writer) need of a checked event. */
struct sigchain_fields {
	uint8_t                 chain[32];       /* payload.chain: the chain's first key */
	uint32_t                seq;             /* 1..SIGCHAIN_MAX_SEQ */
	bool                    has_prev;        /* false exactly when seq is 1 */
	uint8_t                 prev[SIGCHAIN_HASH_LEN];
	enum sigchain_op        op;
	uint32_t                revoke_seq;      /* revoke: body.seq, capped at SIGCHAIN_MAX_SEQ + 1 */
	uint8_t                 new_key[32];     /* rotate: body.new_key */
	struct sigchain_instant created_at;
	uint8_t                 signing_key[32]; /* signature.key */
	uint8_t                 hash[SIGCHAIN_HASH_LEN]; /* SHA-256 of JCS(event) */
};

/* The fixed wire form of sigchain_fields (big-endian integers). */
#define SIGCHAIN_FIELDS_WIRE_LEN (32 + 4 + 1 + 32 + 1 + 4 + 32 + 8 + 4 + 32 + 32)
void sigchain_fields_encode(const struct sigchain_fields *f, uint8_t out[SIGCHAIN_FIELDS_WIRE_LEN]);
/* 0, or -1 when the bytes are no valid fields (a value out of range). */
int  sigchain_fields_decode(const uint8_t in[SIGCHAIN_FIELDS_WIRE_LEN], struct sigchain_fields *f);

struct sigchain_event {
	struct sigchain_fields f;
	bool       sig_ok_text; /* signature.sig was 128 lowercase hex (row 13 says if not) */
	uint8_t    sig[64];
	struct buf payload_jcs; /* JCS(payload): the signed bytes */
	struct buf event_jcs;   /* JCS(event): the stored bytes, hashed into f.hash */
};

void sigchain_event_init(struct sigchain_event *ev);
void sigchain_event_free(struct sigchain_event *ev);

struct sigchain_parse_policy {
	/* The path's {hex}, checked at row 6 and matched at row 7; NULL skips
	 * both (a chain read from a file: its first event names it). */
	const char *chain_hex;
	size_t      chain_hex_len;
	bool        check_clock; /* row 12, against `now` (unix seconds) */
	int64_t     now;
};

/* Decodes `body` and runs rows 3 to 12 in order; the first failure decides.
 * API_OK fills ev (init it first; it may be reused); any other value is the
 * row's error with a sentence in `detail` (or "" for the catalogue's).
 * API_INTERNAL: JCS or SHA-256 failed. */
enum api_error sigchain_event_parse(const char *body, size_t len, const struct sigchain_parse_policy *policy,
				    struct sigchain_event *ev, char *detail, size_t detail_len);

/* Row 13 on a parsed event: API_OK or API_INVALID_SIGNATURE. */
enum api_error sigchain_event_verify(const struct sigchain_event *ev, char *detail, size_t detail_len);

/* "sha256:<64 hex>" and a NUL. */
void sigchain_hash_format(const uint8_t hash[SIGCHAIN_HASH_LEN], char out[SIGCHAIN_HASH_TEXT_LEN + 1]);
/* 0, or -1 when s is not "sha256:" + 64 lowercase hex. */
int  sigchain_hash_parse(const char *s, size_t len, uint8_t hash[SIGCHAIN_HASH_LEN]);
/* SHA-256 through libcrypto EVP. 0, or -1. */
int  sigchain_sha256(const void *data, size_t len, uint8_t out[SIGCHAIN_HASH_LEN]);
const char *sigchain_op_name(enum sigchain_op op);

/* The row-9 rule for an add's subject (system:identifier, see §1). */
bool sigchain_subject_is_valid(const char *s, size_t len);

#endif
