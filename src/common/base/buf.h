/* A growable byte buffer with a hard upper bound: nothing grows without limit. */
#ifndef KEZ_BUF_H
#define KEZ_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char  *data;
	size_t len;
	size_t cap;
	size_t max; /* appends that would pass this fail */
};

void buf_init(struct buf *b, size_t max);
void buf_free(struct buf *b);
/* Makes room for `extra` more bytes. 0, or -1 past the limit or out of memory. */
int  buf_reserve(struct buf *b, size_t extra);
int  buf_append(struct buf *b, const void *p, size_t n);
int  buf_append_str(struct buf *b, const char *s);
int  buf_putc(struct buf *b, char c);
int  buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int  buf_vprintf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Drops the first n bytes. */
void buf_consume(struct buf *b, size_t n);
static inline void buf_reset(struct buf *b) { b->len = 0; }

#endif
