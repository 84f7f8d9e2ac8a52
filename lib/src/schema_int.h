/*
 * schema_int.h - set-up of the name and schema tables (schema.c) and the
 * hash used to find schemas from a call's content (action.c's per-thread
 * cache).
 */
#ifndef WEFT_SCHEMA_INT_H
#define WEFT_SCHEMA_INT_H

#include "weft_int.h"

#define WEFT__HASH_SEED 0xcbf29ce484222325ull

/* FNV-1a over n bytes, continuing from h. */
uint64_t weft__hash_bytes(uint64_t h, const void *p, size_t n);

/* When interning was refused because a table is full (WEFT_ELIMIT) and no
 * one has taken that to record it yet: the limit's name ("names" or
 * "schemas") and, in *value, how many the table holds.  Else NULL.  Each
 * hit is taken once per weft_init, so the trace gets one weft:limit. */
const char *weft__intern_limit_take(uint64_t *value);

/* Publish the fixed schemas (ids below WEFT_SCHEMA_FIRST_USER). */
int weft__schema_setup(void);
/* Free both tables.  No other thread may use them any more. */
void weft__schema_teardown(void);

#endif /* WEFT_SCHEMA_INT_H */
