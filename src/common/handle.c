#include "common/handle.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const builtin_reserved[] = {
	"admin", "administrator", "root", "system", "sys", "support", "help", "info", "abuse",
	"postmaster", "hostmaster", "webmaster", "security", "noreply", "no-reply", "kez", "kezchat",
	"api", "www", "mail", "nats", "server", "null", "undefined", "anonymous", "moderator", "mod",
	"staff", "official", "everyone",
};

#define RESERVED_LINE_MAX 1024

static bool is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

bool handle_is_valid(const char *s, size_t len)
{
	if (len < HANDLE_MIN_LEN || len > HANDLE_MAX_LEN || !is_lower_alnum(s[0]))
		return false;
	for (size_t i = 1; i < len; i++)
		if (!is_lower_alnum(s[i]) && s[i] != '_' && s[i] != '-')
			return false;
	return true;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(a, b);
}

static int add_name(struct reserved_list *list, const char *name, size_t len)
{
	char (*grown)[HANDLE_MAX_LEN + 1] = realloc(list->names, (list->count + 1) * sizeof *list->names);
	if (!grown)
		return -1;
	list->names = grown;
	memcpy(list->names[list->count], name, len);
	list->names[list->count][len] = '\0';
	list->count++;
	qsort(list->names, list->count, sizeof *list->names, compare_names);
	return 0;
}

int reserved_list_init(struct reserved_list *list)
{
	list->names = NULL;
	list->count = 0;
	for (size_t i = 0; i < sizeof builtin_reserved / sizeof builtin_reserved[0]; i++)
		if (add_name(list, builtin_reserved[i], strlen(builtin_reserved[i])) < 0)
			return -1;
	return 0;
}

int reserved_list_load(struct reserved_list *list, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "cannot open: %s", strerror(errno));
		return -1;
	}
	char line[RESERVED_LINE_MAX + 2];
	unsigned lineno = 0;
	int rc = 0;
	while (fgets(line, sizeof line, f)) {
		lineno++;
		size_t n = strlen(line);
		if (n > RESERVED_LINE_MAX && line[n - 1] != '\n') {
			snprintf(err, errlen, "line %u is longer than %d bytes", lineno, RESERVED_LINE_MAX);
			rc = -1;
			break;
		}
		char *hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		char *start = line;
		while (isspace((unsigned char)*start))
			start++;
		char *end = start + strlen(start);
		while (end > start && isspace((unsigned char)end[-1]))
			end--;
		*end = '\0';
		size_t len = (size_t)(end - start);
		if (len == 0)
			continue;
		for (char *p = start; p < end; p++)
			*p = (char)tolower((unsigned char)*p);
		if (!handle_is_valid(start, len)) {
			snprintf(err, errlen, "line %u: '%.40s' is not a valid handle", lineno, start);
			rc = -1;
			break;
		}
		if (!reserved_list_contains(list, start, len) && add_name(list, start, len) < 0) {
			snprintf(err, errlen, "out of memory");
			rc = -1;
			break;
		}
	}
	if (rc == 0 && ferror(f)) {
		snprintf(err, errlen, "read error: %s", strerror(errno));
		rc = -1;
	}
	fclose(f);
	return rc;
}

bool reserved_list_contains(const struct reserved_list *list, const char *s, size_t len)
{
	if (len > HANDLE_MAX_LEN)
		return false;
	char key[HANDLE_MAX_LEN + 1];
	memcpy(key, s, len);
	key[len] = '\0';
	return bsearch(key, list->names, list->count, sizeof *list->names, compare_names) != NULL;
}

void reserved_list_free(struct reserved_list *list)
{
	free(list->names);
	list->names = NULL;
	list->count = 0;
}
