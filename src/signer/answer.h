/* What the verifier computes for one request, apart from where it came
 * from and where the answer goes: the registration envelope, the sigchain
 * event, the NATS callout. Every entry here may run on any verification
 * thread at once; what they share is read-only, except the registry's one
 * read handle, which a lock serializes. */
#ifndef KEZ_SIGNER_ANSWER_H
#define KEZ_SIGNER_ANSWER_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/base/buf.h"
#include "common/kez/ed25519.h"
#include "common/kez/registry.h"
#include "common/proc/child.h"

struct answer_core {
	const struct child_context *ctx;
	struct registry             registry; /* read-only; open only with the NATS callout */
	bool                        has_registry;
	pthread_mutex_t             registry_lock; /* its one read transaction is not for two threads */
	struct ed25519_keypair      issuer;        /* the issuer seed expanded once */
	bool                        has_issuer;
};

/* Opens the registry (with the NATS callout) and expands the issuer seed:
 * before the sandbox. 0, or -1 after logging why. */
int  answer_core_init(struct answer_core *c, const struct child_context *ctx);
void answer_core_free(struct answer_core *c);

/* Computes the reply to one request that passed the message table: its
 * type in *reply_type, its body appended to `reply`. 0, or -1: nothing to
 * answer (a type the verifier does not take, or no room). */
int  answer_request(struct answer_core *c, uint16_t type, uint64_t id, const void *body, size_t len,
		    uint16_t *reply_type, struct buf *reply);

#endif
