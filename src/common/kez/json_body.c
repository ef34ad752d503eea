#include "common/kez/json_body.h"
#include "common/kez/json_caps.h"

#include <stdarg.h>
#include <stdio.h>

#include <stdio.h>
#include <string.h>

void json_quote_bytes(const char *s, size_t n, bool in_quotes, char out[JSON_QUOTE_MAX + 4])
{
	size_t o = 0;
	for (size_t i = 0; i < n && o < JSON_QUOTE_MAX; i++) {
		bool plain = s[i] >= 0x20 && s[i] < 0x7f && !(in_quotes && (s[i] == '"' || s[i] == '\\'));
		out[o++] = plain ? s[i] : '?';
	}
	if (n > JSON_QUOTE_MAX) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
}

const char *json_kind_of(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER:
	case JSON_REAL: return "a number";
	case JSON_TRUE:
	case JSON_FALSE: return "a boolean";
	case JSON_NULL: break;
	}
	return "null";
}

/* JSON_REJECT_DUPLICATES catches duplicate names at any depth; jansson
 * itself refuses invalid UTF-8 and lone surrogate escapes. */
static json_t *decode(const char *body, size_t len, bool *numbers_as_reals, json_error_t *err)
{
	const size_t flags = JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL;
	*numbers_as_reals = false;
	json_t *root = json_loadb(body, len, flags, err);
	/* An integer too big for json_int_t is still valid JSON, and JCS reads
	 * every number as a double anyway: read them all as doubles. */
	if (!root && json_error_code(err) == json_error_numeric_overflow) {
		*numbers_as_reals = true;
		root = json_loadb(body, len, flags | JSON_DECODE_INT_AS_REAL, err);
	}
	return root;
}

json_t *json_body_load(const char *body, size_t len, bool *numbers_as_reals, char *detail, size_t detail_len)
{
	/* The cost caps first, on the raw bytes, so that an expensive body is
	 * refused before jansson allocates anything for it. */
	enum json_caps_verdict cost = json_caps_check(body ? body : "", body ? len : 0);
	if (cost != JSON_CAPS_OK) {
		if (detail_len)
			snprintf(detail, detail_len, "%s", json_caps_reason(cost));
		return NULL;
	}
	json_error_t err;
	json_t *root = decode(body ? body : "", body ? len : 0, numbers_as_reals, &err);
	if (!root) {
		char why[JSON_QUOTE_MAX + 4];
		json_quote_bytes(err.text, strlen(err.text), false, why); /* it may quote the body */
		if (detail_len)
			snprintf(detail, detail_len, "the body is not valid JSON: %s (line %d, column %d)", why, err.line,
				 err.column);
		return NULL;
	}
	if (!json_is_object(root)) {
		if (detail_len)
			snprintf(detail, detail_len, "the body is %s; it must be one JSON object", json_kind_of(root));
		json_decref(root);
		return NULL;
	}
	return root;
}

enum api_error json_say(const struct json_detail *d, enum api_error e, const char *fmt, ...)
{
	if (d->cap) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(d->text, d->cap, fmt, ap);
		va_end(ap);
	}
	return e;
}

void json_quote_string(const json_t *s, char out[JSON_QUOTE_MAX + 4])
{
	json_quote_bytes(json_string_value(s), json_string_length(s), true, out);
}
