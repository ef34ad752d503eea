/* The verifier's half of the NATS auth callout: one request in (the request
 * JWT, sealed or clear), one signed answer out. The check, the registry
 * look-up and the signature are all done here (common/nats/nats_answer.h),
 * with the issuer seed no other process holds and a registry handle opened
 * read-only before the sandbox closed. */
#ifndef KEZ_NATS_CALLOUT_H
#define KEZ_NATS_CALLOUT_H

#include <stddef.h>

#include "common/base/buf.h"
#include "common/config/config.h"
#include "common/nats/nats_answer.h"
#include "common/nats/nats_keys.h"
#include "common/proc/ipc.h"

/* Handles one IPC_NATS_REQUEST body (the struct ipc_nats_request head is
 * already taken off: `rq`, then `data`). `issuer`: the issuer seed expanded
 * once (NULL: signed from the seed). Fills `reply`, and appends the
 * response JWT (sealed when the request was) to `response` when there is one. */
void nats_callout_handle(const struct config *cfg, const struct nats_keys *keys,
			 const struct ed25519_keypair *issuer, nats_key_lookup lookup,
			 void *lookup_ctx, const struct ipc_nats_request *rq, const char *data, size_t len,
			 struct ipc_nats_reply *reply, struct buf *response);

#endif
