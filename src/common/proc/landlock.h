/* Landlock (Linux 5.13+): file access narrowed to a few paths, for good,
 * in the calling process and everything it may start. */
#ifndef KEZ_LANDLOCK_H
#define KEZ_LANDLOCK_H

#include <stdbool.h>
#include <stddef.h>

struct landlock_path {
	const char *path;
	bool        tree; /* a directory whose files may be read, rather than one file */
};

/* Refuses every file access but reading the files listed (and what lies
 * beneath a tree). Paths that do not exist are skipped. Needs
 * PR_SET_NO_NEW_PRIVS. 0 when applied, 1 when the kernel has no Landlock
 * (nothing changed), -1 after logging why. */
int landlock_allow_reads(const struct landlock_path *paths, size_t n);

#endif
