#include "common/proc/seccomp_policy.h"

#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stddef.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "common/base/log.h"

/* What every confined process does: its sockets and epoll, memory, time,
 * signals on the way out. mmap and mprotect are added per role (the
 * verifier may not make memory executable). */
static const char *const common_calls[] = {
	"read", "write", "writev", "close", "exit", "exit_group", "rt_sigreturn", "rt_sigprocmask",
	"futex", "clock_gettime", "clock_nanosleep", "nanosleep", "gettimeofday", "time", "getpid", "gettid",
	"brk", "munmap", "mremap", "madvise", "epoll_wait", "epoll_pwait", "epoll_ctl",
	"recvmsg", "sendmsg", "recvfrom", "sendto", "getrandom", "fstat", "newfstatat", "restart_syscall",
	"sched_yield", "poll", "ppoll", "fcntl",
};
/* The verifier: only what computing over its socketpairs needs. Anything
 * else kills it (the master logs that and starts a new one). */
static const char *const verifier_calls[] = {
	NULL, /* nothing beyond the common list yet */
};
static const char *const worker_calls[] = {
	"accept4", "shutdown", "setsockopt", "getsockopt", "sendfile", "readlink", "readlinkat", "lseek",
	"pread64", "memfd_create", /* rendered sigchain bodies (worker/chain_cache.c) */
};
static const char *const writer_calls[] = {
	"pwrite64", "pwritev", "pwritev2", "pread64", "lseek", "fsync", "fdatasync", "msync", "ftruncate",
	"fallocate",
};
/* The nats client: libnats's threads, its TCP connection to the broker
 * (reconnects included), and the resolver for a host name in --nats-url. */
static const char *const nats_calls[] = {
	"clone", "clone3", "set_robust_list", "rseq", "rt_sigaction", "socket", "connect", "getsockopt",
	"setsockopt", "getsockname", "getpeername", "shutdown", "sendmmsg", "lseek", "pread64", "uname",
};

struct policy {
	uint32_t           otherwise;   /* the action for a call on no list */
	const char *const *calls;
	size_t             n_calls;
	bool               exec_memory; /* may map or protect memory as executable */
	bool               read_opens;  /* may open files, for reading only */
	bool               fionread;    /* may ask how much a socket holds (the resolver) */
};

#define LIST(l) .calls = l, .n_calls = sizeof l / sizeof l[0]

static const struct policy policies[] = {
	[SANDBOX_VERIFIER] = { .otherwise = SCMP_ACT_KILL_PROCESS, LIST(verifier_calls) },
	[SANDBOX_WORKER] = { .otherwise = SCMP_ACT_ERRNO(EPERM), LIST(worker_calls), .exec_memory = true,
			     .read_opens = true },
	[SANDBOX_WRITER] = { .otherwise = SCMP_ACT_ERRNO(EPERM), LIST(writer_calls), .exec_memory = true },
	[SANDBOX_NATS] = { .otherwise = SCMP_ACT_ERRNO(EPERM), LIST(nats_calls), .exec_memory = true,
			   .read_opens = true, .fionread = true },
};

/* Each returns 0 or libseccomp's -errno. */
static int allow(scmp_filter_ctx ctx, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!names[i])
			continue;
		int nr = seccomp_syscall_resolve_name(names[i]);
		int rc = nr == __NR_SCMP_ERROR ? 0 : seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int allow_memory(scmp_filter_ctx ctx, bool exec)
{
	if (exec) {
		int rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 0);
		return rc < 0 ? rc : seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 0);
	}
	int rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1, SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	return rc < 0 ? rc
		      : seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
					 SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
}

static int allow_read_opens(scmp_filter_ctx ctx)
{
	/* Only for reading: the registry is mapped read-only already, and
	 * nothing here may open it, or anything, for writing. */
	int rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(openat), 1,
				  SCMP_A2(SCMP_CMP_MASKED_EQ, O_ACCMODE | O_CREAT | O_TRUNC, 0));
	/* openat2's flags sit behind a pointer the filter cannot read: refuse
	 * it, and callers fall back to openat. */
	return rc < 0 ? rc : seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(openat2), 0);
}

int seccomp_policy_load(enum sandbox_role role)
{
	const struct policy *p = &policies[role];
	scmp_filter_ctx ctx = seccomp_init(p->otherwise);
	if (!ctx) {
		log_error("seccomp_init failed");
		return -1;
	}
	/* Every thread, should a library have started one already. */
	int rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
	if (rc == 0)
		rc = allow(ctx, common_calls, sizeof common_calls / sizeof common_calls[0]);
	if (rc == 0)
		rc = allow(ctx, p->calls, p->n_calls);
	if (rc == 0)
		rc = allow_memory(ctx, p->exec_memory);
	if (rc == 0 && p->read_opens)
		rc = allow_read_opens(ctx);
	if (rc == 0 && p->fionread)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1, SCMP_A1(SCMP_CMP_EQ, FIONREAD));
	if (rc == 0)
		rc = seccomp_load(ctx);
	seccomp_release(ctx);
	if (rc < 0) {
		log_error("cannot load the seccomp filter: %s", strerror(-rc));
		return -1;
	}
	return 0;
}
