/* NATS JWT decoding and the verifier's whole callout path on arbitrary
 * request bytes (sealed and clear, the key registered or not). */
#include <stdint.h>
#include <string.h>

#include "common/config/config.h"
#include "common/nats/nats_jwt.h"
#include "common/nats/nkeys.h"
#include "signer/nats_callout.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ctx points at what the registry says: 1 "alice", 0 nobody, -1 unreadable. */
static int lookup(void *ctx, const uint8_t key[32], char handle[HANDLE_MAX_LEN + 1])
{
	(void)key;
	int answer = *(const int *)ctx;
	if (answer == 1)
		memcpy(handle, "alice", 6);
	return answer;
}

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
	for (int answer = -1; answer <= 1; answer++) {
		struct buf response;
		buf_init(&response, IPC_MAX_BODY);
		nats_callout_handle(&cfg, &keys, NULL, lookup, &answer, &rq, (const char *)data, size, &reply, &response);
		buf_free(&response);
	}
	snprintf(rq.server_xkey, sizeof rq.server_xkey, "%s", "XBHE2RRWU3ZMXKI4NBE6C6HNPB4FKUO2AKOVTSG2E3YCENNTDPOGJXRH");
	int registered = 1;
	struct buf response;
	buf_init(&response, IPC_MAX_BODY);
	nats_callout_handle(&cfg, &keys, NULL, lookup, &registered, &rq, (const char *)data, size, &reply, &response);
	buf_free(&response);
	return 0;
}
