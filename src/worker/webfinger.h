/* WebFinger (RFC 7033, API.md §3): query decoding, resource matching, the JRD. */
#ifndef KEZ_WEBFINGER_H
#define KEZ_WEBFINGER_H

#include <stdbool.h>
#include <stddef.h>

#include "common/base/buf.h"
#include "common/kez/handle.h"

#define WEBFINGER_MAX_RELS 16

/* The link relation of the sigchain link: a constant URI, the same on every server. */
#define WEBFINGER_REL_SIGCHAIN "https://kez.lat/rel/sigchain"

struct webfinger_query {
	bool     has_resource;
	char     resource[1024]; /* percent-decoded, NUL-terminated */
	unsigned n_rels;
	char     rels[WEBFINGER_MAX_RELS][512]; /* percent-decoded */
};

/* Parses a raw query string (the part after '?', may be empty): pairs split
 * on '&', names and values percent-decoded with '+' as a space. The first
 * non-empty "resource" wins (an empty one counts as absent); every "rel" is
 * collected; other parameters are ignored. 0, or -1 for a malformed query:
 * a bad %-escape anywhere, or in a resource/rel value a decoded NUL, a
 * value too long, more than WEBFINGER_MAX_RELS rels. */
int  webfinger_parse_query(const char *q, size_t len, struct webfinger_query *out);

/* "acct:HANDLE@HOST" (scheme and HOST in any case): true when HOST equals
 * `server` and HANDLE, lowercased, is a valid handle, which is written to
 * `handle` with its length. */
bool webfinger_resource_handle(const char *resource, const char *server, char handle[HANDLE_MAX_LEN + 1],
			       size_t *handle_len);

/* Appends the JRD of a registered handle: subject "acct:<handle>@<server>",
 * aliases ["<public_url>/v1/u/<handle>"], links "self" and
 * WEBFINGER_REL_SIGCHAIN (href sigchain_url), both application/json. With
 * q->n_rels > 0 only the links with one of those rels stay (RFC 7033 §4.3),
 * in their usual order. 0, or -1 (out of memory, past out's limit, or a
 * string that is not UTF-8). */
int  webfinger_render(struct buf *out, const char *handle, const char *server, const char *public_url,
		      const char *sigchain_url, const struct webfinger_query *q);

#endif
