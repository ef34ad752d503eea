/* Percent-decoding (RFC 3986) of request paths and query components. */
#ifndef KEZ_PERCENT_H
#define KEZ_PERCENT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Decodes s[0..n) into out, NUL-terminated; '+' becomes a space when
 * plus_is_space (query strings). The decoded length, or -1 for a bad escape,
 * a decoded NUL (never a valid name or path here), or too little room. */
ssize_t percent_decode(const char *s, size_t n, bool plus_is_space, char *out, size_t cap);

#endif
