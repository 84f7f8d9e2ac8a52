/*
 * strtab.h - interned strings for the weft tools.
 *
 * Action types and field names repeat millions of times in a trace; the
 * model stores each once and refers to it by a 32-bit id.  Id 0 is the
 * empty string, so a zeroed id is always printable.
 */
#ifndef WEFT_TOOLS_STRTAB_H
#define WEFT_TOOLS_STRTAB_H

#include <stddef.h>
#include <stdint.h>

typedef struct weft__strtab {
  char *bytes;      /* NUL-terminated strings, back to back */
  size_t used, cap; /* bytes in use / allocated */
  uint64_t *offs;   /* offs[id]: offset of string id in bytes */
  uint32_t *lens;   /* lens[id]: its length */
  uint32_t n, ncap; /* ids in use / allocated */
  uint32_t *slots;  /* open-addressing table of id+1; 0 is empty */
  uint32_t mask;    /* slots has mask+1 entries, a power of two */
} weft__strtab;

/* Initialise an empty table holding only "" (id 0).  Returns 0 or -1 on
 * out of memory. */
int weft__strtab_init(weft__strtab *t);
/* Free everything; t may then be initialised again. */
void weft__strtab_release(weft__strtab *t);
/* Id of s[0..len), adding it when new; UINT32_MAX on out of memory. */
uint32_t weft__strtab_add(weft__strtab *t, const char *s, size_t len);
/* Id of s[0..len) or UINT32_MAX when it is not in the table. */
uint32_t weft__strtab_find(const weft__strtab *t, const char *s, size_t len);
/* String of id (NUL-terminated, valid until the next add) and length. */
const char *weft__strtab_get(const weft__strtab *t, uint32_t id);
uint32_t weft__strtab_len(const weft__strtab *t, uint32_t id);

/* 64-bit FNV-1a style hash used by the tools' tables. */
uint64_t weft__strtab_hash(const void *p, size_t n, uint64_t seed);

#endif
