/*
 * emit.c - records other than action starts and ends: messages, success
 * fields, globals, Weft's own weft:dropped and weft:limit messages, and the
 * per-thread schema cache used by the non-macro API.
 */
#include "emit.h"
#include "schema_int.h"

uint32_t weft__schema_dropped;
uint32_t weft__schema_limit;

unsigned char *weft__emit_task(weft__thread *t, unsigned char *p, int64_t now) {
  weft__task_id_new(&t->task_hi, &t->task_lo);
  p = weft__rec_put(p, now, WEFT_SCHEMA_TASK, 16);
  memcpy(p, &t->task_hi, 8);
  memcpy(p + 8, &t->task_lo, 8);
  return p + 16;
}

size_t weft__emit_dropped_size(const weft__thread *t) {
  return sizeof(weft_rec) + 8 + (t->depth ? 0 : sizeof(weft_rec) + 16);
}

void weft__emit_dropped(weft__thread *t) {
  unsigned char *p = t->pos;
  int64_t now = weft__now();
  if (!t->depth)
    p = weft__emit_task(t, p, now);
  else
    t->frames[t->depth - 1].next++;
  p = weft__rec_put(p, now, weft__schema_dropped, 8);
  memcpy(p, &t->dropped, 8);
  t->dropped = 0;
  t->events++;
  weft__buf_commit(t, p + 8);
}

/* Whether new records at the current depth are inside a dropped action. */
static int in_dropped(const weft__thread *t) {
  return t->depth && t->frames[t->depth - 1].dropped;
}

/* weft__emit_fields; quiet: without weft_errmsg() on a drop, for a
 * weft:limit message, which must not hide the error of the call that hit
 * the limit.  Inlined into both, so a drop costs no extra call. */
static inline __attribute__((always_inline)) int
emit(weft__thread *t, uint32_t schema, const weft_field *f, size_t n,
     int takes_slot, int quiet) {
  const weft__schema *s = weft__schema_get(schema);
  int root = takes_slot && t->depth == 0;
  int64_t psize = weft__payload_size(t, s, f, n);
  if (psize < 0)
    return (int)psize;
  int inside = in_dropped(t);
  if (inside)
    goto drop;
  size_t need = sizeof(weft_rec) + WEFT_REC_PAD((size_t)psize) +
                (root ? sizeof(weft_rec) + 16 : 0);
  unsigned char *p = psize > UINT32_MAX ? weft__buf_refuse(t, need)
                                        : weft__buf_reserve(t, need);
  if (!p)
    goto drop;
  int64_t now = weft__now();
  if (root)
    p = weft__emit_task(t, p, now);
  else if (takes_slot)
    t->frames[t->depth - 1].next++;
  p = weft__rec_put(p, now, schema, (uint32_t)psize);
  p += weft__fields_encode(p, f, n, weft__options()->array_keep,
                           weft__options()->string_max);
  p = weft__rec_pad(p, (size_t)psize);
  t->events++;
  weft__buf_commit(t, p);
  return WEFT_OK;
drop:
  t->dropped++;
  t->dropped_all++;
  if (quiet)
    return WEFT_EFULL;
  return inside ? weft__error_repeat(WEFT_EFULL, weft__drop_inside, 0, 0)
                : weft__buf_drop_error(t);
}

int weft__emit_fields(weft__thread *t, uint32_t schema, const weft_field *f,
                      size_t n, int takes_slot) {
  return emit(t, schema, f, n, takes_slot, 0);
}

int64_t weft__payload_size_slow(weft__thread *t, const weft__schema *s,
                                const weft_field *f, size_t n) {
  (void)s; /* only its variable size brought us here */
  const weft_options *o = weft__options();
  int cut = weft__fields_check(f, n, o->string_max);
  if (cut < 0)
    return cut;
  t->limits += (uint64_t)cut; /* their original_len says so in the trace */
  return (int64_t)weft__fields_size(f, n, o->array_keep, o->string_max);
}

int64_t weft__site_schema_slow(weft__thread *t, weft_site *site,
                               weft_rec_kind kind, const char *type,
                               const weft_field *f, size_t n) {
  int64_t id = weft__schema_lookup(t, kind, type, f, n);
  if (id >= 0 && site) {
    site->schema = (uint32_t)id;
    __atomic_store_n(&site->gen, t->gen, __ATOMIC_RELEASE);
  }
  return id;
}

void weft__emit_limit(weft__thread *t, const char *limit, uint64_t value) {
  weft_field f[2] = {WEFT_STR("limit", limit), WEFT_U64("value", value)};
  t->limits++;
  emit(t, weft__schema_limit, f, 2, 1, 1);
}

/* A full name or schema table refuses every new entry: each refusal is
 * counted, and one weft:limit per weft_init records it. */
static void intern_limit(weft__thread *t) {
  uint64_t value;
  const char *limit = weft__intern_limit_take(&value);
  if (limit)
    weft__emit_limit(t, limit, value);
  else
    t->limits++;
}

/* ---- schema cache ----------------------------------------------------------
 */

#define CACHE_SIZE 256

typedef struct cache_entry {
  uint64_t hash;
  uint32_t id;
  uint32_t gen;
} cache_entry;

static _Thread_local cache_entry cache[CACHE_SIZE];

static int same_name(uint32_t id, const char *s) {
  const char *n = weft__name_get(id, NULL);
  return n && strcmp(n, s) == 0;
}

/* Whether schema s is exactly (kind, type, fields). */
static int schema_matches(const weft__schema *s, weft_rec_kind kind,
                          const char *type, const weft_field *f, size_t n) {
  if (!s || s->kind != kind || s->nfields != n)
    return 0;
  if (type ? !same_name(s->type_name, type) : s->type_name != 0)
    return 0;
  for (size_t i = 0; i < n; i++)
    if (s->types[i] != f[i].type || !same_name(s->names[i], f[i].name))
      return 0;
  return 1;
}

int64_t weft__schema_lookup(weft__thread *t, weft_rec_kind kind,
                            const char *type, const weft_field *f, size_t n) {
  if (n <= WEFT_FIELDS_MAX && (!n || f)) {
    uint64_t h = weft__hash_bytes(WEFT__HASH_SEED, &kind, sizeof kind);
    if (type)
      h = weft__hash_bytes(h, type, strnlen(type, WEFT_NAME_MAX + 1) + 1);
    for (size_t i = 0; i < n; i++) {
      if (!f[i].name)
        goto slow;
      h = weft__hash_bytes(h, f[i].name, strnlen(f[i].name, WEFT_NAME_MAX + 1));
      h = weft__hash_bytes(h, &f[i].type, 1);
    }
    cache_entry *e = &cache[h & (CACHE_SIZE - 1)];
    if (e->gen == t->gen && e->hash == h &&
        schema_matches(weft__schema_get(e->id), kind, type, f, n))
      return e->id;
    int64_t id = weft__schema_intern(kind, type, f, n);
    if (id >= 0) {
      e->hash = h;
      e->id = (uint32_t)id;
      e->gen = t->gen;
      return id;
    }
  }
slow:;
  int64_t id = weft__schema_intern(kind, type, f, n);
  if (id == WEFT_ENAMETOOLONG)
    weft__emit_limit(t, "name_length", WEFT_NAME_MAX);
  else if (id == WEFT_EFIELDS)
    weft__emit_limit(t, "fields", WEFT_FIELDS_MAX);
  else if (id == WEFT_ELIMIT)
    intern_limit(t);
  return id;
}
