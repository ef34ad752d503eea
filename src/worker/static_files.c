/* Every lookup opens its file relative to one directory fd. The kernel keeps
 * the resolution beneath it (openat2 RESOLVE_BENEATH). Where openat2 is
 * missing, or refuses an absolute symlink that may well point inside, the
 * file is opened normally and kept only if it really lies beneath the root. */
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

#define STATIC_PATH_MAX 4096
#define INDEX_NAME      "index.html"

/* O_NONBLOCK: a FIFO left in the web dir must not hang the worker in
 * open(); regular files ignore the flag. */
#define OPEN_FLAGS (O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)

/* openat2 may fail with EAGAIN when a rename races the resolution. */
#define OPENAT2_ATTEMPTS 3

/* Once openat2 is known to be missing (an old kernel, or the worker's
 * seccomp filter, which cannot inspect its flags and refuses it) every
 * lookup goes straight to the fallback instead of paying for the refusal. */
static bool openat2_missing;

int static_site_open(struct static_site *s, const char *dir, char *err, size_t errlen)
{
	s->root_fd = -1;
	s->root[0] = '\0';
	char real[PATH_MAX];
	if (!realpath(dir, real)) {
		snprintf(err, errlen, "cannot use '%s': %s", dir, strerror(errno));
		return -1;
	}
	size_t n = strlen(real);
	if (n >= sizeof s->root) {
		snprintf(err, errlen, "cannot use '%s': the path is too long", dir);
		return -1;
	}
	int fd = open(real, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open '%s': %s", dir, strerror(errno));
		return -1;
	}
	memcpy(s->root, real, n + 1);
	s->root_fd = fd;
	return 0;
}

void static_site_close(struct static_site *s)
{
	if (s->root_fd >= 0)
		close(s->root_fd);
	s->root_fd = -1;
}

/* Decodes the path and rebuilds it as "seg/seg/..." relative to the root:
 * empty segments are dropped, a segment starting with '.' (".", "..",
 * dotfiles) refuses the path. Decoding comes first, so "%2e%2e" and an
 * encoded '/' meet the same rule. A trailing '/' is kept so that the kernel
 * answers ENOTDIR for "file.js/". false when the path is refused. */
static bool clean_path(const char *path, size_t len, char *out, size_t cap, bool *last_has_dot)
{
	char decoded[STATIC_PATH_MAX + 1];
	ssize_t decoded_len = percent_decode(path, len, false, decoded, sizeof decoded);
	if (decoded_len < 0)
		return false;
	size_t n = (size_t)decoded_len, o = 0;
	*last_has_dot = false;
	for (size_t i = 0; i < n;) {
		while (i < n && decoded[i] == '/')
			i++;
		size_t start = i;
		while (i < n && decoded[i] != '/')
			i++;
		size_t seg = i - start;
		if (seg == 0)
			break;
		/* room for a separator, the segment, a trailing '/' and the NUL */
		if (decoded[start] == '.' || o + seg + 3 > cap)
			return false;
		if (o)
			out[o++] = '/';
		memcpy(out + o, decoded + start, seg);
		o += seg;
		*last_has_dot = memchr(decoded + start, '.', seg) != NULL;
	}
	if (o && decoded[n - 1] == '/')
		out[o++] = '/';
	out[o] = '\0';
	return true;
}

static bool path_is_beneath(const char *path, const char *root)
{
	size_t root_len = strlen(root);
	if (root_len == 1 && root[0] == '/')
		return path[0] == '/';
	return strncmp(path, root, root_len) == 0 && (path[root_len] == '/' || path[root_len] == '\0');
}

/* Whether the open fd lies beneath the root. The kernel's own name for it
 * (/proc/self/fd) is exact and costs one call; without /proc, the canonical
 * path of what `rel` names counts, but only if it is the very file that
 * was opened (same device and inode). */
static bool fd_is_beneath(const struct static_site *s, int fd, const struct stat *st, const char *rel)
{
	char real[PATH_MAX];
	char link[48];
	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	ssize_t n = readlink(link, real, sizeof real);
	if (n >= 0) {
		if ((size_t)n >= sizeof real)
			return false;
		real[n] = '\0';
		return path_is_beneath(real, s->root);
	}
	char full[PATH_MAX];
	int m = snprintf(full, sizeof full, "%s/%s", s->root, rel);
	if (m < 0 || (size_t)m >= sizeof full || !realpath(full, real))
		return false;
	struct stat now;
	if (stat(real, &now) < 0 || now.st_dev != st->st_dev || now.st_ino != st->st_ino)
		return false;
	return path_is_beneath(real, s->root);
}

/* fstat, closing the fd (and keeping fstat's errno) when it fails. */
static int stat_or_close(int fd, struct stat *st)
{
	if (fstat(fd, st) == 0)
		return fd;
	int saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

/* Opens `rel` beneath the root and stats it. The fd, or -1 with errno set:
 * ENOENT/ENOTDIR when nothing is there, EXDEV when it lies outside. */
static int open_beneath(const struct static_site *s, const char *rel, struct stat *st)
{
	int fd = -1;
	if (!openat2_missing) {
		struct open_how how = { .flags = OPEN_FLAGS, .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS };
		for (int attempt = 0; attempt < OPENAT2_ATTEMPTS; attempt++) {
			fd = (int)syscall(SYS_openat2, s->root_fd, rel, &how, sizeof how);
			if (fd >= 0 || errno != EAGAIN)
				break;
		}
		if (fd >= 0)
			return stat_or_close(fd, st);
		if (errno == ENOSYS)
			openat2_missing = true;
		else if (errno != EXDEV)
			return -1;
	}
	fd = openat(s->root_fd, rel, OPEN_FLAGS);
	if (fd < 0 || stat_or_close(fd, st) < 0)
		return -1;
	if (!fd_is_beneath(s, fd, st, rel)) {
		close(fd);
		errno = EXDEV;
		return -1;
	}
	return fd;
}

/* 1: a regular file (fd and st filled); 0: nothing there, or a directory
 * without an index; -1: refused (outside, not a regular file, unreadable).
 * A directory stands for its index.html, whose name is appended to rel. */
static int open_file(const struct static_site *s, char *rel, size_t cap, int *fd_out, struct stat *st)
{
	int fd = open_beneath(s, rel, st);
	if (fd < 0)
		return errno == ENOENT || errno == ENOTDIR ? 0 : -1;
	if (S_ISDIR(st->st_mode)) {
		close(fd);
		size_t n = strlen(rel);
		const char *sep = n && rel[n - 1] != '/' ? "/" : "";
		if (n + strlen(sep) + sizeof INDEX_NAME > cap)
			return -1;
		snprintf(rel + n, cap - n, "%s" INDEX_NAME, sep);
		fd = open_beneath(s, rel, st);
		if (fd < 0)
			return errno == ENOENT ? 0 : -1;
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
	char rel[STATIC_PATH_MAX + sizeof "/" INDEX_NAME];
	bool last_has_dot;
	if (s->root_fd < 0 || len == 0 || len > STATIC_PATH_MAX || path[0] != '/' ||
	    !clean_path(path, len, rel, sizeof rel, &last_has_dot))
		return API_NOT_FOUND;
	if (!rel[0])
		memcpy(rel, INDEX_NAME, sizeof INDEX_NAME);
	int fd = -1;
	struct stat st;
	int found = open_file(s, rel, sizeof rel, &fd, &st);
	if (found == 0 && !last_has_dot) {
		/* A route of the single-page app, not a file: the app answers it.
		 * A missing asset (it has an extension) stays a 404. */
		memcpy(rel, INDEX_NAME, sizeof INDEX_NAME);
		found = open_file(s, rel, sizeof rel, &fd, &st);
	}
	if (found != 1)
		return API_NOT_FOUND;

	const char *base = strrchr(rel, '/');
	base = base ? base + 1 : rel;
	out->fd = fd;
	out->size = st.st_size;
	out->mime = mime_type_for(base);
	out->no_cache = strcmp(base, INDEX_NAME) == 0;
	/* Size, modification time to the nanosecond and inode: a rewrite in
	 * place or a replacement by rename both change it. */
	unsigned long long mtime_ns = (unsigned long long)st.st_mtim.tv_sec * 1000000000ull +
				      (unsigned long long)st.st_mtim.tv_nsec;
	snprintf(out->etag, sizeof out->etag, "\"%llx-%llx-%llx\"", (unsigned long long)st.st_size, mtime_ns,
		 (unsigned long long)st.st_ino);
	return API_OK;
}

static bool is_list_space(char c)
{
	return c == ' ' || c == '\t' || c == ',';
}

bool static_etag_matches(const char *header, size_t len, const char *etag)
{
	/* Weak comparison (GET and HEAD): the opaque tags alone count. */
	const char *tag = strncmp(etag, "W/", 2) == 0 ? etag + 2 : etag;
	size_t tag_len = strlen(tag);
	size_t i = 0;
	while (i < len) {
		while (i < len && is_list_space(header[i]))
			i++;
		if (i == len)
			break;
		if (header[i] == '*')
			return true;
		if (len - i >= 2 && header[i] == 'W' && header[i + 1] == '/')
			i += 2;
		if (i < len && header[i] == '"') {
			/* A quoted tag may hold commas: find its closing quote. */
			const char *close = memchr(header + i + 1, '"', len - i - 1);
			if (!close)
				return false;
			size_t start = i;
			i = (size_t)(close - header) + 1;
			if (i - start == tag_len && memcmp(header + start, tag, tag_len) == 0)
				return true;
		}
		/* Whatever else the element holds is not a valid tag: skip it. */
		while (i < len && header[i] != ',')
			i++;
	}
	return false;
}
