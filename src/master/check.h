/* --check: what start-up reads beyond the flags, judged the way the
 * processes will use it, without binding, forking or writing. */
#ifndef KEZ_MASTER_CHECK_H
#define KEZ_MASTER_CHECK_H

#include "common/config/config.h"

/* The registry (opened read-only) and the web folder, after the flags, the
 * user, the registry's directory, the reserved list and the seeds passed in
 * main. Prints "configuration ok" and returns 0, or prints the first problem
 * on stderr (one line) and returns 1. */
int check_run(const struct config *cfg);

#endif
