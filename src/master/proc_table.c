#include "master/proc_table.h"

#include "common/proc/ipc.h"

static bool with_nats_url(const struct config *cfg)
{
	return cfg->nats_url != NULL;
}

static atomic_int *writer_ready(struct shared_state *state)
{
	return &state->writer_ready;
}

static atomic_int *verifier_ready(struct shared_state *state)
{
	return &state->verifier_ready;
}

/* In start order: the writer first (it creates the registry, and if it
 * cannot, nothing else is worth starting), then the verifier; the workers
 * and the nats client need both. */
const struct proc_def proc_table[] = {
	{
		.name = "writer", .entry = writer_run, .hub = HUB_WRITER,
		.sandbox = SANDBOX_WRITER, .keeps = KEEP_ATTEST_KEY, .ready = writer_ready,
	},
	{
		.name = "verifier", .entry = verifier_run, .hub = HUB_VERIFIER,
		.sandbox = SANDBOX_VERIFIER, .keeps = KEEP_SIGNING_SEEDS | KEEP_ATTEST_KEY, .ready = verifier_ready,
	},
	{
		.name = "nats", .entry = nats_client_run, .links = LINK_VERIFIER, .ipc_role = IPC_ROLE_NATS,
		.hub = NO_HUB, .sandbox = SANDBOX_NATS, .keeps = KEEP_SERVICE_SEED | KEEP_NATS_PASSWORD,
		.wanted = with_nats_url,
	},
	{
		.name = "worker", .entry = worker_run, .links = LINK_LISTENER | LINK_VERIFIER | LINK_WRITER,
		.ipc_role = IPC_ROLE_WORKER, .hub = NO_HUB, .sandbox = SANDBOX_WORKER, .per_worker = true,
		.reloaded = true,
	},
};

const unsigned proc_table_len = sizeof proc_table / sizeof proc_table[0];

unsigned proc_count(const struct proc_def *def, const struct config *cfg)
{
	if (def->wanted && !def->wanted(cfg))
		return 0;
	return def->per_worker ? cfg->workers : 1;
}
