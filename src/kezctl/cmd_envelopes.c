/* kezctl envelopes: many valid registration envelopes for load tests.
 *
 * Nearly all the time goes to libcrypto: ed25519_generate derives the
 * public key, and ed25519_sign derives it again when it loads the seed
 * before it signs. So the work is spread over one thread per CPU. Threads take chunks
 * of consecutive envelopes and write them in order, so the output is the
 * same as a single thread's: handle PREFIX0, PREFIX1, ... line by line. */
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/kez/ed25519.h"
#include "common/kez/handle.h"
#include "kezctl/args.h"
#include "kezctl/commands.h"
#include "kezctl/envelope_build.h"
#include "kezctl/stdout_buffer.h"

#define MAX_COUNT        100000000L
#define MAX_SKEW         1000000000L
#define CHUNK_ENVELOPES  256
#define MAX_THREADS      64
#define MAX_DOMAIN       253
#define DEFAULT_SERVER   "kez.lat"
#define DEFAULT_PREFIX   "bench"
#define EXAMPLE_LEN      (HANDLE_MAX_LEN + 24) /* a prefix that fits, and any count */

struct batch {
	/* fixed for the run */
	long        count;
	long        skew;
	const char *prefix;
	const char *server;
	FILE       *out;

	/* shared: under lock */
	pthread_mutex_t lock;
	pthread_cond_t  turn;           /* written_chunks moved, or failed was set */
	long            next_chunk;     /* the next chunk a thread may take */
	long            written_chunks; /* chunks on `out` so far, in order */
	bool            failed;
};

/* Appends envelopes [first, end) to text, one a line. -1 when one cannot be
 * built (libcrypto or a buffer limit), with *bad = its index. */
static int build_chunk(const struct batch *b, long first, long end, struct buf *text, struct buf *scratch,
		       long *bad)
{
	/* Stamped per chunk: a long run keeps every envelope fresh. */
	int64_t created_at = (int64_t)time(NULL) + b->skew;
	buf_reset(text);
	for (long i = first; i < end; i++) {
		uint8_t seed[ED25519_SEED_LEN], pub[ED25519_KEY_LEN];
		char handle[HANDLE_MAX_LEN + 1];
		/* Cannot truncate: the longest handle was checked up front. */
		snprintf(handle, sizeof handle, "%s%ld", b->prefix, i);
		if (ed25519_generate(seed, pub) < 0 ||
		    envelope_build(text, scratch, handle, b->server, seed, pub, created_at) < 0 ||
		    buf_putc(text, '\n') < 0) {
			*bad = i;
			return -1;
		}
	}
	return 0;
}

/* Waits for chunk's turn and writes it, or records why not. */
static void write_chunk(struct batch *b, long chunk, const struct buf *text, int built, long bad)
{
	pthread_mutex_lock(&b->lock);
	while (b->written_chunks != chunk && !b->failed)
		pthread_cond_wait(&b->turn, &b->lock);
	if (!b->failed) {
		if (built < 0) {
			fprintf(stderr, "kezctl: cannot build envelope %ld (libcrypto or JSON failure)\n", bad);
			b->failed = true;
		} else if (fwrite(text->data, 1, text->len, b->out) != text->len) {
			fprintf(stderr, "kezctl: cannot write the envelopes: %s\n", strerror(errno));
			b->failed = true;
		}
		b->written_chunks++;
	}
	pthread_cond_broadcast(&b->turn);
	pthread_mutex_unlock(&b->lock);
}

static void *produce(void *arg)
{
	struct batch *b = arg;
	struct buf text, scratch;
	buf_init(&text, (size_t)CHUNK_ENVELOPES * (ENVELOPE_MAX_BYTES + 1));
	buf_init(&scratch, ENVELOPE_MAX_BYTES);
	for (;;) {
		pthread_mutex_lock(&b->lock);
		bool stop = b->failed || b->next_chunk * CHUNK_ENVELOPES >= b->count;
		long chunk = b->next_chunk;
		if (!stop)
			b->next_chunk++;
		pthread_mutex_unlock(&b->lock);
		if (stop)
			break;
		long first = chunk * CHUNK_ENVELOPES;
		long end = first + CHUNK_ENVELOPES < b->count ? first + CHUNK_ENVELOPES : b->count;
		long bad = -1;
		int built = build_chunk(b, first, end, &text, &scratch, &bad);
		write_chunk(b, chunk, &text, built, bad);
	}
	buf_free(&text);
	buf_free(&scratch);
	return NULL;
}

static unsigned thread_count(long count)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	long chunks = (count + CHUNK_ENVELOPES - 1) / CHUNK_ENVELOPES;
	long n = cpus < 1 ? 1 : cpus > MAX_THREADS ? MAX_THREADS : cpus;
	return (unsigned)(n < chunks ? n : chunks > 0 ? chunks : 1);
}

/* Runs the batch on up to thread_count threads, this one included. */
static int produce_all(struct batch *b)
{
	pthread_t threads[MAX_THREADS];
	unsigned wanted = thread_count(b->count), started = 0;
	/* jansson seeds its hash function lazily; do it before threads race. */
	json_object_seed(0);
	for (unsigned i = 1; i < wanted; i++) {
		/* Fewer threads is only slower: go on with the ones that started. */
		if (pthread_create(&threads[started], NULL, produce, b) != 0)
			break;
		started++;
	}
	produce(b);
	for (unsigned i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	return b->failed ? -1 : 0;
}

/* The handles run from PREFIX0 to PREFIX<count-1>: the shortest and the
 * longest decide whether all are valid, as the digits always are. On
 * failure `example` gets the first invalid one. */
static bool prefix_makes_valid_handles(const char *prefix, long count, char example[EXAMPLE_LEN])
{
	long ends[2] = { 0, count > 0 ? count - 1 : 0 };
	for (int e = 0; e < 2; e++) {
		int n = snprintf(example, EXAMPLE_LEN, "%s%ld", prefix, ends[e]);
		if (n < 0 || (size_t)n >= EXAMPLE_LEN || !handle_is_valid(example, (size_t)n))
			return false;
	}
	return true;
}

static int run(const struct command *self, int argc, char **argv)
{
	static const int allowed[] = { OPT_SERVER, OPT_PREFIX, OPT_SKEW, 0 };
	struct kezctl_args a;
	enum args_result parsed = args_parse(self, argc, argv, allowed, &a);
	if (parsed != ARGS_OK)
		return args_exit_status(parsed);
	long count, skew = 0;
	if (!a.positional || args_parse_long(a.positional, 0, MAX_COUNT, &count) < 0)
		return usage_error("envelopes: a count N from 0 to %ld is needed", MAX_COUNT);
	if (a.skew && args_parse_long(a.skew, -MAX_SKEW, MAX_SKEW, &skew) < 0)
		return usage_error("envelopes: --skew needs whole seconds (e.g. -400 or 30), not '%s'", a.skew);
	const char *server = a.server ? a.server : DEFAULT_SERVER;
	if (server[0] == '\0' || strlen(server) > MAX_DOMAIN)
		return usage_error("envelopes: --server needs a domain name of at most %d characters", MAX_DOMAIN);
	const char *prefix = a.prefix ? a.prefix : DEFAULT_PREFIX;
	char example[EXAMPLE_LEN];
	if (strlen(prefix) > HANDLE_MAX_LEN)
		return usage_error("envelopes: --prefix is longer than a handle may be (%d characters)", HANDLE_MAX_LEN);
	if (!prefix_makes_valid_handles(prefix, count, example))
		return usage_error("envelopes: --prefix '%s' makes handles like '%s', which are not valid: 3 to 32 "
				   "characters of a-z, 0-9, _ and -, the first a letter or digit", prefix, example);

	if (stdout_buffer_large() < 0)
		return KEZCTL_REFUSED;
	struct batch b = {
		.count = count, .skew = skew, .prefix = prefix, .server = server, .out = stdout,
		.lock = PTHREAD_MUTEX_INITIALIZER, .turn = PTHREAD_COND_INITIALIZER,
	};
	int rc = produce_all(&b);
	pthread_cond_destroy(&b.turn);
	pthread_mutex_destroy(&b.lock);
	return rc == 0 ? KEZCTL_OK : KEZCTL_REFUSED;
}

const struct command command_envelopes = {
	.name = "envelopes",
	.synopsis = "envelopes N [--server DOMAIN] [--prefix P] [--skew SECONDS]",
	.description = "      Write N valid registration envelopes, each with a fresh key and signed now\n"
		       "      (+ SECONDS), one compact JSON a line, for handles P0, P1, ... (default\n"
		       "      P 'bench', DOMAIN '" DEFAULT_SERVER "'). For load tests: nothing is sent.\n",
	.uses_network = false,
	.run = run,
};
