/* kez-chat-server: the master process. It reads the configuration, opens the
 * listening socket, and forks the writer, the verifier and the workers. */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/config/config.h"
#include "common/base/log.h"
#include "common/kez/handle.h"
#include "common/nats/nats_keys.h"
#include "common/proc/proctitle.h"
#include "common/proc/shared_state.h"
#include "master/check.h"
#include "master/listener.h"
#include "master/supervisor.h"

/* Root is only for opening things; the processes that touch client data must
 * not keep it. */
static void check_user(struct config *cfg)
{
	if (geteuid() == 0 && !cfg->user) {
		fprintf(stderr, KEZ_NAME ": --user: refusing to run as root without it; name an "
				"unprivileged user (e.g. --user nobody)\n");
		exit(2);
	}
	if (!cfg->user)
		return;
	struct passwd *pw = getpwnam(cfg->user);
	if (!pw) {
		fprintf(stderr, KEZ_NAME ": --user: no such user '%s'\n", cfg->user);
		exit(2);
	}
	if (geteuid() != 0 && geteuid() != pw->pw_uid) {
		fprintf(stderr, KEZ_NAME ": --user: becoming '%s' needs the server to start as root\n",
			cfg->user);
		exit(2);
	}
	if (pw->pw_uid == 0) {
		fprintf(stderr, KEZ_NAME ": --user: '%s' is root; name an unprivileged user\n", cfg->user);
		exit(2);
	}
	cfg->has_run_user = true;
	cfg->run_uid = pw->pw_uid;
	cfg->run_gid = pw->pw_gid;
}

/* The registry's place, judged before anything starts, so that a wrong
 * path is one clear line rather than a child that dies at once. The writer
 * still opens (and reports on) the file itself. */
static void check_db_path(const struct config *cfg)
{
	char dir[4096];
	snprintf(dir, sizeof dir, "%s", cfg->db_path);
	char *slash = strrchr(dir, '/');
	if (!slash)
		snprintf(dir, sizeof dir, ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	struct stat st;
	char why[4200] = "";
	if (stat(dir, &st) < 0)
		snprintf(why, sizeof why, errno == ENOENT ? "directory '%s' does not exist" : "directory '%s': %s", dir,
			 strerror(errno));
	else if (!S_ISDIR(st.st_mode))
		snprintf(why, sizeof why, "'%s' is not a directory", dir);
	else if (stat(cfg->db_path, &st) == 0 && !S_ISREG(st.st_mode))
		snprintf(why, sizeof why, "it is not a regular file");
	else if (stat(cfg->db_path, &st) < 0 && access(dir, W_OK | X_OK) < 0)
		snprintf(why, sizeof why, "directory '%s' is not writable", dir);
	if (why[0]) {
		fprintf(stderr, KEZ_NAME ": --db: cannot use '%s': %s\n", cfg->db_path, why);
		exit(1);
	}
}

/* What the children need beyond the flags: the reserved handles and the
 * NATS seeds, read here so that a bad file is one line before anything
 * starts (exit 2, like a bad flag; --check says 1: a file, not a flag). */
static void load_inputs(const struct config *cfg, struct reserved_list *reserved, struct nats_keys *keys)
{
	char err[512];
	int bad = cfg->check_only ? 1 : 2;
	if (reserved_list_init(reserved) < 0) {
		fprintf(stderr, KEZ_NAME ": out of memory\n");
		exit(1);
	}
	if (cfg->reserved_file && reserved_list_load(reserved, cfg->reserved_file, err, sizeof err) < 0) {
		fprintf(stderr, KEZ_NAME ": --reserved: %s: %s\n", cfg->reserved_file, err);
		exit(bad);
	}
	const char *flag;
	if (nats_keys_load(keys, cfg, &flag, err, sizeof err) < 0) {
		fprintf(stderr, KEZ_NAME ": --%s: %s\n", flag, err);
		exit(bad);
	}
}

/* Every worker may hold --max-connections sockets: raise the soft limit to
 * what that needs, as far as the hard limit allows. */
static void raise_fd_limit(const struct config *cfg)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return;
	rlim_t want = (rlim_t)cfg->max_connections + 64 + 4 * cfg->workers;
	if (rl.rlim_cur >= want)
		return;
	rl.rlim_cur = want < rl.rlim_max ? want : rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur < want)
		log_warn("open-file limit is %llu; --max-connections %u may not be reachable",
			 (unsigned long long)rl.rlim_cur, cfg->max_connections);
}

int main(int argc, char **argv)
{
	proctitle_init(argc, argv);
	static struct config cfg;
	config_load(&cfg, argc, argv);
	static struct reserved_list reserved;
	static struct nats_keys keys;
	load_inputs(&cfg, &reserved, &keys);
	log_setup(cfg.log_level);
	check_user(&cfg);
	check_db_path(&cfg);
	if (cfg.check_only) {
		nats_keys_keep(&keys, false, false);
		reserved_list_free(&reserved);
		return check_run(&cfg);
	}
	log_set_process("master");
	proctitle_set("master");
	raise_fd_limit(&cfg);

	int listen_fd = listener_open(&cfg);
	if (listen_fd < 0)
		return 1;
	struct shared_state *state = shared_state_create();
	if (!state) {
		log_error("cannot map the shared state page: %s", strerror(errno));
		return 1;
	}
	log_info(KEZ_NAME " " KEZ_VERSION " starting: server %s, registry %s, %u workers", cfg.server,
		 cfg.db_path, cfg.workers);
	int rc = supervisor_run(&cfg, &keys, &reserved, listen_fd, state);
	nats_keys_keep(&keys, false, false);
	reserved_list_free(&reserved);
	return rc;
}
