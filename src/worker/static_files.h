/* The web app's files under --web-dir (API.md §3 "GET / and static files"):
 * path resolution that cannot leave the folder, the SPA fallback, MIME
 * types and validators. The worker does the HTTP around it. */
#ifndef KEZ_STATIC_FILES_H
#define KEZ_STATIC_FILES_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "common/kez/api_error.h"

struct static_site {
	int  root_fd;    /* O_PATH|O_DIRECTORY of --web-dir */
	char root[4096]; /* its canonical absolute path */
};

/* Opens the web dir at start-up (before privileges drop). 0, or -1 with a
 * one-line reason in err; on failure root_fd is -1. */
int  static_site_open(struct static_site *s, const char *dir, char *err, size_t errlen);
void static_site_close(struct static_site *s);

struct static_file {
	int         fd;       /* open O_RDONLY; the caller sends it and closes it */
	off_t       size;
	const char *mime;     /* e.g. "text/javascript; charset=utf-8" */
	char        etag[64]; /* strong, quoted: "\"<size>-<mtime ns>-<inode>\"" in hex */
	bool        no_cache; /* index.html (also as the SPA fallback) */
};

/* `path` is the request target's path as received (percent-encoded, query
 * cut off), starting with '/'; at most 4096 bytes.
 *   "/" and directories ("dir", "dir/") mean their index.html;
 *   percent-escapes are decoded first (a bad escape or a decoded NUL is 404),
 *   then every segment is checked: one starting with '.' (".", "..",
 *   dotfiles, also written %2e) is 404; an encoded slash splits segments;
 *   a symlink that resolves outside the folder is 404;
 *   anything but a regular file is 404 (a directory without index.html is
 *   missing);
 *   a missing path whose last segment has no '.' is the SPA fallback
 *   (index.html, no_cache); a missing path with an extension is 404.
 * API_OK with *out filled, or API_NOT_FOUND with no fd left open. */
enum api_error static_lookup(const struct static_site *s, const char *path, size_t len, struct static_file *out);

/* If-None-Match (RFC 9110 §13.1.2): true for "*" or when one of the listed
 * entity-tags equals `etag` by weak comparison (W/ prefixes ignored). */
bool static_etag_matches(const char *if_none_match, size_t len, const char *etag);

#endif
