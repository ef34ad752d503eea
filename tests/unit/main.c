/* unit-tests [--list | NAME...]
 *
 *   --list   prints every case name, one a line
 *   NAME...  runs those cases (an unknown name counts as a failure)
 *   nothing  runs every case
 *
 * Each case prints "ok NAME" or "not ok NAME" followed by its failures; the
 * run ends with "N passed, N failed" and exits 0 only if nothing failed. */
#include <stdarg.h>

#include "unit.h"

static struct unit_case *first_case, *last_case;
static unsigned          case_failures;

/* Failures are kept until the case ends so that they follow its verdict
 * line; past the buffer only their number is kept. */
static char     failure_text[8192];
static size_t   failure_len;
static unsigned failures_not_shown;

/* Clean-ups of the running case, run last first when it returns. */
#define MAX_DEFERRED 32
static struct {
	void (*fn)(void *arg);
	void *arg;
} deferred[MAX_DEFERRED];
static size_t deferred_count;

bool unit_defer(void (*fn)(void *arg), void *arg)
{
	if (deferred_count == MAX_DEFERRED) {
		unit_fail(__FILE__, __LINE__, "more than %d clean-ups in one case", MAX_DEFERRED);
		return false;
	}
	deferred[deferred_count].fn = fn;
	deferred[deferred_count].arg = arg;
	deferred_count++;
	return true;
}

static void run_deferred(void)
{
	while (deferred_count) {
		deferred_count--;
		deferred[deferred_count].fn(deferred[deferred_count].arg);
	}
}

void unit_register(struct unit_case *c)
{
	c->next = NULL;
	if (last_case)
		last_case->next = c;
	else
		first_case = c;
	last_case = c;
}

void unit_fail(const char *file, int line, const char *fmt, ...)
{
	case_failures++;
	char message[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(message, sizeof message, fmt, ap);
	va_end(ap);
	size_t room = sizeof failure_text - failure_len;
	int n = snprintf(failure_text + failure_len, room, "    %s:%d: %s\n", file, line, message);
	if (n > 0 && (size_t)n < room)
		failure_len += (size_t)n;
	else
		failures_not_shown++;
}

bool unit_check(bool ok, const char *file, int line, const char *expr)
{
	if (!ok)
		unit_fail(file, line, "CHECK(%s) failed", expr);
	return ok;
}

bool unit_check_int(long long got, long long want, const char *file, int line, const char *expr)
{
	if (got != want)
		unit_fail(file, line, "%s is %lld, expected %lld", expr, got, want);
	return got == want;
}

bool unit_check_str(const char *got, const char *want, const char *file, int line, const char *expr)
{
	bool ok = got && want && strcmp(got, want) == 0;
	if (!ok)
		unit_fail(file, line, "%s is \"%s\", expected \"%s\"", expr, got ? got : "(null)", want ? want : "(null)");
	return ok;
}

bool unit_check_mem(const void *got, const void *want, size_t n, const char *file, int line, const char *expr)
{
	if (memcmp(got, want, n) == 0)
		return true;
	size_t at = 0;
	while (((const uint8_t *)got)[at] == ((const uint8_t *)want)[at])
		at++;
	unit_fail(file, line, "%s differs from the expected %zu bytes first at byte %zu", expr, n, at);
	return false;
}

static int hex_nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

size_t unit_hex(const char *hex, uint8_t *out, size_t cap)
{
	size_t len = strlen(hex);
	if (len % 2 || len / 2 > cap) {
		unit_fail(__FILE__, __LINE__, "test data: %zu hex digits do not fit %zu bytes", len, cap);
		return 0;
	}
	for (size_t i = 0; i < len / 2; i++) {
		int hi = hex_nibble(hex[2 * i]), lo = hex_nibble(hex[2 * i + 1]);
		if (hi < 0 || lo < 0) {
			unit_fail(__FILE__, __LINE__, "test data: not hex at digit %zu", 2 * i);
			return 0;
		}
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return len / 2;
}

static bool run_case(const struct unit_case *c)
{
	case_failures = 0;
	failure_len = 0;
	failures_not_shown = 0;
	c->fn();
	run_deferred();
	printf("%s %s\n", case_failures ? "not ok" : "ok", c->name);
	fwrite(failure_text, 1, failure_len, stdout);
	if (failures_not_shown)
		printf("    ... and %u more failures\n", failures_not_shown);
	fflush(stdout);
	return case_failures == 0;
}

static const struct unit_case *find_case(const char *name)
{
	for (const struct unit_case *c = first_case; c; c = c->next)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "--list") == 0) {
		for (const struct unit_case *c = first_case; c; c = c->next)
			printf("%s\n", c->name);
		return 0;
	}
	unsigned passed = 0, failed = 0;
	if (argc == 1) {
		for (const struct unit_case *c = first_case; c; c = c->next)
			run_case(c) ? passed++ : failed++;
	}
	for (int a = 1; a < argc; a++) {
		const struct unit_case *c = find_case(argv[a]);
		if (c) {
			run_case(c) ? passed++ : failed++;
		} else {
			printf("not ok %s\n    no such case (--list shows them)\n", argv[a]);
			failed++;
		}
	}
	printf("%u passed, %u failed\n", passed, failed);
	return failed ? 1 : 0;
}
