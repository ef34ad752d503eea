#include "common/proc/landlock.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/base/log.h"

/* Rights newer than this system's header, by ABI version. */
#ifndef LANDLOCK_ACCESS_FS_REFER
#define LANDLOCK_ACCESS_FS_REFER (1ULL << 13)
#endif
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15)
#endif

/* ABI 1's file-system rights: everything but these few is refused. */
#define FS_ABI1 ((1ULL << 13) - 1)
#define FS_READ_FILE (LANDLOCK_ACCESS_FS_READ_FILE)
#define FS_READ_TREE (LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR)

static uint64_t handled_rights(long abi)
{
	uint64_t fs = FS_ABI1;
	if (abi >= 2)
		fs |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		fs |= LANDLOCK_ACCESS_FS_TRUNCATE;
	if (abi >= 5)
		fs |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
	return fs;
}

static int add_rule(int ruleset, const struct landlock_path *p)
{
	int fd = open(p->path, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	struct landlock_path_beneath_attr rule = {
		.allowed_access = p->tree ? FS_READ_TREE : FS_READ_FILE,
		.parent_fd = fd,
	};
	long rc = syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &rule, 0);
	int saved = errno;
	close(fd);
	errno = saved;
	return rc < 0 ? -1 : 0;
}

int landlock_allow_reads(const struct landlock_path *paths, size_t n)
{
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	if (abi < 0) {
		/* Not built in, turned off at boot, or filtered (systemd's
		 * SystemCallFilter answers EPERM). */
		if (errno == ENOSYS || errno == EOPNOTSUPP || errno == EPERM)
			return 1;
		log_error("landlock: cannot read its version: %s", strerror(errno));
		return -1;
	}
	struct landlock_ruleset_attr attr = { .handled_access_fs = handled_rights(abi) };
	int ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof attr, 0);
	if (ruleset < 0) {
		log_error("landlock: cannot create a ruleset: %s", strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		if (paths[i].path && add_rule(ruleset, &paths[i]) < 0) {
			log_error("landlock: cannot allow '%s': %s", paths[i].path, strerror(errno));
			close(ruleset);
			return -1;
		}
	long rc = syscall(SYS_landlock_restrict_self, ruleset, 0);
	int saved = errno;
	close(ruleset);
	if (rc < 0) {
		log_error("landlock: cannot restrict this process: %s", strerror(saved));
		return -1;
	}
	return 0;
}
