#include "common/kez/json_caps.h"

#include <stdbool.h>
#include <string.h>

#define TEXT_(n) #n
#define TEXT(n)  TEXT_(n)

/* The index of the quote that closes a string whose first byte is at i (or
 * len): memchr finds the next quote, and a backslash before it means that
 * quote may be escaped, so the scan goes on past the escaped byte. */
static size_t string_end(const char *text, size_t len, size_t i)
{
	while (i < len) {
		const char *quote = memchr(text + i, '"', len - i);
		size_t end = quote ? (size_t)(quote - text) : len;
		const char *escape = memchr(text + i, '\\', end - i);
		if (!escape)
			return end;
		i = (size_t)(escape - text) + 2; /* the escaped byte; \uXXXX's digits need no care */
	}
	return len;
}

/* Only the structure counts: brackets open and close levels, and every
 * member or element is either the first thing in its container or follows a
 * comma. Strings are skipped whole, so brackets and commas inside them are
 * text. No stack is needed, because members and elements count alike. */
enum json_caps_verdict json_caps_check(const char *text, size_t len)
{
	unsigned depth = 0;
	size_t items = 0;
	bool opened = false; /* a container has just opened: the next value, if any, is its first item */
	for (size_t i = 0; i < len; i++) {
		char c = text[i];
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
			continue;
		if (opened && c != '}' && c != ']' && ++items > JSON_CAPS_MAX_ITEMS)
			return JSON_CAPS_TOO_MANY;
		opened = false;
		switch (c) {
		case '{':
		case '[':
			if (++depth > JSON_CAPS_MAX_DEPTH)
				return JSON_CAPS_TOO_DEEP;
			opened = true;
			break;
		case '}':
		case ']':
			if (depth > 0)
				depth--;
			break;
		case ',':
			if (++items > JSON_CAPS_MAX_ITEMS)
				return JSON_CAPS_TOO_MANY;
			break;
		case '"':
			i = string_end(text, len, i + 1);
			break;
		default: break;
		}
	}
	return JSON_CAPS_OK;
}

const char *json_caps_reason(enum json_caps_verdict v)
{
	switch (v) {
	case JSON_CAPS_TOO_DEEP: return "the JSON nests more than " TEXT(JSON_CAPS_MAX_DEPTH) " levels deep";
	case JSON_CAPS_TOO_MANY: return "the JSON has more than " TEXT(JSON_CAPS_MAX_ITEMS) " members and elements in all";
	case JSON_CAPS_OK: break;
	}
	return "";
}
