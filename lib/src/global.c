/*
 * global.c - global fields of the run (Eliot's add_global_fields): one
 * GLOBALS record in the calling thread's stream, stored once rather than
 * copied into every event.  Readers merge them by name, later ones winning.
 */
#include "emit.h"

int weft_global_add(const weft_field *fields, size_t n) {
  int err;
  weft__thread *t = weft__thread_get(&err);
  if (!t)
    return err;
  if (!n)
    return WEFT_OK;
  int64_t id = weft__schema_lookup(t, WEFT_REC_GLOBALS, NULL, fields, n);
  if (id < 0)
    return (int)id;
  return weft__emit_fields(t, (uint32_t)id, fields, n, 0);
}
