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

/* Publish the fixed schemas (ids below WEFT_SCHEMA_FIRST_USER). */
int weft__schema_setup(void);
/* Free both tables.  No other thread may use them any more. */
void weft__schema_teardown(void);

#endif /* WEFT_SCHEMA_INT_H */
