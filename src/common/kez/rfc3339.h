/* RFC 3339 date-times (API.md §3, check 11). */
#ifndef KEZ_RFC3339_H
#define KEZ_RFC3339_H

#include <stddef.h>
#include <stdint.h>

#define RFC3339_UTC_LEN 20 /* "2026-05-25T03:00:00Z" */

/* Parses "YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)" (T and Z in either case, as
 * RFC 3339 §5.6 allows) into UTC unix seconds (fraction dropped). Checks
 * ranges: month 1–12, day within the month (leap years), hour 0–23, minute
 * 0–59, second 0–60, offset hours 0–23 and minutes 0–59. 0, or -1. */
int  rfc3339_parse(const char *s, size_t len, int64_t *unix_seconds);
/* The same, keeping the fraction: *nanos in 0..999999999 (digits past the
 * ninth dropped). */
int  rfc3339_parse_ns(const char *s, size_t len, int64_t *unix_seconds, int32_t *nanos);
/* Writes "YYYY-MM-DDTHH:MM:SSZ" and a NUL. */
void rfc3339_format_utc(int64_t unix_seconds, char out[RFC3339_UTC_LEN + 1]);

#endif
