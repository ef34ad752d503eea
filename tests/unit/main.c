/* unit-tests [--list | NAME...]: runs the registered cases (all by default)
 * and ends with "N passed, N failed". */
#include <stdarg.h>
#include <stdlib.h>

#include "unit.h"

#define MAX_CASES 512

struct unit_case {
	const char *name;
	unit_fn     fn;
};
static struct unit_case cases[MAX_CASES];
static size_t n_cases;
static int    current_failures;

void unit_register(const char *name, unit_fn fn)
{
	if (n_cases < MAX_CASES)
		cases[n_cases++] = (struct unit_case){ name, fn };
}

void unit_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	printf("    %s:%d: ", file, line);
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	current_failures++;
}

size_t unit_hex_to_bytes(const char *hex, unsigned char *out, size_t cap)
{
	size_t n = strlen(hex) / 2;
	for (size_t i = 0; i < n && i < cap; i++) {
		unsigned v;
		sscanf(hex + 2 * i, "%2x", &v);
		out[i] = (unsigned char)v;
	}
	return n < cap ? n : cap;
}

static bool run(size_t i)
{
	current_failures = 0;
	cases[i].fn();
	printf("%s %s\n", current_failures ? "not ok" : "ok", cases[i].name);
	fflush(stdout);
	return current_failures == 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "--list") == 0) {
		for (size_t i = 0; i < n_cases; i++)
			printf("%s\n", cases[i].name);
		return 0;
	}
	unsigned passed = 0, failed = 0;
	for (size_t i = 0; i < n_cases; i++) {
		bool wanted = argc == 1;
		for (int a = 1; a < argc && !wanted; a++)
			wanted = strcmp(argv[a], cases[i].name) == 0;
		if (wanted)
			run(i) ? passed++ : failed++;
	}
	for (int a = 1; a < argc; a++) {
		bool known = false;
		for (size_t i = 0; i < n_cases && !known; i++)
			known = strcmp(argv[a], cases[i].name) == 0;
		if (!known) {
			printf("not ok %s (no such case)\n", argv[a]);
			failed++;
		}
	}
	printf("%u passed, %u failed\n", passed, failed);
	return failed ? 1 : 0;
}
