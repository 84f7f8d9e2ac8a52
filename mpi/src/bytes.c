/*
 * bytes.c - growable byte arrays: the staging areas a flush fills before
 * its collective writes, reused from one flush to the next.
 *
 * An area of 2 MiB or more is its own mapping, aligned to 2 MiB and
 * advised for transparent huge pages.  The first flush of a job faults
 * its areas in (a round of records is ~10 MiB: flush.c), and faulting
 * them in 4 KiB at a time was a third of the staging time (bench/flush:
 * ~1.4 us per 4 KiB page on the development VM); a huge page is zeroed
 * and mapped in one fault.  Without THP (or with
 * THP off) the advice is ignored and the area gets ordinary pages.
 */
#include "writer.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define HUGE ((size_t)2 << 20)

/* AddressSanitizer checks malloc'd memory, not mappings: under it every
 * area stays malloc's, so that an overrun of a big staging area is seen. */
#if defined(__SANITIZE_ADDRESS__)
#define MAP_AREAS 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MAP_AREAS 0
#endif
#endif
#ifndef MAP_AREAS
#define MAP_AREAS 1
#endif

static unsigned char *map_huge(size_t len) {
  size_t span = len + HUGE;
  unsigned char *m = mmap(NULL, span, PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED)
    return NULL;
  /* Keep the 2 MiB-aligned len bytes inside the span, unmap the rest. */
  unsigned char *a =
      (unsigned char *)(((uintptr_t)m + HUGE - 1) & ~(uintptr_t)(HUGE - 1));
  if (a > m)
    munmap(m, (size_t)(a - m));
  if (m + span > a + len)
    munmap(a + len, (size_t)(m + span - (a + len)));
#ifdef MADV_HUGEPAGE
  madvise(a, len, MADV_HUGEPAGE); /* advice: failure only costs speed */
#endif
  return a;
}

/* Whether an area of capacity cap is a mapping: exactly those of 2 MiB or
 * more, since a malloc'd area that grows that far moves to a mapping. */
static int mapped(size_t cap) { return MAP_AREAS && cap >= HUGE; }

static void release(weft__bytes *b) {
  if (mapped(b->cap))
    munmap(b->p, b->cap);
  else
    free(b->p);
}

int weft__bytes_reserve(weft__bytes *b, size_t n) {
  if (n <= b->cap)
    return 1;
  size_t cap = b->cap ? b->cap : 4096;
  cap = cap * 2 > n ? cap * 2 : n;
  if (mapped(cap)) {
    cap = (cap + HUGE - 1) & ~(HUGE - 1);
    unsigned char *p = map_huge(cap);
    if (!p)
      return 0;
    if (b->len)
      memcpy(p, b->p, b->len);
    release(b);
    b->p = p;
  } else {
    unsigned char *p = realloc(b->p, cap);
    if (!p)
      return 0;
    b->p = p;
  }
  b->cap = cap;
  return 1;
}

void *weft__bytes_push(weft__bytes *b, const void *src, size_t n) {
  if (b->len + n > b->cap && !weft__bytes_reserve(b, b->len + n))
    return NULL;
  unsigned char *dst = b->p + b->len;
  if (src)
    memcpy(dst, src, n);
  else
    memset(dst, 0, n);
  b->len += n;
  return dst;
}

void weft__bytes_free(weft__bytes *b) {
  if (b->p)
    release(b);
  b->p = NULL;
  b->len = b->cap = 0;
}
