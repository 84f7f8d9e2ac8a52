/*
 * actions_table.c - the derived rows of /actions: a row for every action
 * whose records are in /events, built at flush time from the record
 * streams.  (Short actions are leaf rows instead, written by flush.c as
 * their only record.)
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

#include <stdlib.h>
#include <string.h>

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
  }
  return rc;
}

/* A row's start and end are on this rank's clock until
 * weft__actions_timeline: the rows of a flush are built before its clock
 * sample is taken (flush.c counts its records before the ranks meet). */
static int emit(weft__writer *w, const weft__open_action *a, int64_t end,
                uint8_t status, weft__bytes *out) {
  weft__action_row r = {.start_ns = a->t,
                        .end_ns = end,
                        .elapsed_ns = end - a->t,
                        .rank = (uint32_t)w->rank,
                        .schema = a->schema,
                        .status = status};
  if (!weft__bytes_push(out, &r, sizeof r) ||
      (w->settle && !weft__bytes_push(&w->row_origin, &a->start_event,
                                      sizeof a->start_event)))
    return weft__error(WEFT_ENOMEM, "actions table");
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
                         const weft__schema *sc, uint64_t row,
                         weft__bytes *out) {
  int rc;
  switch (sc->kind) {
  case WEFT_REC_START: {
    /* A process holds at most 2^16 schemas (libweft's limit): the row's
     * 16-bit id; more is a damaged journal. */
    if (h->schema > UINT16_MAX)
      return weft__error(WEFT_EFORMAT,
                         "thread %u: schema %u of an action (at most %u)",
                         thread, h->schema, (unsigned)UINT16_MAX);
    if ((rc = stack_reserve(st, st->n + 1)) < 0)
      return rc;
    st->a[st->n++] = (weft__open_action){
        .t = h->t, .start_event = row, .schema = (uint16_t)h->schema};
    break;
  }
  case WEFT_REC_SUCCESS:
  case WEFT_REC_FAILURE:
    /* An end whose start went to an earlier log of this process (the
     * action was open when that log closed, or failed, and this one
     * took libweft over) or, in a recovery, to an epoch not rebuilt:
     * that log has its row, this one has none (format.md section 5). */
    if (st->n == 0)
      break;
    st->n--;
    if (w->actions_on &&
        (rc = emit(w, &st->a[st->n], h->t,
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
    off += hl + WEFT_REC_PAD(h.size);
    const weft__schema *sc = w->dict.schema
                                 ? w->dict.schema(w->dict.arg, h.schema)
                                 : weft__schema_get(h.schema);
    if (!sc)
      return weft__error(WEFT_EFORMAT, "thread %u: unknown schema %u", thread,
                         h.schema);
    rc = weft__actions_record(w, st, thread, &h, sc, row, out);
  }
  return rc;
}

int weft__actions_unfinished(weft__writer *w, weft__action_state *s,
                             int64_t end, weft__bytes *out) {
  for (uint32_t t = 0; t < s->nthreads; t++) {
    weft__action_stack *st = &s->threads[t];
    while (st->n) {
      st->n--;
      int rc = emit(w, &st->a[st->n], end, WEFT_STATUS_UNFINISHED, out);
      if (rc < 0)
        return rc;
    }
  }
  return WEFT_OK;
}
