/* WebFinger (RFC 7033): query decoding, resource matching, the JRD. */
#ifndef KEZ_WEBFINGER_H
#define KEZ_WEBFINGER_H

#include <stdbool.h>
#include <stddef.h>
#include "common/buf.h"
#include "common/handle.h"
#define WEBFINGER_MAX_RELS 16
struct webfinger_query { bool has_resource; char resource[1024]; unsigned n_rels; char rels[WEBFINGER_MAX_RELS][512]; };
/* Parses the raw query (after '?'): names and values percent-decoded, '+'
 * is a space; the first resource wins, every rel is kept. -1 for bad
 * escapes, a decoded NUL, a value too long or too many rels. */
int  webfinger_parse_query(const char *q, size_t len, struct webfinger_query *out);
/* "acct:HANDLE@HOST" with HOST = server (any case): the lowercased handle. */
bool webfinger_resource_handle(const char *resource, const char *server, char handle[HANDLE_MAX_LEN + 1], size_t *handle_len);
/* Appends the JRD; with rels given, only the links with those rels. */
int  webfinger_render(struct buf *out, const char *handle, const char *server, const char *public_url, const char *sigchain_url, const struct webfinger_query *q);

#endif
