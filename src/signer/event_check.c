#include "signer/event_check.h"

#include <string.h>
#include <time.h>

#include "common/base/log.h"
#include "common/kez/sigchain_event.h"
#include "common/proc/ipc.h"

int event_check_answer(const struct attest_key *attest, uint64_t id, const void *body, size_t len,
		       struct buf *out)
{
	struct ipc_event_verify_request rq;
	memcpy(&rq, body, sizeof rq);
	struct ipc_event_verify_reply reply;
	memset(&reply, 0, sizeof reply);
	/* A path segment longer than a key's hex is still passed as one that
	 * cannot be a key: row 6 decides it, after rows 3-5. */
	char hex[IPC_CHAIN_HEX_MAX + 1];
	size_t hex_len = rq.chain_hex_len <= IPC_CHAIN_HEX_MAX ? rq.chain_hex_len : 0;
	memcpy(hex, rq.chain_hex, hex_len);
	hex[hex_len] = '\0';
	if (rq.chain_hex_len > IPC_CHAIN_HEX_MAX)
		memcpy(hex, "-", 2);
	struct sigchain_parse_policy policy = {
		.chain_hex = hex,
		.chain_hex_len = strlen(hex),
		.check_clock = true,
		.now = (int64_t)time(NULL),
	};
	struct sigchain_event ev;
	sigchain_event_init(&ev);
	const char *event = (const char *)body + sizeof rq;
	enum api_error e = sigchain_event_parse(event, len - sizeof rq, &policy, &ev, reply.detail, sizeof reply.detail);
	if (e == API_OK)
		e = sigchain_event_verify(&ev, reply.detail, sizeof reply.detail);
	if (e == API_OK) {
		/* Exactly the fields the writer judges and the bytes it stores. */
		sigchain_fields_encode(&ev.f, reply.fields);
		if (attest_append_mac(attest, reply.fields, sizeof reply.fields, ev.event_jcs.data, ev.event_jcs.len,
				      reply.mac) < 0) {
			log_error("cannot attest a verified sigchain event");
			e = API_INTERNAL;
		}
	}
	reply.error = (uint32_t)e;
	log_debug("event verify request %llu: %s", (unsigned long long)id, api_error_info(e)->code);
	int rc = buf_append(out, &reply, sizeof reply);
	if (rc == 0 && e == API_OK)
		rc = buf_append(out, ev.event_jcs.data, ev.event_jcs.len);
	sigchain_event_free(&ev);
	return rc;
}
