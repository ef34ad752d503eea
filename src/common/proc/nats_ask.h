/* The asking side of the NATS auth callout, shared by the nats process and
 * the workers' HTTP endpoint: one IPC_NATS_REQUEST (the request JWT as it
 * came) to the verifier, one IPC_NATS_REPLY (the verdict and the signed
 * response to pass on) back. The asker decides nothing. */
#ifndef KEZ_NATS_ASK_H
#define KEZ_NATS_ASK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/kez/api_error.h"
#include "common/kez/handle.h"
#include "common/proc/ipc.h"

/* The largest request JWT one message can carry. */
#define NATS_ASK_MAX_REQUEST (IPC_MAX_BODY - sizeof(struct ipc_nats_request))

/* The fixed head of a request: the Nats-Server-Xkey text of a sealed one
 * (NULL: clear). 0, or -1 when the request (len bytes) or the key text is
 * too long for one message. */
int nats_ask_head(struct ipc_nats_request *rq, const char *server_xkey, size_t len);
/* Sends `request` (len bytes; sealed ones with the Nats-Server-Xkey text in
 * server_xkey, else NULL) under `id`. 0, or -1: larger than
 * NATS_ASK_MAX_REQUEST, out of memory, or the queue is full. */
int nats_ask_send(struct ipc_channel *ch, uint64_t id, const char *server_xkey, const void *request, size_t len);

struct nats_ask_answer {
	enum api_error       error;      /* API_OK: `response` is the answer to pass on */
	bool                 granted;    /* to `handle`; else a refusal, the reason in detail */
	char                 handle[HANDLE_MAX_LEN + 1];
	char                 detail[IPC_DETAIL_MAX];
	const unsigned char *response;   /* inside the reply body */
	size_t               response_len;
};

/* Reads an IPC_NATS_REPLY body (`len` bytes). 0, or -1 for one no verifier
 * would send. */
int nats_ask_read_reply(const void *body, size_t len, struct nats_ask_answer *out);
/* One line in the log for an answer; `via` names the door ("" or " (HTTP)"). */
void nats_ask_log(const struct nats_ask_answer *a, const char *via);

#endif
