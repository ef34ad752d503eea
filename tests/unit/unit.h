/* A small unit-test harness: cases register themselves; CHECK records a
 * failure with its place and lets the case go on. */
#ifndef KEZ_UNIT_H
#define KEZ_UNIT_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

typedef void (*unit_fn)(void);
void unit_register(const char *name, unit_fn fn);
void unit_fail(const char *file, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#define UNIT_TEST(name)                                                        \
	static void name(void);                                                \
	__attribute__((constructor)) static void name##_register(void)         \
	{                                                                      \
		unit_register(#name, name);                                    \
	}                                                                      \
	static void name(void)

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond))                                                   \
			unit_fail(__FILE__, __LINE__, "CHECK(%s)", #cond);     \
	} while (0)

#define CHECK_EQ_INT(a, b)                                                     \
	do {                                                                   \
		long long va_ = (long long)(a), vb_ = (long long)(b);          \
		if (va_ != vb_)                                                \
			unit_fail(__FILE__, __LINE__, "%s == %lld, expected %lld", #a, va_, vb_); \
	} while (0)

#define CHECK_EQ_STR(a, b)                                                     \
	do {                                                                   \
		const char *sa_ = (a), *sb_ = (b);                             \
		if (!sa_ || !sb_ || strcmp(sa_, sb_) != 0)                     \
			unit_fail(__FILE__, __LINE__, "%s == \"%s\", expected \"%s\"", #a, \
				  sa_ ? sa_ : "(null)", sb_ ? sb_ : "(null)"); \
	} while (0)

/* Test helpers shared by several files. */
size_t unit_hex_to_bytes(const char *hex, unsigned char *out, size_t cap);

#endif
