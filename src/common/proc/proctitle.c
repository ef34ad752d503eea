#include "common/proc/proctitle.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

extern char **environ;

static char  *title_area;
static size_t title_size;

void proctitle_init(int argc, char **argv)
{
	if (argc < 1 || !argv[0])
		return;
	/* The argv strings and then the environment strings are contiguous: all
	 * of it can hold the title once both live elsewhere. */
	char *area = argv[0];
	char *end = argv[argc - 1] + strlen(argv[argc - 1]) + 1;
	size_t n_env = 0;
	for (char **e = environ; *e; e++, n_env++)
		if (*e == end)
			end = *e + strlen(*e) + 1;
	char **env_copy = calloc(n_env + 1, sizeof *env_copy);
	if (!env_copy)
		return;
	for (size_t i = 0; i < n_env; i++)
		if (!(env_copy[i] = strdup(environ[i])))
			return;
	/* argv is read again later (getopt): it moves too. */
	for (int i = 0; i < argc; i++)
		if (!(argv[i] = strdup(argv[i])))
			return;
	environ = env_copy;
	title_area = area;
	title_size = (size_t)(end - area);
}

void proctitle_set(const char *role)
{
	char title[128];
	snprintf(title, sizeof title, "kez-chat-server: %s", role);
	char comm[16];
	snprintf(comm, sizeof comm, "kez %s", role);
	prctl(PR_SET_NAME, comm, 0, 0, 0);
	if (!title_area || title_size < 2)
		return;
	size_t n = strlen(title);
	if (n >= title_size)
		n = title_size - 1;
	memcpy(title_area, title, n);
	memset(title_area + n, 0, title_size - n);
}
