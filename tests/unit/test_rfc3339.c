/* RFC 3339 date-times (check 11) and the UTC form the registry writes. */
#include "common/kez/rfc3339.h"
#include "unit.h"

#define REFUSED INT64_MIN

static int64_t parse(const char *s)
{
	int64_t t = -1;
	return rfc3339_parse(s, strlen(s), &t) == 0 ? t : REFUSED;
}

UNIT_TEST(rfc3339_valid_forms)
{
	CHECK_EQ_INT(parse("1970-01-01T00:00:00Z"), 0);
	CHECK_EQ_INT(parse("2026-05-25T03:00:00Z"), 1779678000);
	CHECK_EQ_INT(parse("2026-05-25t03:00:00z"), 1779678000); /* RFC 3339 §5.6 NOTE */
	CHECK_EQ_INT(parse("2026-05-25T03:00:00.1Z"), 1779678000);
	CHECK_EQ_INT(parse("2026-05-25T03:00:00.999999999999Z"), 1779678000); /* fraction dropped */
	CHECK_EQ_INT(parse("2026-05-25T05:30:00+02:30"), 1779678000);
	CHECK_EQ_INT(parse("2026-05-24T23:00:00-04:00"), 1779678000);
	CHECK_EQ_INT(parse("2026-05-25T03:00:00+00:00"), 1779678000);
	CHECK_EQ_INT(parse("2026-05-25T03:00:00-00:00"), 1779678000); /* "offset unknown" */
	CHECK_EQ_INT(parse("2026-05-26T02:59:00+23:59"), 1779678000);
	CHECK_EQ_INT(parse("2026-05-25T05:30:00.25+02:30"), 1779678000);
	CHECK_EQ_INT(parse("1969-12-31T23:59:59Z"), -1);
	CHECK_EQ_INT(parse("0000-01-01T00:00:00Z"), -62167219200LL);
	CHECK_EQ_INT(parse("9999-12-31T23:59:59Z"), 253402300799LL);
	CHECK_EQ_INT(parse("1990-12-31T23:59:60Z"), 662688000); /* a leap second reads as the next second */
}

UNIT_TEST(rfc3339_calendar)
{
	/* leap years: every 4th, not every 100th, yet every 400th */
	CHECK_EQ_INT(parse("2024-02-29T00:00:00Z"), 1709164800);
	CHECK_EQ_INT(parse("2000-02-29T12:00:00Z"), 951825600);
	CHECK(parse("2023-02-29T00:00:00Z") == REFUSED);
	CHECK(parse("1900-02-29T00:00:00Z") == REFUSED);
	CHECK(parse("2100-02-29T00:00:00Z") == REFUSED);
	CHECK(parse("2024-02-30T00:00:00Z") == REFUSED);
	/* the last day of every month, and the day after it */
	static const int last[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	for (int m = 1; m <= 12; m++) {
		char s[32];
		snprintf(s, sizeof s, "2026-%02d-%02dT00:00:00Z", m, last[m - 1]);
		if (parse(s) == REFUSED)
			unit_fail(__FILE__, __LINE__, "refused %s", s);
		snprintf(s, sizeof s, "2026-%02d-%02dT00:00:00Z", m, last[m - 1] + 1);
		if (parse(s) != REFUSED)
			unit_fail(__FILE__, __LINE__, "accepted %s", s);
	}
	CHECK(parse("2026-01-00T00:00:00Z") == REFUSED);
	CHECK(parse("2026-00-01T00:00:00Z") == REFUSED);
	CHECK(parse("2026-13-01T00:00:00Z") == REFUSED);
	/* consecutive days are 86400 s apart across month and year ends */
	CHECK_EQ_INT(parse("2027-01-01T00:00:00Z") - parse("2026-12-31T00:00:00Z"), 86400);
	CHECK_EQ_INT(parse("2024-03-01T00:00:00Z") - parse("2024-02-29T00:00:00Z"), 86400);
}

UNIT_TEST(rfc3339_time_ranges)
{
	CHECK(parse("2026-05-25T23:59:59Z") != REFUSED);
	CHECK(parse("2026-05-25T24:00:00Z") == REFUSED);
	CHECK(parse("2026-05-25T03:59:00Z") != REFUSED);
	CHECK(parse("2026-05-25T03:60:00Z") == REFUSED);
	CHECK(parse("2026-05-25T03:00:60Z") != REFUSED);
	CHECK(parse("2026-05-25T03:00:61Z") == REFUSED);
	CHECK(parse("2026-05-25T03:00:00+23:59") != REFUSED);
	CHECK(parse("2026-05-25T03:00:00+24:00") == REFUSED);
	CHECK(parse("2026-05-25T03:00:00+02:59") != REFUSED);
	CHECK(parse("2026-05-25T03:00:00+02:60") == REFUSED);
}

UNIT_TEST(rfc3339_invalid_forms)
{
	const char *bad[] = {
		"", "2026-05-25", "2026-05-25T", "2026-05-25T03:00Z", "2026-05-25T03:00:00",
		"2026-05-25T03:00:00.123", "26-05-25T03:00:00Z", "226-05-25T03:00:00Z", "02026-05-25T03:00:00Z",
		"2026-5-25T03:00:00Z", "2026-05-5T03:00:00Z", "2026-05-25T3:00:00Z", "2026-05-25T03:0:00Z",
		"2026-05-25T03:00:0Z", "2026-05-25 03:00:00Z", "2026-05-25_03:00:00Z", "2026/05/25T03:00:00Z",
		"2026-05-25T03.00.00Z", "2026-05-25T03:00:00.Z", "2026-05-25T03:00:00,5Z", "2026-05-25T03:00:00.5.5Z",
		"2026-05-25T03:00:00+0200", "2026-05-25T03:00:00+02", "2026-05-25T03:00:00+2:00",
		"2026-05-25T03:00:00+02:0", "2026-05-25T03:00:00 +02:00", "2026-05-25T03:00:00Z+02:00",
		"2026-05-25T03:00:00+02:00Z", "2026-05-25T03:00:00Zjunk", "2026-05-25T03:00:00Z ",
		" 2026-05-25T03:00:00Z", "2026-05-25T03:00:00UTC", "2026-05-25T03:00:00GMT", "+2026-05-25T03:00:00Z",
		"-2026-05-25T03:00:00Z", "2026-05-25T03:00:00.5+2:00", "2026-05-25T03:00:00.5", "2026-0a-25T03:00:00Z",
		"2026-05-25T03:00:00\xef\xbc\xba", "\xef\xbc\x92""026-05-25T03:00:00Z", "2026-05-25T03:00:00-",
		"2026-05-25T03:00:00+", "2026-05-25T03:00:00+02:00:00", "2026-W21-1T03:00:00Z", "2026-145T03:00:00Z",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (parse(bad[i]) != REFUSED)
			unit_fail(__FILE__, __LINE__, "accepted \"%s\"", bad[i]);
	/* the length given counts: a valid prefix is not enough, a NUL inside is refused */
	int64_t t;
	CHECK(rfc3339_parse("2026-05-25T03:00:00Zjunk", 20, &t) == 0 && t == 1779678000);
	CHECK(rfc3339_parse("2026-05-25T03:00:00Z", 19, &t) == -1);
	CHECK(rfc3339_parse("2026-05-25T03:00:00Z\0", 21, &t) == -1);
	CHECK(rfc3339_parse("2026-05-25T03:00:00.\0Z", 22, &t) == -1);
}

UNIT_TEST(rfc3339_format)
{
	char out[RFC3339_UTC_LEN + 1];
	rfc3339_format_utc(0, out);
	CHECK_EQ_STR(out, "1970-01-01T00:00:00Z");
	rfc3339_format_utc(1779678000, out);
	CHECK_EQ_STR(out, "2026-05-25T03:00:00Z");
	rfc3339_format_utc(951825600, out);
	CHECK_EQ_STR(out, "2000-02-29T12:00:00Z");
	rfc3339_format_utc(-1, out);
	CHECK_EQ_STR(out, "1969-12-31T23:59:59Z");
	rfc3339_format_utc(-62167219200LL, out);
	CHECK_EQ_STR(out, "0000-01-01T00:00:00Z");
	rfc3339_format_utc(253402300799LL, out);
	CHECK_EQ_STR(out, "9999-12-31T23:59:59Z");
	/* outside four-digit years: a fixed answer, no overflow */
	rfc3339_format_utc(253402300800LL, out);
	CHECK_EQ_INT(strlen(out), RFC3339_UTC_LEN);
	rfc3339_format_utc(INT64_MAX, out);
	CHECK_EQ_INT(strlen(out), RFC3339_UTC_LEN);
	rfc3339_format_utc(INT64_MIN, out);
	CHECK_EQ_INT(strlen(out), RFC3339_UTC_LEN);
}

UNIT_TEST(rfc3339_format_round_trip)
{
	char out[RFC3339_UTC_LEN + 1];
	/* steps that land on every time of day and every day of the year */
	for (int64_t t = -62167219200LL; t < 253402300799LL; t += 86400LL * 37 + 3661) {
		rfc3339_format_utc(t, out);
		if (parse(out) != t) {
			unit_fail(__FILE__, __LINE__, "%lld -> %s does not read back", (long long)t, out);
			break;
		}
	}
}
