#include "kezctl/keyfile.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <sys/stat.h>
#include <string.h>
#include <unistd.h>

#include "common/key_text.h"

int keyfile_write(const char *path, const uint8_t seed[32], bool force, char *err, size_t errlen)
{
	char line[sizeof KEYFILE_PREFIX + 64 + 1];
	memcpy(line, KEYFILE_PREFIX, sizeof KEYFILE_PREFIX - 1);
	hex_encode(seed, 32, line + sizeof KEYFILE_PREFIX - 1);
	size_t n = strlen(line);
	line[n++] = '\n';
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (force ? O_TRUNC : O_EXCL), 0600);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s%s", path, strerror(errno),
			 errno == EEXIST ? " (use --force to replace it)" : "");
		return -1;
	}
	/* An existing file keeps its old mode on O_TRUNC: make it private too. */
	int rc = fchmod(fd, 0600) == 0 && write(fd, line, n) == (ssize_t)n && fsync(fd) == 0 ? 0 : -1;
	if (rc < 0)
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
	close(fd);
	OPENSSL_cleanse(line, sizeof line);
	return rc;
}

int keyfile_read(const char *path, uint8_t seed[32], char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	char line[256];
	int rc = -1;
	if (fgets(line, sizeof line, f)) {
		size_t n = strcspn(line, "\r\n");
		size_t prefix = sizeof KEYFILE_PREFIX - 1;
		if (n == prefix + 64 && memcmp(line, KEYFILE_PREFIX, prefix) == 0 &&
		    hex_decode_lower(line + prefix, 64, seed, 32) == 0)
			rc = 0;
	}
	if (rc < 0)
		snprintf(err, errlen, "%s: not a kezctl key file (expected one line '" KEYFILE_PREFIX "<64 hex>')", path);
	OPENSSL_cleanse(line, sizeof line);
	fclose(f);
	return rc;
}
