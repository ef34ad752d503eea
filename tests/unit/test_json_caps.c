/* The JSON cost caps (API.md §5): at most 64 levels, at most 256 members and
 * elements in all, counted on the raw text at every depth. */
#include "common/base/buf.h"
#include "common/kez/json_caps.h"
#include "unit.h"

static enum json_caps_verdict verdict_of(const struct buf *b)
{
	return json_caps_check(b->data, b->len);
}

#define VERDICT(text) json_caps_check(text, sizeof text - 1)

/* `depth` levels of `open`...`close` around `middle`. */
static bool nest(struct buf *b, int depth, const char *open, const char *middle, const char *close)
{
	buf_reset(b);
	for (int i = 0; i < depth; i++)
		if (buf_append_str(b, open) < 0)
			return false;
	if (buf_append_str(b, middle) < 0)
		return false;
	for (int i = 0; i < depth; i++)
		if (buf_append_str(b, close) < 0)
			return false;
	return true;
}

UNIT_TEST(json_caps_depth_64_passes_65_does_not)
{
	static const struct {
		const char *open, *middle, *close;
	} shapes[] = {
		{ "[", "", "]" },           /* empty innermost array */
		{ "[", "1", "]" },          /* a scalar inside the last level is no level */
		{ "{\"a\":", "{}", "}" },   /* objects: the innermost {} is the last level */
		{ "[{\"k\":", "", "}]" },  /* two levels a step: used below */
	};
	struct buf b;
	buf_init(&b, 1 << 16);
	for (size_t s = 0; s < 3; s++) {
		/* the innermost "{}" of shape 2 is one more level */
		int extra = s == 2 ? 1 : 0;
		REQUIRE(nest(&b, JSON_CAPS_MAX_DEPTH - extra, shapes[s].open, shapes[s].middle, shapes[s].close));
		if (!CHECK_EQ_INT(verdict_of(&b), JSON_CAPS_OK))
			unit_fail(__FILE__, __LINE__, "shape %zu at 64 levels", s);
		REQUIRE(nest(&b, JSON_CAPS_MAX_DEPTH + 1 - extra, shapes[s].open, shapes[s].middle, shapes[s].close));
		if (!CHECK_EQ_INT(verdict_of(&b), JSON_CAPS_TOO_DEEP))
			unit_fail(__FILE__, __LINE__, "shape %zu at 65 levels", s);
	}
	/* alternating objects and arrays: 32 steps of two levels, plus [] */
	REQUIRE(nest(&b, 31, shapes[3].open, "[[]]", shapes[3].close));
	CHECK_EQ_INT(verdict_of(&b), JSON_CAPS_OK); /* 62 + 2 */
	REQUIRE(nest(&b, 31, shapes[3].open, "[[[]]]", shapes[3].close));
	CHECK_EQ_INT(verdict_of(&b), JSON_CAPS_TOO_DEEP); /* 62 + 3 */
	/* depth is nesting, not the number of containers: 200 siblings, one level below the root */
	buf_reset(&b);
	REQUIRE(buf_append_str(&b, "[[]") == 0);
	for (int i = 1; i < 200; i++)
		REQUIRE(buf_append_str(&b, ",[]") == 0);
	REQUIRE(buf_append_str(&b, "]") == 0);
	CHECK_EQ_INT(verdict_of(&b), JSON_CAPS_OK);
	/* brackets inside strings are text */
	REQUIRE(nest(&b, 1, "[\"", "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[", "\"]"));
	CHECK_EQ_INT(verdict_of(&b), JSON_CAPS_OK);
	buf_free(&b);
}

/* A document with `n` members and elements in all: `outer` members at the
 * top, each an array, whose elements make up the rest. */
static bool spread(struct buf *b, int n, int outer)
{
	buf_reset(b);
	int inner = n - outer, each = inner / outer, left = inner % outer;
	if (buf_putc(b, '{') < 0)
		return false;
	for (int m = 0; m < outer; m++) {
		if (buf_printf(b, "%s\"m%d\":[", m ? "," : "", m) < 0)
			return false;
		int count = each + (m < left ? 1 : 0);
		for (int e = 0; e < count; e++)
			if (buf_printf(b, "%s%d", e ? "," : "", e) < 0)
				return false;
		if (buf_putc(b, ']') < 0)
			return false;
	}
	return buf_putc(b, '}') == 0;
}

UNIT_TEST(json_caps_items_256_pass_257_do_not)
{
	struct buf b;
	buf_init(&b, 1 << 16);
	/* one flat array; one flat object; members and elements mixed at two depths */
	static const int outers[] = { 1, 256, 100, 17 };
	for (size_t i = 0; i < sizeof outers / sizeof outers[0]; i++) {
		int outer = outers[i];
		REQUIRE(spread(&b, JSON_CAPS_MAX_ITEMS, outer));
		if (!CHECK_EQ_INT(verdict_of(&b), JSON_CAPS_OK))
			unit_fail(__FILE__, __LINE__, "256 with %d top members", outer);
		REQUIRE(spread(&b, JSON_CAPS_MAX_ITEMS + 1, outer == 256 ? 257 : outer));
		if (!CHECK_EQ_INT(verdict_of(&b), JSON_CAPS_TOO_MANY))
			unit_fail(__FILE__, __LINE__, "257 with %d top members", outer);
	}
	/* a bare array of 256 (the root is no item) */
	buf_reset(&b);
	REQUIRE(buf_putc(&b, '[') == 0);
	for (int e = 0; e < JSON_CAPS_MAX_ITEMS; e++)
		REQUIRE(buf_append_str(&b, e ? ", null" : "null") == 0);
	REQUIRE(buf_append_str(&b, " ]") == 0);
	CHECK_EQ_INT(verdict_of(&b), JSON_CAPS_OK);
	/* empty containers are items of their parent and hold none */
	buf_reset(&b);
	REQUIRE(buf_putc(&b, '[') == 0);
	for (int e = 0; e < JSON_CAPS_MAX_ITEMS; e++)
		REQUIRE(buf_append_str(&b, e % 2 ? ",{ }" : (e ? ",[\n]" : "[]")) == 0);
	REQUIRE(buf_putc(&b, ']') == 0);
	CHECK_EQ_INT(verdict_of(&b), JSON_CAPS_OK);
	b.len--; /* one more: ,{} before the closing bracket */
	REQUIRE(buf_append_str(&b, ",{}]") == 0);
	CHECK_EQ_INT(verdict_of(&b), JSON_CAPS_TOO_MANY);
	buf_free(&b);
}

UNIT_TEST(json_caps_strings_are_skipped_whole)
{
	/* commas, brackets and escaped quotes inside strings count for nothing */
	CHECK_EQ_INT(VERDICT("{\"a,b,c\":\"[1,2,3]\",\"q\\\",\\\\\":\"\\\"{,}\\\"\"}"), JSON_CAPS_OK);
	struct buf b;
	buf_init(&b, 1 << 16);
	REQUIRE(buf_append_str(&b, "[\"") == 0);
	for (int i = 0; i < 1000; i++)
		REQUIRE(buf_append_str(&b, ",[{\\\"\\\\") == 0);
	REQUIRE(buf_append_str(&b, "\"]") == 0);
	CHECK_EQ_INT(verdict_of(&b), JSON_CAPS_OK);
	/* a string ending in an escaped backslash closes where it should */
	buf_reset(&b);
	REQUIRE(buf_append_str(&b, "[\"\\\\\"") == 0);
	for (int i = 1; i <= JSON_CAPS_MAX_ITEMS; i++)
		REQUIRE(buf_append_str(&b, ",1") == 0);
	REQUIRE(buf_putc(&b, ']') == 0);
	CHECK_EQ_INT(verdict_of(&b), JSON_CAPS_TOO_MANY); /* 257 elements */
	buf_free(&b);
	/* text that is no JSON at all passes the caps (the parser refuses it) */
	CHECK_EQ_INT(VERDICT(""), JSON_CAPS_OK);
	CHECK_EQ_INT(VERDICT("]]]]}}}"), JSON_CAPS_OK);
	CHECK_EQ_INT(VERDICT("[\"unterminated\\"), JSON_CAPS_OK);
	CHECK_EQ_INT(json_caps_check("[1,2\0,3]", 8), JSON_CAPS_OK);
	CHECK_EQ_STR(json_caps_reason(JSON_CAPS_OK), "");
	CHECK(strstr(json_caps_reason(JSON_CAPS_TOO_DEEP), "64 levels") != NULL);
	CHECK(strstr(json_caps_reason(JSON_CAPS_TOO_MANY), "256 members and elements") != NULL);
}
