/* Sigchain paths (sigchain_path.h). */
#include <string.h>

#include "worker/sigchain_path.h"

enum sigchain_path_kind sigchain_path_kind(const char *path, size_t len)
{
	if (len <= SIGCHAIN_PATH_PREFIX_LEN || memcmp(path, SIGCHAIN_PATH_PREFIX, SIGCHAIN_PATH_PREFIX_LEN) != 0)
		return SIGCHAIN_PATH_NONE;
	const char *rest = path + SIGCHAIN_PATH_PREFIX_LEN;
	size_t n = len - SIGCHAIN_PATH_PREFIX_LEN;
	const char *slash = memchr(rest, '/', n);
	if (slash) {
		size_t seq_len = n - (size_t)(slash - rest) - 1;
		if (slash == rest || seq_len == 0 || memchr(slash + 1, '/', seq_len))
			return SIGCHAIN_PATH_NONE;
		return SIGCHAIN_PATH_EVENT;
	}
	if (n > 6 && memcmp(rest + n - 6, ".jsonl", 6) == 0)
		return SIGCHAIN_PATH_JSONL;
	return SIGCHAIN_PATH_CHAIN;
}

void sigchain_path_parts(const char *path, size_t len, enum sigchain_path_kind kind, const char **hex,
			 size_t *hex_len, const char **seq, size_t *seq_len)
{
	const char *rest = path + SIGCHAIN_PATH_PREFIX_LEN;
	size_t n = len - SIGCHAIN_PATH_PREFIX_LEN;
	const char *slash = kind == SIGCHAIN_PATH_EVENT ? memchr(rest, '/', n) : NULL;
	*hex = rest;
	*hex_len = slash ? (size_t)(slash - rest) : kind == SIGCHAIN_PATH_JSONL ? n - 6 : n;
	*seq = slash ? slash + 1 : NULL;
	*seq_len = slash ? n - *hex_len - 1 : 0;
}
