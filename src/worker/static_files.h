/* The web app's files under --web-dir: path resolution that cannot leave the
 * folder, MIME types, validators. */
#ifndef KEZ_STATIC_FILES_H
#define KEZ_STATIC_FILES_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "common/api_error.h"

struct static_site {
	int  root_fd; /* O_PATH|O_DIRECTORY of --web-dir */
	char root[4096];
};

/* Opens the web dir at start-up (before privileges drop). 0, or -1 with a
 * one-line reason in err. */
int  static_site_open(struct static_site *s, const char *dir, char *err, size_t errlen);
void static_site_close(struct static_site *s);

struct static_file {
	int         fd;       /* the caller sends and closes it */
	off_t       size;
	const char *mime;
	char        etag[64]; /* strong, quoted */
	bool        no_cache; /* index.html, also as the SPA fallback */
};

/* `path` is the request path as received (percent-encoded, no query),
 * starting with '/'. API_OK with *out filled, or API_NOT_FOUND. */
enum api_error static_lookup(const struct static_site *s, const char *path, size_t len, struct static_file *out);
/* If-None-Match (RFC 9110): "*", or a list compared weakly. */
bool static_etag_matches(const char *if_none_match, size_t len, const char *etag);

#endif
