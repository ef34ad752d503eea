#include <stdint.h>

#include "common/rfc3339.h"
#include "unit.h"

static int64_t parse(const char *s)
{
	int64_t t = -1;
	return rfc3339_parse(s, strlen(s), &t) == 0 ? t : INT64_MIN;
}

UNIT_TEST(rfc3339_valid_forms)
{
	CHECK_EQ_INT(parse("1970-01-01T00:00:00Z"), 0);
	CHECK_EQ_INT(parse("2026-05-25T03:00:00Z"), 1779678000);
	CHECK_EQ_INT(parse("2026-05-25t03:00:00z"), 1779678000);
	CHECK_EQ_INT(parse("2026-05-25T03:00:00.123456789Z"), 1779678000);
	CHECK_EQ_INT(parse("2026-05-25T05:30:00+02:30"), 1779678000);
	CHECK_EQ_INT(parse("2026-05-24T23:00:00-04:00"), 1779678000);
	CHECK_EQ_INT(parse("2024-02-29T00:00:00Z"), 1709164800);
	CHECK_EQ_INT(parse("2000-02-29T12:00:00Z"), 951825600);
	CHECK_EQ_INT(parse("1990-12-31T23:59:60Z"), 662688000); /* leap second */
}

UNIT_TEST(rfc3339_invalid_forms)
{
	const char *bad[] = {
		"", "2026-05-25", "2026-05-25T03:00Z", "2026-05-25T03:00:00", "26-05-25T03:00:00Z",
		"2026-5-25T03:00:00Z", "2026-05-25 03:00:00Z", "2026-13-01T00:00:00Z", "2026-00-01T00:00:00Z",
		"2026-02-30T00:00:00Z", "2023-02-29T00:00:00Z", "1900-02-29T00:00:00Z", "2026-04-31T00:00:00Z",
		"2026-05-25T24:00:00Z", "2026-05-25T03:60:00Z", "2026-05-25T03:00:61Z", "2026-05-25T03:00:00.Z",
		"2026-05-25T03:00:00+0200", "2026-05-25T03:00:00+24:00", "2026-05-25T03:00:00+02:60",
		"2026-05-25T03:00:00Zjunk", "2026-05-25T03:00:00Z ", " 2026-05-25T03:00:00Z", "2026-05-25T03:00:00UTC",
		"+2026-05-25T03:00:00Z", "2026-05-25T03:00:00.5+2:00",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (parse(bad[i]) != INT64_MIN)
			unit_fail(__FILE__, __LINE__, "accepted \"%s\"", bad[i]);
}

UNIT_TEST(rfc3339_format_round_trip)
{
	char out[RFC3339_UTC_LEN + 1];
	rfc3339_format_utc(0, out);
	CHECK_EQ_STR(out, "1970-01-01T00:00:00Z");
	rfc3339_format_utc(1779678000, out);
	CHECK_EQ_STR(out, "2026-05-25T03:00:00Z");
	rfc3339_format_utc(951825600, out);
	CHECK_EQ_STR(out, "2000-02-29T12:00:00Z");
	for (int64_t t = 0; t < 4102444800; t += 86400 * 37 + 3661) {
		rfc3339_format_utc(t, out);
		if (parse(out) != t) {
			unit_fail(__FILE__, __LINE__, "%lld -> %s does not read back", (long long)t, out);
			break;
		}
	}
}
