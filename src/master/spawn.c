/* Forking one process of the table: its descriptors, its secrets, its
 * entry point. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/base/clock.h"
#include "common/base/log.h"
#include "common/proc/metrics.h"
#include "common/proc/proctitle.h"
#include "master/procs.h"

void slot_name(const struct slot *s, char *out, size_t cap)
{
	if (s->def->per_worker)
		snprintf(out, cap, "%s %u", s->def->name, s->index);
	else
		snprintf(out, cap, "%s", s->def->name);
}

/* In the child: closes every descriptor of the master that its row of the
 * table does not hand it. */
static void close_foreign_fds(const struct supervisor *sv, const struct slot *s)
{
	const struct proc_def *d = s->def;
	close(sv->signal_fd);
	for (int h = 0; h < N_HUBS; h++) {
		close(sv->control[h][0]);
		if (d->hub != h)
			close(sv->control[h][1]);
	}
	for (unsigned i = 0; i < sv->n_links; i++) {
		const struct link *l = &sv->links[i];
		if (!l->in_use)
			continue;
		for (int h = 0; h < N_HUBS; h++) {
			if (s->link != (int)i || !(d->links & LINK_TO(h)))
				close_if_open(l->end[h][0]);
			if (d->hub != h)
				close_if_open(l->end[h][1]);
		}
	}
	if (!(d->links & LINK_LISTENER)) {
		close(sv->listen_fd);
		close_if_open(sv->metrics_fd);
	}
}

/* A hub's end of every live link. */
static unsigned hub_ends(const struct supervisor *sv, int hub, int *out, unsigned *roles)
{
	unsigned n = 0;
	for (unsigned i = 0; i < sv->n_links; i++) {
		const struct link *l = &sv->links[i];
		if (l->in_use && l->end[hub][1] >= 0) {
			roles[n] = l->role;
			out[n++] = l->end[hub][1];
		}
	}
	return n;
}

static _Noreturn void child_main(const struct supervisor *sv, const struct slot *s)
{
	const struct proc_def *d = s->def;
	child_die_with_parent(sv->pid);
	char name[32];
	slot_name(s, name, sizeof name);
	proctitle_set(name);
	log_set_process(name);
	(void)child_stop_flag();
	close_foreign_fds(sv, s);
	metrics_attach(metrics_region(), s->metrics_block);
	/* Secrets stay only in the process whose job needs them. */
	nats_keys_keep(sv->keys, d->keeps & KEEP_SERVICE_SEED, d->keeps & KEEP_SIGNING_SEEDS);
	if (!(d->keeps & KEEP_NATS_PASSWORD))
		child_wipe_nats_password(sv->cfg);
	if (!(d->keeps & KEEP_ATTEST_KEY))
		attest_key_wipe(sv->attest);

	int *ends = calloc(sv->n_links + 1, sizeof *ends);
	unsigned *roles = calloc(sv->n_links + 1, sizeof *roles);
	if (!ends || !roles)
		exit(CHILD_EXIT_STARTUP);
	const struct link *l = s->link >= 0 ? &sv->links[s->link] : NULL;
	struct child_context ctx = {
		.role = d->name,
		.sandbox = d->sandbox,
		.incarnation = s->incarnation,
		.cfg = sv->cfg,
		.nats_keys = sv->keys,
		.reserved = sv->reserved,
		.attest = sv->attest,
		.state = sv->state,
		.rate_table = d->sandbox == SANDBOX_WORKER ? sv->rate_table : NULL,
		.index = s->index,
		.listen_fd = d->links & LINK_LISTENER ? sv->listen_fd : -1,
		.metrics_fd = d->links & LINK_LISTENER ? sv->metrics_fd : -1,
		.verifier_fd = l && (d->links & LINK_VERIFIER) ? l->end[HUB_VERIFIER][0] : -1,
		.writer_fd = l && (d->links & LINK_WRITER) ? l->end[HUB_WRITER][0] : -1,
		.peer_fds = ends,
		.peer_roles = roles,
		.n_peers = d->hub != NO_HUB ? hub_ends(sv, d->hub, ends, roles) : 0,
		.max_peers = sv->n_links,
		.control_fd = d->hub != NO_HUB ? sv->control[d->hub][1] : -1,
	};
	int rc = d->entry(&ctx);
	free(ends);
	free(roles);
	exit(rc);
}

int spawn(struct supervisor *sv, struct slot *s)
{
	s->incarnation++;
	pid_t pid = fork();
	if (pid < 0) {
		log_error("fork: %s", strerror(errno));
		s->respawn_at = monotonic_ms() + RESPAWN_PAUSE_MS;
		return -1;
	}
	if (pid == 0)
		child_main(sv, s);
	s->pid = pid;
	s->started_ms = monotonic_ms();
	s->respawn_at = 0;
	return 0;
}
