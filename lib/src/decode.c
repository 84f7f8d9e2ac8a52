/*
 * decode.c - a thread's record stream back into Eliot events.
 *
 * Records carry no level, parent or task: those are implied by the order of
 * the records of one thread (record.h).  The decoder keeps, per stream, what
 * the logging thread kept: the stack of open actions, each with its next
 * child slot, plus the TASK or CONTINUE record waiting for the next root.
 *
 * Task levels (Eliot's): an action at level L hands out L+[1] (its start),
 * L+[2], ... to its messages, to its child actions (a child at L+[k] starts
 * at L+[k,1]) and to SERIALIZE records, and its end takes the next one.
 * Each open action stores only the length of its level: the levels of all
 * open actions are prefixes of one path array (the root's base level, then
 * the slot each open child took), so an event's level is that path with the
 * slot written after the prefix, and each event costs O(1) plus the length
 * of its level, however wide its action.
 *
 * Success fields (ADD records) are kept as raw payloads on a per-stream byte
 * stack and decoded when the action ends; an action's ADDs are always on
 * top of the stack when it ends, because ADD applies to the innermost open
 * action, so ending it pops exactly its own.
 *
 * Everything is checked: the input may be a file or a crashed process's
 * journal.  Errors are WEFT_EFORMAT naming the byte offset of the record
 * within the data given to weft__decoder_feed (weft__decoder_stopped_at
 * gives it as a number, for readers that name records otherwise).  After
 * an error the stream's state is unspecified.
 */
#include "decode.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct frame {
  const char *type; /* action type; NULL for a lenient stand-in */
  int64_t t0;       /* start timestamp */
  uint32_t next;    /* next slot to hand out */
  size_t off;       /* this action's level is stream.path[off..off+plen) */
  size_t plen;
  uint64_t task_hi; /* its task */
  uint64_t task_lo;
  size_t add_mark; /* stream.adds.len when this action started */
} frame;

enum { PENDING_NONE, PENDING_TASK, PENDING_CONTINUE };

typedef struct stream {
  uint64_t key;
  frame *stack;
  size_t depth, stack_cap;
  uint32_t *path; /* levels of the open actions (see top of file) */
  size_t path_cap;
  int pending;      /* PENDING_* */
  size_t base_off;  /* PENDING_CONTINUE: the level is */
  size_t base_len;  /* path[base_off..base_off+base_len) */
  uint64_t task_hi; /* task of the pending TASK or CONTINUE record */
  uint64_t task_lo;
  unsigned char *adds; /* entries: u32 schema, u32 size, payload, padding */
  size_t adds_len, adds_cap;
  /* A TASK or CONTINUE record was seen: the stream's own tasks have begun.
   * Before, it may be inside actions begun before it (a log opened, or one
   * that took libweft over, while actions were open: docs/format.md
   * section 5), which is read as the lenient decoder reads everything. */
  int begun;
} stream;

struct weft__decoder {
  weft__dict dict;
  weft__wall_fn wall;
  void *wall_arg;
  int lenient;
  int rows;         /* weft__decoder_set_rows */
  stream **streams; /* open addressing on key; NULL = empty */
  size_t nstreams, streams_cap;
  weft__arena scratch; /* values of the current record; reset per record */
  /* Reused per event / per decode: an event's level text and a schema's
   * field names are needed only while one event is delivered, and the
   * arena's bookkeeping showed up at tens of millions of events. */
  char *level_buf;
  size_t level_cap;
  const char **names_buf;
  size_t names_cap;
  size_t stop; /* weft__decoder_stopped_at; SIZE_MAX: not at a record */
};

/* What is being decoded, for error messages. */
typedef struct rec {
  size_t off; /* of the header within the fed data */
  int64_t t;
  uint32_t schema;
  uint32_t size;
  const unsigned char *payload;
} rec;

static int rec_fail(const rec *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int rec_fail(const rec *r, const char *fmt, ...) {
  char what[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  return weft__error(WEFT_EFORMAT, WEFT__DECODE_AT " (schema %" PRIu32 "): %s",
                     r->off, r->schema, what);
}

/* Prefix the detail of a failed field decode with the record's position. */
static int rec_wrap(const rec *r, int rc) {
  char detail[512];
  snprintf(detail, sizeof detail, "%s", weft_errmsg());
  /* Drop the "malformed data: " the inner error already starts with. */
  const char *d = detail;
  const char *prefix = weft_strerror(rc);
  size_t plen = strlen(prefix);
  if (strncmp(d, prefix, plen) == 0 && strncmp(d + plen, ": ", 2) == 0)
    d += plen + 2;
  return weft__error(rc, WEFT__DECODE_AT " (schema %" PRIu32 "): %s", r->off,
                     r->schema, d);
}

static int no_memory(void) { return weft__error(WEFT_ENOMEM, "decoder state"); }

/* Room for `need` elements of `sz` bytes in array p of capacity *cap
 * (doubling); returns the array, perhaps moved, or NULL (p is then kept). */
static void *grow(void *p, size_t *cap, size_t need, size_t sz) {
  if (need <= *cap)
    return p;
  size_t n = *cap ? *cap : 16;
  while (n < need) {
    if (n > SIZE_MAX / 2 / sz)
      return NULL;
    n *= 2;
  }
  void *q = realloc(p, n * sz);
  if (q != NULL)
    *cap = n;
  return q;
}

/* ---- dictionaries -------------------------------------------------------- */

static const weft__schema *live_schema(void *arg, uint32_t id) {
  (void)arg;
  return weft__schema_get(id);
}

static const char *live_name(void *arg, uint32_t id) {
  uint32_t len;
  (void)arg;
  return weft__name_get(id, &len);
}

weft__dict weft__dict_live(void) {
  return (weft__dict){.schema = live_schema, .name = live_name, .arg = NULL};
}

static int64_t live_wall(void *arg, int64_t t) {
  (void)arg;
  return weft_clock_to_wall(t);
}

/* ---- decoder and streams ------------------------------------------------- */

int weft__decoder_new(weft__decoder **out, weft__dict dict) {
  if (out == NULL || dict.schema == NULL || dict.name == NULL)
    return weft__error(WEFT_EINVAL, "decoder: NULL output or dictionary");
  weft__decoder *d = calloc(1, sizeof *d);
  if (d == NULL)
    return no_memory();
  d->dict = dict;
  d->stop = SIZE_MAX;
  if (dict.schema == live_schema)
    d->wall = live_wall;
  *out = d;
  return WEFT_OK;
}

void weft__decoder_set_wall(weft__decoder *d, weft__wall_fn fn, void *arg) {
  d->wall = fn;
  d->wall_arg = arg;
}

void weft__decoder_set_rows(weft__decoder *d, int on) { d->rows = on != 0; }

void weft__decoder_set_lenient(weft__decoder *d, int on) {
  d->lenient = on != 0;
}

static void stream_free(stream *s) {
  free(s->stack);
  free(s->path);
  free(s->adds);
  free(s);
}

void weft__decoder_free(weft__decoder *d) {
  if (d == NULL)
    return;
  for (size_t i = 0; i < d->streams_cap; i++)
    if (d->streams[i] != NULL)
      stream_free(d->streams[i]);
  free(d->streams);
  weft__arena_free(&d->scratch);
  free(d->level_buf);
  free(d->names_buf);
  free(d);
}

static size_t key_hash(uint64_t k) {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdull;
  k ^= k >> 33;
  return (size_t)k;
}

static stream **stream_slot(stream **tab, size_t cap, uint64_t key) {
  size_t j = key_hash(key) & (cap - 1);
  while (tab[j] != NULL && tab[j]->key != key)
    j = (j + 1) & (cap - 1);
  return &tab[j];
}

static stream *stream_find(const weft__decoder *d, uint64_t key) {
  if (d->streams_cap == 0)
    return NULL;
  return *stream_slot(d->streams, d->streams_cap, key);
}

static int stream_get(weft__decoder *d, uint64_t key, stream **out) {
  if ((*out = stream_find(d, key)) != NULL)
    return WEFT_OK;
  if ((d->nstreams + 1) * 2 > d->streams_cap) {
    size_t cap = d->streams_cap ? d->streams_cap * 2 : 16;
    stream **tab = calloc(cap, sizeof *tab);
    if (tab == NULL)
      return no_memory();
    for (size_t i = 0; i < d->streams_cap; i++)
      if (d->streams[i] != NULL)
        *stream_slot(tab, cap, d->streams[i]->key) = d->streams[i];
    free(d->streams);
    d->streams = tab;
    d->streams_cap = cap;
  }
  stream *s = calloc(1, sizeof *s);
  if (s == NULL)
    return no_memory();
  s->key = key;
  *stream_slot(d->streams, d->streams_cap, key) = s;
  d->nstreams++;
  *out = s;
  return WEFT_OK;
}

int weft__decoder_stopped_at(const weft__decoder *d, size_t *off) {
  if (d == NULL || d->stop == SIZE_MAX)
    return 0;
  *off = d->stop;
  return 1;
}

size_t weft__decoder_open_count(const weft__decoder *d, uint64_t stream) {
  const struct stream *s = stream_find(d, stream);
  return s != NULL ? s->depth : 0;
}

/* ---- events -------------------------------------------------------------- */

/* "/3/2" for {3, 2}, in the decoder's level buffer (valid until the next
 * event). */
static const char *level_string(weft__decoder *d, const uint32_t *level,
                                size_t n) {
  if (n > (SIZE_MAX - 1) / 11)
    return NULL;
  char *buf = grow(d->level_buf, &d->level_cap, n * 11 + 1, 1);
  if (buf == NULL)
    return NULL;
  d->level_buf = buf;
  char *p = buf;
  for (size_t i = 0; i < n; i++) {
    uint32_t v = level[i];
    *p++ = '/';
    if (v < 10) { /* most slots */
      *p++ = (char)('0' + v);
      continue;
    }
    char digits[10];
    int k = 0;
    do {
      digits[k++] = (char)('0' + v % 10);
      v /= 10;
    } while (v != 0);
    while (k > 0)
      *p++ = digits[--k];
  }
  *p = '\0';
  return buf;
}

typedef struct feed_ctx {
  weft__decoder *d;
  stream *s;
  uint64_t key;
  weft__event_fn on_event;
  weft__globals_fn on_globals;
  void *arg;
} feed_ctx;

/* Deliver an event of task (hi, lo) whose level is
 * s->path[off..off+level_len). */
static int emit(feed_ctx *f, weft_event *ev, uint64_t hi, uint64_t lo,
                size_t off, size_t level_len) {
  ev->task_hi = hi;
  ev->task_lo = lo;
  ev->level = f->s->path + off;
  ev->level_len = level_len;
  ev->level_str = level_string(f->d, f->s->path + off, level_len);
  if (ev->level_str == NULL)
    return no_memory();
  ev->wall_ns = f->d->wall != NULL ? f->d->wall(f->d->wall_arg, ev->t_ns) : 0;
  ev->thread = (uint32_t)f->key;
  return f->on_event != NULL ? f->on_event(f->arg, f->key, ev) : 0;
}

/* Take the next slot of the innermost action. */
static int take_slot(const rec *r, frame *top, uint32_t *slot) {
  if (top->next == UINT32_MAX)
    return rec_fail(r, "more than %" PRIu32 " events in one action",
                    UINT32_MAX - 1);
  *slot = top->next++;
  return WEFT_OK;
}

/* Make room for a level of `len` elements plus the slot after it. */
static int path_reserve(stream *s, size_t len) {
  uint32_t *p = grow(s->path, &s->path_cap, len + 2, sizeof *p);
  if (p == NULL)
    return no_memory();
  s->path = p;
  return WEFT_OK;
}

/* Make room for one more open action. */
static int stack_reserve(stream *s) {
  frame *p = grow(s->stack, &s->stack_cap, s->depth + 1, sizeof *p);
  if (p == NULL)
    return no_memory();
  s->stack = p;
  return WEFT_OK;
}

/* Whether what does not nest is taken as the inside of actions begun
 * before the stream (stand-ins, ends without a start) rather than an
 * error: always when lenient, else until the stream's first task. */
static int lenient_here(const feed_ctx *f) {
  return f->d->lenient || !f->s->begun;
}

/* Push a lenient stand-in for an action opened before the stream began. */
static int push_stand_in(stream *s) {
  int rc = stack_reserve(s);
  if (rc < 0 || (rc = path_reserve(s, 0)) < 0)
    return rc;
  s->stack[s->depth++] = (frame){.type = NULL,
                                 .t0 = 0,
                                 .next = 1,
                                 .off = 0,
                                 .plen = 0,
                                 .add_mark = s->adds_len};
  return WEFT_OK;
}

/* Names of a schema's fields, in the decoder's names buffer (valid until
 * the next call). */
static int field_names(feed_ctx *f, const rec *r, const weft__schema *sc,
                       const char ***out) {
  const char **names = grow(f->d->names_buf, &f->d->names_cap,
                            (size_t)sc->nfields + 1, sizeof *names);
  if (names == NULL)
    return no_memory();
  f->d->names_buf = names;
  for (size_t i = 0; i < sc->nfields; i++) {
    names[i] = f->d->dict.name(f->d->dict.arg, sc->names[i]);
    if (names[i] == NULL)
      return rec_fail(r, "field %zu has unknown name id %" PRIu32, i,
                      sc->names[i]);
  }
  *out = names;
  return WEFT_OK;
}

/* Decode `len` payload bytes of schema sc into out (sc->nfields values). */
static int decode_fields(feed_ctx *f, const rec *r, const weft__schema *sc,
                         const unsigned char *p, size_t len, weft_value *out) {
  const char **names = NULL;
  int rc = field_names(f, r, sc, &names);
  if (rc < 0)
    return rc;
  rc = weft__fields_decode(p, len, sc->types, names, sc->nfields, out,
                           &f->d->scratch);
  return rc < 0 ? rec_wrap(r, rc) : WEFT_OK;
}

/* The values of a user record, in the scratch arena. */
static int record_fields(feed_ctx *f, const rec *r, const weft__schema *sc,
                         weft_value **out) {
  weft_value *v = weft__arena_alloc(&f->d->scratch, sc->nfields * sizeof *v);
  if (v == NULL)
    return no_memory();
  *out = v;
  return decode_fields(f, r, sc, r->payload, r->size, v);
}

static int on_start(feed_ctx *f, const rec *r, const weft__schema *sc,
                    const char *type) {
  stream *s = f->s;
  weft_value *v = NULL;
  int rc = record_fields(f, r, sc, &v);
  if (rc < 0)
    return rc;
  size_t off = 0, plen; /* level of the new action: path[off..off+plen) */
  uint64_t hi, lo;
  if (s->depth == 0 && s->pending == PENDING_NONE) {
    if (!lenient_here(f))
      return rec_fail(r,
                      "root action \"%s\" started without a TASK or "
                      "CONTINUE record",
                      type);
    if ((rc = push_stand_in(s)) < 0)
      return rc;
  }
  if (s->pending == PENDING_CONTINUE) {
    /* A continued action, at the root or nested in the stream (it is then
     * not a child of the action below it: its level is the context's). */
    off = s->base_off;
    plen = s->base_len;
    hi = s->task_hi;
    lo = s->task_lo;
    s->pending = PENDING_NONE;
  } else if (s->depth == 0) {
    plen = 0;
    hi = s->task_hi;
    lo = s->task_lo;
    s->pending = PENDING_NONE;
  } else {
    frame *top = &s->stack[s->depth - 1];
    uint32_t slot = 0;
    if ((rc = take_slot(r, top, &slot)) < 0)
      return rc;
    s->path[top->off + top->plen] = slot;
    off = top->off;
    plen = top->plen + 1;
    hi = top->task_hi;
    lo = top->task_lo;
  }
  if ((rc = stack_reserve(s)) < 0 || (rc = path_reserve(s, off + plen)) < 0)
    return rc;
  s->stack[s->depth++] = (frame){.type = type,
                                 .t0 = r->t,
                                 .next = 2,
                                 .off = off,
                                 .plen = plen,
                                 .task_hi = hi,
                                 .task_lo = lo,
                                 .add_mark = s->adds_len};
  s->path[off + plen] = 1;
  weft_event ev = {.kind = WEFT_KIND_START,
                   .type = type,
                   .t_ns = r->t,
                   .nfields = sc->nfields,
                   .fields = v};
  return emit(f, &ev, hi, lo, off, plen + 1);
}

static int on_message(feed_ctx *f, const rec *r, const weft__schema *sc,
                      const char *type) {
  stream *s = f->s;
  weft_value *v = NULL;
  int rc = record_fields(f, r, sc, &v);
  if (rc < 0)
    return rc;
  weft_event ev = {.kind = WEFT_KIND_MESSAGE,
                   .type = type,
                   .t_ns = r->t,
                   .nfields = sc->nfields,
                   .fields = v};
  if (s->pending == PENDING_CONTINUE)
    return rec_fail(r,
                    "message \"%s\" after a CONTINUE record: only an "
                    "action can continue a context",
                    type);
  if (s->depth == 0 && s->pending == PENDING_TASK) {
    /* A message of its own: a one-message task at level [1]. */
    s->pending = PENDING_NONE;
    if ((rc = path_reserve(s, 0)) < 0)
      return rc;
    s->path[0] = 1;
    return emit(f, &ev, s->task_hi, s->task_lo, 0, 1);
  }
  if (s->depth == 0) {
    if (!lenient_here(f))
      return rec_fail(r,
                      "message \"%s\" outside any action without a TASK "
                      "record",
                      type);
    if ((rc = push_stand_in(s)) < 0)
      return rc;
  }
  frame *top = &s->stack[s->depth - 1];
  uint32_t slot = 0;
  if ((rc = take_slot(r, top, &slot)) < 0)
    return rc;
  s->path[top->off + top->plen] = slot;
  return emit(f, &ev, top->task_hi, top->task_lo, top->off, top->plen + 1);
}

/* Keep an ADD payload until its action ends. */
static int on_add(feed_ctx *f, const rec *r, const weft__schema *sc) {
  stream *s = f->s;
  weft_value *v = NULL;
  int rc = record_fields(f, r, sc, &v); /* validate it now */
  if (rc < 0)
    return rc;
  if (s->depth == 0) {
    if (!lenient_here(f))
      return rec_fail(r, "success fields added while no action is open");
    if ((rc = push_stand_in(s)) < 0)
      return rc;
  }
  size_t need = 8 + WEFT_REC_PAD((size_t)r->size);
  unsigned char *adds = grow(s->adds, &s->adds_cap, s->adds_len + need, 1);
  if (adds == NULL)
    return no_memory();
  s->adds = adds;
  unsigned char *e = s->adds + s->adds_len;
  memcpy(e, &r->schema, 4);
  memcpy(e + 4, &r->size, 4);
  if (r->size != 0)
    memcpy(e + 8, r->payload, r->size);
  s->adds_len += need;
  return WEFT_OK;
}

/* Hash set of name ids -> index in the merged field list. */
static size_t find_name(const uint32_t *keys, size_t cap, uint32_t id) {
  size_t j = key_hash(id) & (cap - 1);
  while (keys[j] != 0 && keys[j] != id)
    j = (j + 1) & (cap - 1);
  return j;
}

/* Decode the ADD payloads of the action ending, [from, s->adds_len), into
 * one field list: later values of a name replace earlier ones in place
 * (Eliot's add_success_fields updates a dict). */
static int success_fields(feed_ctx *f, const rec *r, size_t from,
                          weft_value **out, size_t *nout) {
  stream *s = f->s;
  size_t total = 0;
  int rc;
  *out = NULL;
  *nout = 0;
  for (size_t at = from; at < s->adds_len;) {
    uint32_t id, size;
    memcpy(&id, s->adds + at, 4);
    memcpy(&size, s->adds + at + 4, 4);
    const weft__schema *sc = f->d->dict.schema(f->d->dict.arg, id);
    if (sc == NULL)
      return rec_fail(r, "success fields of unknown schema %" PRIu32, id);
    total += sc->nfields;
    at += 8 + WEFT_REC_PAD((size_t)size);
  }
  if (total == 0)
    return WEFT_OK;
  weft_value *all = weft__arena_alloc(&f->d->scratch, total * sizeof *all);
  size_t cap = 16;
  while (cap < total * 2)
    cap *= 2;
  uint32_t *keys = weft__arena_alloc(&f->d->scratch, cap * sizeof *keys);
  size_t *where = weft__arena_alloc(&f->d->scratch, cap * sizeof *where);
  if (all == NULL || keys == NULL || where == NULL)
    return no_memory();
  memset(keys, 0, cap * sizeof *keys);
  size_t n = 0;
  for (size_t at = from; at < s->adds_len;) {
    uint32_t id, size;
    memcpy(&id, s->adds + at, 4);
    memcpy(&size, s->adds + at + 4, 4);
    const weft__schema *sc = f->d->dict.schema(f->d->dict.arg, id);
    weft_value *v = weft__arena_alloc(&f->d->scratch, sc->nfields * sizeof *v);
    if (v == NULL)
      return no_memory();
    if ((rc = decode_fields(f, r, sc, s->adds + at + 8, size, v)) < 0)
      return rc;
    for (size_t i = 0; i < sc->nfields; i++) {
      size_t j = find_name(keys, cap, sc->names[i]);
      if (keys[j] == 0) {
        keys[j] = sc->names[i];
        where[j] = n;
        all[n++] = v[i];
      } else {
        all[where[j]] = v[i];
      }
    }
    at += 8 + WEFT_REC_PAD((size_t)size);
  }
  *out = all;
  *nout = n;
  return WEFT_OK;
}

static int on_end(feed_ctx *f, const rec *r, weft_kind kind, const char *reason,
                  int64_t code) {
  stream *s = f->s;
  int rc;
  if (s->depth == 0) {
    if (lenient_here(f))
      return WEFT_OK; /* the end of an action begun before the stream */
    return rec_fail(r, "action end while no action is open");
  }
  frame *top = &s->stack[s->depth - 1];
  if (top->type == NULL) {
    s->adds_len = top->add_mark;
    s->depth--;
    return WEFT_OK;
  }
  weft_event ev = {.kind = kind,
                   .type = top->type,
                   .t_ns = r->t,
                   .elapsed_ns = (int64_t)((uint64_t)r->t - (uint64_t)top->t0),
                   .reason = reason,
                   .code = code};
  weft_value *v = NULL;
  size_t n = 0;
  if ((rc = success_fields(f, r, top->add_mark, &v, &n)) < 0)
    return rc;
  ev.fields = v;
  ev.nfields = n;
  s->path[top->off + top->plen] = top->next;
  frame done = *top;
  s->adds_len = top->add_mark;
  s->depth--;
  return emit(f, &ev, done.task_hi, done.task_lo, done.off, done.plen + 1);
}

/* ---- fixed schemas ------------------------------------------------------- */

static int on_task(feed_ctx *f, const rec *r) {
  stream *s = f->s;
  if (r->size != 16)
    return rec_fail(r, "TASK payload of %" PRIu32 " bytes, not 16", r->size);
  if (s->depth != 0)
    return rec_fail(r, "TASK record while an action is open");
  memcpy(&s->task_hi, r->payload, 8);
  memcpy(&s->task_lo, r->payload + 8, 8);
  s->pending = PENDING_TASK;
  s->begun = 1;
  return WEFT_OK;
}

static int on_continue(feed_ctx *f, const rec *r) {
  stream *s = f->s;
  uint32_t n;
  int rc;
  if (r->size < 20)
    return rec_fail(r, "CONTINUE payload of %" PRIu32 " bytes, below 20",
                    r->size);
  memcpy(&n, r->payload + 16, 4);
  if (n == 0 || n > (r->size - 20) / 4 || r->size != 20 + 4 * (size_t)n)
    return rec_fail(r,
                    "CONTINUE level of %" PRIu32 " elements in a %" PRIu32
                    "-byte payload",
                    n, r->size);
  if (s->pending != PENDING_NONE)
    return rec_fail(r, "CONTINUE record after a TASK or CONTINUE record");
  /* Nested in the stream, the continued level goes above the open
   * action's, past the slot that action writes for its own events. */
  size_t off = 0;
  if (s->depth) {
    const frame *top = &s->stack[s->depth - 1];
    off = top->off + top->plen + 1;
  }
  if ((rc = path_reserve(s, off + n)) < 0)
    return rc;
  for (uint32_t i = 0; i < n; i++) {
    memcpy(&s->path[off + i], r->payload + 20 + 4 * (size_t)i, 4);
    if (s->path[off + i] == 0)
      return rec_fail(r, "CONTINUE level element %" PRIu32 " is 0", i);
  }
  s->base_off = off;
  memcpy(&s->task_hi, r->payload, 8);
  memcpy(&s->task_lo, r->payload + 8, 8);
  s->pending = PENDING_CONTINUE;
  s->base_len = n;
  s->begun = 1;
  return WEFT_OK;
}

static int on_failure(feed_ctx *f, const rec *r) {
  int64_t code;
  weft_value reason;
  static const uint8_t str_type[1] = {WEFT_TYPE_STR};
  static const char *const reason_name[1] = {"reason"};
  if (r->size < 16)
    return rec_fail(r, "FAILURE payload of %" PRIu32 " bytes, below 16",
                    r->size);
  memcpy(&code, r->payload, 8);
  int rc = weft__fields_decode(r->payload + 8, r->size - 8, str_type,
                               reason_name, 1, &reason, &f->d->scratch);
  if (rc < 0)
    return rec_wrap(r, rc);
  /* weft_action_fail(a, NULL, code) records an empty reason. */
  return on_end(f, r, WEFT_KIND_FAILURE,
                reason.v.str.original_len == 0 ? NULL : reason.v.str.ptr, code);
}

static int on_serialize(feed_ctx *f, const rec *r) {
  stream *s = f->s;
  uint32_t slot = 0, up = 0;
  int rc;
  /* Empty: the innermost action's slot; u32 `up`: the slot of the action
   * that many levels further out. */
  if (r->size == 4)
    memcpy(&up, r->payload, 4);
  else if (r->size != 0)
    return rec_fail(r, "SERIALIZE payload of %" PRIu32 " bytes, not 0 or 4",
                    r->size);
  if (s->depth == 0) {
    if (!lenient_here(f))
      return rec_fail(r, "SERIALIZE record while no action is open");
    if ((rc = push_stand_in(s)) < 0)
      return rc;
  }
  if (up >= s->depth)
    return rec_fail(r,
                    "SERIALIZE of the action %" PRIu32 " levels out, "
                    "only %zu open",
                    up, (size_t)s->depth);
  return take_slot(r, &s->stack[s->depth - 1 - up], &slot);
}

static int on_user(feed_ctx *f, const rec *r) {
  const weft__schema *sc = f->d->dict.schema(f->d->dict.arg, r->schema);
  const char *type = NULL;
  if (sc == NULL)
    return rec_fail(r, "unknown schema");
  if (sc->fixed_size && r->size != sc->payload_size)
    return rec_fail(r, "payload of %" PRIu32 " bytes, schema needs %" PRIu32,
                    r->size, sc->payload_size);
  if (sc->kind == WEFT_REC_START || sc->kind == WEFT_REC_MESSAGE) {
    type = f->d->dict.name(f->d->dict.arg, sc->type_name);
    if (type == NULL)
      return rec_fail(r, "unknown type name id %" PRIu32, sc->type_name);
  }
  if (f->s->pending == PENDING_CONTINUE && sc->kind != WEFT_REC_START &&
      sc->kind != WEFT_REC_MESSAGE) /* on_message says it better */
    return rec_fail(r, "a CONTINUE record not followed by an action start");
  switch (sc->kind) {
  case WEFT_REC_START:
    return on_start(f, r, sc, type);
  case WEFT_REC_MESSAGE:
    return on_message(f, r, sc, type);
  case WEFT_REC_ADD:
    return on_add(f, r, sc);
  case WEFT_REC_GLOBALS: {
    weft_value *v = NULL;
    int rc = record_fields(f, r, sc, &v);
    if (rc < 0 || f->on_globals == NULL)
      return rc;
    return f->on_globals(f->arg, f->key, v, sc->nfields);
  }
  default:
    return rec_fail(r, "schema of kind %u cannot be a user schema",
                    (unsigned)sc->kind);
  }
}

static int on_record(feed_ctx *f, const rec *r) {
  if (f->s->pending == PENDING_CONTINUE && r->schema < WEFT_SCHEMA_FIRST_USER)
    return rec_fail(r, "a CONTINUE record not followed by an action start");
  switch (r->schema) {
  case WEFT_SCHEMA_TASK:
    return on_task(f, r);
  case WEFT_SCHEMA_SUCCESS:
    if (r->size != 0)
      return rec_fail(r, "SUCCESS payload of %" PRIu32 " bytes, not 0",
                      r->size);
    return on_end(f, r, WEFT_KIND_SUCCESS, NULL, 0);
  case WEFT_SCHEMA_FAILURE:
    return on_failure(f, r);
  case WEFT_SCHEMA_SERIALIZE:
    return on_serialize(f, r);
  case WEFT_SCHEMA_CONTINUE:
    return on_continue(f, r);
  default:
    if (r->schema < WEFT_SCHEMA_FIRST_USER)
      return rec_fail(r, "unknown schema");
    return on_user(f, r);
  }
}

/* A START and its SUCCESS in one record (record.h, WEFT_REC_LEAF): the
 * two events, as if the records had come one after the other. */
static int on_leaf(feed_ctx *f, const rec *r) {
  rec start = *r;
  start.schema = r->schema & ~WEFT_REC_LEAF;
  const weft__schema *s = start.schema < WEFT_SCHEMA_FIRST_USER
                              ? NULL
                              : f->d->dict.schema(f->d->dict.arg, start.schema);
  if (!s || s->kind != WEFT_REC_START)
    return rec_fail(r, "leaf flag on a record that is not an action start");
  if (r->size < 8)
    return rec_fail(r, "leaf record of %" PRIu32 " bytes: no end time",
                    r->size);
  start.size = r->size - 8;
  rec end = {.off = r->off, .schema = WEFT_SCHEMA_SUCCESS, .size = 0};
  /* An end before the start (a clock that stepped back between them) is
   * read as it would be from the two records: a negative elapsed time,
   * not a broken stream. */
  memcpy(&end.t, r->payload + WEFT_REC_PAD((size_t)start.size), 8);
  int rc = on_record(f, &start);
  if (rc == 0) {
    weft__arena_reset(&f->d->scratch);
    rc = on_record(f, &end);
  }
  return rc;
}

int weft__decoder_feed(weft__decoder *d, uint64_t key,
                       const unsigned char *data, size_t len,
                       weft__event_fn on_event, weft__globals_fn on_globals,
                       void *arg) {
  if (d == NULL)
    return weft__error(WEFT_EINVAL, "decoder feed: NULL decoder or data");
  d->stop = SIZE_MAX;
  if (data == NULL && len != 0)
    return weft__error(WEFT_EINVAL, "decoder feed: NULL decoder or data");
  feed_ctx f = {.d = d,
                .key = key,
                .on_event = on_event,
                .on_globals = on_globals,
                .arg = arg};
  int rc = stream_get(d, key, &f.s);
  if (rc < 0)
    return rc;
  size_t off = 0;
  while (off < len) {
    weft_rec h;
    rec r = {.off = off};
    size_t hl;
    if (!d->rows) {
      hl = weft__rec_get(data + off, len - off, &h);
    } else {
      hl = len - off >= sizeof h ? sizeof h : 0;
      if (hl)
        memcpy(&h, data + off, sizeof h);
    }
    if (hl == 0) {
      d->stop = off;
      return weft__error(WEFT_EFORMAT,
                         WEFT__DECODE_AT ": truncated header (%zu bytes left)",
                         off, len - off);
    }
    r.t = h.t;
    r.schema = h.schema;
    r.size = h.size;
    r.payload = data + off + hl;
    size_t avail = len - off - hl;
    if (WEFT_REC_PAD((size_t)h.size) > avail) {
      d->stop = off;
      return rec_fail(&r,
                      "payload of %" PRIu32 " bytes (padded to 8) but %zu "
                      "bytes left",
                      h.size, avail);
    }
    weft__arena_reset(&d->scratch);
    if (h.schema & WEFT_REC_LEAF)
      rc = on_leaf(&f, &r);
    else
      rc = on_record(&f, &r);
    if (rc != 0) {
      d->stop = off;
      return rc;
    }
    off += hl + WEFT_REC_PAD((size_t)h.size);
  }
  return WEFT_OK;
}

/* ---- weft_event ---------------------------------------------------------- */

const weft_value *weft_event_field(const weft_event *e, const char *name) {
  if (e == NULL || name == NULL)
    return NULL;
  for (size_t i = 0; i < e->nfields; i++)
    if (e->fields[i].name != NULL && strcmp(e->fields[i].name, name) == 0)
      return &e->fields[i];
  return NULL;
}
