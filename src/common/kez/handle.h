/* Handle rules (API.md §3, check 9) and the reserved list (check 10). */
#ifndef KEZ_HANDLE_H
#define KEZ_HANDLE_H

#include <stdbool.h>
#include <stddef.h>

#define HANDLE_MIN_LEN 3
#define HANDLE_MAX_LEN 32

/* 3–32 bytes of a-z 0-9 _ -, the first a letter or digit. */
bool handle_is_valid(const char *s, size_t len);

/* Built-in reserved handles plus the operator's additions. */
struct reserved_list {
	char  (*names)[HANDLE_MAX_LEN + 1]; /* sorted, NUL-terminated */
	size_t count;
};

/* Fills `list` with the built-in names. 0, or -1 out of memory. */
int  reserved_list_init(struct reserved_list *list);
/* Adds the names in `path` (one a line, '#' starts a comment, blank lines and
 * surrounding white space ignored, names lowercased). A name that breaks the
 * handle rules is an error. 0, or -1 with a one-line reason in err
 * ("line 3: 'x' is not a valid handle", "cannot open: No such file ..."). */
int  reserved_list_load(struct reserved_list *list, const char *path, char *err, size_t errlen);
bool reserved_list_contains(const struct reserved_list *list, const char *s, size_t len);
void reserved_list_free(struct reserved_list *list);

#endif
