#include "common/kez/json_caps.h"

#include <stdbool.h>

#define TEXT_(n) #n
#define TEXT(n)  TEXT_(n)

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
			for (i++; i < len && text[i] != '"'; i++)
				if (text[i] == '\\')
					i++; /* the escaped byte; \uXXXX's digits need no care */
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
