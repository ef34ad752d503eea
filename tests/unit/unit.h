/* A small unit-test harness. Each UNIT_TEST registers itself before main()
 * runs (a constructor), so adding a case is writing it, nothing else.
 * CHECK... records a failure with its file and line and lets the case go on;
 * REQUIRE records it and leaves the case (for when going on makes no sense);
 * what unit_defer registered still runs. */
#ifndef KEZ_UNIT_H
#define KEZ_UNIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void (*unit_fn)(void);

struct unit_case {
	const char       *name;
	unit_fn           fn;
	struct unit_case *next;
};

void unit_register(struct unit_case *c);
void unit_fail(const char *file, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#define UNIT_TEST(name)                                                \
	static void name(void);                                        \
	static struct unit_case name##_case = { #name, name, NULL };   \
	__attribute__((constructor)) static void name##_register(void) \
	{                                                              \
		unit_register(&name##_case);                           \
	}                                                              \
	static void name(void)

/* Each check is also an expression, true when it held, so a case may
 * branch on it. */
#define CHECK(cond)           unit_check((cond) ? true : false, __FILE__, __LINE__, #cond)
#define CHECK_EQ_INT(a, b)    unit_check_int((long long)(a), (long long)(b), __FILE__, __LINE__, #a)
#define CHECK_EQ_STR(a, b)    unit_check_str((a), (b), __FILE__, __LINE__, #a)
#define CHECK_EQ_MEM(a, b, n) unit_check_mem((a), (b), (n), __FILE__, __LINE__, #a)

#define REQUIRE(cond)             \
	do {                      \
		if (!CHECK(cond)) \
			return;   \
	} while (0)

bool unit_check(bool ok, const char *file, int line, const char *expr);
bool unit_check_int(long long got, long long want, const char *file, int line, const char *expr);
bool unit_check_str(const char *got, const char *want, const char *file, int line, const char *expr);
bool unit_check_mem(const void *got, const void *want, size_t n, const char *file, int line, const char *expr);

/* Runs fn(arg) when the current case ends, however it ends: a failed
 * REQUIRE leaves the case early, and its locals with it, so `arg` must
 * outlive the case (allocate it, and free it in fn). The last deferred runs
 * first. False, with a failure recorded and fn not run, when there is no
 * room left. */
bool unit_defer(void (*fn)(void *arg), void *arg);

/* Test data written in hex: 2*n hex digits into n bytes. Returns n, or
 * records a failure (a mistake in the test itself) and returns 0. */
size_t unit_hex(const char *hex, uint8_t *out, size_t cap);

#endif
