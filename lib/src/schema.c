/*
 * schema.c - interned names and schemas.
 *
 * A schema is what a record means: its kind, its type name and the names
 * and types of its fields.  Interning it once lets a record carry a 4-byte
 * id instead of names, which is most of why an action costs under 48 bytes.
 *
 * Both tables are append-only arrays of pointers in fixed-size chunks, so a
 * published entry never moves: readers (the hot path, the writer, decoders)
 * index them without a lock, and only interning a new entry takes the
 * mutex.  The lookup hash tables are touched only under the mutex.
 */
#include "journal.h"
#include "schema_int.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK_BITS 10
#define CHUNK (1u << CHUNK_BITS)
#define MAX_CHUNKS 1024 /* ids are 20 bits */

/* The documented limits (docs/api.md section 11): name id 0 means "no
 * name"; schema ids include the fixed ones and Weft's own messages.  A
 * schema id is 16 bits in the log's /actions rows (docs/format.md): what
 * lets a short action take at most 48 bytes there. */
#define NAMES_MAX (MAX_CHUNKS * CHUNK - 1)
#define SCHEMAS_MAX (1u << 16)

typedef struct name_entry {
  uint32_t len;
  char s[]; /* NUL-terminated */
} name_entry;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static name_entry **name_chunks[MAX_CHUNKS];
static uint32_t name_count; /* published with release */
static weft__schema **schema_chunks[MAX_CHUNKS];
static uint32_t schema_count; /* published with release */

/* Open-addressing hash tables mapping content to id (0 = empty slot). */
typedef struct table {
  uint32_t *ids;
  uint64_t *hashes;
  size_t cap; /* power of two */
  size_t n;
} table;

static table names_by_content, schemas_by_content;

/* Whether a table's limit was hit, and whether that was taken to be
 * recorded in the trace (weft__intern_limit_take): recorded once per
 * weft_init, however many calls it refuses. */
enum { LIMIT_FREE, LIMIT_HIT, LIMIT_TOLD };
static int names_limit, schemas_limit;

/* Refuse a new entry of a full table (caller holds the lock). */
static int64_t limit_hit(int *state, const char *limit, unsigned max,
                         const char *what) {
  int unset = LIMIT_FREE; /* once: take() may have moved it on */
  __atomic_compare_exchange_n(state, &unset, LIMIT_HIT, 0, __ATOMIC_ACQ_REL,
                              __ATOMIC_ACQUIRE);
  return weft__error(WEFT_ELIMIT, "%s: a process holds at most %u distinct %s",
                     limit, max, what);
}

static int64_t schemas_refused(void) {
  return limit_hit(&schemas_limit, "schemas", SCHEMAS_MAX,
                   "schemas (kind, type and fields of an event)");
}

static int take(int *state) {
  int hit = LIMIT_HIT;
  return __atomic_load_n(state, __ATOMIC_ACQUIRE) == LIMIT_HIT &&
         __atomic_compare_exchange_n(state, &hit, LIMIT_TOLD, 0,
                                     __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

const char *weft__intern_limit_take(uint64_t *value) {
  if (take(&names_limit)) {
    *value = NAMES_MAX;
    return "names";
  }
  if (take(&schemas_limit)) {
    *value = SCHEMAS_MAX;
    return "schemas";
  }
  return NULL;
}

uint64_t weft__hash_bytes(uint64_t h, const void *p, size_t n) {
  const unsigned char *b = p;
  for (size_t i = 0; i < n; i++) {
    h ^= b[i];
    h *= 0x100000001b3ull;
  }
  return h;
}

static int table_grow(table *t) {
  size_t cap = t->cap ? t->cap * 2 : 256;
  uint32_t *ids = calloc(cap, sizeof *ids);
  uint64_t *hs = calloc(cap, sizeof *hs);
  if (!ids || !hs) {
    free(ids);
    free(hs);
    return WEFT_ENOMEM;
  }
  for (size_t i = 0; i < t->cap; i++) {
    if (!t->ids[i])
      continue;
    size_t j = t->hashes[i] & (cap - 1);
    while (ids[j])
      j = (j + 1) & (cap - 1);
    ids[j] = t->ids[i];
    hs[j] = t->hashes[i];
  }
  free(t->ids);
  free(t->hashes);
  t->ids = ids;
  t->hashes = hs;
  t->cap = cap;
  return WEFT_OK;
}

static void table_free(table *t) {
  free(t->ids);
  free(t->hashes);
  memset(t, 0, sizeof *t);
}

static void table_put(table *t, uint64_t h, uint32_t id) {
  size_t j = h & (t->cap - 1);
  while (t->ids[j])
    j = (j + 1) & (t->cap - 1);
  t->ids[j] = id;
  t->hashes[j] = h;
  t->n++;
}

/* ---- names --------------------------------------------------------------- */

static name_entry *name_at(uint32_t id) {
  return name_chunks[id >> CHUNK_BITS][id & (CHUNK - 1)];
}

const char *weft__name_get(uint32_t id, uint32_t *len) {
  if (id == 0 || id >= __atomic_load_n(&name_count, __ATOMIC_ACQUIRE))
    return NULL;
  name_entry *e = name_at(id);
  if (len)
    *len = e->len;
  return e->s;
}

uint32_t weft__name_count(void) {
  return __atomic_load_n(&name_count, __ATOMIC_ACQUIRE);
}

/* Caller holds the lock.  With schemas_full, a name not interned yet is
 * refused: the schema that needs it is new and cannot be added, and the
 * name would fill the names table for nothing. */
static int64_t name_intern_locked(const char *s, size_t len, int schemas_full) {
  uint64_t h = weft__hash_bytes(WEFT__HASH_SEED, s, len);
  if (names_by_content.cap) {
    for (size_t j = h & (names_by_content.cap - 1); names_by_content.ids[j];
         j = (j + 1) & (names_by_content.cap - 1)) {
      name_entry *e = name_at(names_by_content.ids[j]);
      if (names_by_content.hashes[j] == h && e->len == len &&
          memcmp(e->s, s, len) == 0)
        return names_by_content.ids[j];
    }
  }
  if (schemas_full)
    return schemas_refused();
  if (name_count == 0)
    name_count = 1; /* id 0 means "no name" */
  uint32_t id = name_count;
  if (id > NAMES_MAX)
    return limit_hit(&names_limit, "names", NAMES_MAX, "type and field names");
  if ((names_by_content.n + 1) * 2 > names_by_content.cap &&
      table_grow(&names_by_content))
    return weft__error(WEFT_ENOMEM, "interning a name");
  name_entry ***chunk = &name_chunks[id >> CHUNK_BITS];
  if (!*chunk && !(*chunk = calloc(CHUNK, sizeof **chunk)))
    return weft__error(WEFT_ENOMEM, "interning a name");
  name_entry *e = malloc(sizeof *e + len + 1);
  if (!e)
    return weft__error(WEFT_ENOMEM, "interning a name");
  e->len = (uint32_t)len;
  memcpy(e->s, s, len);
  e->s[len] = '\0';
  (*chunk)[id & (CHUNK - 1)] = e;
  table_put(&names_by_content, h, id);
  __atomic_store_n(&name_count, id + 1, __ATOMIC_RELEASE);
  unsigned char body[8 + WEFT_NAME_MAX];
  uint32_t len32 = (uint32_t)len;
  memcpy(body, &id, 4);
  memcpy(body + 4, &len32, 4);
  memcpy(body + 8, s, len);
  weft__journal_dict_append(WEFT__DICT_NAME, body, 8 + len);
  return id;
}

/* Check a name given by the user; returns its length or a negative error. */
static int64_t name_check(const char *s, const char *what) {
  if (!s)
    return weft__error(WEFT_EINVAL, "%s is NULL", what);
  size_t len = strnlen(s, WEFT_NAME_MAX + 1);
  if (len == 0)
    return weft__error(WEFT_EINVAL, "%s is empty", what);
  if (len > WEFT_NAME_MAX)
    return weft__error(WEFT_ENAMETOOLONG,
                       "%s \"%.40s...\" is longer than %d "
                       "bytes",
                       what, s, WEFT_NAME_MAX);
  return (int64_t)len;
}

int64_t weft__name_intern(const char *s, size_t len) {
  if (!s || len == 0)
    return weft__error(WEFT_EINVAL, "empty name");
  if (len > WEFT_NAME_MAX)
    return weft__error(WEFT_ENAMETOOLONG,
                       "name \"%.40s...\" is longer than "
                       "%d bytes",
                       s, WEFT_NAME_MAX);
  pthread_mutex_lock(&lock);
  int64_t id = name_intern_locked(s, len, 0);
  pthread_mutex_unlock(&lock);
  return id;
}

/* ---- schemas ------------------------------------------------------------- */

const weft__schema *weft__schema_get(uint32_t id) {
  if (id >= __atomic_load_n(&schema_count, __ATOMIC_ACQUIRE))
    return NULL;
  return schema_chunks[id >> CHUNK_BITS][id & (CHUNK - 1)];
}

uint32_t weft__schema_count(void) {
  return __atomic_load_n(&schema_count, __ATOMIC_ACQUIRE);
}

static uint64_t schema_hash(uint8_t kind, uint32_t type, const uint32_t *names,
                            const uint8_t *types, size_t n) {
  uint64_t h = weft__hash_bytes(WEFT__HASH_SEED, &kind, 1);
  h = weft__hash_bytes(h, &type, sizeof type);
  h = weft__hash_bytes(h, names, n * sizeof *names);
  return weft__hash_bytes(h, types, n);
}

static size_t scalar_size(uint8_t type) {
  switch (type) {
  case WEFT_TYPE_I64:
  case WEFT_TYPE_U64:
  case WEFT_TYPE_F64:
    return 8;
  case WEFT_TYPE_BOOL:
    return 1;
  default:
    return 0;
  }
}

/* Publish schema `id` (caller holds the lock). */
static int64_t schema_add_locked(uint8_t kind, uint32_t type,
                                 const uint32_t *names, const uint8_t *types,
                                 size_t n) {
  uint64_t h = schema_hash(kind, type, names, types, n);
  if (schemas_by_content.cap) {
    for (size_t j = h & (schemas_by_content.cap - 1); schemas_by_content.ids[j];
         j = (j + 1) & (schemas_by_content.cap - 1)) {
      const weft__schema *s = weft__schema_get(schemas_by_content.ids[j]);
      if (schemas_by_content.hashes[j] == h && s->kind == kind &&
          s->type_name == type && s->nfields == n &&
          memcmp(s->names, names, n * sizeof *names) == 0 &&
          memcmp(s->types, types, n) == 0)
        return s->id;
    }
  }
  uint32_t id = schema_count;
  if (id >= SCHEMAS_MAX)
    return schemas_refused();
  if ((schemas_by_content.n + 1) * 2 > schemas_by_content.cap &&
      table_grow(&schemas_by_content))
    return weft__error(WEFT_ENOMEM, "interning a schema");
  weft__schema ***chunk = &schema_chunks[id >> CHUNK_BITS];
  if (!*chunk && !(*chunk = calloc(CHUNK, sizeof **chunk)))
    return weft__error(WEFT_ENOMEM, "interning a schema");
  weft__schema *s = malloc(sizeof *s + n * sizeof *names + n);
  if (!s)
    return weft__error(WEFT_ENOMEM, "interning a schema");
  uint32_t *nm = (uint32_t *)(s + 1);
  uint8_t *ty = (uint8_t *)(nm + n);
  memcpy(nm, names, n * sizeof *names);
  memcpy(ty, types, n);
  s->id = id;
  s->kind = kind;
  s->nfields = (uint16_t)n;
  s->type_name = type;
  s->names = nm;
  s->types = ty;
  s->fixed_size = 1;
  s->payload_size = 0;
  for (size_t i = 0; i < n; i++) {
    size_t sz = scalar_size(types[i]);
    if (!sz)
      s->fixed_size = 0;
    s->payload_size += (uint32_t)sz;
  }
  if (!s->fixed_size)
    s->payload_size = 0;
  (*chunk)[id & (CHUNK - 1)] = s;
  table_put(&schemas_by_content, h, id);
  __atomic_store_n(&schema_count, id + 1, __ATOMIC_RELEASE);
  /* id, kind, pad, nfields, type name, names[n], types[n] */
  unsigned char body[12 + 5 * WEFT_FIELDS_MAX];
  uint16_t n16 = (uint16_t)n;
  memcpy(body, &id, 4);
  body[4] = kind;
  body[5] = 0;
  memcpy(body + 6, &n16, 2);
  memcpy(body + 8, &type, 4);
  memcpy(body + 12, names, 4 * n);
  memcpy(body + 12 + 4 * n, types, n);
  weft__journal_dict_append(WEFT__DICT_SCHEMA, body, 12 + 5 * n);
  return id;
}

int64_t weft__schema_intern(weft_rec_kind kind, const char *type,
                            const weft_field *f, size_t n) {
  uint32_t names[WEFT_FIELDS_MAX];
  uint8_t types[WEFT_FIELDS_MAX];
  int64_t tlen = 0;

  if (n > WEFT_FIELDS_MAX)
    return weft__error(WEFT_EFIELDS, "%zu fields given, at most %d allowed", n,
                       WEFT_FIELDS_MAX);
  if (n && !f)
    return weft__error(WEFT_EINVAL, "fields is NULL with n = %zu", n);
  if ((kind == WEFT_REC_START || kind == WEFT_REC_MESSAGE) && !type)
    return weft__error(WEFT_EINVAL, "the action or message type is NULL");
  if (type && (tlen = name_check(type, "type")) < 0)
    return tlen;
  for (size_t i = 0; i < n; i++) {
    int64_t len = name_check(f[i].name, "field name");
    if (len < 0)
      return len;
    if (f[i].type < WEFT_TYPE_I64 || f[i].type > WEFT_TYPE_F64_ARRAY)
      return weft__error(WEFT_EINVAL, "field \"%s\" has unknown type %u",
                         f[i].name, f[i].type);
    if (f[i].type >= WEFT_TYPE_I64_ARRAY) {
      if (f[i].ndim < 1 || f[i].ndim > WEFT_ARRAY_NDIM_MAX)
        return weft__error(WEFT_EINVAL,
                           "array field \"%s\" has %u dimensions (1 to %d)",
                           f[i].name, f[i].ndim, WEFT_ARRAY_NDIM_MAX);
      if (!f[i].v.arr.shape)
        return weft__error(WEFT_EINVAL, "array field \"%s\" has no shape",
                           f[i].name);
    }
    types[i] = (uint8_t)f[i].type;
  }

  pthread_mutex_lock(&lock);
  int64_t rc = 0;
  uint32_t type_id = 0;
  int full = schema_count >= SCHEMAS_MAX;
  if (type) {
    rc = name_intern_locked(type, (size_t)tlen, full);
    if (rc < 0)
      goto out;
    type_id = (uint32_t)rc;
  }
  for (size_t i = 0; i < n; i++) {
    rc = name_intern_locked(f[i].name, strlen(f[i].name), full);
    if (rc < 0)
      goto out;
    names[i] = (uint32_t)rc;
  }
  rc = schema_add_locked((uint8_t)kind, type_id, names, types, n);
out:
  pthread_mutex_unlock(&lock);
  return rc;
}

int weft__schema_setup(void) {
  static const uint8_t fixed[] = {
      [WEFT_SCHEMA_TASK] = WEFT_REC_TASK,
      [WEFT_SCHEMA_SUCCESS] = WEFT_REC_SUCCESS,
      [WEFT_SCHEMA_FAILURE] = WEFT_REC_FAILURE,
      [WEFT_SCHEMA_SERIALIZE] = WEFT_REC_SERIALIZE,
      [WEFT_SCHEMA_CONTINUE] = WEFT_REC_CONTINUE,
  };
  pthread_mutex_lock(&lock);
  int64_t rc = 0;
  /* Ids 0..15 are the fixed schemas (0 and the unused ones are kind 0). */
  for (uint8_t i = 0; i < WEFT_SCHEMA_FIRST_USER && rc >= 0; i++) {
    uint8_t kind = i < sizeof fixed ? fixed[i] : 0;
    /* Distinct content per id: the kind and, for unused ids, the id as a
     * type, so the content table keeps them apart. */
    weft__schema *s = calloc(1, sizeof *s);
    weft__schema ***chunk = &schema_chunks[0];
    if (!s || (!*chunk && !(*chunk = calloc(CHUNK, sizeof **chunk)))) {
      free(s);
      rc = weft__error(WEFT_ENOMEM, "schema tables");
      break;
    }
    s->id = i;
    s->kind = kind;
    s->fixed_size = i != WEFT_SCHEMA_FAILURE && i != WEFT_SCHEMA_CONTINUE;
    s->payload_size = i == WEFT_SCHEMA_TASK ? 16 : 0;
    (*chunk)[i] = s;
    __atomic_store_n(&schema_count, (uint32_t)i + 1, __ATOMIC_RELEASE);
  }
  pthread_mutex_unlock(&lock);
  return rc < 0 ? (int)rc : WEFT_OK;
}

void weft__schema_teardown(void) {
  pthread_mutex_lock(&lock);
  for (uint32_t id = 0; id < schema_count; id++)
    free(schema_chunks[id >> CHUNK_BITS][id & (CHUNK - 1)]);
  for (uint32_t id = 1; id < name_count; id++)
    free(name_at(id));
  for (size_t c = 0; c < MAX_CHUNKS; c++) {
    free(name_chunks[c]);
    free(schema_chunks[c]);
    name_chunks[c] = NULL;
    schema_chunks[c] = NULL;
  }
  __atomic_store_n(&name_count, 0, __ATOMIC_RELEASE);
  __atomic_store_n(&schema_count, 0, __ATOMIC_RELEASE);
  table_free(&names_by_content);
  table_free(&schemas_by_content);
  __atomic_store_n(&names_limit, LIMIT_FREE, __ATOMIC_RELEASE);
  __atomic_store_n(&schemas_limit, LIMIT_FREE, __ATOMIC_RELEASE);
  pthread_mutex_unlock(&lock);
}
