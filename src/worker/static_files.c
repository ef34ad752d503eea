#include "worker/static_files.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "worker/mime_types.h"
#include "worker/percent.h"

#define PATH_CAP 4096

int static_site_open(struct static_site *s, const char *dir, char *err, size_t errlen)
{
	char real[PATH_MAX];
	if (!realpath(dir, real)) {
		snprintf(err, errlen, "cannot use '%s': %s", dir, strerror(errno));
		return -1;
	}
	s->root_fd = open(real, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (s->root_fd < 0) {
		snprintf(err, errlen, "cannot open '%s': %s", dir, strerror(errno));
		return -1;
	}
	snprintf(s->root, sizeof s->root, "%s", real);
	return 0;
}

void static_site_close(struct static_site *s)
{
	if (s->root_fd >= 0)
		close(s->root_fd);
	s->root_fd = -1;
}

/* Decodes the path and rebuilds it from its segments, refusing any segment
 * that starts with '.' (".", "..", dotfiles) — after decoding, so that
 * "%2e%2e" is caught too. Writes "a/b/c" (no leading slash). */
static bool normalize(const char *path, size_t len, char *out, size_t cap, bool *last_has_dot)
{
	char decoded[PATH_CAP + 1];
	ssize_t decoded_len = percent_decode(path, len, false, decoded, sizeof decoded);
	if (decoded_len < 0)
		return false;
	size_t n = (size_t)decoded_len;
	size_t o = 0;
	*last_has_dot = false;
	for (size_t i = 0; i < n;) {
		while (i < n && decoded[i] == '/')
			i++;
		size_t start = i;
		while (i < n && decoded[i] != '/')
			i++;
		size_t seg = i - start;
		if (seg == 0)
			continue;
		if (decoded[start] == '.' || o + seg + 2 > cap)
			return false;
		if (o)
			out[o++] = '/';
		memcpy(out + o, decoded + start, seg);
		o += seg;
		*last_has_dot = memchr(decoded + start, '.', seg) != NULL;
	}
	out[o] = '\0';
	return true;
}

/* Opens rel beneath the root: the kernel refuses any resolution, symlinks
 * included, that would leave it. */
static int open_beneath(const struct static_site *s, const char *rel)
{
	struct open_how how = { .flags = O_RDONLY | O_CLOEXEC | O_NOCTTY,
				.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS };
	int fd = (int)syscall(SYS_openat2, s->root_fd, rel, &how, sizeof how);
	if (fd >= 0 || (errno != ENOSYS && errno != EXDEV))
		return fd;
	/* Older kernels, and absolute symlinks (which RESOLVE_BENEATH refuses
	 * even when they point inside): open, then check where it really is. */
	fd = openat(s->root_fd, rel, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -1;
	char proc[64], real[PATH_MAX];
	snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
	ssize_t m = readlink(proc, real, sizeof real - 1);
	size_t root_len = strlen(s->root);
	if (m < 0 || (size_t)m < root_len || memcmp(real, s->root, root_len) != 0 ||
	    (real[root_len] != '/' && (size_t)m != root_len)) {
		close(fd);
		errno = EXDEV;
		return -1;
	}
	return fd;
}

/* 1 found (fd and st filled), 0 missing, -1 refused. Directories mean
 * their index.html. */
static int open_file(const struct static_site *s, char *rel, size_t cap, int *fd_out, struct stat *st)
{
	int fd = open_beneath(s, rel);
	if (fd < 0)
		return errno == ENOENT || errno == ENOTDIR ? 0 : -1;
	if (fstat(fd, st) < 0) {
		close(fd);
		return -1;
	}
	if (S_ISDIR(st->st_mode)) {
		close(fd);
		size_t n = strlen(rel);
		if (n + sizeof "/index.html" > cap)
			return -1;
		snprintf(rel + n, cap - n, "%sindex.html", n ? "/" : "");
		fd = open_beneath(s, rel);
		if (fd < 0)
			return errno == ENOENT ? 0 : -1;
		if (fstat(fd, st) < 0) {
			close(fd);
			return -1;
		}
	}
	if (!S_ISREG(st->st_mode)) {
		close(fd);
		return -1;
	}
	*fd_out = fd;
	return 1;
}

enum api_error static_lookup(const struct static_site *s, const char *path, size_t len, struct static_file *out)
{
	char rel[PATH_CAP + 32];
	bool has_dot;
	if (len > PATH_CAP || !normalize(path, len, rel, PATH_CAP, &has_dot))
		return API_NOT_FOUND;
	if (!rel[0])
		snprintf(rel, sizeof rel, "index.html");
	int fd = -1;
	struct stat st;
	int found = open_file(s, rel, sizeof rel, &fd, &st);
	if (found < 0)
		return API_NOT_FOUND;
	if (found == 0) {
		/* A route of the app (no extension) gets the app; a missing asset is 404. */
		if (has_dot)
			return API_NOT_FOUND;
		snprintf(rel, sizeof rel, "index.html");
		if (open_file(s, rel, sizeof rel, &fd, &st) != 1)
			return API_NOT_FOUND;
	}
	const char *base = strrchr(rel, '/');
	base = base ? base + 1 : rel;
	out->fd = fd;
	out->size = st.st_size;
	out->mime = mime_type_for(base);
	out->no_cache = strcmp(base, "index.html") == 0;
	snprintf(out->etag, sizeof out->etag, "\"%llx-%llx-%llx\"", (unsigned long long)st.st_size,
		 (unsigned long long)st.st_mtim.tv_sec * 1000000000ull + (unsigned long long)st.st_mtim.tv_nsec,
		 (unsigned long long)st.st_ino);
	return API_OK;
}

bool static_etag_matches(const char *header, size_t len, const char *etag)
{
	/* Weak comparison: W/ prefixes are ignored on both sides. */
	const char *tag = etag[0] == 'W' && etag[1] == '/' ? etag + 2 : etag;
	size_t tag_len = strlen(tag);
	size_t i = 0;
	while (i < len) {
		while (i < len && (header[i] == ' ' || header[i] == '\t' || header[i] == ','))
			i++;
		size_t start = i;
		if (i < len && header[i] == '*')
			return true;
		if (i + 1 < len && header[i] == 'W' && header[i + 1] == '/')
			start = i += 2;
		if (i < len && header[i] == '"') {
			const char *close = memchr(header + i + 1, '"', len - i - 1);
			if (!close)
				return false;
			i = (size_t)(close - header) + 1;
		} else {
			while (i < len && header[i] != ',')
				i++;
		}
		if (i - start == tag_len && memcmp(header + start, tag, tag_len) == 0)
			return true;
	}
	return false;
}
