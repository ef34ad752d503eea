#include "common/proc/ipc_msg.h"

#define EXACT(s) sizeof(s), sizeof(s)

static const struct ipc_msg_spec table[] = {
	{ IPC_VERIFY_REQUEST, "VERIFY_REQUEST", IPC_ROLE_WORKER, IPC_ROLE_VERIFIER, 0, IPC_MAX_BODY },
	{ IPC_VERIFY_REPLY, "VERIFY_REPLY", IPC_ROLE_VERIFIER, IPC_ROLE_WORKER, EXACT(struct ipc_verify_reply) },
	{ IPC_INSERT_REQUEST, "INSERT_REQUEST", IPC_ROLE_WORKER, IPC_ROLE_WRITER, EXACT(struct ipc_insert_request) },
	{ IPC_INSERT_REPLY, "INSERT_REPLY", IPC_ROLE_WRITER, IPC_ROLE_WORKER, EXACT(struct ipc_insert_reply) },
	{ IPC_NATS_REQUEST, "NATS_REQUEST", IPC_ROLE_WORKER | IPC_ROLE_NATS, IPC_ROLE_VERIFIER,
	  sizeof(struct ipc_nats_request), IPC_MAX_BODY },
	{ IPC_NATS_REPLY, "NATS_REPLY", IPC_ROLE_VERIFIER, IPC_ROLE_WORKER | IPC_ROLE_NATS,
	  sizeof(struct ipc_nats_reply), IPC_MAX_BODY },
	{ IPC_EVENT_VERIFY_REQUEST, "EVENT_VERIFY_REQUEST", IPC_ROLE_WORKER, IPC_ROLE_VERIFIER,
	  sizeof(struct ipc_event_verify_request), IPC_MAX_BODY },
	{ IPC_EVENT_VERIFY_REPLY, "EVENT_VERIFY_REPLY", IPC_ROLE_VERIFIER, IPC_ROLE_WORKER,
	  sizeof(struct ipc_event_verify_reply), IPC_MAX_BODY },
	{ IPC_APPEND_REQUEST, "APPEND_REQUEST", IPC_ROLE_WORKER, IPC_ROLE_WRITER, sizeof(struct ipc_append_request) + 1,
	  IPC_MAX_BODY },
	{ IPC_APPEND_REPLY, "APPEND_REPLY", IPC_ROLE_WRITER, IPC_ROLE_WORKER,
	  EXACT(struct ipc_append_reply) },
};

_Static_assert(sizeof table / sizeof table[0] == IPC_TYPE_END - 1, "every IPC type has its table entry");

const struct ipc_msg_spec *ipc_msg_spec(uint16_t type)
{
	if (type == 0 || type >= IPC_TYPE_END)
		return NULL;
	/* The table is in type order (checked by the unit tests). */
	const struct ipc_msg_spec *s = &table[type - 1];
	return s->type == type ? s : NULL;
}

const char *ipc_msg_name(uint16_t type)
{
	const struct ipc_msg_spec *s = ipc_msg_spec(type);
	return s ? s->name : "unknown";
}

const char *ipc_role_name(unsigned roles)
{
	switch (roles) {
	case IPC_ROLE_WORKER: return "worker";
	case IPC_ROLE_VERIFIER: return "verifier";
	case IPC_ROLE_WRITER: return "writer";
	case IPC_ROLE_NATS: return "nats client";
	case IPC_ROLE_WORKER | IPC_ROLE_NATS: return "worker or nats client";
	default: return "peer";
	}
}

bool ipc_role_is_one(unsigned roles)
{
	return roles != 0 && (roles & (roles - 1)) == 0 && roles <= IPC_ROLE_NATS;
}

const char *ipc_msg_refusal(uint16_t type, size_t len, unsigned from, unsigned to)
{
	const struct ipc_msg_spec *s = ipc_msg_spec(type);
	if (!s)
		return "unknown type";
	if (!(s->senders & from))
		return "wrong sender";
	if (!(s->receivers & to))
		return "wrong receiver";
	if (len < s->min_len)
		return "too short";
	if (len > s->max_len)
		return "too long";
	return NULL;
}
