#include "common/kez/jcs.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* jansson never decodes deeper than this, so anything it parsed can be
 * canonicalized; the bound keeps the recursion's stack use fixed. */
#define JCS_MAX_DEPTH JSON_PARSER_MAX_DEPTH

/* --- numbers: ECMAScript Number::toString ------------------------------ */

#define MAX_DIGITS 17 /* every double round-trips through 17 significant digits */

/* A positive finite double's decimal approximation: `count` significant
 * digits d1 d2 ... and the power of ten of d1. */
struct decimal {
	char digits[MAX_DIGITS + 1];
	int  count;
	int  exp10;
};

/* The correctly rounded `count`-digit approximation of d (glibc's printf is
 * exact). Only digits are taken from the text, so the locale's radix
 * character does not matter. */
static void nearest_decimal(double d, int count, struct decimal *dec)
{
	char sci[48];
	snprintf(sci, sizeof sci, "%.*e", count - 1, d);
	const char *c = sci;
	dec->count = 0;
	for (; *c && *c != 'e'; c++)
		if (*c >= '0' && *c <= '9' && dec->count < MAX_DIGITS)
			dec->digits[dec->count++] = *c;
	dec->exp10 = *c == 'e' ? atoi(c + 1) : 0;
}

/* The double that `dec` reads back as. Written as an integer mantissa and an
 * exponent ("12345e-3"), which strtod reads the same in every locale. */
static double read_back(const struct decimal *dec)
{
	char text[48];
	snprintf(text, sizeof text, "%.*se%d", dec->count, dec->digits, dec->exp10 - (dec->count - 1));
	return strtod(text, NULL);
}

/* Moves `dec` one unit of its last digit up (+1) or down (-1), keeping
 * `count` digits. */
static void step_last_digit(struct decimal *dec, int direction)
{
	char *p = dec->digits;
	int i = dec->count - 1;
	if (direction > 0) {
		for (; i >= 0 && p[i] == '9'; i--)
			p[i] = '0';
		if (i >= 0) {
			p[i]++;
		} else { /* 99..9 + 1 = 10..0, one power of ten up */
			p[0] = '1';
			dec->exp10++;
		}
	} else {
		for (; i >= 0 && p[i] == '0'; i--)
			p[i] = '9';
		if (i < 0) /* all zeros: not the decimal of a positive number */
			return;
		p[i]--;
		if (p[0] == '0') { /* 10..0 - 1 = 99..9, one power of ten down */
			memmove(p, p + 1, (size_t)dec->count - 1);
			p[dec->count - 1] = '9';
			dec->exp10--;
		}
	}
}

/* True when some `count`-digit decimal reads back as d; `dec` is then the
 * closest such. The closest candidate is the correctly rounded one; when it
 * fails only the nearest candidate on the other side of d can still read
 * back (at powers of two the doubles below are twice as close as those
 * above, so the interval is lopsided). */
static bool fits_in(double d, int count, struct decimal *dec)
{
	nearest_decimal(d, count, dec);
	double back = read_back(dec);
	if (back == d)
		return true;
	struct decimal other = *dec;
	step_last_digit(&other, back < d ? +1 : -1);
	if (read_back(&other) != d)
		return false;
	*dec = other;
	return true;
}

/* ECMAScript asks for the fewest digits that read back as d and, among
 * those, the ones closest to d. A k-digit decimal is also a (k+1)-digit one
 * (a trailing 0), so whether a length fits only turns from no to yes as it
 * grows: a binary search finds the fewest in 4 tries, not up to 16. */
static void shortest_decimal(double d, struct decimal *dec)
{
	int lo = 1, hi = MAX_DIGITS; /* MAX_DIGITS always fits; below lo none does */
	bool found = false;
	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;
		struct decimal t;
		if (fits_in(d, mid, &t)) {
			hi = mid;
			*dec = t;
			found = true;
		} else {
			lo = mid + 1;
		}
	}
	if (!found) /* hi never moved: only MAX_DIGITS does */
		nearest_decimal(d, MAX_DIGITS, dec);
}

int jcs_format_number(double d, char out[32])
{
	if (d == 0 || !isfinite(d)) { /* both zeros; the rest is the caller's error */
		memcpy(out, "0", 2);
		return 1;
	}
	int o = 0;
	if (d < 0) {
		out[o++] = '-';
		d = -d;
	}
	/* Whole numbers below 2^53 are their own shortest form: every integer
	 * there is a double, so no shorter digit string reads back the same. */
	if (d < 9007199254740992.0 && d == floor(d)) {
		char rev[20];
		int r = 0;
		for (uint64_t u = (uint64_t)d; u; u /= 10)
			rev[r++] = (char)('0' + u % 10);
		while (r)
			out[o++] = rev[--r];
		out[o] = '\0';
		return o;
	}
	struct decimal dec;
	shortest_decimal(d, &dec);
	int k = dec.count;
	while (k > 1 && dec.digits[k - 1] == '0')
		k--;
	const char *digits = dec.digits;
	int n = dec.exp10 + 1; /* d = 0.d1d2...dk × 10^n */

	/* The layout rules of Number::toString, steps 6 to 10. The longest
	 * output is "-" 17 digits "." "e-" 3 digits: 25 bytes. */
	if (k <= n && n <= 21) {
		memcpy(out + o, digits, (size_t)k);
		o += k;
		memset(out + o, '0', (size_t)(n - k));
		o += n - k;
	} else if (0 < n && n <= 21) {
		memcpy(out + o, digits, (size_t)n);
		o += n;
		out[o++] = '.';
		memcpy(out + o, digits + n, (size_t)(k - n));
		o += k - n;
	} else if (-6 < n && n <= 0) {
		out[o++] = '0';
		out[o++] = '.';
		memset(out + o, '0', (size_t)-n);
		o += -n;
		memcpy(out + o, digits, (size_t)k);
		o += k;
	} else {
		out[o++] = digits[0];
		if (k > 1) {
			out[o++] = '.';
			memcpy(out + o, digits + 1, (size_t)(k - 1));
			o += k - 1;
		}
		int e = n - 1;
		o += snprintf(out + o, (size_t)(32 - o), "e%c%d", e < 0 ? '-' : '+', e < 0 ? -e : e);
	}
	out[o] = '\0';
	return o;
}

/* --- strings ----------------------------------------------------------- */

/* RFC 8785 §3.2.2.2: the two-character escapes where JSON has them, \u00xx
 * for the other controls, everything else (DEL, U+2028, ...) as it is. */
static int write_string(struct buf *out, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	if (buf_putc(out, '"') < 0)
		return -1;
	size_t run = 0; /* bytes copied as they are, flushed in one go */
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		char esc[6] = { '\\', 0 };
		size_t esc_len = 2;
		switch (ch) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\b': esc[1] = 'b'; break;
		case '\f': esc[1] = 'f'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		default:
			if (ch >= 0x20) {
				run++;
				continue;
			}
			memcpy(esc + 1, "u00", 3);
			esc[4] = hex[ch >> 4];
			esc[5] = hex[ch & 15];
			esc_len = 6;
		}
		if (buf_append(out, s + i - run, run) < 0 || buf_append(out, esc, esc_len) < 0)
			return -1;
		run = 0;
	}
	if (buf_append(out, s + len - run, run) < 0)
		return -1;
	return buf_putc(out, '"');
}

/* --- member order: UTF-16 code units ----------------------------------- */

struct utf16_reader {
	const unsigned char *p, *end;
	uint16_t             pending_low; /* second half of a surrogate pair */
};

/* Next UTF-16 code unit, or -1 at the end. jansson has checked that the
 * text is UTF-8 without surrogates; a truncated sequence still ends cleanly. */
static int next_unit(struct utf16_reader *r)
{
	if (r->pending_low) {
		int u = r->pending_low;
		r->pending_low = 0;
		return u;
	}
	if (r->p >= r->end)
		return -1;
	unsigned char b = *r->p++;
	int extra = b < 0x80 ? 0 : b < 0xe0 ? 1 : b < 0xf0 ? 2 : 3;
	uint32_t cp = extra == 0 ? b : extra == 1 ? b & 0x1fu : extra == 2 ? b & 0x0fu : b & 0x07u;
	for (int i = 0; i < extra && r->p < r->end; i++)
		cp = cp << 6 | (*r->p++ & 0x3fu);
	if (cp < 0x10000)
		return (int)cp;
	cp -= 0x10000;
	r->pending_low = (uint16_t)(0xdc00 | (cp & 0x3ff));
	return (int)(0xd800 | ((cp >> 10) & 0x3ff));
}

struct member {
	const char *key;
	size_t      len;
	json_t     *value;
};

static int compare_members(const void *a, const void *b)
{
	const struct member *x = a, *y = b;
	struct utf16_reader rx = { (const unsigned char *)x->key, (const unsigned char *)x->key + x->len, 0 };
	struct utf16_reader ry = { (const unsigned char *)y->key, (const unsigned char *)y->key + y->len, 0 };
	for (;;) {
		int ux = next_unit(&rx), uy = next_unit(&ry);
		if (ux != uy)
			return ux < uy ? -1 : 1; /* -1 (ended) sorts first: a prefix comes first */
		if (ux < 0)
			return 0;
	}
}

/* --- values ------------------------------------------------------------ */

static int write_value(const json_t *v, struct buf *out, int depth);

static int write_object(const json_t *v, struct buf *out, int depth)
{
	size_t n = json_object_size(v);
	if (n == 0)
		return buf_append(out, "{}", 2);
	struct member *m = malloc(n * sizeof *m);
	if (!m)
		return -1;
	size_t i = 0;
	const char *key;
	size_t key_len;
	json_t *value;
	json_object_keylen_foreach((json_t *)v, key, key_len, value)
	{
		if (i < n)
			m[i++] = (struct member){ key, key_len, value };
	}
	n = i;
	qsort(m, n, sizeof *m, compare_members);
	int rc = buf_putc(out, '{');
	for (i = 0; rc == 0 && i < n; i++) {
		if ((i && buf_putc(out, ',') < 0) || write_string(out, m[i].key, m[i].len) < 0 ||
		    buf_putc(out, ':') < 0 || write_value(m[i].value, out, depth + 1) < 0)
			rc = -1;
	}
	free(m);
	return rc < 0 ? -1 : buf_putc(out, '}');
}

static int write_array(const json_t *v, struct buf *out, int depth)
{
	if (buf_putc(out, '[') < 0)
		return -1;
	size_t n = json_array_size(v);
	for (size_t i = 0; i < n; i++)
		if ((i && buf_putc(out, ',') < 0) || write_value(json_array_get(v, i), out, depth + 1) < 0)
			return -1;
	return buf_putc(out, ']');
}

static int write_number(double d, struct buf *out)
{
	char num[32];
	if (!isfinite(d))
		return -1;
	int n = jcs_format_number(d, num);
	return buf_append(out, num, (size_t)n);
}

static int write_value(const json_t *v, struct buf *out, int depth)
{
	if (!v || depth > JCS_MAX_DEPTH)
		return -1;
	switch (json_typeof(v)) {
	case JSON_OBJECT: return write_object(v, out, depth);
	case JSON_ARRAY: return write_array(v, out, depth);
	case JSON_STRING: return write_string(out, json_string_value(v), json_string_length(v));
	/* JCS reads every number as an IEEE double, integers included
	 * (9007199254740993 is written 9007199254740992). */
	case JSON_INTEGER: return write_number((double)json_integer_value(v), out);
	case JSON_REAL: return write_number(json_real_value(v), out);
	case JSON_TRUE: return buf_append(out, "true", 4);
	case JSON_FALSE: return buf_append(out, "false", 5);
	case JSON_NULL: return buf_append(out, "null", 4);
	}
	return -1;
}

int jcs_serialize(const json_t *v, struct buf *out)
{
	return write_value(v, out, 0);
}
