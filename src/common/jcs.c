#include "common/jcs.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- numbers: ECMAScript Number::toString ------------------------------ */

int jcs_format_number(double d, char out[32])
{
	if (d == 0) { /* both zeros */
		out[0] = '0';
		out[1] = '\0';
		return 1;
	}
	int o = 0;
	if (d < 0) {
		out[o++] = '-';
		d = -d;
	}
	/* The shortest digit string that reads back as d: %.*e rounds
	 * correctly, so the first precision that round-trips is both shortest
	 * and closest, as ECMAScript asks. */
	char sci[40];
	for (int p = 1; p <= 17; p++) {
		snprintf(sci, sizeof sci, "%.*e", p - 1, d);
		if (strtod(sci, NULL) == d)
			break;
	}
	char digits[20];
	int k = 0;
	const char *c = sci;
	for (; *c && *c != 'e'; c++)
		if (*c >= '0' && *c <= '9')
			digits[k++] = *c;
	while (k > 1 && digits[k - 1] == '0')
		k--;
	int n = atoi(c + 1) + 1; /* d = 0.digits × 10^n */

	if (k <= n && n <= 21) {
		memcpy(out + o, digits, (size_t)k);
		o += k;
		for (int i = 0; i < n - k; i++)
			out[o++] = '0';
	} else if (0 < n && n <= 21) {
		memcpy(out + o, digits, (size_t)n);
		o += n;
		out[o++] = '.';
		memcpy(out + o, digits + n, (size_t)(k - n));
		o += k - n;
	} else if (-6 < n && n <= 0) {
		out[o++] = '0';
		out[o++] = '.';
		for (int i = 0; i < -n; i++)
			out[o++] = '0';
		memcpy(out + o, digits, (size_t)k);
		o += k;
	} else {
		out[o++] = digits[0];
		if (k > 1) {
			out[o++] = '.';
			memcpy(out + o, digits + 1, (size_t)(k - 1));
			o += k - 1;
		}
		o += snprintf(out + o, (size_t)(32 - o), "e%c%d", n - 1 < 0 ? '-' : '+', abs(n - 1));
	}
	out[o] = '\0';
	return o;
}

/* --- strings ----------------------------------------------------------- */

static int write_string(struct buf *out, const char *s, size_t len)
{
	if (buf_putc(out, '"') < 0)
		return -1;
	size_t run = 0; /* bytes copied as they are, flushed in one go */
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		const char *esc = NULL;
		char hex[8];
		switch (ch) {
		case '"': esc = "\\\""; break;
		case '\\': esc = "\\\\"; break;
		case '\b': esc = "\\b"; break;
		case '\f': esc = "\\f"; break;
		case '\n': esc = "\\n"; break;
		case '\r': esc = "\\r"; break;
		case '\t': esc = "\\t"; break;
		default:
			if (ch < 0x20) {
				snprintf(hex, sizeof hex, "\\u%04x", ch);
				esc = hex;
			}
		}
		if (!esc) {
			run++;
			continue;
		}
		if (buf_append(out, s + i - run, run) < 0 || buf_append_str(out, esc) < 0)
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

/* Next UTF-16 code unit, or -1 at the end. The input is valid UTF-8
 * (jansson checked it). */
static int next_unit(struct utf16_reader *r)
{
	if (r->pending_low) {
		int u = r->pending_low;
		r->pending_low = 0;
		return u;
	}
	if (r->p >= r->end)
		return -1;
	uint32_t cp;
	unsigned char b = *r->p++;
	int extra = b < 0x80 ? 0 : b < 0xe0 ? 1 : b < 0xf0 ? 2 : 3;
	cp = extra == 0 ? b : extra == 1 ? b & 0x1f : extra == 2 ? b & 0x0f : b & 0x07;
	for (int i = 0; i < extra && r->p < r->end; i++)
		cp = cp << 6 | (*r->p++ & 0x3f);
	if (cp < 0x10000)
		return (int)cp;
	cp -= 0x10000;
	r->pending_low = (uint16_t)(0xdc00 | (cp & 0x3ff));
	return (int)(0xd800 | (cp >> 10));
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
			return ux < uy ? -1 : 1; /* -1 (ended) sorts first */
		if (ux < 0)
			return 0;
	}
}

/* --- values ------------------------------------------------------------ */

static int write_value(const json_t *v, struct buf *out, int depth);

static int write_object(const json_t *v, struct buf *out, int depth)
{
	size_t n = json_object_size(v);
	struct member *m = n ? malloc(n * sizeof *m) : NULL;
	if (n && !m)
		return -1;
	size_t i = 0;
	const char *key;
	size_t key_len;
	json_t *value;
	json_object_keylen_foreach((json_t *)v, key, key_len, value)
	{
		m[i++] = (struct member){ key, key_len, value };
	}
	if (n > 1)
		qsort(m, n, sizeof *m, compare_members);
	int rc = buf_putc(out, '{');
	for (i = 0; rc == 0 && i < n; i++) {
		if (i && buf_putc(out, ',') < 0)
			rc = -1;
		else if (write_string(out, m[i].key, m[i].len) < 0 || buf_putc(out, ':') < 0 ||
			 write_value(m[i].value, out, depth + 1) < 0)
			rc = -1;
	}
	free(m);
	return rc < 0 ? -1 : buf_putc(out, '}');
}

static int write_value(const json_t *v, struct buf *out, int depth)
{
	char num[32];
	if (depth > 1000)
		return -1;
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return write_object(v, out, depth);
	case JSON_ARRAY: {
		if (buf_putc(out, '[') < 0)
			return -1;
		for (size_t i = 0; i < json_array_size(v); i++)
			if ((i && buf_putc(out, ',') < 0) || write_value(json_array_get(v, i), out, depth + 1) < 0)
				return -1;
		return buf_putc(out, ']');
	}
	case JSON_STRING:
		return write_string(out, json_string_value(v), json_string_length(v));
	case JSON_INTEGER:
	case JSON_REAL: {
		double d = json_is_integer(v) ? (double)json_integer_value(v) : json_real_value(v);
		if (!isfinite(d))
			return -1;
		jcs_format_number(d, num);
		return buf_append_str(out, num);
	}
	case JSON_TRUE: return buf_append_str(out, "true");
	case JSON_FALSE: return buf_append_str(out, "false");
	case JSON_NULL: return buf_append_str(out, "null");
	}
	return -1;
}

int jcs_serialize(const json_t *v, struct buf *out)
{
	return write_value(v, out, 0);
}
