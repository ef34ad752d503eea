#include "common/proc/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "common/kez/ed25519.h"
#include "common/base/log.h"

void sandbox_preload_libraries(void)
{
	OPENSSL_init_crypto(OPENSSL_INIT_LOAD_CONFIG, NULL);
	uint8_t seed[32] = { 1 }, pub[32], sig[64];
	if (ed25519_public_key(seed, pub) == 0 && ed25519_sign(seed, pub, sizeof pub, sig) == 0)
		(void)ed25519_verify(pub, pub, sizeof pub, sig);
	json_object_seed(0);
}

int sandbox_confine_verifier(void)
{
	struct rlimit none = { 0, 0 };
	if (setrlimit(RLIMIT_CORE, &none) < 0 || prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) {
		log_error("cannot turn core dumps off: %s", strerror(errno));
		return -1;
	}
#ifdef KEZ_SANITIZE
	/* The leak checker reads /proc when the process exits. */
	log_info("the verifier keeps the file system view in this sanitizer build");
	return 0;
#endif
	char dir[] = "/tmp/kez-verifier-XXXXXX";
	if (!mkdtemp(dir) || chdir(dir) < 0 || rmdir(dir) < 0) {
		log_error("cannot make the verifier's empty root: %s", strerror(errno));
		return -1;
	}
	if (chroot(".") < 0 || chdir("/") < 0) {
		/* Root, or CAP_SYS_CHROOT (systemd's AmbientCapabilities), is needed. */
		if (errno == EPERM && geteuid() != 0) {
			log_debug("no chroot without root or CAP_SYS_CHROOT (seccomp still applies)");
			return chdir("/") < 0 ? -1 : 0;
		}
		log_error("cannot confine the verifier to an empty root: %s", strerror(errno));
		return -1;
	}
	return 0;
}

#ifndef KEZ_SANITIZE
/* The verifier's registry reads (LMDB, opened before confinement) need
 * nothing beyond these: pages are read from the map, the reader slot is
 * taken at open; fcntl, futex and mmap cover its locks and a grown map. */
static const char *const common_calls[] = {
	"read", "write", "writev", "close", "exit", "exit_group", "rt_sigreturn", "rt_sigprocmask",
	"futex", "clock_gettime", "clock_nanosleep", "nanosleep", "gettimeofday", "time", "getpid", "gettid",
	"brk", "mmap", "munmap", "mremap", "madvise", "mprotect", "epoll_wait", "epoll_pwait", "epoll_ctl",
	"recvmsg", "sendmsg", "recvfrom", "sendto", "getrandom", "fstat", "newfstatat", "restart_syscall",
	"sched_yield", "poll", "ppoll", "fcntl",
};
static const char *const worker_calls[] = {
	"accept4", "shutdown", "setsockopt", "getsockopt", "sendfile", "readlink", "readlinkat", "lseek",
	"pread64",
};
static const char *const writer_calls[] = {
	"pwrite64", "pwritev", "pwritev2", "pread64", "lseek", "fsync", "fdatasync", "msync", "ftruncate",
	"fallocate",
};

static int allow(scmp_filter_ctx ctx, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int nr = seccomp_syscall_resolve_name(names[i]);
		if (nr != __NR_SCMP_ERROR && seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0) < 0)
			return -1;
	}
	return 0;
}

#define ALLOW(ctx, list) allow(ctx, list, sizeof list / sizeof list[0])
#endif

int sandbox_enter(enum sandbox_role role)
{
#ifdef KEZ_SANITIZE
	static const char *const names[] = { "verifier", "worker", "writer" };
	log_info("seccomp filter for the %s is off in this sanitizer build", names[role]);
	return 0;
#else
	/* Anything not listed fails with EPERM: an error, not a crash. */
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
	if (!ctx) {
		log_error("seccomp_init failed");
		return -1;
	}
	int rc = ALLOW(ctx, common_calls);
	if (rc == 0 && role == SANDBOX_WORKER) {
		rc = ALLOW(ctx, worker_calls);
		/* Files only for reading: the web app. The registry is mapped
		 * read-only already; nothing here may open it for writing. */
		if (rc == 0)
			rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(openat), 1,
					      SCMP_A2(SCMP_CMP_MASKED_EQ, O_ACCMODE | O_CREAT | O_TRUNC, 0));
		/* openat2's flags sit behind a pointer the filter cannot read:
		 * refuse it, and the static-file code falls back to openat. */
		if (rc == 0)
			rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), seccomp_syscall_resolve_name("openat2"), 0);
	}
	if (rc == 0 && role == SANDBOX_WRITER)
		rc = ALLOW(ctx, writer_calls);
	if (rc == 0)
		rc = seccomp_load(ctx);
	seccomp_release(ctx);
	if (rc < 0) {
		log_error("cannot load the seccomp filter: %s", strerror(-rc));
		return -1;
	}
	return 0;
#endif
}

#ifdef KEZ_TEST_HOOKS
#include <sys/socket.h>

void sandbox_test_probe(const char *role, const char *db_path)
{
	if (!getenv("KEZ_TEST_PROBE"))
		return;
	int fd = open("/etc/passwd", O_RDONLY | O_CLOEXEC);
	log_info("probe %s: open /etc/passwd: %s", role, fd >= 0 ? "opened" : strerror(errno));
	if (fd >= 0)
		close(fd);
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	log_info("probe %s: socket: %s", role, s >= 0 ? "created" : strerror(errno));
	if (s >= 0)
		close(s);
	if (db_path) {
		fd = open(db_path, O_RDWR | O_CLOEXEC);
		log_info("probe %s: open registry for writing: %s", role, fd >= 0 ? "opened" : strerror(errno));
		if (fd >= 0)
			close(fd);
	}
}
#endif
