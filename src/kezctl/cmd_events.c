/* kezctl events: valid sigchain append streams for load tests. C fresh
 * chains, N events each, written round-robin (every chain's event s before
 * any chain's event s + 1), so posting the lines in order gets 201 for every
 * one. Each chain has adds, a revoke of the add before it at every fifth seq
 * and a rotate to a fresh key at every tenth, so the stream exercises all
 * three ops and the signing-key hand-over. */
#include <errno.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/kez/ed25519.h"
#include "common/kez/key_text.h"
#include "common/kez/sigchain_build.h"
#include "kezctl/args.h"
#include "kezctl/commands.h"
#include "kezctl/progress.h"
#include "kezctl/stdout_buffer.h"

#define MAX_EVENTS  10000000L
#define MAX_CHAINS  100000L
#define MAX_SKEW    1000000000L
#define EVENT_MAX   (16 * 1024)

struct stream_chain {
	uint8_t chain[32];
	uint8_t seed[ED25519_SEED_LEN]; /* the current signing key's */
	uint8_t head[32];
};

/* Event `seq` of chain c (number n) appended to out. 0, or -1. */
static int next_event(struct stream_chain *c, long n, uint32_t seq, int64_t base_ms, struct buf *out)
{
	json_t *body;
	enum sigchain_op op;
	uint8_t new_seed[ED25519_SEED_LEN], new_pub[ED25519_KEY_LEN];
	if (seq % 10 == 0) {
		char key[KEY_TEXT_LEN + 1];
		if (ed25519_generate(new_seed, new_pub) < 0)
			return -1;
		key_text_format(new_pub, key);
		op = SIGCHAIN_OP_ROTATE;
		body = json_pack("{s:s}", "new_key", key);
	} else if (seq % 5 == 0) {
		op = SIGCHAIN_OP_REVOKE;
		body = json_pack("{s:I}", "seq", (json_int_t)(seq - 1));
	} else {
		char subject[64];
		snprintf(subject, sizeof subject, "bench:c%ld-s%u", n, seq);
		op = SIGCHAIN_OP_ADD;
		body = json_pack("{s:s}", "subject", subject);
	}
	char when[SIGCHAIN_TIME_MS_LEN + 1];
	sigchain_format_ms(base_ms + seq, when);
	struct sigchain_draft d = { .chain = c->chain, .seq = seq, .prev = seq > 1 ? c->head : NULL, .op = op,
				    .created_at = when, .body = body };
	size_t start = out->len;
	int rc = body ? sigchain_build(&d, c->seed, out) : -1;
	json_decref(body);
	if (rc == 0)
		rc = sigchain_sha256(out->data + start, out->len - start, c->head);
	if (rc == 0)
		rc = buf_putc(out, '\n');
	if (rc == 0 && op == SIGCHAIN_OP_ROTATE)
		memcpy(c->seed, new_seed, sizeof c->seed);
	OPENSSL_cleanse(new_seed, sizeof new_seed);
	return rc;
}

static int run(const struct command *self, int argc, char **argv)
{
	static const int allowed[] = { OPT_CHAINS, OPT_SKEW, 0 };
	struct kezctl_args a;
	enum args_result parsed = args_parse(self, argc, argv, allowed, &a);
	if (parsed != ARGS_OK)
		return args_exit_status(parsed);
	long count, chains = 1, skew = 0;
	if (!a.positional || args_parse_long(a.positional, 0, MAX_EVENTS, &count) < 0)
		return usage_error("events: a count N from 0 to %ld (events per chain) is needed", MAX_EVENTS);
	if (a.chains && args_parse_long(a.chains, 1, MAX_CHAINS, &chains) < 0)
		return usage_error("events: --chains needs a number from 1 to %ld", MAX_CHAINS);
	if (a.skew && args_parse_long(a.skew, -MAX_SKEW, MAX_SKEW, &skew) < 0)
		return usage_error("events: --skew needs whole seconds (e.g. -400 or 30), not '%s'", a.skew);

	struct stream_chain *c = calloc((size_t)chains, sizeof *c);
	if (!c) {
		fprintf(stderr, "kezctl: out of memory for %ld chains\n", chains);
		return KEZCTL_REFUSED;
	}
	int status = KEZCTL_OK;
	for (long i = 0; i < chains && status == KEZCTL_OK; i++)
		if (ed25519_generate(c[i].seed, c[i].chain) < 0) {
			fprintf(stderr, "kezctl: cannot make a key (libcrypto failed)\n");
			status = KEZCTL_REFUSED;
		}
	/* Stamped once, a millisecond apart per seq: never decreasing, and
	 * ahead of the clock by count ms at most. */
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	int64_t base_ms = ((int64_t)ts.tv_sec + skew) * 1000 - count;
	if (status == KEZCTL_OK && stdout_buffer_large() < 0)
		status = KEZCTL_REFUSED;
	struct buf line;
	buf_init(&line, EVENT_MAX);
	struct progress bar;
	progress_start(&bar, "events", (uint64_t)count * (uint64_t)chains);
	if (isatty(STDOUT_FILENO) == 1)
		bar.on = false; /* the events themselves are on the screen */
	uint64_t made = 0;
	for (long s = 1; s <= count && status == KEZCTL_OK; s++)
		for (long i = 0; i < chains && status == KEZCTL_OK; i++) {
			buf_reset(&line);
			if (next_event(&c[i], i, (uint32_t)s, base_ms, &line) < 0) {
				fprintf(stderr, "kezctl: cannot build event %ld of chain %ld\n", s, i);
				status = KEZCTL_REFUSED;
			} else if (fwrite(line.data, 1, line.len, stdout) != line.len) {
				fprintf(stderr, "kezctl: cannot write the events: %s\n", strerror(errno));
				status = KEZCTL_REFUSED;
			} else {
				progress_update(&bar, ++made);
			}
		}
	progress_end(&bar);
	buf_free(&line);
	OPENSSL_cleanse(c, (size_t)chains * sizeof *c);
	free(c);
	return status;
}

const struct command command_events = {
	.name = "events",
	.synopsis = "events N [--chains C] [--skew SECONDS]",
	.description = "      Write valid sigchain append streams: C fresh chains (default 1) of N events\n"
		       "      each (adds, a revoke every 5th, a rotate every 10th), one JSON a line,\n"
		       "      round-robin, so posting them in order succeeds. For load tests.\n",
	.uses_network = false,
	.run = run,
};
