/*
 * bytes.c - growable byte arrays: the staging areas a flush fills before
 * its collective writes, reused from one flush to the next.
 */
#include "writer.h"

#include <stdlib.h>
#include <string.h>

void *weft__bytes_push(weft__bytes *b, const void *src, size_t n) {
  if (b->len + n > b->cap) {
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + n)
      cap *= 2;
    unsigned char *p = realloc(b->p, cap);
    if (!p)
      return NULL;
    b->p = p;
    b->cap = cap;
  }
  unsigned char *dst = b->p + b->len;
  if (src)
    memcpy(dst, src, n);
  else
    memset(dst, 0, n);
  b->len += n;
  return dst;
}

void weft__bytes_free(weft__bytes *b) {
  free(b->p);
  b->p = NULL;
  b->len = b->cap = 0;
}
