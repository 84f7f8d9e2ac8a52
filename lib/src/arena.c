/*
 * arena.c - a bump allocator for decoded values.
 *
 * Decoding turns every record into values that point at strings and array
 * elements; those all die together (when the event has been delivered, or
 * when a capture is freed), so one pointer bump per allocation and one free
 * per chunk is all the bookkeeping they need.
 *
 * The arena is a current chunk (base/used/cap) plus a list of older, full
 * chunks.  A new chunk is at least twice the size of the previous one, so
 * an arena that is reset and reused settles on one chunk large enough for
 * its biggest use.  A zeroed weft__arena is an empty, valid arena.
 */
#include "weft_int.h"

#include <stdint.h>
#include <stdlib.h>

#define ARENA_ALIGN 8
#define ARENA_MIN_CHUNK 4096

/* Chunk header, placed in front of the bytes handed out. */
struct weft__arena_chunk {
  struct weft__arena_chunk *next;
  size_t cap;
  unsigned char data[];
};

_Static_assert(offsetof(struct weft__arena_chunk, data) % ARENA_ALIGN == 0,
               "chunk data must be 8-byte aligned");

static struct weft__arena_chunk *chunk_of(unsigned char *base) {
  return (struct weft__arena_chunk *)(void *)(base -
                                              offsetof(struct weft__arena_chunk,
                                                       data));
}

void *weft__arena_alloc(weft__arena *a, size_t n) {
  size_t at = (a->used + (ARENA_ALIGN - 1)) & ~(size_t)(ARENA_ALIGN - 1);
  if (n == 0)
    n = 1; /* distinct, non-NULL pointers for empty values */
  if (a->base != NULL && at <= a->cap && n <= a->cap - at) {
    a->used = at + n;
    return a->base + at;
  }
  size_t cap = a->cap > ARENA_MIN_CHUNK / 2 ? a->cap * 2 : ARENA_MIN_CHUNK;
  if (cap < n)
    cap = n;
  if (cap > SIZE_MAX - sizeof(struct weft__arena_chunk) || cap < a->cap)
    return NULL;
  struct weft__arena_chunk *c = malloc(sizeof *c + cap);
  if (c == NULL)
    return NULL;
  c->cap = cap;
  c->next = NULL;
  if (a->base != NULL) {
    /* The current chunk becomes an older one. */
    struct weft__arena_chunk *old = chunk_of(a->base);
    old->next = a->chunks;
    a->chunks = old;
  }
  a->base = c->data;
  a->cap = cap;
  a->used = n;
  return a->base;
}

/* Free every older chunk and empty the current (largest) one. */
void weft__arena_reset(weft__arena *a) {
  while (a->chunks != NULL) {
    struct weft__arena_chunk *c = a->chunks;
    a->chunks = c->next;
    free(c);
  }
  a->used = 0;
}

void weft__arena_free(weft__arena *a) {
  weft__arena_reset(a);
  if (a->base != NULL)
    free(chunk_of(a->base));
  a->base = NULL;
  a->cap = 0;
  a->used = 0;
}
