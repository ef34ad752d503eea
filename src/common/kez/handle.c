#include "common/kez/handle.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const builtin_reserved[] = {
	"admin", "administrator", "root", "system", "sys", "support", "help", "info", "abuse",
	"postmaster", "hostmaster", "webmaster", "security", "noreply", "no-reply", "kez", "kezchat",
	"api", "www", "mail", "nats", "server", "null", "undefined", "anonymous", "moderator", "mod",
	"staff", "official", "everyone",
};

/* A reserved-names file is a short list typed by a person: a longer line
 * is a mistake (or not that file at all), not something to split. */
#define RESERVED_LINE_MAX 1024

/* ASCII only, by hand: the rules must not move with the locale. */
static bool is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

bool handle_is_valid(const char *s, size_t len)
{
	if (!s || len < HANDLE_MIN_LEN || len > HANDLE_MAX_LEN || !is_lower_alnum(s[0]))
		return false;
	for (size_t i = 1; i < len; i++)
		if (!is_lower_alnum(s[i]) && s[i] != '_' && s[i] != '-')
			return false;
	return true;
}

/* --- the list: a sorted array of fixed-size names, searched by bsearch --- */

static int compare_names(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Room for `count` names: powers of two from 64, so n additions cost
 * O(log n) reallocations. */
static size_t capacity_for(size_t count)
{
	size_t cap = 64;
	while (cap < count)
		cap *= 2;
	return cap;
}

/* Appends without sorting; sort_and_dedupe restores the order. */
static int append_name(struct reserved_list *list, const char *name, size_t len)
{
	if (len > HANDLE_MAX_LEN || list->count >= SIZE_MAX / 2 / sizeof *list->names)
		return -1;
	if (list->count == 0 || capacity_for(list->count + 1) > capacity_for(list->count)) {
		char (*grown)[HANDLE_MAX_LEN + 1] = realloc(list->names, capacity_for(list->count + 1) * sizeof *list->names);
		if (!grown)
			return -1;
		list->names = grown;
	}
	memcpy(list->names[list->count], name, len);
	list->names[list->count][len] = '\0';
	list->count++;
	return 0;
}

static void sort_and_dedupe(struct reserved_list *list)
{
	if (list->count < 2)
		return;
	qsort(list->names, list->count, sizeof *list->names, compare_names);
	size_t kept = 1;
	for (size_t i = 1; i < list->count; i++)
		if (strcmp(list->names[i], list->names[kept - 1]) != 0) {
			if (kept != i)
				memcpy(list->names[kept], list->names[i], sizeof *list->names);
			kept++;
		}
	list->count = kept;
}

int reserved_list_init(struct reserved_list *list)
{
	list->names = NULL;
	list->count = 0;
	for (size_t i = 0; i < sizeof builtin_reserved / sizeof builtin_reserved[0]; i++) {
		if (append_name(list, builtin_reserved[i], strlen(builtin_reserved[i])) < 0) {
			reserved_list_free(list);
			return -1;
		}
	}
	sort_and_dedupe(list);
	return 0;
}

/* --- the operator's file --- */

/* Reads one line without its '\n' into line[0..RESERVED_LINE_MAX). 1 for a
 * line, 0 at the end of the file, -1 for a line that is too long. NUL bytes
 * are kept (and later make the name invalid). */
static int read_line(FILE *f, char *line, size_t *len)
{
	size_t n = 0;
	int c;
	while ((c = getc(f)) != EOF && c != '\n') {
		if (n == RESERVED_LINE_MAX)
			return -1;
		line[n++] = (char)c;
	}
	*len = n;
	return c == EOF && n == 0 ? 0 : 1;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* The name as it may appear in a one-line error: printable ASCII, short. */
static void printable(const char *s, size_t len, char out[44])
{
	size_t o = 0;
	for (size_t i = 0; i < len && o < 40; i++)
		out[o++] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	if (len > 40) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
}

int reserved_list_load(struct reserved_list *list, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "cannot open: %s", strerror(errno));
		return -1;
	}
	const size_t count_before = list->count;
	char line[RESERVED_LINE_MAX];
	size_t len;
	unsigned long lineno = 0;
	int rc = 0, got;
	while (rc == 0 && (got = read_line(f, line, &len)) != 0) {
		lineno++;
		if (got < 0) {
			snprintf(err, errlen, "line %lu is longer than %d bytes", lineno, RESERVED_LINE_MAX);
			rc = -1;
			break;
		}
		const char *hash = memchr(line, '#', len);
		size_t end = hash ? (size_t)(hash - line) : len, start = 0;
		while (start < end && is_blank(line[start]))
			start++;
		while (end > start && is_blank(line[end - 1]))
			end--;
		if (start == end)
			continue;
		char *name = line + start;
		size_t name_len = end - start;
		for (size_t i = 0; i < name_len; i++)
			if (name[i] >= 'A' && name[i] <= 'Z')
				name[i] = (char)(name[i] - 'A' + 'a');
		if (!handle_is_valid(name, name_len)) {
			char shown[44];
			printable(name, name_len, shown);
			snprintf(err, errlen, "line %lu: '%s' is not a valid handle", lineno, shown);
			rc = -1;
		} else if (append_name(list, name, name_len) < 0) {
			snprintf(err, errlen, "out of memory");
			rc = -1;
		}
	}
	if (rc == 0 && ferror(f)) {
		snprintf(err, errlen, "read error: %s", strerror(errno));
		rc = -1;
	}
	fclose(f);
	if (rc < 0)
		list->count = count_before; /* as it was: still sorted, nothing half-added */
	else
		sort_and_dedupe(list);
	return rc;
}

bool reserved_list_contains(const struct reserved_list *list, const char *s, size_t len)
{
	if (!list || list->count == 0 || !s || len > HANDLE_MAX_LEN)
		return false;
	char key[HANDLE_MAX_LEN + 1];
	memcpy(key, s, len);
	key[len] = '\0';
	if (strlen(key) != len) /* an embedded NUL: no name has one */
		return false;
	return bsearch(key, list->names, list->count, sizeof *list->names, compare_names) != NULL;
}

void reserved_list_free(struct reserved_list *list)
{
	free(list->names);
	list->names = NULL;
	list->count = 0;
}
