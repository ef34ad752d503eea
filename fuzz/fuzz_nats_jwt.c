/* NATS JWT decoding and the verifier's whole callout path on arbitrary
 * request bytes (both stages, sealed and clear). */
#include <stdint.h>
#include <string.h>

#include "common/config.h"
#include "common/nats_jwt.h"
#include "common/nkeys.h"
#include "signer/nats_callout.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct config cfg;
	if (!cfg.nats_has_issuer) {
		memset(cfg.nats_issuer_seed, 7, 32);
		memset(cfg.nats_xkey_seed, 9, 32);
		snprintf(cfg.nats_issuer_public, sizeof cfg.nats_issuer_public, "%s",
			 "ABJHLOVMPA4CI6R5KLNGOB4GSLNIY7IOUPAJC4YFNDLQVIOBYQGUWVLA");
		cfg.nats_account = "KEZ";
		cfg.nats_user_ttl = 3600;
		cfg.nats_has_issuer = cfg.nats_has_xkey = true;
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
		nats_callout_handle(&cfg, &rq, (const char *)data, size, &reply, &response);
		buf_free(&response);
	}
	snprintf(rq.server_xkey, sizeof rq.server_xkey, "%s", "XBHE2RRWU3ZMXKI4NBE6C6HNPB4FKUO2AKOVTSG2E3YCENNTDPOGJXRH");
	struct buf response;
	buf_init(&response, IPC_MAX_BODY);
	nats_callout_handle(&cfg, &rq, (const char *)data, size, &reply, &response);
	buf_free(&response);
	return 0;
}
