/*
 * strtab.c - string interning with an open-addressing hash table.
 *
 * Strings live in one growing byte array; the table stores ids only, so it
 * rehashes from the stored lengths and offsets without touching pointers.
 */
#include "strtab.h"

#include <stdlib.h>
#include <string.h>

uint64_t weft__strtab_hash(const void *p, size_t n, uint64_t seed) {
  const unsigned char *b = p;
  uint64_t h = 1469598103934665603ull ^ seed;
  size_t i = 0;
  /* 8 bytes at a time: names and keys are short, this keeps it cheap. */
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    memcpy(&w, b + i, 8);
    h = (h ^ w) * 0x100000001b3ull;
    h ^= h >> 29;
  }
  for (; i < n; i++)
    h = (h ^ b[i]) * 0x100000001b3ull;
  h ^= h >> 32;
  h *= 0xd6e8feb86659fd93ull;
  h ^= h >> 32;
  return h;
}

static int grow_slots(weft__strtab *t) {
  uint32_t nmask = t->mask ? t->mask * 2 + 1 : 63;
  uint32_t *s = calloc((size_t)nmask + 1, sizeof *s);
  if (!s)
    return -1;
  for (uint32_t id = 0; id < t->n; id++) {
    uint64_t h = weft__strtab_hash(t->bytes + t->offs[id], t->lens[id], 0);
    uint32_t i = (uint32_t)h & nmask;
    while (s[i])
      i = (i + 1) & nmask;
    s[i] = id + 1;
  }
  free(t->slots);
  t->slots = s;
  t->mask = nmask;
  return 0;
}

int weft__strtab_init(weft__strtab *t) {
  memset(t, 0, sizeof *t);
  if (weft__strtab_add(t, "", 0) != 0) {
    weft__strtab_release(t);
    return -1;
  }
  return 0;
}

void weft__strtab_release(weft__strtab *t) {
  free(t->bytes);
  free(t->offs);
  free(t->lens);
  free(t->slots);
  memset(t, 0, sizeof *t);
}

static uint32_t lookup(const weft__strtab *t, const char *s, size_t len,
                       uint64_t h, uint32_t *slot) {
  uint32_t i = (uint32_t)h & t->mask;
  for (; t->slots[i]; i = (i + 1) & t->mask) {
    uint32_t id = t->slots[i] - 1;
    if (t->lens[id] == len && memcmp(t->bytes + t->offs[id], s, len) == 0)
      return id;
  }
  *slot = i;
  return UINT32_MAX;
}

uint32_t weft__strtab_find(const weft__strtab *t, const char *s, size_t len) {
  uint32_t slot;
  if (!t->slots)
    return UINT32_MAX;
  return lookup(t, s, len, weft__strtab_hash(s, len, 0), &slot);
}

uint32_t weft__strtab_add(weft__strtab *t, const char *s, size_t len) {
  if (len >= UINT32_MAX)
    return UINT32_MAX;
  if ((uint64_t)(t->n + 1) * 2 > (uint64_t)t->mask + 1 && grow_slots(t))
    return UINT32_MAX;
  uint64_t h = weft__strtab_hash(s, len, 0);
  uint32_t slot = 0;
  uint32_t id = lookup(t, s, len, h, &slot);
  if (id != UINT32_MAX)
    return id;
  if (t->n == t->ncap) {
    uint32_t nc = t->ncap ? t->ncap * 2 : 64;
    uint64_t *o = realloc(t->offs, nc * sizeof *o);
    if (!o)
      return UINT32_MAX;
    t->offs = o;
    uint32_t *l = realloc(t->lens, nc * sizeof *l);
    if (!l)
      return UINT32_MAX;
    t->lens = l;
    t->ncap = nc;
  }
  if (t->used + len + 1 > t->cap) {
    size_t nc = t->cap ? t->cap * 2 : 4096;
    while (nc < t->used + len + 1)
      nc *= 2;
    char *b = realloc(t->bytes, nc);
    if (!b)
      return UINT32_MAX;
    t->bytes = b;
    t->cap = nc;
  }
  if (len)
    memcpy(t->bytes + t->used, s, len);
  t->bytes[t->used + len] = 0;
  id = t->n++;
  t->offs[id] = t->used;
  t->lens[id] = (uint32_t)len;
  t->used += len + 1;
  t->slots[slot] = id + 1;
  return id;
}

const char *weft__strtab_get(const weft__strtab *t, uint32_t id) {
  return id < t->n ? t->bytes + t->offs[id] : "";
}

uint32_t weft__strtab_len(const weft__strtab *t, uint32_t id) {
  return id < t->n ? t->lens[id] : 0;
}
