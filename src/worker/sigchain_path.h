/* The parts of a sigchain path the router matched:
 * /v1/sigchains/ed25519/{hex}, {hex}.jsonl, {hex}/{seq}. */
#ifndef KEZ_WORKER_SIGCHAIN_PATH_H
#define KEZ_WORKER_SIGCHAIN_PATH_H

#include <stdbool.h>
#include <stddef.h>

#define SIGCHAIN_PATH_PREFIX     "/v1/sigchains/ed25519/"
#define SIGCHAIN_PATH_PREFIX_LEN (sizeof SIGCHAIN_PATH_PREFIX - 1)

enum sigchain_path_kind { SIGCHAIN_PATH_NONE, SIGCHAIN_PATH_CHAIN, SIGCHAIN_PATH_JSONL, SIGCHAIN_PATH_EVENT };

/* What a path (the whole path, prefix included) names: NONE when it is not
 * one of the three forms (an empty {hex} or {seq}, a deeper path). */
enum sigchain_path_kind sigchain_path_kind(const char *path, size_t len);

/* The {hex} (for .jsonl without the suffix) and, for one event, the {seq}
 * text (else NULL, 0) of a path of that kind. */
void sigchain_path_parts(const char *path, size_t len, enum sigchain_path_kind kind, const char **hex,
			 size_t *hex_len, const char **seq, size_t *seq_len);

#endif
