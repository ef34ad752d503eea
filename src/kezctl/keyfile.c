#include "kezctl/keyfile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/kez/key_text.h"

#define PREFIX_LEN (sizeof KEYFILE_PREFIX - 1)
#define LINE_LEN   (PREFIX_LEN + 64) /* without the newline */

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Fills fd and makes it durable. fchmod: the umask may have taken the
 * owner's bits too, and the mode must be exactly 0600. */
static int fill_private(int fd, const char *text, size_t len)
{
	return fchmod(fd, 0600) == 0 && write_all(fd, text, len) == 0 && fsync(fd) == 0 ? 0 : -1;
}

int secret_file_write(const char *path, const char *text, size_t len, bool force, char *err, size_t errlen)
{
	if (!force) {
		int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0) {
			snprintf(err, errlen, "%s: %s%s", path, strerror(errno),
				 errno == EEXIST ? " (use --force to replace it)" : "");
			return -1;
		}
		int rc = fill_private(fd, text, len);
		int saved = errno;
		if (close(fd) != 0 && rc == 0) {
			rc = -1;
			saved = errno;
		}
		if (rc < 0) {
			unlink(path);
			snprintf(err, errlen, "%s: %s", path, strerror(saved));
		}
		return rc;
	}

	char tmp[PATH_MAX];
	int n = snprintf(tmp, sizeof tmp, "%s.XXXXXX", path);
	if (n < 0 || (size_t)n >= sizeof tmp) {
		snprintf(err, errlen, "%s: %s", path, strerror(ENAMETOOLONG));
		return -1;
	}
	int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		return -1;
	}
	int rc = fill_private(fd, text, len);
	int saved = errno;
	if (close(fd) != 0 && rc == 0) {
		rc = -1;
		saved = errno;
	}
	if (rc == 0 && rename(tmp, path) != 0) {
		rc = -1;
		saved = errno;
	}
	if (rc < 0) {
		unlink(tmp);
		snprintf(err, errlen, "%s: %s", path, strerror(saved));
	}
	return rc;
}

int keyfile_write(const char *path, const uint8_t seed[32], bool force, char *err, size_t errlen)
{
	char line[LINE_LEN + 2]; /* newline and the NUL hex_encode writes */
	memcpy(line, KEYFILE_PREFIX, PREFIX_LEN);
	hex_encode(seed, 32, line + PREFIX_LEN);
	line[LINE_LEN] = '\n';
	int rc = secret_file_write(path, line, LINE_LEN + 1, force, err, errlen);
	OPENSSL_cleanse(line, sizeof line);
	return rc;
}

/* Reads at most cap bytes; *len = how many. A file longer than cap gives
 * *len = cap + 1 (it is not a key file anyway). */
static int read_bounded(int fd, char *buf, size_t cap, size_t *len)
{
	size_t have = 0;
	for (;;) {
		char extra;
		char *into = have < cap ? buf + have : &extra;
		ssize_t r = read(fd, into, have < cap ? cap - have : 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0 || have >= cap) {
			*len = have + (r > 0 ? 1 : 0);
			return 0;
		}
		have += (size_t)r;
	}
}

int keyfile_read(const char *path, uint8_t seed[32], char *err, size_t errlen)
{
	/* O_NONBLOCK: a FIFO named by mistake must not hang the command. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	struct stat st;
	if (fstat(fd, &st) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		close(fd);
		return -1;
	}
	if (st.st_mode & 077)
		fprintf(stderr, "kezctl: warning: %s is open to other users (chmod 600 it)\n", path);

	char text[LINE_LEN + 1];
	size_t len = 0;
	int rc = read_bounded(fd, text, sizeof text, &len);
	if (rc < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
	} else {
		bool one_line = len == LINE_LEN || (len == LINE_LEN + 1 && text[LINE_LEN] == '\n');
		if (!one_line || memcmp(text, KEYFILE_PREFIX, PREFIX_LEN) != 0 ||
		    hex_decode_lower(text + PREFIX_LEN, 64, seed, 32) < 0) {
			snprintf(err, errlen, "%s: not a kezctl key file (expected one line '" KEYFILE_PREFIX
				 "<64 lowercase hex>')", path);
			rc = -1;
		}
	}
	OPENSSL_cleanse(text, sizeof text);
	close(fd);
	return rc;
}
