/* The registration envelope: checks 3–13 of API.md's register table, in order.
 * Runs in the verifier, the only process that canonicalizes and verifies. */
#ifndef KEZ_ENVELOPE_H
#define KEZ_ENVELOPE_H

#include <stddef.h>
#include <stdint.h>

#include "common/kez/api_error.h"
#include "common/kez/handle.h"

#define ENVELOPE_MAX_SKEW 300 /* seconds either side of the server clock */

struct envelope_policy {
	const char                 *server;   /* this server's domain */
	const struct reserved_list *reserved;
	int64_t                     now;      /* unix seconds */
};

struct envelope_result {
	char    handle[HANDLE_MAX_LEN + 1];
	size_t  handle_len;
	uint8_t primary[32];
};

/* Decodes `body` (jansson, duplicates rejected; the cost caps of json_caps.h
 * before that) and runs checks 3 to 13, the first failure deciding. API_OK fills `out`; any other value is the error,
 * with a sentence in `detail` saying what exactly was wrong (it may be left ""
 * to use the catalogue's message). */
enum api_error envelope_check(const char *body, size_t len, const struct envelope_policy *policy,
			      struct envelope_result *out, char *detail, size_t detail_len);

#endif
