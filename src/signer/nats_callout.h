/* The verifier's half of the NATS auth callout: it checks authorization
 * requests (the server's signature, the client's nonce signature) and signs
 * the answers with the issuer seed, which no other process holds. */
#ifndef KEZ_NATS_CALLOUT_H
#define KEZ_NATS_CALLOUT_H

#include <stddef.h>

#include "common/base/buf.h"
#include "common/config/config.h"
#include "common/nats/nats_keys.h"
#include "common/proc/ipc.h"

/* Handles one IPC_NATS_REQUEST body. Fills `reply`, and appends the
 * response JWT (sealed when the request was) to `response` when there is one. */
void nats_callout_handle(const struct config *cfg, const struct nats_keys *keys, const struct ipc_nats_request *rq, const char *data, size_t len,
			 struct ipc_nats_reply *reply, struct buf *response);

#endif
