/*
 * test_budget_mpi.c - ranks whose buffers fill at different rates under
 * different buffer budgets (issue 3, "Limits and bad conditions"): some
 * ranks drop events in some epochs and recover after a flush frees space,
 * others never drop.  Rank 0 reads the log back and checks it against what
 * every rank's API calls returned.
 *
 *   test_budget_mpi OUT.h5 [--own-init] [--tight]
 *
 * Every rank has two logging threads (they share the rank's budget) and a
 * budget of 64 KiB blocks that depends on its class r % 4:
 *   0: 16 MiB, a steady high rate that never fills it;
 *   1: 256 KiB, light phases and two heavy ones that overflow it;
 *   2: 512 KiB, the same with other heavy phases;
 *   3: 1 MiB, a steady moderate rate that never fills it.
 * Ranks 4..7 have the heavy phases elsewhere.  The program runs 12 phases
 * (6 steps of two halves) and flushes after 6 of them, some in the middle
 * of a step (the step action stays open across the flush), some between
 * steps, so a rank recovers both inside an action and at the root.  The
 * budget comes from WEFT_BUFFER_BUDGET / WEFT_BLOCK_SIZE read by
 * weft_mpi_init (which backs the buffers by the crash journal), or with
 * --own-init from weft_options given to weft_init (malloc'd blocks).
 * --tight gives class 1 two blocks, one per thread: after a heavy phase
 * each thread's current block is full, and the flush must still let
 * them log again.
 *
 * Each thread records what every call returned: an event is "recorded"
 * when the call returned 0 (for an end: when its start was recorded), and
 * "dropped" when it returned WEFT_EFULL or is the end of a dropped action
 * (docs/api.md section 10).  Rank 0 then checks, per rank:
 *   - the /flushes `dropped` of every epoch equals the rank's
 *     weft_stats.dropped when it called that flush (the count "so far",
 *     docs/format.md section 4), and increases exactly in the epochs with
 *     a heavy phase of that rank;
 *   - each thread stream holds exactly the recorded events, in order, with
 *     their field values, and none of the dropped ones;
 *   - a weft:dropped {count} message comes before the first event recorded
 *     after drops (an end may precede it: ends use the reserve), its count
 *     is the number of drops since the previous report, and the counts add
 *     up to weft_stats.dropped; ranks that never dropped have none;
 *   - every stream is well nested with Eliot's task levels (children take
 *     consecutive slots; dropped events take none), only the "tail"
 *     action is unfinished, and there is no weft:limit;
 *   - every event lies in the epoch it was logged in (before that
 *     epoch's clock sample and after the previous one);
 *   - weft_stats.events counts the recorded events plus the reports, and
 *     /actions has a row for every recorded action (lr_check_actions: as
 *     its records say), a failed row for every recorded failed action, an
 *     unfinished row for "tail", and a leaf row for every recorded "hw"
 *     and "inner" (short actions), which are then in no /events row.
 * Exit status 0 when everything matches.
 */
#include "../check.h"
#include "all_ranks.h"
#include "log_reader.h"
#include "weft_mpi.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK (64 * 1024)
#define STEPS 6
#define PHASES (2 * STEPS)
#define FLUSHES 6
#define EPOCHS (FLUSHES + 2) /* weft_mpi_init, the flushes, finalize */

/* ---- the schedule ---------------------------------------------------------
 */

/* --tight: class 1 gets 2 blocks, one per logging thread, the least
 * budget with which both threads can log at all. */
static int tight;

static size_t budget_of(int rank) {
  static const size_t kib[4] = {16384, 256, 512, 1024};
  return (tight && rank % 4 == 1 ? 128 : kib[rank % 4]) * 1024;
}

/* Phase p is half h = p % 2 of step s = p / 2.  A flush follows the second
 * half of even steps (between steps) and the first half of odd steps (in
 * the middle of the step). */
static int flush_after(int p) {
  int s = p / 2, h = p % 2;
  return (h == 1 && s % 2 == 0) || (h == 0 && s % 2 == 1);
}

/* The epoch of events logged in phase p: 1 + flushes before it. */
static int epoch_of_phase(int p) {
  int e = 1;
  for (int q = 0; q < p; q++)
    e += flush_after(q);
  return e;
}

static int heavy(int rank, int p) {
  static const int phase[4][2][2] = {{{-1, -1}, {-1, -1}},
                                     {{1, 6}, {4, 10}},
                                     {{3, 8}, {0, 7}},
                                     {{-1, -1}, {-1, -1}}};
  const int *h = phase[rank % 4][rank >= 4];
  return p == h[0] || p == h[1];
}

/* Items of the main and the helper thread in phase p.  A work item takes
 * about 82 bytes of buffer on average, a helper item about 40.  A heavy
 * phase overflows the budget on the main thread alone (4000 items are ~330
 * KB against 256 KiB, 8000 are ~660 KB against 512 KiB); the light phases
 * of an epoch after it take less than 40 KB (class 1) or 110 KB (class 2)
 * of the 2 and 6 blocks that its flush frees.  Between two flushes class 3
 * logs at most ~200 KB of its 1 MiB and class 0 ~500 KB of its 16 MiB. */
static long main_items(int rank, int p) {
  static const long light[4] = {1500, 100, 300, 600};
  static const long hard[4] = {1500, 4000, 8000, 600};
  return heavy(rank, p) ? hard[rank % 4] : light[rank % 4];
}

static long helper_items(int rank, int p) {
  static const long light[4] = {1000, 100, 200, 400};
  static const long hard[4] = {1000, 1500, 2000, 400};
  return heavy(rank, p) ? hard[rank % 4] : light[rank % 4];
}

static int epoch_has_heavy(int rank, int e) {
  for (int p = 0; p < PHASES; p++)
    if (epoch_of_phase(p) == e && heavy(rank, p))
      return 1;
  return 0;
}

/* ---- what the API said ----------------------------------------------------
 */

enum { IT_START = 1, IT_END, IT_FAIL, IT_MSG, IT_DROP };
enum {
  T_BEGIN,
  T_STEP,
  T_WORK,
  T_INNER,
  T_NOTE,
  T_TICK,
  T_SESSION,
  T_HW,
  T_HM,
  T_TAIL,
  T_COUNT
};
static const char *const type_name[T_COUNT] = {
    "begin", "step",    "work", "inner", "note",
    "tick",  "session", "hw",   "hm",    "tail"};

/* One call, in program order.  v and w are the values its fields derive
 * from; fields is 1 when an end carries success fields (its add was
 * recorded). */
typedef struct item {
  int64_t v, w;
  uint8_t kind, type, epoch, fields;
  uint32_t pad;
} item;

typedef struct tlog {
  item *it;
  size_t n, cap;
  uint64_t drops;   /* IT_DROP items */
  uint64_t records; /* records written: events and recorded adds */
} tlog;

static void push(tlog *l, int kind, int type, int64_t v, int64_t w, int epoch,
                 int fields) {
  if (l->n == l->cap) {
    l->cap = l->cap ? 2 * l->cap : 4096;
    l->it = realloc(l->it, l->cap * sizeof *l->it);
    if (!l->it) {
      fprintf(stderr, "out of memory\n");
      abort();
    }
  }
  l->it[l->n++] = (item){.v = v,
                         .w = w,
                         .kind = (uint8_t)kind,
                         .type = (uint8_t)type,
                         .epoch = (uint8_t)epoch,
                         .fields = (uint8_t)fields};
  if (kind == IT_DROP)
    l->drops++;
  else
    l->records++;
}

/* A start or message call: recorded (0) or dropped (WEFT_EFULL); inside a
 * dropped action everything must be dropped. */
static int outcome(tlog *l, int rc, int in_dropped, int kind, int type,
                   int64_t v, int64_t w, int epoch) {
  CHECK(rc == 0 || rc == WEFT_EFULL, "%s: %s", type_name[type],
        weft_err_name(rc));
  CHECK(!in_dropped || rc == WEFT_EFULL,
        "%s inside a dropped action was recorded", type_name[type]);
  push(l, rc == 0 ? kind : IT_DROP, type, v, w, epoch, 0);
  return rc != 0;
}

/* The end of an action: recorded unless its start was dropped. */
static void finish(tlog *l, weft_action a, int dropped, int type, int64_t v,
                   int64_t w, int epoch, int add_rc, int fail) {
  int rc = fail ? weft_action_fail(a, "odd", v) : weft_action_succeed(a);
  CHECK(rc == 0, "finishing %s: %s", type_name[type], weft_err_name(rc));
  if (add_rc != 1) { /* 1: no add was made */
    CHECK(add_rc == 0 || add_rc == WEFT_EFULL, "add to %s: %s", type_name[type],
          weft_err_name(add_rc));
    CHECK(!dropped || add_rc == WEFT_EFULL, "add to a dropped %s recorded",
          type_name[type]);
    if (add_rc == 0)
      l->records++;
    else
      push(l, IT_DROP, type, v, w, epoch, 0);
  }
  push(l,
       dropped ? IT_DROP
       : fail  ? IT_FAIL
               : IT_END,
       type, v, w, epoch, add_rc == 0);
}

static int is_failed(int64_t i) { return i % 7 == 3; }

static void log_work(tlog *l, int64_t i, int rank, int epoch, int in_drop) {
  weft_action a;
  int rc =
      WEFT_ACTION_START(&a, "work", WEFT_I64("i", i), WEFT_I64("rank", rank));
  int dropped = outcome(l, rc, in_drop, IT_START, T_WORK, i, rank, epoch);
  /* Dropped or not, the action is open and must be finished (api.md). */
  CHECK(weft_action_current() == a, "work %lld is not the current action",
        (long long)i);
  if (i % 5 == 0) {
    char s[32];
    snprintf(s, sizeof s, "n%lld", (long long)i);
    rc = WEFT_LOG("note", WEFT_STR("s", s));
    outcome(l, rc, dropped, IT_MSG, T_NOTE, i, 0, epoch);
  }
  if (i % 3 == 0) {
    weft_action in;
    rc = WEFT_ACTION_START(&in, "inner", WEFT_I64("j", 2 * i));
    int d = outcome(l, rc, dropped, IT_START, T_INNER, i, 0, epoch);
    finish(l, in, d, T_INNER, i, 0, epoch, 1, 0);
  }
  if (is_failed(i)) {
    finish(l, a, dropped, T_WORK, i, rank, epoch, 1, 1);
  } else {
    rc = WEFT_ADD(a, WEFT_I64("sq", i * i));
    finish(l, a, dropped, T_WORK, i, rank, epoch, rc, 0);
  }
}

/* The helper thread: one "session" action open across every flush, with
 * leaf actions and messages inside it. */
typedef struct helper {
  int rank;
  pthread_barrier_t *bar;
  int epoch; /* set by the main thread before each phase's barrier */
  tlog log;
} helper;

static void *helper_main(void *arg) {
  helper *h = arg;
  tlog *l = &h->log;
  weft_action session;
  int rc = WEFT_ACTION_START(&session, "session", WEFT_I64("rank", h->rank));
  int sdrop = outcome(l, rc, 0, IT_START, T_SESSION, h->rank, 0, h->epoch);
  int64_t i = 0;
  for (int p = 0; p < PHASES; p++) {
    pthread_barrier_wait(h->bar);
    int epoch = h->epoch;
    for (long k = 0; k < helper_items(h->rank, p); k++, i++) {
      weft_action a;
      rc = WEFT_ACTION_START(&a, "hw", WEFT_I64("i", i));
      int d = outcome(l, rc, sdrop, IT_START, T_HW, i, 0, epoch);
      finish(l, a, d, T_HW, i, 0, epoch, 1, 0);
      if (i % 4 == 0) {
        rc = WEFT_LOG("hm", WEFT_U64("i", i), WEFT_F64("f", i * 0.25));
        outcome(l, rc, sdrop, IT_MSG, T_HM, i, 0, epoch);
      }
    }
    pthread_barrier_wait(h->bar);
  }
  rc = WEFT_ADD(session, WEFT_U64("hw", i));
  finish(l, session, sdrop, T_SESSION, h->rank, i, h->epoch, rc, 0);
  return NULL;
}

/* ---- checking one rank's streams on rank 0 --------------------------------
 */

typedef struct frame {
  uint32_t level[8]; /* the action's level (its start is level + [1]) */
  size_t len;
  uint32_t next; /* its next child slot */
  uint64_t hi, lo;
} frame;

typedef struct stream {
  const item *it;
  size_t n, pos;
  int role; /* 0 unknown, 1 main, 2 helper */
  uint64_t pending, reported, reports;
  frame stack[8];
  size_t depth;
  uint64_t root_hi, root_lo; /* the task of the latest root */
} stream;

typedef struct rank_check {
  const lr_log *log;
  int rank;
  const int64_t *samples; /* sample_mono_ns per epoch */
  const item *main_it, *help_it;
  size_t main_n, help_n;
  stream s[2];
  uint64_t cut;        /* failures decoded with a cut reason */
  uint64_t leaf_rows;  /* starts read from leaf rows */
  uint64_t short_recs; /* hw and inner starts read from /events */
} rank_check;

static int level_is(const weft_event *e, const frame *f, const uint32_t *tail,
                    size_t ntail) {
  if (e->level_len != f->len + ntail)
    return 0;
  return !memcmp(e->level, f->level, f->len * sizeof *f->level) &&
         !memcmp(e->level + f->len, tail, ntail * sizeof *tail);
}

/* Eliot task levels and task ids (docs/api.md section 7), and nesting. */
static void check_structure(rank_check *rc, stream *s, const weft_event *e) {
  int r = rc->rank;
  if (e->kind == WEFT_KIND_SUCCESS || e->kind == WEFT_KIND_FAILURE) {
    if (s->depth == 0) {
      CHECK(0, "rank %d: an end with no open action", r);
      return;
    }
    frame *f = &s->stack[s->depth - 1];
    CHECK(level_is(e, f, &f->next, 1) && e->task_hi == f->hi &&
              e->task_lo == f->lo,
          "rank %d: end of %s at %s", r, e->type, e->level_str);
    s->depth--;
    return;
  }
  frame *parent = s->depth ? &s->stack[s->depth - 1] : NULL;
  if (!parent) {
    CHECK(e->level_len == 1 && e->level[0] == 1, "rank %d: root %s at %s", r,
          e->type, e->level_str);
    CHECK(e->task_hi != s->root_hi || e->task_lo != s->root_lo,
          "rank %d: root %s reuses the previous task", r, e->type);
    s->root_hi = e->task_hi;
    s->root_lo = e->task_lo;
  } else {
    uint32_t tail[2] = {parent->next, 1};
    CHECK(level_is(e, parent, tail, e->kind == WEFT_KIND_START ? 2 : 1) &&
              e->task_hi == parent->hi && e->task_lo == parent->lo,
          "rank %d: %s at %s, expected slot %u", r, e->type, e->level_str,
          parent->next);
  }
  if (e->kind != WEFT_KIND_START) {
    if (parent)
      parent->next++;
    return;
  }
  if (s->depth == 8) {
    CHECK(0, "rank %d: nested too deeply", r);
    return;
  }
  frame *f = &s->stack[s->depth++];
  *f = (frame){.next = 2, .hi = e->task_hi, .lo = e->task_lo};
  if (parent) {
    memcpy(f->level, parent->level, parent->len * sizeof *f->level);
    f->level[parent->len] = parent->next++;
    f->len = parent->len + 1;
  }
}

static int is_i64(const weft_value *v, const char *name, int64_t x) {
  return v && !strcmp(v->name, name) && v->type == WEFT_TYPE_I64 &&
         v->v.i64 == x;
}
static int is_u64(const weft_value *v, const char *name, uint64_t x) {
  return v && !strcmp(v->name, name) && v->type == WEFT_TYPE_U64 &&
         v->v.u64 == x;
}
static int is_f64(const weft_value *v, const char *name, double x) {
  return v && !strcmp(v->name, name) && v->type == WEFT_TYPE_F64 &&
         v->v.f64 == x;
}

/* Field values of a recorded event, as the program logged them. */
static int fields_match(const weft_event *e, const item *it) {
  const weft_value *f = e->fields;
  char s[32];
  if (it->kind == IT_FAIL) /* the reason may be cut: see count_cut */
    return e->nfields == 0 && e->reason &&
           (!strcmp(e->reason, "odd") || !*e->reason) && e->code == it->v;
  if (it->kind == IT_END) {
    switch (it->type) {
    case T_STEP:
      return it->fields ? e->nfields == 1 && is_i64(&f[0], "count", it->w)
                        : e->nfields == 0;
    case T_WORK:
      return it->fields ? e->nfields == 1 && is_i64(&f[0], "sq", it->v * it->v)
                        : e->nfields == 0;
    case T_SESSION:
      return it->fields
                 ? e->nfields == 1 && is_u64(&f[0], "hw", (uint64_t)it->w)
                 : e->nfields == 0;
    default:
      return e->nfields == 0;
    }
  }
  switch (it->type) {
  case T_BEGIN:
  case T_SESSION:
  case T_TAIL:
    return e->nfields == 1 && is_i64(&f[0], "rank", it->v);
  case T_STEP:
    return e->nfields == 2 && is_i64(&f[0], "s", it->v) &&
           is_i64(&f[1], "rank", it->w);
  case T_WORK:
    return e->nfields == 2 && is_i64(&f[0], "i", it->v) &&
           is_i64(&f[1], "rank", it->w);
  case T_INNER:
    return e->nfields == 1 && is_i64(&f[0], "j", 2 * it->v);
  case T_NOTE:
    snprintf(s, sizeof s, "n%lld", (long long)it->v);
    return e->nfields == 1 && f[0].type == WEFT_TYPE_STR &&
           !strcmp(f[0].name, "s") && !strcmp(f[0].v.str.ptr, s);
  case T_TICK:
    return e->nfields == 3 && is_u64(&f[0], "s", (uint64_t)it->v) &&
           is_f64(&f[1], "x", (double)it->v * 0.5) &&
           f[2].type == WEFT_TYPE_BOOL && !strcmp(f[2].name, "even") &&
           f[2].v.b == (it->v % 2 == 0);
  case T_HW:
    return e->nfields == 1 && is_i64(&f[0], "i", it->v);
  case T_HM:
    return e->nfields == 2 && is_u64(&f[0], "i", (uint64_t)it->v) &&
           is_f64(&f[1], "f", (double)it->v * 0.25);
  default:
    return 0;
  }
}

static int kind_of(const item *it) {
  switch (it->kind) {
  case IT_START:
    return WEFT_KIND_START;
  case IT_END:
    return WEFT_KIND_SUCCESS;
  case IT_FAIL:
    return WEFT_KIND_FAILURE;
  default:
    return WEFT_KIND_MESSAGE;
  }
}

static void take_drops(stream *s) {
  while (s->pos < s->n && s->it[s->pos].kind == IT_DROP) {
    s->pending++;
    s->pos++;
  }
}

static int on_event(void *arg, uint64_t id, const weft_event *e) {
  rank_check *rc = arg;
  int r = rc->rank;
  if (id >= 2) {
    CHECK(0, "rank %d: thread %llu: only two threads logged", r,
          (unsigned long long)id);
    return 0;
  }
  stream *s = &rc->s[id];
  if (!s->role) { /* the first event of each thread is recorded */
    s->role = !strcmp(e->type, "begin") ? 1 : 2;
    s->it = s->role == 1 ? rc->main_it : rc->help_it;
    s->n = s->role == 1 ? rc->main_n : rc->help_n;
    CHECK(rc->s[id ^ 1].role != s->role, "rank %d: two %s threads", r,
          s->role == 1 ? "main" : "helper");
  }
  check_structure(rc, s, e);
  take_drops(s);
  if (e->kind == WEFT_KIND_MESSAGE && !strcmp(e->type, "weft:dropped")) {
    const weft_value *c = weft_event_field(e, "count");
    CHECK(e->nfields == 1 && c && c->type == WEFT_TYPE_U64 && s->pending > 0 &&
              c->v.u64 == s->pending,
          "rank %d: weft:dropped count %llu, %llu drops since the last report",
          r, c ? (unsigned long long)c->v.u64 : 0ULL,
          (unsigned long long)s->pending);
    if (c)
      s->reported += c->v.u64;
    s->reports++;
    s->pending = 0;
    return 0;
  }
  if (e->kind == WEFT_KIND_MESSAGE && !strcmp(e->type, "weft:limit")) {
    CHECK(0, "rank %d: unexpected weft:limit", r);
    return 0;
  }
  if (s->pos >= s->n) {
    CHECK(0, "rank %d: %s %s beyond what was recorded", r, e->type,
          e->level_str);
    return 0;
  }
  const item *it = &s->it[s->pos++];
  int end = e->kind == WEFT_KIND_SUCCESS || e->kind == WEFT_KIND_FAILURE;
  if (e->kind == WEFT_KIND_START) {
    int from_row = rc->log->item.kind == LR_ITEM_LEAF_ROW;
    int is_short = it->type == T_HW || it->type == T_INNER;
    CHECK(!from_row || is_short, "rank %d: %s from a leaf row", r, e->type);
    rc->leaf_rows += (uint64_t)from_row;
    rc->short_recs += (uint64_t)(is_short && !from_row);
  }
  CHECK((int)e->kind == kind_of(it) && !strcmp(e->type, type_name[it->type]) &&
            fields_match(e, it),
        "rank %d thread %llu: event %zu: got %s kind %d at %s (%zu fields, "
        "reason \"%s\", code %lld), logged %s kind %d v=%lld",
        r, (unsigned long long)id, s->pos - 1, e->type, (int)e->kind,
        e->level_str, e->nfields, e->reason ? e->reason : "(null)",
        (long long)e->code, type_name[it->type], it->kind, (long long)it->v);
  /* Space returned: the report comes first (an end may go into the
   * block's reserve before it, docs/encoding.md section 6). */
  CHECK(end || s->pending == 0,
        "rank %d: %s recorded after %llu drops with no weft:dropped before it",
        r, e->type, (unsigned long long)s->pending);
  rc->cut += e->kind == WEFT_KIND_FAILURE && e->reason && !*e->reason;
  int ep = it->epoch;
  CHECK(ep >= 1 && ep < EPOCHS && e->t_ns > rc->samples[ep - 1] &&
            e->t_ns <= rc->samples[ep],
        "rank %d: %s logged in epoch %d lies outside it", r, e->type, ep);
  return 0;
}

/* ---- rank 0: the file against every rank's account ------------------------
 */

/* A failure finished when its block had no room left but the reserve for
 * ends (action.c) keeps its code and cuts the reason to 0 bytes; the
 * record says so with original_len (docs/encoding.md section 4), and the
 * decoder gives reason "" (an uncut empty reason is NULL).  Returns the
 * cut reasons of `rank` and checks every FAILURE record: "odd", or cut
 * from 3 bytes. */
typedef struct cut_count {
  int rank;
  uint64_t cut, failures_seen;
} cut_count;

static int count_one(void *arg, const lr_item *it) {
  cut_count *c = arg;
  if (it->kind != LR_ITEM_RECORD || it->schema != WEFT_SCHEMA_FAILURE)
    return 0;
  const unsigned char *p = it->payload;
  c->failures_seen++;
  uint32_t len = 0, orig = 0;
  if (it->size >= 16) {
    memcpy(&len, p + 8, 4);
    memcpy(&orig, p + 12, 4);
  }
  int whole =
      it->size == 19 && len == 3 && orig == 3 && !memcmp(p + 16, "odd", 3);
  int was_cut = it->size == 16 && len == 0 && orig == 3;
  CHECK(whole || was_cut,
        "rank %d: FAILURE record of %u bytes, reason "
        "%u of %u bytes",
        c->rank, it->size, len, orig);
  c->cut += (uint64_t)was_cut;
  return 0;
}

static uint64_t count_cut(lr_log *log, int rank) {
  /* The records of the rank, between its leaf rows (/order). */
  cut_count c = {rank, 0, 0};
  CHECK(lr_walk_rank(log, (uint32_t)rank, count_one, &c) == 0,
        "rank %d: the segments' items do not add up", rank);
  CHECK(c.failures_seen > 0, "rank %d: no FAILURE record", rank);
  return c.cut;
}

enum {
  H_MAIN_N,
  H_HELP_N,
  H_EVENTS,
  H_DROPPED,
  H_LIMITS,
  H_BUDGET,
  H_THREADS,
  H_RECORDS,
  H_TAIL,
  H_FAILED,
  H_DROPPED_AT, /* EPOCHS values: weft_stats.dropped at each flush */
  H_LEN = H_DROPPED_AT + EPOCHS
};

static void verify_rank(lr_log *log, int r, const int64_t *h,
                        const item *items) {
  /* /flushes: one row per epoch, dropped as weft_stats said then. */
  int64_t samples[EPOCHS] = {0};
  int rows[EPOCHS] = {0};
  for (uint64_t k = 0; k < log->c.flushes; k++) {
    const lr_flush *f = &log->flushes[k];
    if (f->rank != (uint32_t)r || f->epoch >= EPOCHS)
      continue;
    rows[f->epoch]++;
    samples[f->epoch] = f->sample_mono_ns;
    CHECK(f->dropped == (uint64_t)h[H_DROPPED_AT + f->epoch],
          "rank %d epoch %u: /flushes dropped %llu, weft_stats said %lld", r,
          f->epoch, (unsigned long long)f->dropped,
          (long long)h[H_DROPPED_AT + f->epoch]);
    uint64_t ev = 0, pay = 0;
    for (uint64_t g = 0; g < log->c.segments; g++) {
      const lr_segment *sg = &log->segments[g];
      if (sg->rank == (uint32_t)r && sg->epoch == f->epoch) {
        ev += sg->event_count;
        pay += sg->payload_bytes;
      }
    }
    CHECK(ev == f->events && pay == f->payload_bytes,
          "rank %d epoch %u: segments hold %llu rows, /flushes says %llu", r,
          f->epoch, (unsigned long long)ev, (unsigned long long)f->events);
  }
  for (int e = 0; e < EPOCHS; e++) {
    CHECK(rows[e] == 1, "rank %d: %d /flushes rows for epoch %d", r, rows[e],
          e);
    if (e == 0)
      continue;
    int64_t d = h[H_DROPPED_AT + e] - h[H_DROPPED_AT + e - 1];
    CHECK(d >= 0, "rank %d: dropped went down", r);
    CHECK((d > 0) == epoch_has_heavy(r, e),
          "rank %d epoch %d: %lld dropped, the schedule %s drops", r, e,
          (long long)d, epoch_has_heavy(r, e) ? "forces" : "has no");
  }
  CHECK(h[H_DROPPED_AT] == 0, "rank %d: drops before any logging", r);
  CHECK(h[H_DROPPED] == h[H_DROPPED_AT + EPOCHS - 1], "rank %d: final dropped",
        r);
  if (r % 4 == 1)
    CHECK(h[H_DROPPED] > 0, "rank %d: the small budget never filled", r);
  if (r % 4 == 0 || r % 4 == 3)
    CHECK(h[H_DROPPED] == 0, "rank %d dropped %lld with an ample budget", r,
          (long long)h[H_DROPPED]);
  CHECK(h[H_BUDGET] == (int64_t)budget_of(r), "rank %d: budget %lld", r,
        (long long)h[H_BUDGET]);
  CHECK(h[H_LIMITS] == 0, "rank %d: %lld limits", r, (long long)h[H_LIMITS]);
  CHECK(h[H_THREADS] == 2 && log->ranks[r].threads == 2, "rank %d: threads", r);

  rank_check rc;
  memset(&rc, 0, sizeof rc);
  rc.log = log;
  rc.rank = r;
  rc.samples = samples;
  rc.main_it = items;
  rc.main_n = (size_t)h[H_MAIN_N];
  rc.help_it = items + h[H_MAIN_N];
  rc.help_n = (size_t)h[H_HELP_N];
  int e = lr_decode_rank(log, (uint32_t)r, on_event, &rc);
  CHECK(e == 0, "rank %d: decode: %s", r, weft_errmsg());
  uint64_t reported = 0, reports = 0, drops = 0;
  for (int t = 0; t < 2; t++) {
    stream *s = &rc.s[t];
    CHECK(s->role, "rank %d: thread %d wrote nothing", r, t);
    take_drops(s);
    CHECK(s->pos == s->n, "rank %d thread %d: %zu of %zu calls found", r, t,
          s->pos, s->n);
    CHECK(s->pending == 0, "rank %d thread %d: %llu drops never reported", r, t,
          (unsigned long long)s->pending);
    for (size_t k = 0; k < s->n; k++)
      drops += s->it[k].kind == IT_DROP;
    reported += s->reported;
    reports += s->reports;
    /* Only the main thread's "tail" is still open, when recorded. */
    size_t open = s->role == 1 ? (size_t)h[H_TAIL] : 0;
    CHECK(s->depth == open, "rank %d thread %d: %zu actions left open", r, t,
          s->depth);
  }
  CHECK(reported == drops && reported == (uint64_t)h[H_DROPPED],
        "rank %d: weft:dropped counts add up to %llu, %llu calls dropped, "
        "weft_stats %lld",
        r, (unsigned long long)reported, (unsigned long long)drops,
        (long long)h[H_DROPPED]);
  CHECK(h[H_DROPPED] != 0 || reports == 0, "rank %d: a report of nothing", r);
  uint64_t cut = count_cut(log, r);
  CHECK(rc.cut == cut && (h[H_DROPPED] != 0 || cut == 0),
        "rank %d: %llu reasons decoded as cut, %llu cut in the records", r,
        (unsigned long long)rc.cut, (unsigned long long)cut);
  printf("rank %d: budget %lld, dropped %lld in %llu reports, %llu failure "
         "reasons cut\n",
         r, (long long)h[H_BUDGET], (long long)h[H_DROPPED],
         (unsigned long long)reports, (unsigned long long)cut);
  CHECK(h[H_EVENTS] == h[H_RECORDS] + (int64_t)reports,
        "rank %d: weft_stats.events %lld, %lld recorded + %llu reports", r,
        (long long)h[H_EVENTS], (long long)h[H_RECORDS],
        (unsigned long long)reports);

  /* /actions: a row for each recorded action, as its records say; a
   * leaf row for each recorded short one (hw, inner). */
  uint64_t starts = 0, shorts = 0;
  for (size_t k = 0; k < (size_t)(h[H_MAIN_N] + h[H_HELP_N]); k++) {
    starts += items[k].kind == IT_START;
    shorts += items[k].kind == IT_START &&
              (items[k].type == T_HW || items[k].type == T_INNER);
  }
  lr_actions_report ar;
  CHECK(lr_check_actions(log, (uint32_t)r, &ar) == 0, "rank %d: /actions: %s",
        r, weft_errmsg());
  CHECK(ar.mismatches == 0, "rank %d: %llu /actions mismatches, first: %s", r,
        (unsigned long long)ar.mismatches, ar.first);
  CHECK(ar.rows == starts, "rank %d: %llu /actions rows, %llu actions recorded",
        r, (unsigned long long)ar.rows, (unsigned long long)starts);
  CHECK(ar.leaf_rows == rc.leaf_rows && rc.leaf_rows == shorts &&
            rc.short_recs == 0,
        "rank %d: %llu leaf rows, %llu decoded, %llu short actions recorded, "
        "%llu of them in /events",
        r, (unsigned long long)ar.leaf_rows, (unsigned long long)rc.leaf_rows,
        (unsigned long long)shorts, (unsigned long long)rc.short_recs);
  uint64_t failed = 0, unfinished = 0;
  for (uint64_t k = 0; k < log->c.actions; k++) {
    const lr_action *a = &log->actions[k];
    if (a->rank != (uint32_t)r)
      continue;
    const char *name = lr_action_type(log, a);
    if (a->status == 2) {
      failed++;
      CHECK(name && !strcmp(name, "work"), "rank %d: failed %s", r,
            name ? name : "?");
    } else if (a->status == 3) {
      unfinished++;
      CHECK(name && !strcmp(name, "tail"), "rank %d: unfinished %s", r,
            name ? name : "?");
    }
  }
  CHECK(failed == (uint64_t)h[H_FAILED] && unfinished == (uint64_t)h[H_TAIL],
        "rank %d: /actions has %llu failed and %llu unfinished rows, logged "
        "%lld and %lld",
        r, (unsigned long long)failed, (unsigned long long)unfinished,
        (long long)h[H_FAILED], (long long)h[H_TAIL]);
}

static void verify(const char *path, int size, const int64_t *hdr,
                   const item *items) {
  lr_log log;
  if (lr_open(&log, path) != 0) {
    CHECK(0, "cannot read %s", path);
    return;
  }
  CHECK(log.closed && log.mpi_size == (uint32_t)size &&
            log.c.epochs == EPOCHS && log.c.flushes == (uint64_t)EPOCHS * size,
        "file: closed %d, %u ranks, %llu epochs", log.closed, log.mpi_size,
        (unsigned long long)log.c.epochs);
  size_t at = 0;
  for (int r = 0; r < size; r++) {
    const int64_t *h = hdr + (size_t)r * H_LEN;
    verify_rank(&log, r, h, items + at);
    at += (size_t)(h[H_MAIN_N] + h[H_HELP_N]);
  }
  lr_close(&log);
}

/* ---- the job ---------------------------------------------------------------
 */

static int start_weft(int rank, int own_init, const char *path) {
  char b[32];
  snprintf(b, sizeof b, "%zu", budget_of(rank));
  if (!own_init) {
    setenv("WEFT_BUFFER_BUDGET", b, 1);
    setenv("WEFT_BLOCK_SIZE", "64K", 1);
    return weft_mpi_init(MPI_COMM_WORLD, path);
  }
  weft_options o;
  weft_options_init(&o);
  o.buffer_budget = budget_of(rank);
  o.block_size = BLOCK;
  int rc = weft_init(&o);
  CHECK(rc == 0, "weft_init: %s", weft_errmsg());
  return rc ? rc : weft_mpi_init(MPI_COMM_WORLD, path);
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int rank, size;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  int own_init = 0, bad = argc < 2;
  for (int k = 2; k < argc; k++) {
    if (!strcmp(argv[k], "--own-init"))
      own_init = 1;
    else if (!strcmp(argv[k], "--tight"))
      tight = 1;
    else
      bad = 1;
  }
  if (bad) {
    if (rank == 0)
      fprintf(stderr, "usage: test_budget_mpi OUT.h5 [--own-init] [--tight]\n");
    MPI_Finalize();
    return 2;
  }
  if (size < 2) { /* rank 1 is the one with the small budget */
    if (rank == 0)
      fprintf(stderr, "test_budget_mpi: needs at least 2 ranks\n");
    MPI_Finalize();
    return 2;
  }
  const char *path = argv[1];
  if (rank == 0)
    remove(path);
  MPI_Barrier(MPI_COMM_WORLD);

  int64_t h[H_LEN] = {0};
  int rc = start_weft(rank, own_init, path);
  CHECK(rc == 0, "weft_mpi_init: %s", weft_errmsg());
  if (rc != 0) {
    MPI_Abort(MPI_COMM_WORLD, 1);
    return 1;
  }
  weft_stats st;
  weft_stats_get(&st);
  h[H_DROPPED_AT] = (int64_t)st.dropped;

  /* The main thread logs first, so it is thread 0. */
  tlog ml = {0};
  int epoch = 1;
  rc = WEFT_LOG("begin", WEFT_I64("rank", rank));
  outcome(&ml, rc, 0, IT_MSG, T_BEGIN, rank, 0, epoch);
  pthread_barrier_t bar;
  pthread_barrier_init(&bar, NULL, 2);
  helper hp = {.rank = rank, .bar = &bar, .epoch = epoch};
  pthread_t tid;
  pthread_create(&tid, NULL, helper_main, &hp);

  int64_t i = 0, failed = 0;
  weft_action step = 0;
  int sdrop = 0;
  long in_step = 0;
  for (int p = 0; p < PHASES; p++) {
    int s = p / 2;
    CHECK(epoch_of_phase(p) == epoch, "schedule");
    hp.epoch = epoch;
    pthread_barrier_wait(&bar);
    if (p % 2 == 0) {
      rc = WEFT_ACTION_START(&step, "step", WEFT_I64("s", s),
                             WEFT_I64("rank", rank));
      sdrop = outcome(&ml, rc, 0, IT_START, T_STEP, s, rank, epoch);
      in_step = 0;
    }
    for (long k = 0; k < main_items(rank, p); k++, i++, in_step++) {
      int64_t before = (int64_t)ml.n;
      log_work(&ml, i, rank, epoch, sdrop);
      /* a failed work action whose start was recorded has a row */
      failed += is_failed(i) && ml.it[before].kind == IT_START;
    }
    if (p % 2 == 1) {
      rc = WEFT_ADD(step, WEFT_I64("count", in_step));
      finish(&ml, step, sdrop, T_STEP, s, in_step, epoch, rc, 0);
      rc = WEFT_LOG("tick", WEFT_U64("s", s), WEFT_F64("x", s * 0.5),
                    WEFT_BOOL("even", s % 2 == 0));
      outcome(&ml, rc, 0, IT_MSG, T_TICK, s, 0, epoch);
    }
    pthread_barrier_wait(&bar); /* the helper is done with phase p */
    if (flush_after(p)) {
      weft_stats_get(&st);
      CHECK(st.dropped == ml.drops + hp.log.drops,
            "rank %d: weft_stats.dropped %llu, the calls say %llu", rank,
            (unsigned long long)st.dropped,
            (unsigned long long)(ml.drops + hp.log.drops));
      h[H_DROPPED_AT + epoch] = (int64_t)st.dropped;
      rc = weft_mpi_flush();
      CHECK(rc == 0, "weft_mpi_flush: %s", weft_errmsg());
      weft_stats_get(&st);
      CHECK(st.bytes_pending == 0, "rank %d: %llu bytes pending after a flush",
            rank, (unsigned long long)st.bytes_pending);
      epoch++;
    }
  }
  pthread_join(tid, NULL);
  pthread_barrier_destroy(&bar);
  CHECK(epoch == EPOCHS - 1, "flush count");

  /* An action left open at the end: the only unfinished one. */
  weft_action tail;
  rc = WEFT_ACTION_START(&tail, "tail", WEFT_I64("rank", rank));
  h[H_TAIL] = !outcome(&ml, rc, 0, IT_START, T_TAIL, rank, 0, epoch);

  weft_stats_get(&st);
  h[H_DROPPED_AT + epoch] = (int64_t)st.dropped;
  h[H_MAIN_N] = (int64_t)ml.n;
  h[H_HELP_N] = (int64_t)hp.log.n;
  h[H_EVENTS] = (int64_t)st.events;
  h[H_DROPPED] = (int64_t)st.dropped;
  h[H_LIMITS] = (int64_t)st.limits;
  h[H_BUDGET] = (int64_t)st.bytes_budget;
  h[H_THREADS] = (int64_t)st.threads;
  h[H_RECORDS] = (int64_t)(ml.records + hp.log.records);
  h[H_FAILED] = failed;
  CHECK(st.dropped == ml.drops + hp.log.drops,
        "rank %d: weft_stats.dropped %llu, the calls say %llu", rank,
        (unsigned long long)st.dropped,
        (unsigned long long)(ml.drops + hp.log.drops));
  rc = weft_mpi_finalize();
  CHECK(rc == 0, "weft_mpi_finalize: %s", weft_errmsg());
  if (own_init)
    CHECK(weft_shutdown() == 0, "weft_shutdown");

  /* Every rank's account to rank 0. */
  int64_t *hdr = rank == 0 ? calloc((size_t)size, sizeof h) : NULL;
  MPI_Gather(h, H_LEN, MPI_INT64_T, hdr, H_LEN, MPI_INT64_T, 0, MPI_COMM_WORLD);
  size_t mine = (ml.n + hp.log.n) * sizeof(item);
  unsigned char *buf = malloc(mine ? mine : 1);
  memcpy(buf, ml.it, ml.n * sizeof(item));
  memcpy(buf + ml.n * sizeof(item), hp.log.it, hp.log.n * sizeof(item));
  int *counts = NULL, *displs = NULL;
  unsigned char *all = NULL;
  if (rank == 0) {
    counts = calloc((size_t)size, sizeof *counts);
    displs = calloc((size_t)size, sizeof *displs);
    size_t total = 0;
    for (int r = 0; r < size; r++) {
      const int64_t *hr = hdr + (size_t)r * H_LEN;
      counts[r] = (int)((hr[H_MAIN_N] + hr[H_HELP_N]) * (int64_t)sizeof(item));
      displs[r] = (int)total;
      total += (size_t)counts[r];
    }
    all = malloc(total ? total : 1);
  }
  MPI_Gatherv(buf, (int)mine, MPI_BYTE, all, counts, displs, MPI_BYTE, 0,
              MPI_COMM_WORLD);
  int sum = all_ranks_failures(failures);
  if (rank == 0 && sum == 0)
    verify(path, size, hdr, (const item *)all);
  sum = all_ranks_failures(failures);
  if (rank == 0)
    printf("%s: %d ranks%s%s, %s\n", path, size, own_init ? " (own init)" : "",
           tight ? " (tight)" : "", sum ? "FAILED" : "ok");
  free(ml.it);
  free(hp.log.it);
  free(buf);
  free(hdr);
  free(counts);
  free(displs);
  free(all);
  MPI_Finalize();
  return sum ? 1 : 0;
}
