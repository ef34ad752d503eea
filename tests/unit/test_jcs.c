/* RFC 8785 (JCS): the RFC's own examples. */
#include <jansson.h>
#include <stdint.h>

#include "common/jcs.h"
#include "unit.h"

static double from_bits(uint64_t bits)
{
	double d;
	memcpy(&d, &bits, sizeof d);
	return d;
}

static void check_canonical(const char *input, const char *expected, int line)
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
	else if (strcmp(out.data, expected) != 0)
		unit_fail(__FILE__, line, "got %s, expected %s", out.data, expected);
	buf_free(&out);
	json_decref(v);
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
	for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
		char out[32];
		jcs_format_number(from_bits(samples[i].bits), out);
		CHECK_EQ_STR(out, samples[i].text);
	}
}

UNIT_TEST(jcs_number_boundaries)
{
	char out[32];
	static const struct {
		double      d;
		const char *text;
	} cases[] = {
		{ 1e21, "1e+21" },   { 1e20, "100000000000000000000" }, { 1e-7, "1e-7" },
		{ 1e-6, "0.000001" }, { 0.1, "0.1" }, { -0.0, "0" }, { 1.5, "1.5" }, { -1, "-1" },
		{ 123e-20, "1.23e-18" }, { 4.5, "4.5" }, { 0.002, "0.002" }, { 1e30, "1e+30" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		jcs_format_number(cases[i].d, out);
		CHECK_EQ_STR(out, cases[i].text);
	}
}

/* RFC 8785 §3.2.3: sorting by UTF-16 code units (the emoji's surrogates
 * sort before U+FB33 although its code point is larger). */
UNIT_TEST(jcs_rfc8785_sorting)
{
	check_canonical("{\"\\u20ac\":\"Euro Sign\",\"\\r\":\"Carriage Return\",\"\\ufb33\":\"Hebrew Letter Dalet With Dagesh\","
			"\"1\":\"One\",\"\\ud83d\\ude00\":\"Emoji: Grinning Face\",\"\\u0080\":\"Control\","
			"\"\\u00f6\":\"Latin Small Letter O With Diaeresis\"}",
			"{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\xc2\x80\":\"Control\","
			"\"\xc3\xb6\":\"Latin Small Letter O With Diaeresis\",\"\xe2\x82\xac\":\"Euro Sign\","
			"\"\xf0\x9f\x98\x80\":\"Emoji: Grinning Face\",\"\xef\xac\xb3\":\"Hebrew Letter Dalet With Dagesh\"}",
			__LINE__);
}

/* RFC 8785 §3.2.2's example document. */
UNIT_TEST(jcs_rfc8785_example_document)
{
	check_canonical("{\n  \"numbers\": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],\n"
			"  \"string\": \"\\u20ac$\\u000F\\u000aA'\\u0042\\u0022\\u005c\\\\\\\"\\/\",\n"
			"  \"literals\": [null, true, false]\n}",
			"{\"literals\":[null,true,false],\"numbers\":[333333333.3333333,1e+30,4.5,0.002,1e-27],"
			"\"string\":\"\xe2\x82\xac$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}",
			__LINE__);
}

UNIT_TEST(jcs_strings_and_nesting)
{
	check_canonical("{\"b\":[1,{\"z\":null,\"a\":\"\\u0000\\u001f\\b\\t\"}],\"a\":{}}",
			"{\"a\":{},\"b\":[1,{\"a\":\"\\u0000\\u001f\\b\\t\",\"z\":null}]}", __LINE__);
	check_canonical("{\"k\":\"\\u2028\\u007f/\"}", "{\"k\":\"\xe2\x80\xa8\x7f/\"}", __LINE__);
	check_canonical("[9007199254740993, -0, 1.0, 100, 1e2]", "[9007199254740992,0,1,100,100]", __LINE__);
	check_canonical("{\"aa\":1,\"a\":2,\"b\":3,\"\":0}", "{\"\":0,\"a\":2,\"aa\":1,\"b\":3}", __LINE__);
}

UNIT_TEST(jcs_output_limit_is_an_error)
{
	json_t *v = json_pack("{s:s}", "key", "a value longer than the limit");
	struct buf out;
	buf_init(&out, 8);
	CHECK(jcs_serialize(v, &out) < 0);
	buf_free(&out);
	json_decref(v);
}
