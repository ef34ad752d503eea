/* Each child's confinement once it has opened what it needs: Landlock for
 * the file opens of the workers and the nats client, a seccomp-bpf allow-list per role (libseccomp,
 * the lists in seccomp_policy.c), and for the verifier an empty root and no
 * core dumps. A sanitizer build leaves seccomp off (its runtime needs far
 * more system calls) and says so in the log. */
#ifndef KEZ_SANDBOX_H
#define KEZ_SANDBOX_H

#include <stdbool.h>

enum sandbox_role { SANDBOX_VERIFIER, SANDBOX_WORKER, SANDBOX_WRITER, SANDBOX_NATS };

struct child_context;

/* The verifier, still root (when started as root): chroot into an empty
 * directory that no longer exists, so nothing can ever be created in it.
 * Also: not dumpable, no core files. 0, or -1 after logging why. */
int  sandbox_confine_verifier(void);
/* Confines the calling child as ctx->sandbox says: Landlock rules for the
 * worker and the nats client (where the kernel has Landlock), then the
 * role's seccomp filter.
 * Called after child_drop_privileges(). 0, or -1 after logging why. */
int  sandbox_enter(const struct child_context *ctx);
/* Warms up the libraries whose first use opens files (OpenSSL's config,
 * jansson's hash seed), so that they never need to once confined. */
void sandbox_preload_libraries(void);

#ifdef KEZ_TEST_HOOKS
/* Test builds only (src/probes): run by sandbox_enter() once confined. */
void sandbox_probe(const struct child_context *ctx);
#endif

#endif
