#include "signer/nats_callout.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/base/log.h"
#include "common/kez/api_error.h"
#include "common/nats/nats_jwt.h"
#include "common/nats/nkeys.h"
#include "common/nats/xkey.h"
#include "common/proc/metrics.h"

static enum metrics_callout callout_outcome(const struct nats_answer *a)
{
	switch (a->kind) {
	case NATS_ANSWER_GRANTED: return MC_GRANTED;
	case NATS_ANSWER_NONE: return MC_INVALID;
	case NATS_ANSWER_FAILED: return MC_FAILED;
	case NATS_ANSWER_REFUSED: break;
	}
	return a->refusal == NATS_REFUSAL_UNREGISTERED ? MC_REFUSED_UNKNOWN
	     : a->refusal == NATS_REFUSAL_REGISTRY     ? MC_REFUSED_REGISTRY
						      : MC_REFUSED_PROOF;
}

/* Opens a sealed request into `opened` (malloc'd, the caller frees). Its
 * length, or -1 with the reason in reply->detail. */
static int open_sealed(const struct nats_keys *keys, const uint8_t server_xkey[32], const char *data, size_t len,
		       uint8_t **opened, struct ipc_nats_reply *reply)
{
	*opened = NULL;
	if (!keys->has_xkey) {
		snprintf(reply->detail, sizeof reply->detail, "the request is sealed but --nats-xkey-seed is not set");
		return -1;
	}
	*opened = malloc(len ? len : 1);
	int n = *opened ? xkey_open(keys->xkey_seed, server_xkey, (const uint8_t *)data, len, *opened, len) : -1;
	if (n < 0)
		snprintf(reply->detail, sizeof reply->detail, "the sealed request does not open with our xkey");
	return n;
}

void nats_callout_handle(const struct config *cfg, const struct nats_keys *keys,
			 const struct ed25519_keypair *issuer, nats_key_lookup lookup,
			 void *lookup_ctx, const struct ipc_nats_request *rq, const char *data, size_t len,
			 struct ipc_nats_reply *reply, struct buf *response)
{
	memset(reply, 0, sizeof *reply);
	if (!keys->has_issuer) {
		reply->error = API_NOT_IMPLEMENTED;
		return;
	}
	uint8_t server_xkey[32];
	uint8_t *opened = NULL;
	bool sealed = rq->server_xkey[0] != '\0';
	if (sealed) {
		int n = -1;
		if (nkey_decode_public(rq->server_xkey, strnlen(rq->server_xkey, sizeof rq->server_xkey),
				       NKEY_PREFIX_CURVE, server_xkey) < 0)
			snprintf(reply->detail, sizeof reply->detail, "Nats-Server-Xkey is not a curve key");
		else
			n = open_sealed(keys, server_xkey, data, len, &opened, reply);
		if (n < 0) {
			free(opened);
			reply->error = API_BAD_REQUEST;
			metrics_callout(MC_INVALID);
			return;
		}
		data = (const char *)opened;
		len = (size_t)n;
	}
	const struct nats_answer_signer signer = {
		.issuer_seed = keys->issuer_seed,
		.issuer_public = keys->issuer_public,
		.account = cfg->nats_account,
		.user_ttl = cfg->nats_user_ttl,
		.issuer_keypair = issuer,
	};
	struct nats_answer a;
	struct buf signed_jwt;
	buf_init(&signed_jwt, NATS_JWT_MAX * 2);
	enum nats_answer_kind kind = nats_answer_request(&signer, data, len, sealed ? rq->server_xkey : NULL,
							 (int64_t)time(NULL), lookup, lookup_ctx, &a, &signed_jwt);
	free(opened);
	snprintf(reply->detail, sizeof reply->detail, "%s", a.why);
	metrics_callout(callout_outcome(&a));
	int rc = 0;
	if (kind == NATS_ANSWER_NONE) {
		reply->error = API_BAD_REQUEST;
	} else if (kind == NATS_ANSWER_FAILED) {
		rc = -1;
	} else {
		if (kind == NATS_ANSWER_GRANTED) {
			reply->granted = 1;
			reply->handle_len = (uint8_t)strlen(a.handle);
			memcpy(reply->handle, a.handle, reply->handle_len);
		}
		rc = sealed ? xkey_seal(keys->xkey_seed, server_xkey, (const uint8_t *)signed_jwt.data, signed_jwt.len,
					response)
			    : buf_append(response, signed_jwt.data, signed_jwt.len);
	}
	buf_free(&signed_jwt);
	if (rc < 0) {
		memset(reply, 0, sizeof *reply);
		reply->error = API_INTERNAL;
		log_error("cannot sign a NATS authorization response");
	}
}
