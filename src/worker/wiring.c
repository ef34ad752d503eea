/* The worker's modules, connected (wiring.h). */
#include "worker/connection.h"
#include "worker/handlers.h"
#include "worker/nats_endpoint.h"
#include "worker/pending.h"
#include "worker/registration.h"
#include "worker/router.h"
#include "worker/wiring.h"

int worker_modules_init(struct worker *w)
{
	connection_init(w);
	if (pending_init(w) < 0 || registration_init(w) < 0)
		return -1;
	w->hooks.request_head = route_request_head;
	w->hooks.request = route_request;
	w->endpoints[EP_HEALTHZ] = handle_healthz;
	w->endpoints[EP_USER] = handle_user;
	w->endpoints[EP_REGISTER] = handle_register;
	w->endpoints[EP_WEBFINGER] = handle_webfinger;
	w->endpoints[EP_NATS_AUTH] = handle_nats_auth;
	w->endpoints[EP_STATIC] = handle_static;
	return 0;
}

void worker_modules_free(struct worker *w)
{
	pending_free(w);
	registration_free(w);
}
