/*
 * actions_table.c - the /actions analysis table: a row per action that
 * failed, was unfinished or took actions_min_ns, built at flush time from
 * the record streams.
 *
 * Only the record headers and the schemas' kinds are needed (a stack per
 * thread: START pushes, SUCCESS/FAILURE pop), so this pass does not decode
 * field values; the full decoder (weft__decoder) would cost a decode of
 * every payload per flush for nothing that this table shows.  The stacks
 * outlive a flush (an action may start in one epoch and end in a later
 * one); a flush works on a copy and keeps it only when it commits, so a
 * failed flush can be retried with the same records.
 */
#include "writer.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int weft__actions_min_from_env(int64_t *out) {
  const char *v = getenv("WEFT_ACTIONS_MIN_NS");
  *out = WEFT_ACTIONS_MIN_NS_DEFAULT;
  if (!v || !*v)
    return WEFT_OK;
  char *end;
  errno = 0;
  long long x = strtoll(v, &end, 10);
  if (*end || errno || x < 0)
    return weft__error(WEFT_EINVAL,
                       "WEFT_ACTIONS_MIN_NS=\"%s\": expected a number of "
                       "nanoseconds >= 0",
                       v);
  *out = x;
  return WEFT_OK;
}

static int stack_reserve(weft__action_stack *s, uint32_t need) {
  if (need <= s->cap)
    return WEFT_OK;
  uint32_t cap = s->cap ? s->cap * 2 : 16;
  while (cap < need)
    cap *= 2;
  weft__open_action *a = realloc(s->a, cap * sizeof *a);
  if (!a)
    return weft__error(WEFT_ENOMEM, "actions table");
  s->a = a;
  s->cap = cap;
  return WEFT_OK;
}

static int state_reserve(weft__action_state *s, uint32_t nthreads) {
  if (nthreads <= s->nthreads)
    return WEFT_OK;
  weft__action_stack *t = realloc(s->threads, nthreads * sizeof *t);
  if (!t)
    return weft__error(WEFT_ENOMEM, "actions table");
  memset(t + s->nthreads, 0, (nthreads - s->nthreads) * sizeof *t);
  s->threads = t;
  s->nthreads = nthreads;
  return WEFT_OK;
}

void weft__actions_free(weft__action_state *s) {
  for (uint32_t i = 0; i < s->nthreads; i++)
    free(s->threads[i].a);
  free(s->threads);
  s->threads = NULL;
  s->nthreads = 0;
}

int weft__actions_copy(weft__action_state *dst, const weft__action_state *src) {
  weft__actions_free(dst);
  int rc = state_reserve(dst, src->nthreads);
  for (uint32_t i = 0; rc == WEFT_OK && i < src->nthreads; i++) {
    const weft__action_stack *f = &src->threads[i];
    weft__action_stack *t = &dst->threads[i];
    rc = stack_reserve(t, f->n);
    if (rc == WEFT_OK && f->n)
      memcpy(t->a, f->a, f->n * sizeof *t->a);
    t->n = f->n;
    t->root_depth = f->root_depth;
    t->pending = f->pending;
  }
  return rc;
}

/* A row's start and end are on this rank's clock until
 * weft__actions_timeline: the rows of a flush are built before its clock
 * sample is taken (flush.c counts its records before the ranks meet). */
static int emit(weft__writer *w, uint32_t thread, const weft__open_action *a,
                int64_t end, uint8_t status, weft__bytes *out) {
  /* Short successes are left to the streams: a row for every 20 ns
   * action would double the file (48 bytes of events, 48 of row), and
   * the table is there to find the slow and the failed ones. */
  if (status == WEFT_STATUS_SUCCEEDED && end - a->t < w->actions_min_ns &&
      !(w->settle && !(a->start_event & WEFT__LOCAL_ROW)))
    return WEFT_OK;
  weft__action_row *r = weft__bytes_push(out, NULL, sizeof *r);
  if (!r)
    return weft__error(WEFT_ENOMEM, "actions table");
  r->start_ns = a->t;
  r->end_ns = end;
  r->elapsed_ns = end - a->t;
  r->start_event = a->start_event;
  r->rank = (uint32_t)w->rank;
  r->thread = thread;
  r->type = a->type;
  r->depth = a->depth;
  r->status = status;
  return WEFT_OK;
}

void weft__actions_timeline(const weft__writer *w,
                            const weft__clock_sample *now, weft__bytes *rows,
                            size_t from) {
  int64_t wall = w->timeline_wall_ns - w->timeline_mono_ns;
  weft__action_row *r = (void *)rows->p;
  for (size_t i = from; i < rows->len / sizeof *r; i++) {
    r[i].start_ns = weft__clock_map(w, now, r[i].start_ns) + wall;
    r[i].end_ns = weft__clock_map(w, now, r[i].end_ns) + wall;
  }
}

int weft__actions_stack(weft__action_state *s, uint32_t thread,
                        weft__action_stack **out) {
  *out = NULL;
  if (thread >= WEFT_THREADS_MAX) /* a damaged log or journal */
    return weft__error(WEFT_EFORMAT, "thread %u (a process has at most %d)",
                       thread, WEFT_THREADS_MAX);
  int rc = state_reserve(s, thread + 1);
  *out = rc < 0 ? NULL : &s->threads[thread];
  return rc;
}

int weft__actions_record(weft__writer *w, weft__action_stack *st,
                         uint32_t thread, const weft_rec *h,
                         const weft__schema *sc, const unsigned char *payload,
                         uint64_t row, weft__bytes *out) {
  int rc;
  switch (sc->kind) {
  case WEFT_REC_TASK:
    st->pending = 0; /* a new task's root: depth 0 */
    break;
  case WEFT_REC_CONTINUE: {
    /* The next start continues a serialized context: its depth is the
     * length of the context's level, whatever is open on this thread. */
    uint32_t n = 0;
    if (h->size >= 20)
      memcpy(&n, payload + 16, sizeof n);
    st->pending = 1;
    st->root_depth = n;
    break;
  }
  case WEFT_REC_START: {
    if ((rc = stack_reserve(st, st->n + 1)) < 0)
      return rc;
    weft__open_action *a = &st->a[st->n];
    a->t = h->t;
    a->start_event = row;
    a->type = sc->type_name;
    a->depth = (uint16_t)(st->pending ? st->root_depth
                          : st->n     ? st->a[st->n - 1].depth + 1u
                                      : 0u);
    st->pending = 0;
    st->n++;
    break;
  }
  case WEFT_REC_SUCCESS:
  case WEFT_REC_FAILURE:
    if (st->n == 0 && w->lenient)
      break;
    if (st->n == 0)
      return weft__error(WEFT_EFORMAT,
                         "thread %u: end of an action that "
                         "was not started",
                         thread);
    st->n--;
    if (w->actions_on &&
        (rc = emit(w, thread, &st->a[st->n], h->t,
                   sc->kind == WEFT_REC_SUCCESS ? WEFT_STATUS_SUCCEEDED
                                                : WEFT_STATUS_FAILED,
                   out)) < 0)
      return rc;
    break;
  default:
    break;
  }
  return WEFT_OK;
}

int weft__actions_feed(weft__writer *w, weft__action_state *s, uint32_t thread,
                       const unsigned char *data, size_t len,
                       uint64_t first_event, weft__bytes *out) {
  weft__action_stack *st;
  int rc = weft__actions_stack(s, thread, &st);
  uint64_t row = first_event;
  for (size_t off = 0; rc == WEFT_OK && off < len; row++) {
    weft_rec h;
    size_t hl = weft__rec_get(data + off, len - off, &h);
    if (hl == 0)
      return weft__error(WEFT_EFORMAT, "thread %u: truncated record", thread);
    h.t = weft__skewed(&w->skew, h.t); /* as written to /events */
    const unsigned char *payload = data + off + hl;
    off += hl + WEFT_REC_PAD(h.size);
    const weft__schema *sc = w->dict.schema
                                 ? w->dict.schema(w->dict.arg, h.schema)
                                 : weft__schema_get(h.schema);
    if (!sc)
      return weft__error(WEFT_EFORMAT, "thread %u: unknown schema %u", thread,
                         h.schema);
    rc = weft__actions_record(w, st, thread, &h, sc, payload, row, out);
  }
  return rc;
}

int weft__actions_unfinished(weft__writer *w, weft__action_state *s,
                             int64_t end, weft__bytes *out) {
  for (uint32_t t = 0; t < s->nthreads; t++) {
    weft__action_stack *st = &s->threads[t];
    while (st->n) {
      st->n--;
      int rc = emit(w, t, &st->a[st->n], end, WEFT_STATUS_UNFINISHED, out);
      if (rc < 0)
        return rc;
    }
  }
  return WEFT_OK;
}
