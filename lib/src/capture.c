/*
 * capture.c - test capture (Eliot's capture_logging): the events logged
 * between weft_capture_start and weft_capture_stop, decoded in memory.
 *
 * The buffers hand the capture the records logged since it began
 * (capture_hook.h); stopping decodes each thread's records with a fresh
 * decoder over the live dictionaries and deep-copies every event into the
 * capture's arena, so the events outlive the buffers, the snapshot and even
 * weft_shutdown.  The decoder is lenient: code under test may run inside an
 * action opened before the capture began (see decode.h).
 */
#include "capture_hook.h"
#include "decode.h"

#include <stdlib.h>
#include <string.h>

struct weft_capture {
  int stopped;
  weft__arena arena; /* everything the events and globals point to */
  weft_event *events;
  size_t nevents, events_cap;
  weft_value *globals;
  size_t nglobals, globals_cap;
  uint64_t reported;      /* counts of the weft:dropped messages captured */
  uint64_t dropped_start; /* weft_stats.dropped when the capture began */
  uint64_t dropped;       /* weft_capture_dropped */
};

static int no_memory(void) {
  return weft__error(WEFT_ENOMEM, "capturing events");
}

/* Room for `need` elements of `sz` bytes in array p of capacity *cap;
 * returns the array, perhaps moved, or NULL (p is then kept). */
static void *grow(void *p, size_t *cap, size_t need, size_t sz) {
  if (need <= *cap)
    return p;
  size_t n = *cap ? *cap * 2 : 64;
  if (n < need)
    n = need;
  if (n > SIZE_MAX / sz)
    return NULL;
  void *q = realloc(p, n * sz);
  if (q != NULL)
    *cap = n;
  return q;
}

static void *copy_bytes(weft__arena *a, const void *src, size_t n) {
  void *dst = weft__arena_alloc(a, n);
  if (dst != NULL && n != 0)
    memcpy(dst, src, n);
  return dst;
}

static const char *copy_str(weft__arena *a, const char *s) {
  return s != NULL ? copy_bytes(a, s, strlen(s) + 1) : NULL;
}

/* Deep copy of n values into the arena. */
static const weft_value *copy_values(weft__arena *a, const weft_value *src,
                                     size_t n) {
  weft_value *dst = copy_bytes(a, src, n * sizeof *dst);
  if (dst == NULL)
    return NULL;
  for (size_t i = 0; i < n; i++) {
    weft_value *v = &dst[i];
    if (v->name != NULL && (v->name = copy_str(a, v->name)) == NULL)
      return NULL;
    if (v->type == WEFT_TYPE_STR &&
        (v->v.str.ptr = copy_bytes(a, v->v.str.ptr, v->v.str.len + 1)) == NULL)
      return NULL;
    if ((v->type == WEFT_TYPE_I64_ARRAY || v->type == WEFT_TYPE_F64_ARRAY) &&
        (v->v.arr.values = copy_bytes(a, v->v.arr.values, v->v.arr.kept * 8)) ==
            NULL)
      return NULL;
  }
  return dst;
}

/* weft:dropped {count} messages add up (see weft_capture_stop). */
static void count_dropped(weft_capture *c, const weft_event *ev) {
  if (ev->kind != WEFT_KIND_MESSAGE || ev->type == NULL ||
      strcmp(ev->type, "weft:dropped") != 0)
    return;
  const weft_value *v = weft_event_field(ev, "count");
  if (v != NULL && v->type == WEFT_TYPE_U64)
    c->reported += v->v.u64;
  else if (v != NULL && v->type == WEFT_TYPE_I64 && v->v.i64 > 0)
    c->reported += (uint64_t)v->v.i64;
}

static int keep_event(void *arg, uint64_t stream, const weft_event *ev) {
  weft_capture *c = arg;
  weft__arena *a = &c->arena;
  (void)stream;
  weft_event *events =
      grow(c->events, &c->events_cap, c->nevents + 1, sizeof *events);
  if (events == NULL)
    return no_memory();
  c->events = events;
  weft_event e = *ev;
  e.type = copy_str(a, ev->type);
  e.level = copy_bytes(a, ev->level, ev->level_len * sizeof *ev->level);
  e.level_str = copy_str(a, ev->level_str);
  e.fields = copy_values(a, ev->fields, ev->nfields);
  if (e.type == NULL || e.level == NULL || e.level_str == NULL ||
      e.fields == NULL ||
      (ev->reason != NULL && (e.reason = copy_str(a, ev->reason)) == NULL))
    return no_memory();
  c->events[c->nevents++] = e;
  count_dropped(c, &e);
  return WEFT_OK;
}

/* Global fields: a later value of a name replaces the earlier one, as
 * weft_global_add does. */
static int keep_globals(void *arg, uint64_t stream, const weft_value *v,
                        size_t n) {
  weft_capture *c = arg;
  (void)stream;
  const weft_value *copy = copy_values(&c->arena, v, n);
  if (copy == NULL)
    return no_memory();
  for (size_t i = 0; i < n; i++) {
    size_t j = 0;
    while (j < c->nglobals &&
           (c->globals[j].name == NULL || copy[i].name == NULL ||
            strcmp(c->globals[j].name, copy[i].name) != 0))
      j++;
    if (j == c->nglobals) {
      weft_value *g =
          grow(c->globals, &c->globals_cap, c->nglobals + 1, sizeof *g);
      if (g == NULL)
        return no_memory();
      c->globals = g;
      c->nglobals++;
    }
    c->globals[j] = copy[i];
  }
  return WEFT_OK;
}

int weft_capture_start(weft_capture **out) {
  if (out == NULL)
    return weft__error(WEFT_EINVAL, "weft_capture_start: out is NULL");
  weft_capture *c = calloc(1, sizeof *c);
  if (c == NULL)
    return no_memory();
  int rc = weft__capture_begin();
  if (rc < 0) {
    free(c);
    return rc;
  }
  weft_stats st;
  if (weft_stats_get(&st) == WEFT_OK)
    c->dropped_start = st.dropped;
  *out = c;
  return WEFT_OK;
}

/* Decode the snapshot's spans, one stream per thread. */
static int decode_spans(weft_capture *c, const weft__pending *p) {
  weft__decoder *d;
  int rc = weft__decoder_new(&d, weft__dict_live());
  if (rc < 0)
    return rc;
  weft__decoder_set_lenient(d, 1);
  for (size_t i = 0; i < p->n && rc == WEFT_OK; i++)
    rc = weft__decoder_feed(d, p->spans[i].thread, p->spans[i].data,
                            p->spans[i].len, keep_event, keep_globals, c);
  weft__decoder_free(d);
  return rc;
}

int weft_capture_stop(weft_capture *c) {
  if (c == NULL)
    return weft__error(WEFT_EINVAL, "weft_capture_stop: capture is NULL");
  if (c->stopped)
    return weft__error(WEFT_EINVAL, "weft_capture_stop: already stopped");
  c->stopped = 1;
  weft__pending p = {0};
  int rc = weft__capture_collect(&p);
  weft__capture_end();
  if (rc < 0)
    return rc;
  rc = decode_spans(c, &p);
  weft__pending_release(&p);
  /* A weft:dropped message is only written once space returns, so drops
   * during the capture may not be reported by the time it stops (a test
   * that filled the budget).  Those must not be hidden: the result is the
   * reports captured or, when more, the events dropped while the capture
   * was active.  (Exact would be "reports + drops still unreported at
   * stop", which needs per-thread counts from buffer.c.) */
  weft_stats st;
  c->dropped = c->reported;
  if (weft_stats_get(&st) == WEFT_OK && st.dropped >= c->dropped_start &&
      st.dropped - c->dropped_start > c->dropped)
    c->dropped = st.dropped - c->dropped_start;
  return rc;
}

size_t weft_capture_count(const weft_capture *c) {
  return c != NULL ? c->nevents : 0;
}

const weft_event *weft_capture_event(const weft_capture *c, size_t i) {
  return c != NULL && i < c->nevents ? &c->events[i] : NULL;
}

long weft_capture_find(const weft_capture *c, size_t from, weft_kind kind,
                       const char *type) {
  if (c == NULL)
    return -1;
  for (size_t i = from; i < c->nevents; i++) {
    const weft_event *e = &c->events[i];
    if ((kind == 0 || e->kind == kind) &&
        (type == NULL || strcmp(e->type, type) == 0))
      return (long)i;
  }
  return -1;
}

size_t weft_capture_global_count(const weft_capture *c) {
  return c != NULL ? c->nglobals : 0;
}

const weft_value *weft_capture_global(const weft_capture *c, size_t i) {
  return c != NULL && i < c->nglobals ? &c->globals[i] : NULL;
}

uint64_t weft_capture_dropped(const weft_capture *c) {
  return c != NULL ? c->dropped : 0;
}

void weft_capture_free(weft_capture *c) {
  if (c == NULL)
    return;
  if (!c->stopped)
    (void)weft_capture_stop(c);
  weft__arena_free(&c->arena);
  free(c->events);
  free(c->globals);
  free(c);
}
