/* Attestations: how the verifier proves to the writer that it checked
 * exactly what the writer is asked to store, through a worker that may be
 * hostile. The master makes a random key at start and leaves it only in the
 * verifier and the writer (every other child wipes it after fork); the
 * verifier MACs the statement it verified, the worker carries the MAC
 * along, and the writer stores nothing whose MAC does not verify.
 *
 * A statement is a kind (its own label, so a MAC for one kind never passes
 * as another) and its fields, encoded without ambiguity:
 *   HMAC-SHA256(key, len8(label) || label || { be32(len) || bytes } per field)
 * Kinds:
 *   ATTEST_REGISTRY_INSERT  "kez registry insert v1": handle, primary key (32)
 *   ATTEST_SIGCHAIN_APPEND  "kez sigchain append v1": the event's fields in
 *       their wire form (sigchain_fields_encode: chain, seq, prev, op, ...,
 *       event hash) and the event's canonical bytes, which the writer
 *       stores as they are. */
#ifndef KEZ_ATTEST_H
#define KEZ_ATTEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ATTEST_KEY_LEN 32
#define ATTEST_MAC_LEN 32

struct attest_key {
	uint8_t bytes[ATTEST_KEY_LEN];
	bool    set; /* false: none here (wiped, or never made) */
};

enum attest_kind {
	ATTEST_REGISTRY_INSERT = 0,
	ATTEST_SIGCHAIN_APPEND,
	ATTEST_KIND_COUNT
};

struct attest_field {
	const void *data;
	size_t      len;
};

/* A fresh random key (RAND_bytes). 0, or -1. */
int  attest_key_generate(struct attest_key *k);
/* Wipes the key (OPENSSL_cleanse): this process can no longer attest. */
void attest_key_wipe(struct attest_key *k);

/* The MAC of a statement. 0, or -1 (no key, wrong number of fields for the
 * kind, too long, or libcrypto failed). */
int  attest_mac(const struct attest_key *k, enum attest_kind kind, const struct attest_field *fields, size_t n,
		uint8_t mac[ATTEST_MAC_LEN]);
/* Whether `mac` is the statement's MAC (constant-time comparison). */
bool attest_check(const struct attest_key *k, enum attest_kind kind, const struct attest_field *fields, size_t n,
		  const uint8_t mac[ATTEST_MAC_LEN]);

/* Registry inserts: exactly the handle and the primary key the writer stores. */
int  attest_insert_mac(const struct attest_key *k, const char *handle, size_t handle_len, const uint8_t primary[32],
		       uint8_t mac[ATTEST_MAC_LEN]);
bool attest_insert_check(const struct attest_key *k, const char *handle, size_t handle_len,
			 const uint8_t primary[32], const uint8_t mac[ATTEST_MAC_LEN]);

/* Sigchain appends: exactly the fields the chain rules judge and the bytes
 * the writer stores. */
int  attest_append_mac(const struct attest_key *k, const uint8_t *fields, size_t fields_len, const void *event,
		       size_t event_len, uint8_t mac[ATTEST_MAC_LEN]);
bool attest_append_check(const struct attest_key *k, const uint8_t *fields, size_t fields_len, const void *event,
			 size_t event_len, const uint8_t mac[ATTEST_MAC_LEN]);

/* Makes and checks one MAC: libcrypto's HMAC is loaded before a sandbox
 * closes. 0, or -1 (no key, or HMAC does not work). */
int  attest_self_test(const struct attest_key *k);

#endif
