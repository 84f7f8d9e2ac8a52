/*
 * outbuf.h - buffered output for the tools: millions of short lines are
 * assembled in memory and written in large blocks, and write errors (a
 * full disk, a closed pipe) are remembered and reported once.
 */
#ifndef WEFT_TOOLS_OUTBUF_H
#define WEFT_TOOLS_OUTBUF_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef struct weft__out {
  FILE *f; /* destination; NULL: keep everything in memory */
  char *buf;
  size_t len, cap;
  int failed; /* a write failed */
} weft__out;

/* f NULL: collect in memory (for tests); read it from out->buf/len. */
int weft__out_init(weft__out *o, FILE *f);
/* Flush and free.  Returns 0, or -1 when any write failed. */
int weft__out_close(weft__out *o);
int weft__out_flush(weft__out *o);
/* Bytes are written out in blocks of this size. */
#define WEFT__OUT_BLOCK ((size_t)1 << 16)

/* Everything the inline appends below leave to a call. */
void weft__out_mem_slow(weft__out *o, const void *p, size_t n);

/* Appends are inline: the tree prints tens of millions of short pieces,
 * and for string literals the compiler folds strlen. */
static inline void weft__out_mem(weft__out *o, const void *p, size_t n) {
  if (o->len + n < WEFT__OUT_BLOCK && o->len + n <= o->cap) {
    if (n) /* p may be NULL then */
      memcpy(o->buf + o->len, p, n);
    o->len += n;
  } else {
    weft__out_mem_slow(o, p, n);
  }
}
static inline void weft__out_str(weft__out *o, const char *s) {
  weft__out_mem(o, s, strlen(s));
}
static inline void weft__out_char(weft__out *o, char c) {
  if (o->len < o->cap)
    o->buf[o->len++] = c;
  else
    weft__out_mem_slow(o, &c, 1);
}
void weft__out_i64(weft__out *o, int64_t v);
void weft__out_u64(weft__out *o, uint64_t v);
/* Shortest text that reads back as the same double ("%.17g" at most);
 * NaN and infinities as null. */
void weft__out_f64(weft__out *o, double v);
void weft__out_fmt(weft__out *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* s[0..n) as a JSON string with quotes. */
void weft__out_json_str(weft__out *o, const char *s, size_t n);
/* s[0..n) as a CSV cell (quoted when it holds , " or a line break). */
void weft__out_csv_str(weft__out *o, const char *s, size_t n);

#endif
