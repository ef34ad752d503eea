#include "common/kez/rfc3339.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static bool is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int64_t y, int m)
{
	static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date, by era arithmetic:
 * no timegm, no locale, no time zone. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static bool digits(const char *s, size_t n, int *out)
{
	int v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

int rfc3339_parse(const char *s, size_t len, int64_t *unix_seconds)
{
	int32_t nanos;
	return rfc3339_parse_ns(s, len, unix_seconds, &nanos);
}

int rfc3339_parse_ns(const char *s, size_t len, int64_t *unix_seconds, int32_t *nanos)
{
	int year, month, day, hour, minute, second;
	/* YYYY-MM-DDTHH:MM:SS is 19 bytes; at least a 'Z' follows. */
	if (!s || len < 20 || !digits(s, 4, &year) || s[4] != '-' || !digits(s + 5, 2, &month) || s[7] != '-' ||
	    !digits(s + 8, 2, &day) || (s[10] != 'T' && s[10] != 't') || !digits(s + 11, 2, &hour) ||
	    s[13] != ':' || !digits(s + 14, 2, &minute) || s[16] != ':' || !digits(s + 17, 2, &second))
		return -1;
	if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month) || hour > 23 ||
	    minute > 59 || second > 60)
		return -1;
	size_t i = 19;
	int32_t ns = 0;
	if (s[i] == '.') { /* digits past the ninth are read and dropped */
		size_t start = ++i;
		int32_t scale = 100000000;
		for (; i < len && s[i] >= '0' && s[i] <= '9'; i++, scale /= 10)
			ns += (s[i] - '0') * scale;
		if (i == start)
			return -1;
	}
	int64_t offset = 0;
	if (i < len && (s[i] == 'Z' || s[i] == 'z')) {
		i++;
	} else if (i < len && (s[i] == '+' || s[i] == '-')) {
		int oh, om;
		if (len - i < 6 || !digits(s + i + 1, 2, &oh) || s[i + 3] != ':' || !digits(s + i + 4, 2, &om) ||
		    oh > 23 || om > 59)
			return -1;
		offset = (int64_t)(oh * 60 + om) * 60;
		if (s[i] == '-')
			offset = -offset;
		i += 6;
	} else {
		return -1;
	}
	if (i != len)
		return -1;
	int64_t t = days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second;
	*unix_seconds = t - offset;
	*nanos = ns;
	return 0;
}

/* 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z: the four-digit years. */
#define FIRST_FOUR_DIGIT_SECOND (-62167219200LL)
#define LAST_FOUR_DIGIT_SECOND  253402300799LL

void rfc3339_format_utc(int64_t t, char out[RFC3339_UTC_LEN + 1])
{
	/* Outside the years RFC 3339 can write, say so plainly, before any
	 * arithmetic could overflow. */
	if (t < FIRST_FOUR_DIGIT_SECOND || t > LAST_FOUR_DIGIT_SECOND) {
		memcpy(out, "0000-01-01T00:00:00Z", RFC3339_UTC_LEN + 1);
		return;
	}
	int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
	int64_t secs = t - days * 86400;
	/* civil_from_days, the inverse of the above */
	int64_t z = days + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t y = yoe + era * 400;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	int d = (int)(doy - (153 * mp + 2) / 5 + 1);
	int m = (int)(mp < 10 ? mp + 3 : mp - 9);
	y += m <= 2;
	/* Digit by digit: this runs for every lookup's registered_at. */
	unsigned fields[6] = { (unsigned)y, (unsigned)m, (unsigned)d, (unsigned)(secs / 3600),
			       (unsigned)(secs / 60 % 60), (unsigned)(secs % 60) };
	memcpy(out, "0000-00-00T00:00:00Z", RFC3339_UTC_LEN + 1);
	static const int ends[6] = { 4, 7, 10, 13, 16, 19 }; /* one past each field's last digit */
	for (int f = 0; f < 6; f++) {
		unsigned v = fields[f];
		for (int pos = ends[f] - 1, n = f == 0 ? 4 : 2; n > 0; n--, pos--, v /= 10)
			out[pos] = (char)('0' + v % 10);
	}
}
