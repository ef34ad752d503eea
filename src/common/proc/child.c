#include "common/proc/child.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <sys/syscall.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "common/base/log.h"

static volatile int stop_requested;
static pid_t        parent_pid; /* 0 until child_die_with_parent() */

static void on_stop_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

volatile int *child_stop_flag(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	/* Ctrl-C and a terminal hangup reach the whole process group; only the
	 * master acts on them, and stops its children in order (workers first,
	 * while the verifier and the writer still answer them). */
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	/* The master blocks these to read them from a signalfd; children inherit
	 * the mask and must take them back. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGQUIT);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	return &stop_requested;
}

/* A child outliving the master would keep the port, the registry's write
 * lock and an unsupervised sandbox: it goes with the master instead. */
void child_die_with_parent(pid_t parent)
{
	parent_pid = parent;
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0) {
		log_error("PR_SET_PDEATHSIG: %s", strerror(errno));
		_exit(CHILD_EXIT_STARTUP);
	}
	/* The master may have died before the signal was armed. */
	if (getppid() != parent)
		_exit(CHILD_EXIT_STARTUP);
}

void child_wipe_nats_password(const struct config *cfg)
{
	/* The bytes live in the copies of argv and environ proctitle_init made;
	 * they are writable, and the configuration only points at them. */
	char *flag = (char *)cfg->nats_password;
	char *env = getenv("KEZ_CHAT_NATS_PASSWORD");
	if (flag)
		explicit_bzero(flag, strlen(flag));
	if (env && env != flag)
		explicit_bzero(env, strlen(env));
}

int child_drop_privileges(const struct config *cfg)
{
	if (cfg->has_run_user) {
		uid_t uid = cfg->run_uid;
		gid_t gid = cfg->run_gid;
		if (geteuid() == 0) {
			if (setgroups(1, &gid) < 0 || setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0) {
				log_error("cannot become user '%s': %s", cfg->user, strerror(errno));
				return -1;
			}
			/* Proof, not trust: getting root back must now fail. */
			if (setuid(0) == 0) {
				log_error("privileges could be regained after dropping them");
				return -1;
			}
		} else if (geteuid() != uid) {
			log_error("--user %s needs the server to start as root", cfg->user);
			return -1;
		}
	}
	/* Capabilities given to an unprivileged start (systemd's ambient
	 * CAP_SYS_CHROOT for the verifier) end here too. */
	struct __user_cap_header_struct head = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct none[2];
	memset(none, 0, sizeof none);
	(void)prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	if (syscall(SYS_capset, &head, none) < 0) {
		log_error("cannot drop capabilities: %s", strerror(errno));
		return -1;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		log_error("PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
		return -1;
	}
	/* The kernel clears the parent-death signal when the user changes. */
	if (parent_pid)
		child_die_with_parent(parent_pid);
	return 0;
}
