/* The cost caps on JSON bodies (API.md §5): nesting and the number of
 * members and elements, checked on the raw text before it is parsed, so an
 * expensive body costs one pass over its bytes and no allocation. */
#ifndef KEZ_JSON_CAPS_H
#define KEZ_JSON_CAPS_H

#include <stddef.h>

#define JSON_CAPS_MAX_DEPTH 64  /* objects and arrays nested; the outermost is level 1 */
#define JSON_CAPS_MAX_ITEMS 256 /* members of every object and elements of every array, at every depth */

enum json_caps_verdict {
	JSON_CAPS_OK,       /* within both caps, or not JSON at all (the parser says so) */
	JSON_CAPS_TOO_DEEP, /* more than JSON_CAPS_MAX_DEPTH levels */
	JSON_CAPS_TOO_MANY, /* more than JSON_CAPS_MAX_ITEMS members and elements */
};

/* Counts on the text as it stands, stopping at the first cap passed. Exact
 * for valid JSON; on invalid JSON any verdict is fine, since the body is
 * refused as malformed either way. */
enum json_caps_verdict json_caps_check(const char *text, size_t len);

/* A sentence for a refused verdict ("" for JSON_CAPS_OK). */
const char *json_caps_reason(enum json_caps_verdict v);

#endif
