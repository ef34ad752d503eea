#include "common/proc/nats_ask.h"

#include <stdlib.h>
#include <string.h>

#include "common/base/log.h"

int nats_ask_head(struct ipc_nats_request *rq, const char *server_xkey, size_t len)
{
	memset(rq, 0, sizeof *rq);
	if (len > NATS_ASK_MAX_REQUEST || (server_xkey && strlen(server_xkey) >= sizeof rq->server_xkey))
		return -1;
	if (server_xkey)
		memcpy(rq->server_xkey, server_xkey, strlen(server_xkey) + 1);
	return 0;
}

int nats_ask_send(struct ipc_channel *ch, uint64_t id, const char *server_xkey, const void *request, size_t len)
{
	struct ipc_nats_request rq;
	if (nats_ask_head(&rq, server_xkey, len) < 0)
		return -1;
	return ipc_send2(ch, IPC_NATS_REQUEST, 0, id, &rq, sizeof rq, request, len);
}

int nats_ask_read_reply(const void *body, size_t len, struct nats_ask_answer *out)
{
	memset(out, 0, sizeof *out);
	struct ipc_nats_reply reply;
	if (len < sizeof reply)
		return -1;
	memcpy(&reply, body, sizeof reply);
	out->error = reply.error < API_ERROR_COUNT ? (enum api_error)reply.error : API_INTERNAL;
	memcpy(out->detail, reply.detail, sizeof out->detail);
	out->detail[sizeof out->detail - 1] = '\0';
	out->response = (const unsigned char *)body + sizeof reply;
	out->response_len = len - sizeof reply;
	/* An answer to pass on, and a grant names a valid handle. */
	if ((out->error == API_OK) != (out->response_len > 0))
		return -1;
	if (reply.granted) {
		if (out->error != API_OK || reply.handle_len > HANDLE_MAX_LEN ||
		    !handle_is_valid(reply.handle, reply.handle_len))
			return -1;
		out->granted = true;
		memcpy(out->handle, reply.handle, reply.handle_len);
		out->handle[reply.handle_len] = '\0';
	}
	return 0;
}

void nats_ask_log(const struct nats_ask_answer *a, const char *via)
{
	if (a->error != API_OK)
		log_warn("unanswerable authorization request%s: %s", via, a->detail[0] ? a->detail : api_error_info(a->error)->code);
	else if (a->granted)
		log_info("NATS access granted to %s%s", a->handle, via);
	else
		log_info("NATS access refused%s: %s", via, a->detail);
}
