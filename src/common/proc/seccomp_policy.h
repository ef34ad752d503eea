/* The seccomp allow-lists, one a role, and the action for anything else. */
#ifndef KEZ_SECCOMP_POLICY_H
#define KEZ_SECCOMP_POLICY_H

#include "common/proc/sandbox.h"

/* Loads the role's filter into the calling process (every thread of it).
 * 0, or -1 after logging why. */
int seccomp_policy_load(enum sandbox_role role);

#endif
