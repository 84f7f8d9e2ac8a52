/*
 * tree_model.c - builds the cross-rank causal tree from decoded events.
 *
 * Loading appends nodes in stream order and records each node's parent
 * from the stream's stack of open actions.  Only roots of stream segments
 * (continued contexts, ends without starts) need a lookup by level, and
 * that lookup is done once, at finish, through one hash table over the
 * actions of the tasks concerned.  See tree_model.h for the cost model.
 */
#include "tree_model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Entries of a stream's name cache (a power of two) and the slots a name
 * may take in it: a schema's names lie side by side in the file's name
 * table, so nearby pointers must not evict each other. */
#define NAME_CACHE 16
#define NAME_WAYS 4

struct weft__stream {
  uint32_t file, rank, thread;
  uint32_t *stack; /* open action nodes, innermost last */
  uint32_t depth, cap;
  uint64_t task_hi, task_lo; /* cache of the last task looked up */
  uint32_t task;
  const char *name_ptr[NAME_CACHE]; /* cache: name pointer -> strtab id */
  uint32_t name_id[NAME_CACHE];
};

/* ---- growth helpers ------------------------------------------------------ */

static int grow(void **p, uint32_t *cap, uint32_t need, size_t elem) {
  if (need <= *cap)
    return 0;
  uint64_t nc = *cap ? (uint64_t)*cap * 2 : 1024;
  while (nc < need)
    nc *= 2;
  if (nc > UINT32_MAX)
    nc = UINT32_MAX;
  if (nc < need)
    return -1;
  void *q = realloc(*p, (size_t)nc * elem);
  if (!q)
    return -1;
  *p = q;
  *cap = (uint32_t)nc;
  return 0;
}

int weft__model_init(weft__model *m) {
  memset(m, 0, sizeof *m);
  return weft__strtab_init(&m->names);
}

void weft__model_release(weft__model *m) {
  weft__strtab_release(&m->names);
  free(m->nodes);
  free(m->values);
  free(m->levels);
  free(m->pool);
  free(m->tasks);
  free(m->task_slots);
  free(m->order);
  for (size_t i = 0; i < m->nstreams; i++) {
    free(m->streams[i]->stack);
    free(m->streams[i]);
  }
  free(m->streams);
  free(m->stream_slots);
  free(m->pending);
  free(m->globals);
  for (uint32_t f = 0; f < m->nworld; f++)
    free(m->world[f]);
  free(m->world);
  free(m->world_len);
  free(m->world_known);
  memset(m, 0, sizeof *m);
}

int weft__model_set_world(weft__model *m, uint32_t file, const uint32_t *world,
                          uint32_t n) {
  if (file >= m->nworld) {
    uint32_t **w = realloc(m->world, ((size_t)file + 1) * sizeof *w);
    if (!w)
      return -1;
    m->world = w;
    uint32_t *l = realloc(m->world_len, ((size_t)file + 1) * sizeof *l);
    if (!l)
      return -1;
    m->world_len = l;
    uint32_t *k = realloc(m->world_known, ((size_t)file + 1) * sizeof *k);
    if (!k)
      return -1;
    m->world_known = k;
    for (uint32_t f = m->nworld; f <= file; f++) {
      m->world[f] = NULL;
      m->world_len[f] = m->world_known[f] = 0;
    }
    m->nworld = file + 1;
  }
  uint32_t *copy = malloc((n ? n : 1) * sizeof *copy);
  if (!copy)
    return -1;
  if (n)
    memcpy(copy, world, n * sizeof *copy);
  uint32_t known = 0;
  for (uint32_t r = 0; r < n; r++)
    known += copy[r] != WEFT__NONE;
  free(m->world[file]);
  m->world[file] = copy;
  m->world_len[file] = n;
  m->world_known[file] = known;
  return 0;
}

/* A file none of whose rows knows its world rank is taken to be a log of
 * MPI_COMM_WORLD, whose ranks are numbered alike.  Once one row knows its
 * world rank that no longer holds: an unknown row's log rank may be a
 * known row's world rank, and taking it would pair messages with the
 * wrong rank, so such a rank has none. */
uint32_t weft__model_world(const weft__model *m, uint32_t file, uint32_t rank) {
  if (file >= m->nworld || !m->world_known[file])
    return rank;
  if (rank < m->world_len[file])
    return m->world[file][rank];
  return WEFT__NONE;
}

/* ---- pool of strings ----------------------------------------------------- */

static int pool_put(weft__model *m, const char *s, size_t len, uint64_t *off) {
  if (len > UINT32_MAX - 8)
    return -1;
  uint64_t need = m->pool_used + 4 + len + 1;
  if (need > m->pool_cap) {
    uint64_t nc = m->pool_cap ? m->pool_cap * 2 : 1 << 16;
    while (nc < need)
      nc *= 2;
    char *p = realloc(m->pool, nc);
    if (!p)
      return -1;
    m->pool = p;
    m->pool_cap = nc;
  }
  uint32_t l = (uint32_t)len;
  memcpy(m->pool + m->pool_used, &l, 4);
  if (len)
    memcpy(m->pool + m->pool_used + 4, s, len);
  m->pool[m->pool_used + 4 + len] = 0;
  *off = m->pool_used;
  m->pool_used = need;
  return 0;
}

const char *weft__model_str(const weft__model *m, const weft__mvalue *v,
                            uint32_t *len) {
  uint32_t l;
  memcpy(&l, m->pool + v->v.off, 4);
  if (len)
    *len = l;
  return m->pool + v->v.off + 4;
}

/* ---- values -------------------------------------------------------------- */

/* JSON number text of d ("null" for NaN and infinities, as Eliot does). */
static int json_double(char *buf, size_t cap, double d) {
  if (d != d || d > 1.7976931348623157e308 || d < -1.7976931348623157e308)
    return snprintf(buf, cap, "null");
  return snprintf(buf, cap, "%.17g", d);
}

/* An array summary as JSON text: the model keeps arrays as text because
 * every consumer (tree, Eliot export, CSV) prints them whole. */
static int array_json(weft__model *m, const weft_value *v, uint64_t *off) {
  size_t cap = 256 + 24 * (size_t)v->v.arr.ndim + 26 * v->v.arr.kept;
  char *b = malloc(cap);
  if (!b)
    return -1;
  size_t n = 0;
  int is_int = v->type == WEFT_TYPE_I64_ARRAY;
  n += (size_t)snprintf(b + n, cap - n, "{\"dtype\":\"%s\",\"shape\":[",
                        is_int ? "int64" : "float64");
  for (uint32_t i = 0; i < v->v.arr.ndim && i < WEFT_ARRAY_NDIM_MAX; i++)
    n += (size_t)snprintf(b + n, cap - n, "%s%llu", i ? "," : "",
                          (unsigned long long)v->v.arr.shape[i]);
  n += (size_t)snprintf(b + n, cap - n, "],\"count\":%llu,\"min\":",
                        (unsigned long long)v->v.arr.count);
  n += (size_t)json_double(b + n, cap - n, v->v.arr.min);
  n += (size_t)snprintf(b + n, cap - n, ",\"max\":");
  n += (size_t)json_double(b + n, cap - n, v->v.arr.max);
  n += (size_t)snprintf(b + n, cap - n, ",\"mean\":");
  n += (size_t)json_double(b + n, cap - n, v->v.arr.mean);
  n += (size_t)snprintf(b + n, cap - n, ",\"nan_count\":%llu,\"head\":[",
                        (unsigned long long)v->v.arr.nan_count);
  for (uint64_t i = 0; i < v->v.arr.kept && v->v.arr.values; i++) {
    if (i)
      b[n++] = ',';
    if (is_int) {
      int64_t x;
      memcpy(&x, (const char *)v->v.arr.values + 8 * i, 8);
      n += (size_t)snprintf(b + n, cap - n, "%lld", (long long)x);
    } else {
      double x;
      memcpy(&x, (const char *)v->v.arr.values + 8 * i, 8);
      n += (size_t)json_double(b + n, cap - n, x);
    }
  }
  n += (size_t)snprintf(b + n, cap - n, "]}");
  int rc = pool_put(m, b, n < cap ? n : cap - 1, off);
  free(b);
  return rc;
}

static uint32_t name_id(weft__model *m, weft__stream *s, const char *name) {
  if (!name)
    return 0;
  /* Decoded names point into the file's name table, so the same pointer
   * comes back for every event of a schema: cache by pointer, confirm by
   * content unless the caller vouches for the pointers. */
  uint32_t h =
      (uint32_t)(((uint64_t)(uintptr_t)name * 0x9e3779b97f4a7c15ull) >> 60);
  for (uint32_t k = 0; k < NAME_WAYS; k++) {
    uint32_t j = (h + k) & (NAME_CACHE - 1);
    if (s->name_ptr[j] == name &&
        (m->stable_names ||
         strcmp(weft__strtab_get(&m->names, s->name_id[j]), name) == 0))
      return s->name_id[j];
  }
  uint32_t id = weft__strtab_add(&m->names, name, strlen(name));
  if (id != UINT32_MAX) {
    uint32_t k = 0; /* a free way, else the first */
    while (k < NAME_WAYS && s->name_ptr[(h + k) & (NAME_CACHE - 1)])
      k++;
    uint32_t j = (h + (k < NAME_WAYS ? k : 0)) & (NAME_CACHE - 1);
    s->name_ptr[j] = name;
    s->name_id[j] = id;
  }
  return id;
}

static int add_values(weft__model *m, weft__stream *s, const weft_value *v,
                      size_t n, uint32_t *first) {
  if (n > UINT16_MAX || (uint64_t)m->nvalues + n > UINT32_MAX - 1)
    return -1;
  if (grow((void **)&m->values, &m->values_cap, m->nvalues + (uint32_t)n + 1,
           sizeof *m->values))
    return -1;
  *first = m->nvalues;
  for (size_t i = 0; i < n; i++) {
    weft__mvalue *o = &m->values[m->nvalues];
    memset(o, 0, sizeof *o);
    o->name = name_id(m, s, v[i].name);
    if (o->name == UINT32_MAX)
      return -1;
    o->type = (uint16_t)v[i].type;
    switch (v[i].type) {
    case WEFT_TYPE_I64:
      o->v.i64 = v[i].v.i64;
      break;
    case WEFT_TYPE_U64:
      o->v.u64 = v[i].v.u64;
      break;
    case WEFT_TYPE_F64:
      o->v.f64 = v[i].v.f64;
      break;
    case WEFT_TYPE_BOOL:
      o->v.i64 = v[i].v.b ? 1 : 0;
      break;
    case WEFT_TYPE_STR:
      if (pool_put(m, v[i].v.str.ptr ? v[i].v.str.ptr : "", v[i].v.str.len,
                   &o->v.off))
        return -1;
      if (v[i].v.str.original_len > v[i].v.str.len)
        o->flags |= WEFT__MV_CUT;
      break;
    case WEFT_TYPE_I64_ARRAY:
    case WEFT_TYPE_F64_ARRAY:
      if (array_json(m, &v[i], &o->v.off))
        return -1;
      break;
    default:
      return -1;
    }
    m->nvalues++;
  }
  return 0;
}

int weft__mvalue_number(const weft__mvalue *v, double *out) {
  switch (v->type) {
  case WEFT_TYPE_I64:
  case WEFT_TYPE_BOOL:
    *out = (double)v->v.i64;
    return 1;
  case WEFT_TYPE_U64:
    *out = (double)v->v.u64;
    return 1;
  case WEFT_TYPE_F64:
    *out = v->v.f64;
    return v->v.f64 == v->v.f64;
  default:
    return 0;
  }
}

/* ---- tasks --------------------------------------------------------------- */

/* 32 well-mixed bits of a task id.  Slots keep them beside the index, so a
 * probe compares ids only on a hash match and growing the table reads no
 * task: with millions of random ids every read of tasks[] is a cache
 * miss. */
static uint32_t task_hash(uint64_t hi, uint64_t lo) {
  uint64_t h = (lo ^ (hi * 0x9e3779b97f4a7c15ull)) * 0xff51afd7ed558ccdull;
  return (uint32_t)(h ^ h >> 32);
}

static uint32_t task_index(weft__model *m, weft__stream *s, uint64_t hi,
                           uint64_t lo) {
  if (s->task != WEFT__NONE && s->task_hi == hi && s->task_lo == lo)
    return s->task;
  if ((uint64_t)(m->ntasks + 1) * 2 > (uint64_t)m->task_mask + 1) {
    uint32_t nmask = m->task_mask ? m->task_mask * 2 + 1 : 255;
    uint64_t *t = calloc((size_t)nmask + 1, sizeof *t);
    if (!t)
      return WEFT__NONE;
    /* In slot order, the new positions mostly ascend too. */
    for (uint64_t i = 0; m->task_slots && i <= m->task_mask; i++) {
      uint64_t e = m->task_slots[i];
      if (!e)
        continue;
      uint32_t j = (uint32_t)(e >> 32) & nmask;
      while (t[j])
        j = (j + 1) & nmask;
      t[j] = e;
    }
    free(m->task_slots);
    m->task_slots = t;
    m->task_mask = nmask;
  }
  uint32_t h = task_hash(hi, lo), idx;
  uint32_t j = h & m->task_mask;
  for (; m->task_slots[j]; j = (j + 1) & m->task_mask) {
    uint64_t e = m->task_slots[j];
    if ((uint32_t)(e >> 32) != h)
      continue;
    const weft__task *t = &m->tasks[(uint32_t)e - 1];
    if (t->hi == hi && t->lo == lo) {
      idx = (uint32_t)e - 1;
      goto found;
    }
  }
  if (grow((void **)&m->tasks, &m->tasks_cap, m->ntasks + 1, sizeof *m->tasks))
    return WEFT__NONE;
  m->tasks[m->ntasks] = (weft__task){hi, lo, WEFT__NONE, INT64_MAX};
  idx = m->ntasks++;
  m->task_slots[j] = (uint64_t)h << 32 | (idx + 1);
found:
  s->task_hi = hi;
  s->task_lo = lo;
  s->task = idx;
  return idx;
}

void weft__model_prefetch_task(const weft__model *m, uint64_t hi, uint64_t lo) {
  if (m->task_slots)
    __builtin_prefetch(&m->task_slots[task_hash(hi, lo) & m->task_mask]);
}

/* ---- streams ------------------------------------------------------------- */

static uint64_t stream_hash(uint32_t file, uint32_t rank, uint32_t thread) {
  uint32_t k[3] = {file, rank, thread};
  return weft__strtab_hash(k, sizeof k, 0x5eed);
}

weft__stream *weft__model_stream(weft__model *m, uint32_t file, uint32_t rank,
                                 uint32_t thread) {
  /* Streams are ranks x threads: up to millions on a big job, so they are
   * found through an open-addressing table of stream index + 1. */
  if (m->stream_mask) {
    for (uint32_t j =
             (uint32_t)stream_hash(file, rank, thread) & m->stream_mask;
         m->stream_slots[j]; j = (j + 1) & m->stream_mask) {
      weft__stream *s = m->streams[m->stream_slots[j] - 1];
      if (s->file == file && s->rank == rank && s->thread == thread)
        return s;
    }
  }
  if (m->nstreams == m->streams_cap) {
    size_t nc = m->streams_cap ? m->streams_cap * 2 : 64;
    weft__stream **p = realloc(m->streams, nc * sizeof *p);
    if (!p)
      return NULL;
    m->streams = p;
    m->streams_cap = nc;
  }
  if ((m->nstreams + 1) * 2 > (size_t)m->stream_mask + 1) {
    uint32_t nmask = m->stream_mask ? m->stream_mask * 2 + 1 : 127;
    uint32_t *t = calloc((size_t)nmask + 1, sizeof *t);
    if (!t)
      return NULL;
    for (size_t i = 0; i < m->nstreams; i++) {
      const weft__stream *o = m->streams[i];
      uint32_t j = (uint32_t)stream_hash(o->file, o->rank, o->thread) & nmask;
      while (t[j])
        j = (j + 1) & nmask;
      t[j] = (uint32_t)i + 1;
    }
    free(m->stream_slots);
    m->stream_slots = t;
    m->stream_mask = nmask;
  }
  weft__stream *s = calloc(1, sizeof *s);
  if (!s)
    return NULL;
  s->file = file;
  s->rank = rank;
  s->thread = thread;
  s->task = WEFT__NONE;
  uint32_t j = (uint32_t)stream_hash(file, rank, thread) & m->stream_mask;
  while (m->stream_slots[j])
    j = (j + 1) & m->stream_mask;
  m->stream_slots[j] = (uint32_t)m->nstreams + 1;
  m->streams[m->nstreams++] = s;
  if (rank + 1 > m->nranks)
    m->nranks = rank + 1;
  return s;
}

/* ---- adding events ------------------------------------------------------- */

static uint32_t new_node(weft__model *m, weft__stream *s, const weft_event *ev,
                         uint32_t level_len, int64_t t) {
  if (m->nnodes == UINT32_MAX - 1 ||
      grow((void **)&m->nodes, &m->nodes_cap, m->nnodes + 1, sizeof *m->nodes))
    return WEFT__NONE;
  if ((uint64_t)m->nlevels + level_len + 1 > UINT32_MAX - 1 ||
      grow((void **)&m->levels, &m->levels_cap, m->nlevels + level_len + 1,
           sizeof *m->levels))
    return WEFT__NONE;
  uint32_t task = task_index(m, s, ev->task_hi, ev->task_lo);
  uint32_t type = name_id(m, s, ev->type);
  if (task == WEFT__NONE || type == UINT32_MAX)
    return WEFT__NONE;
  uint32_t i = m->nnodes++;
  weft__node *n = &m->nodes[i];
  memset(n, 0, sizeof *n);
  n->start = n->end = t;
  n->parent = n->first_child = n->next_sibling = WEFT__NONE;
  n->reason = WEFT__NONE;
  n->task = task;
  n->type = type;
  n->rank = s->rank;
  n->thread = s->thread;
  n->file = s->file;
  n->level = m->nlevels;
  m->levels[m->nlevels++] = level_len;
  for (uint32_t k = 0; k < level_len; k++)
    m->levels[m->nlevels++] = ev->level[k];
  return i;
}

static int push_pending(weft__model *m, uint32_t node) {
  if (grow((void **)&m->pending, &m->pending_cap, m->npending + 1,
           sizeof *m->pending))
    return -1;
  m->pending[m->npending++] = node;
  return 0;
}

static int set_end(weft__model *m, weft__stream *s, uint32_t i,
                   const weft_event *ev, int64_t t) {
  weft__node *n = &m->nodes[i];
  n->end = t;
  n->status =
      ev->kind == WEFT_KIND_FAILURE ? WEFT__ST_FAILED : WEFT__ST_SUCCEEDED;
  n->code = ev->code;
  if (add_values(m, s, ev->fields, ev->nfields, &n->end_fields))
    return -1;
  m->nodes[i].nend_fields = (uint16_t)ev->nfields;
  if (ev->kind == WEFT_KIND_FAILURE && ev->reason) {
    weft_value r = {.name = "reason", .type = WEFT_TYPE_STR};
    r.v.str.ptr = ev->reason;
    r.v.str.len = r.v.str.original_len = strlen(ev->reason);
    uint32_t at;
    if (add_values(m, s, &r, 1, &at))
      return -1;
    m->nodes[i].reason = at;
  }
  return 0;
}

/* 1 when node i (just added) nests in the open action p: same task, and
 * its level is p's level plus one slot. */
static int next_child_of(const weft__model *m, uint32_t p, uint32_t i) {
  const weft__node *a = &m->nodes[p], *b = &m->nodes[i];
  const uint32_t *la = &m->levels[a->level], *lb = &m->levels[b->level];
  return a->task == b->task && lb[0] == la[0] + 1 &&
         !memcmp(la + 1, lb + 1, la[0] * sizeof *la);
}

int weft__model_add(weft__model *m, weft__stream *s, const weft_event *ev,
                    int64_t t, const char **why) {
  static const char oom[] = "out of memory";
  *why = oom;
  m->events++;
  if (ev->level_len == 0 || !ev->level) {
    *why = "event without a task level";
    return -1;
  }
  switch (ev->kind) {
  case WEFT_KIND_START:
  case WEFT_KIND_MESSAGE: {
    int is_start = ev->kind == WEFT_KIND_START;
    uint32_t len = (uint32_t)ev->level_len - (is_start ? 1u : 0u);
    uint32_t i = new_node(m, s, ev, len, t);
    if (i == WEFT__NONE)
      return -1;
    weft__node *n = &m->nodes[i];
    n->kind = is_start ? WEFT__NODE_ACTION : WEFT__NODE_MESSAGE;
    n->status = is_start ? WEFT__ST_UNFINISHED : WEFT__ST_MESSAGE;
    /* Without an open action, a root start has level [] and a root
     * message [1]; anything longer continues a serialized context.  So
     * does a start that is not the open action's next child (a context
     * continued while actions are open: libweft's nested continue). */
    if (s->depth && next_child_of(m, s->stack[s->depth - 1], i))
      n->parent = s->stack[s->depth - 1];
    else if (len > (is_start ? 0u : 1u)) {
      n->flags |= WEFT__NF_CONT;
      if (push_pending(m, i))
        return -1;
    }
    uint32_t first;
    if (add_values(m, s, ev->fields, ev->nfields, &first))
      return -1;
    m->nodes[i].fields = first;
    m->nodes[i].nfields = (uint16_t)ev->nfields;
    if (is_start) {
      if (grow((void **)&s->stack, &s->cap, s->depth + 1, sizeof *s->stack))
        return -1;
      s->stack[s->depth++] = i;
    }
    return 0;
  }
  case WEFT_KIND_SUCCESS:
  case WEFT_KIND_FAILURE: {
    if (s->depth) {
      uint32_t i = s->stack[--s->depth];
      return set_end(m, s, i, ev, t);
    }
    /* An end whose start is not in the data (a file that begins
     * mid-action): keep it as a node without start. */
    uint32_t len = (uint32_t)ev->level_len - 1;
    uint32_t i = new_node(m, s, ev, len, t);
    if (i == WEFT__NONE)
      return -1;
    m->nodes[i].kind = WEFT__NODE_ACTION;
    m->nodes[i].flags |= WEFT__NF_NO_START;
    m->nodes[i].nfields = 0;
    m->nodes[i].fields = m->nvalues;
    if (len > 0 && push_pending(m, i))
      return -1;
    return set_end(m, s, i, ev, t);
  }
  default:
    *why = "unknown event kind";
    return -1;
  }
}

int weft__model_add_globals(weft__model *m, weft__stream *s,
                            const weft_value *v, size_t n) {
  uint32_t first;
  if (grow((void **)&m->globals, &m->globals_cap, m->nglobals + 1,
           sizeof *m->globals) ||
      add_values(m, s, v, n, &first))
    return -1;
  m->globals[m->nglobals++] =
      (weft__globals){s->file, s->rank, first, (uint32_t)n};
  return 0;
}

/* ---- finishing ----------------------------------------------------------- */

const uint32_t *weft__model_level(const weft__model *m, uint32_t i,
                                  uint32_t *len) {
  *len = m->levels[m->nodes[i].level];
  return &m->levels[m->nodes[i].level + 1];
}

static uint64_t level_hash(uint32_t task, const uint32_t *l, uint32_t len) {
  return weft__strtab_hash(l, (size_t)len * 4, task * 0x9e3779b97f4a7c15ull);
}

/* How well candidate parent p suits child c: lower is better.  A context is
 * most often continued on the thread or rank that serialized it, and
 * always within one job (file). */
static uint64_t affinity(const weft__node *p, const weft__node *c) {
  if (p->file == c->file && p->rank == c->rank && p->thread == c->thread)
    return 0;
  if (p->file == c->file && p->rank == c->rank)
    return 1;
  /* then the same file (one job), then the lowest rank */
  uint64_t where = ((uint64_t)p->rank << 24) + p->thread;
  if (p->file == c->file)
    return 2 + where;
  return ((uint64_t)1 << 62) + ((uint64_t)p->file << 48) + where;
}

static int resolve_pending(weft__model *m) {
  if (!m->npending)
    return 0;
  unsigned char *want = calloc(m->ntasks ? m->ntasks : 1, 1);
  if (!want)
    return -1;
  uint32_t count = 0;
  for (uint32_t k = 0; k < m->npending; k++)
    want[m->nodes[m->pending[k]].task] = 1;
  for (uint32_t i = 0; i < m->nnodes; i++)
    if (m->nodes[i].kind == WEFT__NODE_ACTION && want[m->nodes[i].task])
      count++;
  uint64_t size = 64;
  while (size < (uint64_t)count * 2)
    size *= 2;
  uint32_t *tab = calloc(size, sizeof *tab);
  if (!tab) {
    free(want);
    return -1;
  }
  uint32_t mask = (uint32_t)(size - 1);
  /* One slot per distinct (task, level); actions sharing it (a context
   * continued on many ranks) are chained through dup, so a context
   * continued 100k times costs 100k chain links, not 100k probes each. */
  uint32_t *dup = malloc((size_t)(m->nnodes ? m->nnodes : 1) * sizeof *dup);
  if (!dup) {
    free(tab);
    free(want);
    return -1;
  }
  for (uint32_t i = 0; i < m->nnodes; i++) {
    const weft__node *n = &m->nodes[i];
    if (n->kind != WEFT__NODE_ACTION || !want[n->task])
      continue;
    uint32_t len;
    const uint32_t *l = weft__model_level(m, i, &len);
    uint32_t j = (uint32_t)level_hash(n->task, l, len) & mask;
    for (; tab[j]; j = (j + 1) & mask) {
      uint32_t o = tab[j] - 1, ol;
      const uint32_t *oe = weft__model_level(m, o, &ol);
      if (m->nodes[o].task == n->task && ol == len &&
          memcmp(oe, l, (size_t)len * 4) == 0)
        break;
    }
    dup[i] = tab[j] ? tab[j] - 1 : WEFT__NONE;
    tab[j] = i + 1;
  }
  for (uint32_t k = 0; k < m->npending; k++) {
    uint32_t c = m->pending[k];
    weft__node *cn = &m->nodes[c];
    uint32_t len;
    const uint32_t *l = weft__model_level(m, c, &len);
    /* Pending nodes have len >= 1; the parent's level is one shorter. */
    uint32_t plen = len - 1;
    uint32_t best = WEFT__NONE;
    uint64_t best_aff = UINT64_MAX;
    uint32_t j = (uint32_t)level_hash(cn->task, l, plen) & mask;
    for (; tab[j]; j = (j + 1) & mask) {
      uint32_t p = tab[j] - 1, pl;
      const uint32_t *pe = weft__model_level(m, p, &pl);
      if (m->nodes[p].task != cn->task || pl != plen ||
          memcmp(pe, l, (size_t)plen * 4) != 0)
        continue;
      for (; p != WEFT__NONE && best_aff; p = dup[p]) {
        uint64_t a = p == c ? UINT64_MAX : affinity(&m->nodes[p], cn);
        if (a < best_aff || (a == best_aff && p < best)) {
          best_aff = a;
          best = p;
        }
      }
      break;
    }
    if (best == WEFT__NONE)
      cn->flags |= WEFT__NF_ORPHAN;
    cn->parent = best;
  }
  free(dup);
  free(tab);
  free(want);
  return 0;
}

static uint32_t slot_of(const weft__model *m, uint32_t i) {
  uint32_t len;
  const uint32_t *l = weft__model_level(m, i, &len);
  return len ? l[len - 1] : 0;
}

/* Sibling order: slot, then file, rank, thread, then arrival. */
static int sibling_cmp(const weft__model *m, uint32_t a, uint32_t b) {
  const weft__node *x = &m->nodes[a], *y = &m->nodes[b];
  if (x->parent == WEFT__NONE) {
    /* task roots: the true root (shortest level) first */
    uint32_t la, lb;
    const uint32_t *ea = weft__model_level(m, a, &la);
    const uint32_t *eb = weft__model_level(m, b, &lb);
    for (uint32_t k = 0; k < la && k < lb; k++)
      if (ea[k] != eb[k])
        return ea[k] < eb[k] ? -1 : 1;
    if (la != lb)
      return la < lb ? -1 : 1;
  } else {
    uint32_t sa = slot_of(m, a), sb = slot_of(m, b);
    if (sa != sb)
      return sa < sb ? -1 : 1;
  }
  if (x->file != y->file)
    return x->file < y->file ? -1 : 1;
  if (x->rank != y->rank)
    return x->rank < y->rank ? -1 : 1;
  if (x->thread != y->thread)
    return x->thread < y->thread ? -1 : 1;
  return a < b ? -1 : a > b;
}

static const weft__model *sort_model; /* qsort has no context argument */

static int qsort_sibling(const void *a, const void *b) {
  return sibling_cmp(sort_model, *(const uint32_t *)a, *(const uint32_t *)b);
}

/* Put the list starting at *head in sibling order; sorts only when the
 * arrival order is not already right. */
static int order_list(weft__model *m, uint32_t *head, uint32_t **tmp,
                      uint32_t *tmp_cap) {
  uint32_t n = 0, sorted = 1;
  for (uint32_t c = *head; c != WEFT__NONE; c = m->nodes[c].next_sibling) {
    uint32_t nx = m->nodes[c].next_sibling;
    if (nx != WEFT__NONE && sibling_cmp(m, c, nx) > 0)
      sorted = 0;
    n++;
  }
  if (sorted)
    return 0;
  if (grow((void **)tmp, tmp_cap, n, sizeof **tmp))
    return -1;
  n = 0;
  for (uint32_t c = *head; c != WEFT__NONE; c = m->nodes[c].next_sibling)
    (*tmp)[n++] = c;
  sort_model = m;
  qsort(*tmp, n, sizeof **tmp, qsort_sibling);
  *head = (*tmp)[0];
  for (uint32_t k = 0; k < n; k++)
    m->nodes[(*tmp)[k]].next_sibling = k + 1 < n ? (*tmp)[k + 1] : WEFT__NONE;
  return 0;
}

/* m->order: tasks by first_time, ties by index.  A stable LSD radix sort
 * on the time (16-bit digits; digits every task shares are skipped): qsort
 * would miss the cache on tasks[] at every comparison. */
static int order_tasks(weft__model *m) {
  size_t n = m->ntasks ? m->ntasks : 1;
  uint64_t *key = malloc(2 * n * sizeof *key);
  uint32_t *idx = malloc(2 * n * sizeof *idx);
  uint32_t(*count)[1u << 16] = calloc(4, sizeof *count);
  m->order = malloc(n * sizeof *m->order);
  if (!key || !idx || !count || !m->order) {
    free(key);
    free(idx);
    free(count);
    return -1;
  }
  for (uint32_t t = 0; t < m->ntasks; t++) {
    key[t] = (uint64_t)m->tasks[t].first_time ^ (1ull << 63);
    idx[t] = t;
    for (int d = 0; d < 4; d++)
      count[d][(key[t] >> (16 * d)) & 0xffff]++;
  }
  uint64_t *k0 = key, *k1 = key + n;
  uint32_t *i0 = idx, *i1 = idx + n;
  for (int d = 0; d < 4 && m->ntasks; d++) {
    if (count[d][(k0[0] >> (16 * d)) & 0xffff] == m->ntasks)
      continue; /* one value: nothing to reorder */
    uint32_t sum = 0;
    for (uint32_t v = 0; v < (1u << 16); v++) {
      uint32_t c = count[d][v];
      count[d][v] = sum;
      sum += c;
    }
    for (uint32_t t = 0; t < m->ntasks; t++) {
      uint32_t at = count[d][(k0[t] >> (16 * d)) & 0xffff]++;
      k1[at] = k0[t];
      i1[at] = i0[t];
    }
    uint64_t *kt = k0;
    k0 = k1;
    k1 = kt;
    uint32_t *it = i0;
    i0 = i1;
    i1 = it;
  }
  memcpy(m->order, i0, (size_t)m->ntasks * sizeof *m->order);
  free(key);
  free(idx);
  free(count);
  return 0;
}

int weft__model_finish(weft__model *m) {
  if (m->finished)
    return 0;
  int rc = -1;
  uint32_t *last = NULL, *task_last = NULL, *tmp = NULL, *pre = NULL;
  unsigned char *unsorted = NULL;
  uint32_t tmp_cap = 0, unfinished = 0;
  if (resolve_pending(m))
    goto out;
  last = malloc((size_t)(m->nnodes ? m->nnodes : 1) * sizeof *last);
  task_last = malloc((size_t)(m->ntasks ? m->ntasks : 1) * sizeof *task_last);
  /* bit p: the children of node p (bit nnodes + t: the roots of task t)
   * did not arrive in sibling order */
  unsorted = calloc(((size_t)m->nnodes + m->ntasks) / 8 + 1, 1);
  if (!last || !task_last || !unsorted)
    goto out;
  for (uint32_t t = 0; t < m->ntasks; t++)
    m->tasks[t].first_root = task_last[t] = WEFT__NONE;
  for (uint32_t i = 0; i < m->nnodes; i++)
    last[i] = WEFT__NONE;
  /* Link in arrival order: one append per node.  The same pass notes the
   * lists that need sorting, the unfinished actions and each task's
   * earliest root: every pass over the nodes is a pass over memory. */
  for (uint32_t i = 0; i < m->nnodes; i++) {
    weft__node *n = &m->nodes[i];
    uint32_t *head, *tail;
    size_t list;
    if (n->status == WEFT__ST_UNFINISHED)
      unfinished++;
    if (n->parent == WEFT__NONE) {
      head = &m->tasks[n->task].first_root;
      tail = &task_last[n->task];
      list = (size_t)m->nnodes + n->task;
      if (n->start < m->tasks[n->task].first_time)
        m->tasks[n->task].first_time = n->start;
    } else {
      head = &m->nodes[n->parent].first_child;
      tail = &last[n->parent];
      list = n->parent;
    }
    if (*tail == WEFT__NONE) {
      *head = i;
    } else {
      if (sibling_cmp(m, *tail, i) > 0)
        unsorted[list / 8] |= (unsigned char)(1u << (list % 8));
      m->nodes[*tail].next_sibling = i;
    }
    *tail = i;
  }
  free(last);
  free(task_last);
  last = task_last = NULL;
  for (size_t l = 0; l < (size_t)m->nnodes + m->ntasks; l++) {
    if (!unsorted[l / 8]) {
      l |= 7; /* eight lists in order */
      continue;
    }
    if (!(unsorted[l / 8] & (1u << (l % 8))))
      continue;
    uint32_t *head = l < m->nnodes ? &m->nodes[l].first_child
                                   : &m->tasks[l - m->nnodes].first_root;
    if (order_list(m, head, &tmp, &tmp_cap))
      goto out;
  }
  /* Only unfinished actions take the time of their last event: without
   * any there is nothing to carry up. */
  pre = unfinished ? malloc((size_t)m->nnodes * sizeof *pre) : NULL;
  if (unfinished && !pre)
    goto out;
  /* Pre-order walk; then children before parents (reverse pre-order)
   * carry each subtree's last event time up to unfinished actions. */
  uint32_t np = 0;
  for (uint32_t t = 0; t < m->ntasks && unfinished; t++) {
    for (uint32_t r = m->tasks[t].first_root; r != WEFT__NONE;
         r = m->nodes[r].next_sibling) {
      uint32_t c = r;
      for (;;) {
        pre[np++] = c;
        if (m->nodes[c].first_child != WEFT__NONE) {
          c = m->nodes[c].first_child;
          continue;
        }
        while (c != r && m->nodes[c].next_sibling == WEFT__NONE)
          c = m->nodes[c].parent;
        if (c == r)
          break;
        c = m->nodes[c].next_sibling;
      }
    }
  }
  for (uint32_t k = np; k-- > 0;) {
    weft__node *n = &m->nodes[pre[k]];
    int64_t lt = n->end > n->start ? n->end : n->start;
    if (n->parent != WEFT__NONE) {
      weft__node *p = &m->nodes[n->parent];
      if (p->status == WEFT__ST_UNFINISHED && lt > p->end)
        p->end = lt;
    }
  }
  free(pre); /* before the sort's buffers: they bound peak memory */
  pre = NULL;
  if (order_tasks(m))
    goto out;
  for (size_t i = 0; i < m->nstreams; i++) {
    free(m->streams[i]->stack);
    free(m->streams[i]);
  }
  free(m->streams);
  free(m->stream_slots);
  m->streams = NULL;
  m->stream_slots = NULL;
  m->stream_mask = 0;
  m->nstreams = m->streams_cap = 0;
  m->finished = 1;
  rc = 0;
out:
  free(last);
  free(task_last);
  free(unsorted);
  free(tmp);
  free(pre);
  return rc;
}

/* ---- queries ------------------------------------------------------------- */

const weft__mvalue *weft__model_field(const weft__model *m, uint32_t i,
                                      uint32_t name) {
  const weft__node *n = &m->nodes[i];
  for (uint32_t k = 0; k < n->nfields; k++)
    if (m->values[n->fields + k].name == name)
      return &m->values[n->fields + k];
  for (uint32_t k = 0; k < n->nend_fields; k++)
    if (m->values[n->end_fields + k].name == name)
      return &m->values[n->end_fields + k];
  return NULL;
}

int64_t weft__model_elapsed(const weft__model *m, uint32_t i) {
  const weft__node *n = &m->nodes[i];
  if (n->kind != WEFT__NODE_ACTION || (n->flags & WEFT__NF_NO_START))
    return -1;
  return weft__time_diff(n->end, n->start);
}
