/* The worker's modules, connected (wiring.h). */
#include "worker/connection.h"
#include "worker/handlers.h"
#include "worker/metrics_endpoint.h"
#include "worker/nats_endpoint.h"
#include "worker/pending.h"
#include "worker/registration.h"
#include "worker/router.h"
#include "worker/sigchain_append.h"
#include "worker/sigchain_read.h"
#include "worker/wiring.h"

/* A chain's path takes reads and appends. */
static void handle_chain_path(struct worker *w, struct connection *c)
{
	if (c->req.method == HTTP_POST)
		sigchain_append_start(w, c);
	else
		handle_chain(w, c);
}

int worker_modules_init(struct worker *w)
{
	connection_init(w);
	if (pending_init(w) < 0 || registration_init(w) < 0 || sigchain_read_init(w) < 0 ||
	    sigchain_append_init(w) < 0)
		return -1;
	w->hooks.request_head = route_request_head;
	w->hooks.request = route_request;
	w->endpoints[EP_HEALTHZ] = handle_healthz;
	w->endpoints[EP_USER] = handle_user;
	w->endpoints[EP_REGISTER] = handle_register;
	w->endpoints[EP_WEBFINGER] = handle_webfinger;
	w->endpoints[EP_NATS_AUTH] = handle_nats_auth;
	w->endpoints[EP_STATIC] = handle_static;
	w->endpoints[EP_CHAIN] = handle_chain_path;
	w->endpoints[EP_CHAIN_JSONL] = handle_chain_jsonl;
	w->endpoints[EP_CHAIN_EVENT] = handle_chain_event;
	w->endpoints[EP_METRICS] = handle_metrics;
	return 0;
}

void worker_modules_free(struct worker *w)
{
	pending_free(w);
	registration_free(w);
	sigchain_read_free(w);
	sigchain_append_free(w);
}
