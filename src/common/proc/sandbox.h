/* Each child's confinement once it has opened what it needs: a seccomp-bpf
 * allow-list per role (libseccomp), and for the verifier an empty root and no
 * core dumps. A sanitizer build leaves seccomp off (its runtime needs far
 * more system calls) and says so in the log. */
#ifndef KEZ_SANDBOX_H
#define KEZ_SANDBOX_H

#include <stdbool.h>

enum sandbox_role { SANDBOX_VERIFIER, SANDBOX_WORKER, SANDBOX_WRITER };

/* The verifier, still root (when started as root): chroot into an empty
 * directory that no longer exists, so nothing can ever be created in it.
 * Also: not dumpable, no core files. 0, or -1 after logging why. */
int  sandbox_confine_verifier(void);
/* Loads the role's seccomp filter. 0, or -1 after logging why. */
int  sandbox_enter(enum sandbox_role role);
/* Warms up the libraries whose first use opens files (OpenSSL's config,
 * jansson's hash seed), so that they never need to once confined. */
void sandbox_preload_libraries(void);

#ifdef KEZ_TEST_HOOKS
/* Test builds only: with KEZ_TEST_PROBE set, a confined process tries what
 * its sandbox must refuse and logs each outcome. */
void sandbox_test_probe(const char *role, const char *db_path);
#else
static inline void sandbox_test_probe(const char *role, const char *db_path) { (void)role; (void)db_path; }
#endif

#endif
