/* RFC 8785 JSON Canonicalization Scheme over a jansson value. */
#ifndef KEZ_JCS_H
#define KEZ_JCS_H

#include <jansson.h>

#include "common/base/buf.h"

/* Appends the canonical form of `v` to `out`: object members sorted by their
 * names' UTF-16 code units, strings escaped as RFC 8785 §3.2.2.2 says,
 * numbers as ECMAScript Number.prototype.toString. jansson integers are
 * written as the IEEE double they denote. 0, or -1 when out's limit is hit or
 * a number is not finite. */
int jcs_serialize(const json_t *v, struct buf *out);

/* ECMAScript Number::toString for a finite double ("-0" gives "0").
 * Writes at most 32 bytes including the NUL; returns the length. */
int jcs_format_number(double d, char out[32]);

#endif
