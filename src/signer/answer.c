#include "signer/answer.h"

#include <string.h>
#include <time.h>

#include "common/base/log.h"
#include "common/proc/metrics.h"
#include "common/kez/envelope.h"
#include "common/proc/attest.h"
#include "common/proc/ipc.h"
#include "signer/event_check.h"
#include "signer/nats_callout.h"

int answer_core_init(struct answer_core *c, const struct child_context *ctx)
{
	memset(c, 0, sizeof *c);
	if (pthread_mutex_init(&c->registry_lock, NULL) != 0) {
		log_error("cannot make the registry lock");
		return -1;
	}
	c->ctx = ctx; /* from here on answer_core_free has something to free */
	if (!ctx->nats_keys->has_issuer)
		return 0;
	/* Opened before the root is emptied: LMDB read transactions on it need
	 * no further open(). */
	char err[512];
	if (registry_open(&c->registry, ctx->cfg->db_path, ctx->cfg->map_size, false, err, sizeof err) < 0) {
		log_error("%s", err);
		return -1;
	}
	c->has_registry = true;
	if (ed25519_keypair_from_seed(&c->issuer, ctx->nats_keys->issuer_seed) < 0) {
		log_error("cannot expand the issuer seed");
		return -1;
	}
	c->has_issuer = true;
	return 0;
}

void answer_core_free(struct answer_core *c)
{
	if (!c->ctx)
		return;
	if (c->has_registry)
		registry_close(&c->registry);
	c->has_registry = false;
	ed25519_keypair_wipe(&c->issuer);
	c->has_issuer = false;
	pthread_mutex_destroy(&c->registry_lock);
	c->ctx = NULL;
}

static int answer_verify(struct answer_core *c, uint64_t id, const void *body, size_t len, struct buf *out)
{
	struct ipc_verify_reply reply;
	memset(&reply, 0, sizeof reply);
	struct envelope_policy policy = {
		.server = c->ctx->cfg->server,
		.reserved = c->ctx->reserved,
		.now = (int64_t)time(NULL),
	};
	struct envelope_result result;
	enum api_error e = envelope_check((const char *)body, len, &policy, &result, reply.detail,
					  sizeof reply.detail);
	/* What verified is attested for the writer: exactly the handle and key
	 * it is to store, so a worker cannot swap either on the way. */
	if (e == API_OK && attest_insert_mac(c->ctx->attest, result.handle, result.handle_len, result.primary,
					     reply.mac) < 0) {
		log_error("cannot attest a verified registration");
		e = API_INTERNAL;
	}
	reply.error = (uint32_t)e;
	if (e == API_OK) {
		reply.handle_len = (uint8_t)result.handle_len;
		memcpy(reply.handle, result.handle, result.handle_len);
		memcpy(reply.primary, result.primary, sizeof reply.primary);
	}
	log_debug("verify request %llu: %s", (unsigned long long)id, api_error_info(e)->code);
	return buf_append(out, &reply, sizeof reply);
}

static int find_key(void *arg, const uint8_t key[32], char handle[HANDLE_MAX_LEN + 1])
{
	struct answer_core *c = arg;
	if (!c->has_registry)
		return -1;
	struct registry_record rec;
	if (pthread_mutex_lock(&c->registry_lock) != 0)
		return -1;
	int found = registry_find_key(&c->registry, key, &rec);
	pthread_mutex_unlock(&c->registry_lock);
	if (found == 1)
		memcpy(handle, rec.handle, rec.handle_len + 1);
	return found;
}

static int answer_nats(struct answer_core *c, const void *body, size_t len, struct buf *out)
{
	/* The table guarantees the fixed head is there. */
	struct ipc_nats_request rq;
	memcpy(&rq, body, sizeof rq);
	rq.server_xkey[sizeof rq.server_xkey - 1] = '\0';
	struct ipc_nats_reply reply;
	struct buf response;
	buf_init(&response, IPC_MAX_BODY - sizeof reply);
	nats_callout_handle(c->ctx->cfg, c->ctx->nats_keys, c->has_issuer ? &c->issuer : NULL, find_key, c, &rq,
			    (const char *)body + sizeof rq, len - sizeof rq, &reply, &response);
	int rc = buf_append(out, &reply, sizeof reply);
	if (rc == 0)
		rc = buf_append(out, response.data, response.len);
	buf_free(&response);
	return rc;
}

int answer_request(struct answer_core *c, uint16_t type, uint64_t id, const void *body, size_t len,
		   uint16_t *reply_type, struct buf *reply)
{
	int rc = -1;
	uint64_t started = metrics_now_ns();
	if (type == IPC_VERIFY_REQUEST) {
		*reply_type = IPC_VERIFY_REPLY;
		rc = answer_verify(c, id, body, len, reply);
		metrics_verified(MV_ENVELOPE, started);
	} else if (type == IPC_NATS_REQUEST) {
		*reply_type = IPC_NATS_REPLY;
		rc = answer_nats(c, body, len, reply);
		metrics_verified(MV_NATS, started);
	} else if (type == IPC_EVENT_VERIFY_REQUEST) {
		*reply_type = IPC_EVENT_VERIFY_REPLY;
		rc = event_check_answer(c->ctx->attest, id, body, len, reply);
		metrics_verified(MV_EVENT, started);
	}
	if (rc < 0 && (type == IPC_VERIFY_REQUEST || type == IPC_NATS_REQUEST || type == IPC_EVENT_VERIFY_REQUEST))
		log_warn("cannot form an answer (out of memory); the worker will time out");
	return rc;
}
