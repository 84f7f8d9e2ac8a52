/*
 * emit.h - writing records into the calling thread's buffer.
 *
 * Every function here runs on the owning thread and keeps Eliot's slot
 * accounting in step with what is actually recorded: a record that is
 * dropped takes no slot, so the levels a reader derives match the levels
 * weft_context_serialize hands out.
 */
#ifndef WEFT_EMIT_H
#define WEFT_EMIT_H

#include "buffer.h"
#include "clock.h"

#include <string.h>

/* Schemas of Weft's own messages, interned by weft_init. */
extern uint32_t weft__schema_dropped; /* weft:dropped {count: u64} */
extern uint32_t weft__schema_limit;   /* weft:limit {limit: str, value: u64} */

/* Write a record header at p and return where its payload goes. */
static inline unsigned char *weft__rec_put(unsigned char *p, int64_t t,
                                           uint32_t schema, uint32_t size) {
  weft_rec r = {t, schema, size};
  memcpy(p, &r, sizeof r);
  return p + sizeof r;
}

/* Zero the padding after a payload ending at p; returns the next record. */
static inline unsigned char *weft__rec_pad(unsigned char *p, size_t size) {
  size_t pad = WEFT_REC_PAD(size) - size;
  for (size_t i = 0; i < pad; i++)
    p[i] = 0;
  return p + pad;
}

/* A TASK record with a fresh id at p, remembered as the thread's task.
 * Returns the next record position (p + 32). */
unsigned char *weft__emit_task(weft__thread *t, unsigned char *p, int64_t now);

/* Bytes of the weft:dropped report at the thread's current depth. */
size_t weft__emit_dropped_size(const weft__thread *t);
/* Write the weft:dropped report at t->pos (room already checked) and clear
 * the count. */
void weft__emit_dropped(weft__thread *t);
/* Record that a limit was hit (a weft:limit message in the current action)
 * and count it.  Best effort: dropped if there is no room. */
void weft__emit_limit(weft__thread *t, const char *limit, uint64_t value);

/* Append a MESSAGE (kind from the schema: MESSAGE or GLOBALS take the path
 * of messages; ADD takes no slot) with fields.  Returns WEFT_OK or
 * WEFT_EFULL when dropped. */
int weft__emit_fields(weft__thread *t, uint32_t schema, const weft_field *f,
                      size_t n, int takes_slot);

int64_t weft__payload_size_slow(weft__thread *t, const weft__schema *s,
                                const weft_field *f, size_t n);
int64_t weft__site_schema_slow(weft__thread *t, weft_site *site,
                               weft_rec_kind kind, const char *type,
                               const weft_field *f, size_t n);

/* Bytes of the payload of schema s for these fields, after the per-call
 * checks that a cached schema cannot make (weft__fields_check; cut
 * strings count as limits).  Negative: an error. */
static inline int64_t weft__payload_size(weft__thread *t, const weft__schema *s,
                                         const weft_field *f, size_t n) {
  if (__builtin_expect(s->fixed_size, 1))
    return s->payload_size;
  return weft__payload_size_slow(t, s, f, n);
}

/* The schema id of a call site: cached in `site` (NULL: none) for this
 * generation, else looked up and cached. */
static inline int64_t weft__site_schema(weft__thread *t, weft_site *site,
                                        weft_rec_kind kind, const char *type,
                                        const weft_field *f, size_t n) {
  if (__builtin_expect(
          site && __atomic_load_n(&site->gen, __ATOMIC_ACQUIRE) == t->gen, 1))
    return site->schema;
  return weft__site_schema_slow(t, site, kind, type, f, n);
}

/* Intern (kind, type, fields) through the thread's schema cache.  On a
 * name or field-count error, records a weft:limit message. */
int64_t weft__schema_lookup(weft__thread *t, weft_rec_kind kind,
                            const char *type, const weft_field *f, size_t n);

/* Push a frame for a new action and write its START, after a TASK record
 * for a task root, or after `pre` (a CONTINUE record, stamped here) for a
 * continued root (action.c). */
int weft__start(weft__thread *t, weft_action *out, uint32_t schema,
                const weft_field *f, size_t n, const unsigned char *pre,
                size_t pre_len);

#endif /* WEFT_EMIT_H */
