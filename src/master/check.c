#include "master/check.h"

#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/kez/registry.h"

/* What a check of the files found. */
enum { CHECK_OK = 0, CHECK_PROBLEM = 1, CHECK_OK_NO_REGISTRY = 2 };

/* An existing registry opens read-only as a worker opens it. LMDB makes the
 * lock file beside it when there is none; a check run as root must not
 * leave one the server's user cannot open, so a lock it made goes again
 * (a server that is running keeps its lock file, and the check leaves it). */
static int check_registry(const struct config *cfg)
{
	struct stat st;
	if (stat(cfg->db_path, &st) < 0) {
		if (errno != ENOENT) {
			fprintf(stderr, KEZ_NAME ": --db: cannot use '%s': %s\n", cfg->db_path, strerror(errno));
			return CHECK_PROBLEM;
		}
		return CHECK_OK_NO_REGISTRY; /* main checked that its directory takes a new file */
	}
	char lock_path[4200];
	int n = snprintf(lock_path, sizeof lock_path, "%s-lock", cfg->db_path);
	if (n < 0 || (size_t)n >= sizeof lock_path) {
		fprintf(stderr, KEZ_NAME ": --db: cannot use '%.200s...': %s\n", cfg->db_path, strerror(ENAMETOOLONG));
		return 1;
	}
	bool lock_existed = stat(lock_path, &st) == 0;
	struct registry r;
	char err[4400];
	int rc = registry_open(&r, cfg->db_path, cfg->map_size, false, err, sizeof err);
	if (rc == 0)
		registry_close(&r);
	if (!lock_existed && unlink(lock_path) < 0 && errno != ENOENT) {
		fprintf(stderr, KEZ_NAME ": --db: cannot remove the lock file '%s' this check made: %s\n", lock_path,
			strerror(errno));
		return CHECK_PROBLEM;
	}
	if (rc < 0) {
		fprintf(stderr, KEZ_NAME ": --db: %s\n", err);
		return CHECK_PROBLEM;
	}
	return CHECK_OK;
}

/* The workers serve from it: a folder this user can list and enter. */
static int check_web_dir(const struct config *cfg)
{
	if (!cfg->web_dir)
		return 0;
	struct stat st;
	const char *why = NULL;
	if (stat(cfg->web_dir, &st) < 0)
		why = strerror(errno);
	else if (!S_ISDIR(st.st_mode))
		why = "it is not a directory";
	else if (access(cfg->web_dir, R_OK | X_OK) < 0)
		why = strerror(errno);
	if (!why) {
		DIR *d = opendir(cfg->web_dir);
		if (!d)
			why = strerror(errno);
		else if (closedir(d) < 0)
			why = strerror(errno);
	}
	if (why) {
		fprintf(stderr, KEZ_NAME ": --web-dir: cannot serve '%s': %s\n", cfg->web_dir, why);
		return CHECK_PROBLEM;
	}
	return CHECK_OK;
}

/* A worker opens the web folder before it drops to --user, but opens every
 * file in it as that user, which must be able to enter it: a check started
 * as root judges it as that user, its effective user and groups switched
 * for the check (the saved root IDs bring them back; nothing is forked).
 * The registry is opened before the drop, as the check opens it. */
static int check_web_dir_as_server_user(const struct config *cfg)
{
	if (!cfg->has_run_user || geteuid() != 0)
		return check_web_dir(cfg);
	int n = getgroups(0, NULL);
	gid_t *groups = n >= 0 ? calloc((size_t)n + 1, sizeof *groups) : NULL;
	gid_t gid = cfg->run_gid, egid = getegid();
	if (!groups || getgroups(n, groups) != n || setgroups(1, &gid) < 0 || setegid(gid) < 0 ||
	    seteuid(cfg->run_uid) < 0) {
		fprintf(stderr, KEZ_NAME ": cannot check as user '%s': %s\n", cfg->user, strerror(errno));
		free(groups);
		return CHECK_PROBLEM;
	}
	int rc = check_web_dir(cfg);
	if (seteuid(0) < 0 || setegid(egid) < 0 || setgroups((size_t)n, groups) < 0) {
		fprintf(stderr, KEZ_NAME ": cannot become root again after checking as '%s': %s\n", cfg->user,
			strerror(errno));
		rc = CHECK_PROBLEM;
	}
	free(groups);
	return rc;
}

int check_run(const struct config *cfg)
{
	int rc = check_registry(cfg);
	if (rc == CHECK_PROBLEM || check_web_dir_as_server_user(cfg) != CHECK_OK)
		return 1;
	bool missing = rc == CHECK_OK_NO_REGISTRY;
	/* not a problem, but worth a word: a wrong path would start empty */
	if (missing)
		fprintf(stderr, KEZ_NAME ": note: --db: '%s' does not exist yet; the server creates it at start\n",
			cfg->db_path);
	if (puts("configuration ok") < 0 || fflush(stdout) != 0) {
		fprintf(stderr, KEZ_NAME ": cannot write to stdout: %s\n", strerror(errno));
		return 1;
	}
	return 0;
}
