/* RFC 8785 (JCS): the RFC's own examples, then the corners around them. */
#include <jansson.h>
#include <math.h>

#include "common/kez/jcs.h"
#include "unit.h"

static double from_bits(uint64_t bits)
{
	double d;
	memcpy(&d, &bits, sizeof d);
	return d;
}

/* Parses `input` as a client's body would be parsed and compares its
 * canonical form with `expected`, byte for byte (NULs included). */
static void check_canonical_n(const char *input, const char *expected, size_t expected_len, int line)
{
	json_error_t err;
	json_t *v = json_loads(input, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL | JSON_DECODE_ANY, &err);
	if (!v) {
		unit_fail(__FILE__, line, "cannot parse %s: %s", input, err.text);
		return;
	}
	struct buf out;
	buf_init(&out, 1 << 20);
	if (jcs_serialize(v, &out) < 0 || buf_putc(&out, '\0') < 0)
		unit_fail(__FILE__, line, "jcs_serialize failed");
	else if (out.len - 1 != expected_len || memcmp(out.data, expected, expected_len) != 0)
		unit_fail(__FILE__, line, "got %s, expected %s", out.data, expected);
	buf_free(&out);
	json_decref(v);
}

#define CHECK_CANONICAL(input, expected) check_canonical_n(input, expected, sizeof expected - 1, __LINE__)

static void check_number(double d, const char *expected, int line)
{
	char out[32];
	int n = jcs_format_number(d, out);
	if (strcmp(out, expected) != 0 || n != (int)strlen(expected))
		unit_fail(__FILE__, line, "%.17g is written \"%s\" (%d bytes), expected \"%s\"", d, out, n, expected);
}

/* RFC 8785 Appendix B: IEEE 754 bit patterns and their serializations. */
UNIT_TEST(jcs_rfc8785_number_samples)
{
	static const struct {
		uint64_t    bits;
		const char *text;
	} samples[] = {
		{ 0x0000000000000000ull, "0" },
		{ 0x8000000000000000ull, "0" },
		{ 0x0000000000000001ull, "5e-324" },
		{ 0x8000000000000001ull, "-5e-324" },
		{ 0x7fefffffffffffffull, "1.7976931348623157e+308" },
		{ 0xffefffffffffffffull, "-1.7976931348623157e+308" },
		{ 0x4340000000000000ull, "9007199254740992" },
		{ 0xc340000000000000ull, "-9007199254740992" },
		{ 0x4430000000000000ull, "295147905179352830000" },
		{ 0x44b52d02c7e14af5ull, "9.999999999999997e+22" },
		{ 0x44b52d02c7e14af6ull, "1e+23" },
		/* the next double above 1e23 is 99999999999999991611392 + 2^24,
		 * and 1.0000000000000001e+23 is the shortest text that reads back
		 * as it: that is what the RFC's table says */
		{ 0x44b52d02c7e14af7ull, "1.0000000000000001e+23" },
		{ 0x444b1ae4d6e2ef4eull, "999999999999999700000" },
		{ 0x444b1ae4d6e2ef4full, "999999999999999900000" },
		{ 0x444b1ae4d6e2ef50ull, "1e+21" },
		{ 0x3eb0c6f7a0b5ed8cull, "9.999999999999997e-7" },
		{ 0x3eb0c6f7a0b5ed8dull, "0.000001" },
		{ 0x41b3de4355555553ull, "333333333.3333332" },
		{ 0x41b3de4355555554ull, "333333333.33333325" },
		{ 0x41b3de4355555555ull, "333333333.3333333" },
		{ 0x41b3de4355555556ull, "333333333.3333334" },
		{ 0x41b3de4355555557ull, "333333333.33333343" },
		{ 0xbecbf647612f3696ull, "-0.0000033333333333333333" },
		{ 0x43143ff3c1cb0959ull, "1424953923781206.2" },
	};
	for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++)
		check_number(from_bits(samples[i].bits), samples[i].text, __LINE__);
}

/* The layout rules of Number::toString on both sides of each switch: up to
 * 21 integer digits, then the exponent form; up to 6 zeros after the point,
 * then the exponent form. */
UNIT_TEST(jcs_number_layout_boundaries)
{
	static const struct {
		double      d;
		const char *text;
	} cases[] = {
		{ 1e21, "1e+21" },
		{ 1e20, "100000000000000000000" },
		{ 123456789012345680000.0, "123456789012345680000" },
		{ 1.2345678901234568e21, "1.2345678901234568e+21" },
		{ 1e-7, "1e-7" },
		{ 1.5e-7, "1.5e-7" },
		{ 1e-6, "0.000001" },
		{ 1.5e-6, "0.0000015" },
		{ 0.1, "0.1" },
		{ 0.5, "0.5" },
		{ -0.0, "0" },
		{ 0.0, "0" },
		{ 1.0, "1" },
		{ -1.0, "-1" },
		{ 1.5, "1.5" },
		{ 123e-20, "1.23e-18" },
		{ 4.5, "4.5" },
		{ 0.002, "0.002" },
		{ 1e30, "1e+30" },
		{ 1e100, "1e+100" },
		{ 2.5e-300, "2.5e-300" },
		{ 12345.678, "12345.678" },
		{ 9007199254740991.0, "9007199254740991" },
		{ 9007199254740994.0, "9007199254740994" },
		{ 18014398509481984.0, "18014398509481984" },     /* 2^54 */
		{ 1152921504606846976.0, "1152921504606847000" }, /* 2^60: shortest digits, then zeros */
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		check_number(cases[i].d, cases[i].text, __LINE__);
}

/* Powers of two: the doubles just below are twice as close as those just
 * above, and the closest short decimal can fall in the narrow half. The
 * answers are an ECMAScript engine's String(x). */
UNIT_TEST(jcs_number_powers_of_two)
{
	static const struct {
		uint64_t    bits;
		const char *text;
	} cases[] = {
		{ 0x0060000000000000ull, "7.120236347223045e-307" },
		{ 0x0100000000000000ull, "7.291122019556398e-304" },
		{ 0x0420000000000000ull, "8.209073602596753e-289" },
		{ 0x1480000000000000ull, "6.083493012144512e-210" },
		{ 0x6510000000000000ull, "6.483618076376552e+178" },
		{ 0x7cf0000000000000ull, "6.386688990511104e+293" },
		{ 0x8060000000000000ull, "-7.120236347223045e-307" },
		{ 0x0010000000000000ull, "2.2250738585072014e-308" }, /* the smallest normal */
		{ 0x000fffffffffffffull, "2.225073858507201e-308" },  /* the largest subnormal */
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		check_number(from_bits(cases[i].bits), cases[i].text, __LINE__);
}

/* RFC 8785 §3.2.3: sorting by UTF-16 code units (the emoji's surrogates
 * sort before U+FB33 although its code point is larger). */
UNIT_TEST(jcs_rfc8785_sorting)
{
	CHECK_CANONICAL("{\"\\u20ac\":\"Euro Sign\",\"\\r\":\"Carriage Return\",\"\\ufb33\":\"Hebrew Letter Dalet With Dagesh\","
			"\"1\":\"One\",\"\\ud83d\\ude00\":\"Emoji: Grinning Face\",\"\\u0080\":\"Control\","
			"\"\\u00f6\":\"Latin Small Letter O With Diaeresis\"}",
			"{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\xc2\x80\":\"Control\","
			"\"\xc3\xb6\":\"Latin Small Letter O With Diaeresis\",\"\xe2\x82\xac\":\"Euro Sign\","
			"\"\xf0\x9f\x98\x80\":\"Emoji: Grinning Face\",\"\xef\xac\xb3\":\"Hebrew Letter Dalet With Dagesh\"}");
}

/* Where UTF-16 order and code point (or UTF-8 byte) order disagree, and
 * where one name is a prefix of another. */
UNIT_TEST(jcs_sorting_utf16_corners)
{
	/* U+10000 is D800 DC00 in UTF-16: after U+D7FF, before U+E000 and U+FFFF */
	CHECK_CANONICAL("{\"\\uffff\":1,\"\\ue000\":2,\"\\ud800\\udc00\":3,\"\\ud7ff\":4}",
			"{\"\xed\x9f\xbf\":4,\"\xf0\x90\x80\x80\":3,\"\xee\x80\x80\":2,\"\xef\xbf\xbf\":1}");
	/* two astral characters compare by their high, then their low surrogate */
	CHECK_CANONICAL("{\"\\ud83d\\ude01\":1,\"\\ud83d\\ude00\":2,\"\\ud83c\\udf00\":3}",
			"{\"\xf0\x9f\x8c\x80\":3,\"\xf0\x9f\x98\x80\":2,\"\xf0\x9f\x98\x81\":1}");
	CHECK_CANONICAL("{\"aa\":1,\"a\":2,\"b\":3,\"\":0,\"ab\":4,\"A\":5}",
			"{\"\":0,\"A\":5,\"a\":2,\"aa\":1,\"ab\":4,\"b\":3}");
	/* sorting applies at every depth, and arrays keep their order */
	CHECK_CANONICAL("{\"b\":[{\"y\":1,\"x\":2},{\"d\":{\"f\":0,\"e\":0}}],\"a\":[3,2,1]}",
			"{\"a\":[3,2,1],\"b\":[{\"x\":2,\"y\":1},{\"d\":{\"e\":0,\"f\":0}}]}");
}

/* RFC 8785 §3.2.2's example document (whose bytes §3.2.4 lists). */
UNIT_TEST(jcs_rfc8785_example_document)
{
	CHECK_CANONICAL("{\n  \"numbers\": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],\n"
			"  \"string\": \"\\u20ac$\\u000F\\u000aA'\\u0042\\u0022\\u005c\\\\\\\"\\/\",\n"
			"  \"literals\": [null, true, false]\n}",
			"{\"literals\":[null,true,false],\"numbers\":[333333333.3333333,1e+30,4.5,0.002,1e-27],"
			"\"string\":\"\xe2\x82\xac$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}");
}

/* Strings: the short escapes, \u00xx for the other controls (lowercase hex),
 * everything else as it is. */
UNIT_TEST(jcs_string_escapes)
{
	CHECK_CANONICAL("\"\\u0000\\u0001\\u0007\\b\\t\\n\\u000b\\f\\r\\u000e\\u001f\\u001F\"",
			"\"\\u0000\\u0001\\u0007\\b\\t\\n\\u000b\\f\\r\\u000e\\u001f\\u001f\"");
	CHECK_CANONICAL("\" !\\\"#\\\\/\\/~\\u007f\"", "\" !\\\"#\\\\//~\x7f\"");
	CHECK_CANONICAL("\"\\u2028\\u2029\\u00e9\\ud83d\\ude00\"", "\"\xe2\x80\xa8\xe2\x80\xa9\xc3\xa9\xf0\x9f\x98\x80\"");
	CHECK_CANONICAL("{\"\\n\":\"\\u0000\"}", "{\"\\n\":\"\\u0000\"}");
	/* a NUL inside a string value (jansson keeps it) is written escaped */
	json_t *s = json_stringn("a\0b", 3);
	struct buf out;
	buf_init(&out, 64);
	CHECK(jcs_serialize(s, &out) == 0);
	CHECK(out.len == 10 && memcmp(out.data, "\"a\\u0000b\"", 10) == 0);
	buf_free(&out);
	json_decref(s);
}

/* Integers are written as the double they denote; the literals as they are. */
UNIT_TEST(jcs_values_and_integers)
{
	CHECK_CANONICAL("[9007199254740993, -0, 0, 1.0, 100, 1e2, -1e-0, 1e21, 1e-7, 0.1, 10.0e-1]",
			"[9007199254740992,0,0,1,100,100,-1,1e+21,1e-7,0.1,1]");
	CHECK_CANONICAL("[9223372036854775807, -9223372036854775808]", "[9223372036854776000,-9223372036854776000]");
	CHECK_CANONICAL("[null,true,false,[],{},[[]],{\"a\":{}}]", "[null,true,false,[],{},[[]],{\"a\":{}}]");
	CHECK_CANONICAL("  {  \"a\" :\t1 ,\n\"b\": [ ] }  ", "{\"a\":1,\"b\":[]}");
}

/* A payload-sized document checked against an ECMAScript engine
 * (JSON.parse, keys sorted with the default sort, JSON.stringify). */
UNIT_TEST(jcs_matches_ecmascript_reference)
{
	CHECK_CANONICAL(
		"{\"\\uffff\":\"last of the BMP\",\"\\ud800\\udc00\":\"first astral\",\"numbers\":[333333333.33333329,1E30,4.50,"
		"2e-3,1e21,1e-7,0.1,-0,-0.0,9007199254740993,100,1e20,5e-324],\"string\":\"\\u20ac$\\u000F\\u000aA'\\u0042"
		"\\u0022\\u005c\\\\\\\"\\/\\u2028\\u007f\\u0000\",\"nested\":{\"z\":[[],{},[{\"b\":null,\"a\":true}]],\"a\":false,"
		"\"\":\"empty name\"}}",
		"{\"nested\":{\"\":\"empty name\",\"a\":false,\"z\":[[],{},[{\"a\":true,\"b\":null}]]},\"numbers\":[333333333.3333333,"
		"1e+30,4.5,0.002,1e+21,1e-7,0.1,0,0,9007199254740992,100,100000000000000000000,5e-324],\"string\":\"\xe2\x82\xac$"
		"\\u000f\\nA'B\\\"\\\\\\\\\\\"/\xe2\x80\xa8\x7f\\u0000\",\"\xf0\x90\x80\x80\":\"first astral\","
		"\"\xef\xbf\xbf\":\"last of the BMP\"}");
}

/* What jansson can nest, JCS can write (jansson stops at 2048 levels). */
UNIT_TEST(jcs_deep_nesting)
{
	enum { DEPTH = 2000 };
	char *text = malloc(2 * DEPTH + 1);
	REQUIRE(text != NULL);
	memset(text, '[', DEPTH);
	memset(text + DEPTH, ']', DEPTH);
	text[2 * DEPTH] = '\0';
	json_t *v = json_loads(text, 0, NULL);
	CHECK(v != NULL);
	struct buf out;
	buf_init(&out, 1 << 20);
	CHECK(jcs_serialize(v, &out) == 0);
	CHECK(out.len == 2 * DEPTH && memcmp(out.data, text, out.len) == 0);
	buf_free(&out);
	json_decref(v);
	free(text);
}

UNIT_TEST(jcs_output_limit_is_an_error)
{
	static const char canonical[] = "{\"key\":\"a value longer than the limit\"}";
	json_t *v = json_pack("{s:s}", "key", "a value longer than the limit");
	struct buf out;
	buf_init(&out, 8);
	CHECK(jcs_serialize(v, &out) < 0);
	buf_free(&out);
	buf_init(&out, sizeof canonical - 2); /* one byte short */
	CHECK(jcs_serialize(v, &out) < 0);
	buf_free(&out);
	buf_init(&out, sizeof canonical - 1); /* exactly enough */
	CHECK(jcs_serialize(v, &out) == 0);
	buf_free(&out);
	json_decref(v);
}

/* The canonical form is a fixed point: canonicalizing it again changes
 * nothing. */
UNIT_TEST(jcs_idempotent)
{
	const char *doc = "{\"z\":[1e21,0.1,-0,{\"\\u00f6\":\"\\u0001\",\"o\":null}],\"\\ud83d\\ude00\":\"x\",\"a\":\"\\u2028\"}";
	json_t *v = json_loads(doc, JSON_ALLOW_NUL, NULL);
	REQUIRE(v != NULL);
	struct buf once, twice;
	buf_init(&once, 4096);
	buf_init(&twice, 4096);
	CHECK(jcs_serialize(v, &once) == 0);
	json_t *again = json_loadb(once.data, once.len, JSON_ALLOW_NUL | JSON_REJECT_DUPLICATES, NULL);
	CHECK(again != NULL);
	if (again) {
		CHECK(jcs_serialize(again, &twice) == 0);
		CHECK(once.len == twice.len && memcmp(once.data, twice.data, once.len) == 0);
	}
	buf_free(&once);
	buf_free(&twice);
	json_decref(again);
	json_decref(v);
}

/* Significant digits of a number as jcs_format_number writes it. */
static int significant_digits(const char *s)
{
	int n = 0, pending_zeros = 0;
	bool started = false;
	for (; *s && *s != 'e'; s++) {
		if (*s < '0' || *s > '9')
			continue;
		if (*s == '0') {
			if (started)
				pending_zeros++;
			continue;
		}
		started = true;
		n += pending_zeros + 1;
		pending_zeros = 0;
	}
	return n;
}

/* Pseudo-random doubles of every magnitude (and the powers of two, where
 * the rounding interval is lopsided): what is written reads back as the
 * same double, and is never longer than the first correctly rounded
 * length that reads back. */
UNIT_TEST(jcs_numbers_round_trip_and_are_short)
{
	uint64_t x = 0x9e3779b97f4a7c15u;
	int failures = 0;
	for (int i = 0; i < 30000 && failures < 5; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		uint64_t bits = i % 2 ? x : (x & 0xfff0000000000000u);
		double d = from_bits(bits);
		if (!isfinite(d) || d == 0)
			continue;
		char out[32], nearest[48];
		jcs_format_number(d, out);
		if (strtod(out, NULL) != d) {
			unit_fail(__FILE__, __LINE__, "%a is written %s, which reads back as %a", d, out, strtod(out, NULL));
			failures++;
			continue;
		}
		int rounded = 1;
		for (; rounded < 17; rounded++) {
			snprintf(nearest, sizeof nearest, "%.*e", rounded - 1, d);
			if (strtod(nearest, NULL) == d)
				break;
		}
		if (significant_digits(out) > rounded) {
			unit_fail(__FILE__, __LINE__, "%a is written %s, longer than %d digits", d, out, rounded);
			failures++;
		}
	}
}
