#include "common/proc/sandbox.h"

#include <errno.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "common/base/log.h"
#include "common/kez/ed25519.h"
#include "common/proc/child.h"
#include "common/proc/landlock.h"
#include "common/proc/seccomp_policy.h"

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
/* What the nats client reads at run time besides the registry: the
 * resolver's files for a host name in --nats-url, the libraries it may
 * load for that, and the system's CA certificates for tls://. */
static const struct landlock_path nats_system_paths[] = {
	{ "/etc/hosts", false }, { "/etc/resolv.conf", false }, { "/etc/nsswitch.conf", false },
	{ "/etc/host.conf", false }, { "/etc/gai.conf", false }, { "/etc/ssl", true },
	{ "/usr/lib/ssl", true }, { "/usr/share/ca-certificates", true },
	{ "/usr/local/share/ca-certificates", true }, { "/lib", true }, { "/lib64", true }, { "/usr/lib", true },
};

/* Landlock for the roles that may open files: the worker reads the web app
 * and, at start, the registry; the nats client the registry and the system
 * paths above. Neither can open a seed or password file the configuration
 * names. */
static int restrict_files(const struct child_context *ctx)
{
	const struct config *cfg = ctx->cfg;
	char lock[4200];
	int n = snprintf(lock, sizeof lock, "%s-lock", cfg->db_path);
	if (n < 0 || (size_t)n >= sizeof lock) {
		log_error("landlock: the registry path is too long");
		return -1;
	}
	size_t n_system = ctx->sandbox == SANDBOX_NATS ? sizeof nats_system_paths / sizeof nats_system_paths[0] : 0;
	struct landlock_path *paths = calloc(3 + n_system, sizeof *paths);
	if (!paths) {
		log_error("landlock: out of memory");
		return -1;
	}
	paths[0] = (struct landlock_path){ cfg->db_path, false };
	paths[1] = (struct landlock_path){ lock, false };
	paths[2] = (struct landlock_path){ ctx->sandbox == SANDBOX_WORKER ? cfg->web_dir : NULL, true };
	for (size_t i = 0; i < n_system; i++)
		paths[3 + i] = nats_system_paths[i];
	int rc = landlock_allow_reads(paths, 3 + n_system);
	free(paths);
	if (rc == 1 && ctx->index <= 1)
		log_warn("Landlock is not available in this kernel: the %s can open any file its seccomp "
			 "filter lets it read", ctx->role);
	return rc < 0 ? -1 : 0;
}
#endif

int sandbox_enter(const struct child_context *ctx)
{
#ifdef KEZ_SANITIZE
	/* The sanitizers read /proc, the binary and its libraries, and start a
	 * symbolizer: both layers stay off, and the log says so. */
	static const char *const names[] = { "verifier", "worker", "writer", "nats client" };
	log_info("seccomp filter for the %s is off in this sanitizer build%s", names[ctx->sandbox],
		 ctx->sandbox == SANDBOX_WORKER || ctx->sandbox == SANDBOX_NATS ? " (and Landlock)" : "");
#else
	if ((ctx->sandbox == SANDBOX_WORKER || ctx->sandbox == SANDBOX_NATS) && restrict_files(ctx) < 0)
		return -1;
	if (seccomp_policy_load(ctx->sandbox) < 0)
		return -1;
#endif
#ifdef KEZ_TEST_HOOKS
	sandbox_probe(ctx);
#endif
	return 0;
}
