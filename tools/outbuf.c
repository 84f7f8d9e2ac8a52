/*
 * outbuf.c - the tools' output buffer.
 */
#include "outbuf.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define OUT_BLOCK WEFT__OUT_BLOCK

int weft__out_init(weft__out *o, FILE *f) {
  memset(o, 0, sizeof *o);
  o->f = f;
  o->cap = OUT_BLOCK * 2;
  o->buf = malloc(o->cap);
  return o->buf ? 0 : -1;
}

int weft__out_flush(weft__out *o) {
  if (!o->f || !o->len)
    return o->failed ? -1 : 0;
  if (!o->failed && fwrite(o->buf, 1, o->len, o->f) != o->len)
    o->failed = 1;
  o->len = 0;
  return o->failed ? -1 : 0;
}

int weft__out_close(weft__out *o) {
  weft__out_flush(o);
  if (o->f && fflush(o->f))
    o->failed = 1;
  free(o->buf);
  int rc = o->failed ? -1 : 0;
  memset(o, 0, sizeof *o);
  return rc;
}

static void reserve(weft__out *o, size_t n) {
  if (o->len + n <= o->cap)
    return;
  if (o->f && o->len >= OUT_BLOCK)
    weft__out_flush(o);
  if (o->len + n <= o->cap)
    return;
  size_t nc = o->cap ? o->cap : OUT_BLOCK;
  while (nc < o->len + n)
    nc *= 2;
  char *b = realloc(o->buf, nc);
  if (!b) {
    o->failed = 1;
    return;
  }
  o->buf = b;
  o->cap = nc;
}

void weft__out_mem_slow(weft__out *o, const void *p, size_t n) {
  if (!n)
    return;
  reserve(o, n);
  if (o->len + n > o->cap)
    return;
  memcpy(o->buf + o->len, p, n);
  o->len += n;
  if (o->f && o->len >= OUT_BLOCK)
    weft__out_flush(o);
}

void weft__out_u64(weft__out *o, uint64_t v) {
  static const char pairs[] =
      "00010203040506070809101112131415161718192021222324"
      "25262728293031323334353637383940414243444546474849"
      "50515253545556575859606162636465666768697071727374"
      "75767778798081828384858687888990919293949596979899";
  char b[24];
  int n = 24;
  while (v >= 100) { /* two digits per division */
    unsigned d = (unsigned)(v % 100);
    v /= 100;
    n -= 2;
    memcpy(b + n, pairs + 2 * d, 2);
  }
  if (v >= 10) {
    n -= 2;
    memcpy(b + n, pairs + 2 * v, 2);
  } else {
    b[--n] = (char)('0' + v);
  }
  weft__out_mem(o, b + n, (size_t)(24 - n));
}

void weft__out_i64(weft__out *o, int64_t v) {
  if (v < 0) {
    weft__out_char(o, '-');
    weft__out_u64(o, (uint64_t)0 - (uint64_t)v);
  } else {
    weft__out_u64(o, (uint64_t)v);
  }
}

void weft__out_f64(weft__out *o, double v) {
  if (!isfinite(v)) {
    weft__out_str(o, "null");
    return;
  }
  char b[40];
  /* The shortest of %.15g..%.17g that round-trips. */
  for (int prec = 15; prec <= 17; prec++) {
    snprintf(b, sizeof b, "%.*g", prec, v);
    if (strtod(b, NULL) == v)
      break;
  }
  /* Keep it a JSON/Python float when it looks like an integer. */
  if (!strpbrk(b, ".eEn"))
    strcat(b, ".0");
  weft__out_str(o, b);
}

void weft__out_fmt(weft__out *o, const char *fmt, ...) {
  char small[256];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(small, sizeof small, fmt, ap);
  va_end(ap);
  if (n < 0)
    return;
  if ((size_t)n < sizeof small) {
    weft__out_mem(o, small, (size_t)n);
    return;
  }
  char *big = malloc((size_t)n + 1);
  if (!big) {
    o->failed = 1;
    return;
  }
  va_start(ap, fmt);
  vsnprintf(big, (size_t)n + 1, fmt, ap);
  va_end(ap);
  weft__out_mem(o, big, (size_t)n);
  free(big);
}

void weft__out_json_str(weft__out *o, const char *s, size_t n) {
  static const char hex[] = "0123456789abcdef";
  weft__out_char(o, '"');
  size_t run = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c >= 0x20 && c != '"' && c != '\\')
      continue;
    weft__out_mem(o, s + run, i - run);
    run = i + 1;
    char e[7] = {'\\', 0};
    switch (c) {
    case '"':
    case '\\':
      e[1] = (char)c;
      weft__out_mem(o, e, 2);
      break;
    case '\n':
      weft__out_mem(o, "\\n", 2);
      break;
    case '\t':
      weft__out_mem(o, "\\t", 2);
      break;
    case '\r':
      weft__out_mem(o, "\\r", 2);
      break;
    default:
      e[1] = 'u';
      e[2] = '0';
      e[3] = '0';
      e[4] = hex[c >> 4];
      e[5] = hex[c & 15];
      weft__out_mem(o, e, 6);
    }
  }
  weft__out_mem(o, s + run, n - run);
  weft__out_char(o, '"');
}

void weft__out_csv_str(weft__out *o, const char *s, size_t n) {
  if (!memchr(s, ',', n) && !memchr(s, '"', n) && !memchr(s, '\n', n) &&
      !memchr(s, '\r', n)) {
    weft__out_mem(o, s, n);
    return;
  }
  weft__out_char(o, '"');
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '"')
      weft__out_char(o, '"');
    weft__out_char(o, s[i]);
  }
  weft__out_char(o, '"');
}
