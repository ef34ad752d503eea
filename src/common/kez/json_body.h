/* Signed request bodies as jansson values: the malformed_json rules (API.md
 * check 3) and the quoting of client text in messages, shared by the
 * registration envelope and the sigchain event. */
#ifndef KEZ_JSON_BODY_H
#define KEZ_JSON_BODY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/kez/api_error.h"

/* How much of a client's text a message may quote. */
#define JSON_QUOTE_MAX 40

/* Decodes `body` as one JSON object within the cost caps (json_caps.h:
 * depth and size, checked before decoding), valid UTF-8, no duplicate member names
 * at any depth, no lone surrogates. NULL when it is not, with a sentence in
 * `detail` (when detail_len > 0). *numbers_as_reals is set when an integer
 * too big for json_int_t made every number be read as a double (then 1 and
 * 1.0 can no longer be told apart). Free the result with json_decref. */
json_t *json_body_load(const char *body, size_t len, bool *numbers_as_reals, char *detail, size_t detail_len);

/* Where a check writes the sentence that explains its answer (cap 0: no
 * sentence is wanted). */
struct json_detail {
	char  *text;
	size_t cap;
};

/* Writes the sentence and returns e, so a check can `return json_say(...)`. */
enum api_error json_say(const struct json_detail *d, enum api_error e, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A client's JSON string, to be shown between quotes (json_quote_bytes). */
void json_quote_string(const json_t *s, char out[JSON_QUOTE_MAX + 4]);

/* "an object", "a string", "a number", ... for messages. */
const char *json_kind_of(const json_t *v);

/* Text from outside as a message may show it: at most JSON_QUOTE_MAX bytes of
 * printable ASCII, anything else (and, when it will sit between quotes, '"'
 * and '\\') shown as '?', "..." when cut. */
void json_quote_bytes(const char *s, size_t n, bool in_quotes, char out[JSON_QUOTE_MAX + 4]);

#endif
