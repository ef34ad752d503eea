/* NATS JWT decoding and the verifier's whole callout path on arbitrary
 * request bytes (both stages, sealed and clear). */
#include <stdint.h>
#include <string.h>

#include "common/config/config.h"
#include "common/nats/nats_jwt.h"
#include "common/nats/nkeys.h"
#include "signer/nats_callout.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct config cfg;
	static struct nats_keys keys;
	if (!keys.has_issuer) {
		memset(keys.issuer_seed, 7, 32);
		memset(keys.xkey_seed, 9, 32);
		snprintf(keys.issuer_public, sizeof keys.issuer_public, "%s",
			 "ABJHLOVMPA4CI6R5KLNGOB4GSLNIY7IOUPAJC4YFNDLQVIOBYQGUWVLA");
		cfg.nats_account = "KEZ";
		cfg.nats_user_ttl = 3600;
		keys.has_issuer = keys.has_xkey = true;
	}
	uint8_t issuer[32];
	char err[160];
	json_t *claims = nats_jwt_decode((const char *)data, size, NKEY_PREFIX_SERVER, issuer, err, sizeof err);
	json_decref(claims);
	struct ipc_nats_request rq;
	memset(&rq, 0, sizeof rq);
	struct ipc_nats_reply reply;
	for (int stage = NATS_STAGE_CHECK; stage <= NATS_STAGE_ANSWER; stage++) {
		rq.stage = (uint8_t)stage;
		rq.registered = 1;
		rq.handle_len = 5;
		memcpy(rq.handle, "alice", 5);
		struct buf response;
		buf_init(&response, IPC_MAX_BODY);
		nats_callout_handle(&cfg, &keys, &rq, (const char *)data, size, &reply, &response);
		buf_free(&response);
	}
	snprintf(rq.server_xkey, sizeof rq.server_xkey, "%s", "XBHE2RRWU3ZMXKI4NBE6C6HNPB4FKUO2AKOVTSG2E3YCENNTDPOGJXRH");
	struct buf response;
	buf_init(&response, IPC_MAX_BODY);
	nats_callout_handle(&cfg, &keys, &rq, (const char *)data, size, &reply, &response);
	buf_free(&response);
	return 0;
}
