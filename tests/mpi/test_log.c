/*
 * test_log.c - every rank logs a known, rank-dependent sequence, the job
 * writes one log collectively, and rank 0 reads the file back (log_reader.c,
 * written from docs/format.md) and compares every decoded event with what
 * each rank logged.
 *
 *   test_log OUT.h5 [--per-rank N] [--steps S] [--flush-every F]
 *                   [--zero-rank] [--array] [--threads] [--json FILE]
 *                   [--no-actions]
 *
 * Rank r logs, in each of S steps, a "tick" action and a number of "work"
 * actions that depends on r and the step (uneven buffers; with
 * --zero-rank, rank 1 logs nothing at all), all ranks flush every F steps,
 * --array adds an action with a 10^6-element double array, --threads adds
 * a second logging thread per rank.  Every 11th work action lasts at
 * least 3 us; every third has a "probe" child, and every fourth is
 * followed by a tick.  Ticks, probes and the helper thread's actions are
 * short actions with scalar fields: leaf rows of /actions (docs/format.md
 * section 4), the step's tick the first item of its segment; "big" is a
 * leaf record in /events (an array field); "work" has records in
 * /events (a note, success fields, failures) and a derived row.
 *
 * Rank 0 checks every event of every stream (fields, Eliot levels,
 * counts), every /actions row against the streams (lr_check_actions: a row
 * for every action, leaf rows for exactly the short actions), and the
 * time of every event of each rank's main thread against the records it
 * buffered: before each flush the rank takes a snapshot of its buffers
 * (weft__pending_collect, then weft__pending_abandon, which leaves them to
 * the flush) and decodes its own thread's records, so the times of leaf
 * rows, which the file holds only on the job's timeline, must come back
 * to the nanosecond.
 *
 * --no-actions sets WEFT_ACTIONS=0 on rank 0 only (the file's rule is rank
 * 0's, whatever the other ranks' environment says): no /actions rows, every
 * leaf a leaf record.
 * --json writes what was logged, for check_h5py.py.  Exit status 0 when
 * everything matches.
 */
#include "../check.h"
#include "all_ranks.h"
#include "log_reader.h"
#include "weft_mpi.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define BIG_N 1000000

typedef struct config {
  const char *path;
  long per_rank, steps, flush_every;
  int zero_rank, array, threads, no_actions;
  const char *json;
} config;

/* Actions rank r logs in step s. */
static long actions_in_step(const config *c, int r, long s) {
  if (c->zero_rank && r == 1)
    return 0;
  long base = c->per_rank / c->steps;
  /* 0x, 1x, 2x or 3x the base, rotating, so some ranks are empty in some
   * flushes and buffers fill at different rates. */
  return base * ((r + s) % 4) / 2 + (r == 0 && s == 0);
}

static long actions_of_rank(const config *c, int r) {
  long n = 0;
  for (long s = 0; s < c->steps; s++)
    n += actions_in_step(c, r, s);
  return n;
}

static int64_t is_failed(int64_t i) { return i % 7 == 3; }
static int has_note(int64_t i) { return i % 5 == 0; }
static int is_slow(int64_t i) { return i % 11 == 0; }
static int has_probe(int64_t i) { return i % 3 == 1; }
static int tick_after(int64_t i) { return i % 4 == 3; }

/* What rank r logs besides its work actions: a tick at the start of each
 * step with work, one after every fourth work action, a probe in every
 * third. */
typedef struct extras {
  long ticks, probes;
} extras;

static extras extras_of_rank(const config *c, int r) {
  extras x = {0, 0};
  long i = 0;
  for (long s = 0; s < c->steps; s++) {
    long n = actions_in_step(c, r, s);
    x.ticks += n > 0;
    for (long k = 0; k < n; k++, i++) {
      x.ticks += tick_after(i);
      x.probes += has_probe(i);
    }
  }
  return x;
}

static int log_tick(uint64_t step, int64_t k) {
  weft_action a;
  int rc = WEFT_ACTION_START(&a, "tick", WEFT_U64("s", step), WEFT_I64("k", k));
  return rc < 0 ? rc : weft_action_succeed(a);
}

static void spin_ns(int64_t ns) {
  int64_t t0 = weft_clock_now();
  while (weft_clock_now() - t0 < ns)
    ;
}

static int log_work(int64_t i, int rank, uint64_t step) {
  weft_action a;
  int rc =
      WEFT_ACTION_START(&a, "work", WEFT_I64("i", i), WEFT_I64("rank", rank));
  if (rc < 0)
    return rc;
  if (has_probe(i)) { /* a bool field: a payload of 9 bytes, padded to 16 */
    weft_action p;
    if ((rc = WEFT_ACTION_START(&p, "probe", WEFT_I64("i", i),
                                WEFT_BOOL("odd", i % 2 == 1))) < 0 ||
        (rc = weft_action_succeed(p)) < 0)
      return rc;
  }
  if (has_note(i)) {
    char s[32];
    snprintf(s, sizeof s, "n%lld", (long long)i);
    if ((rc = WEFT_LOG("note", WEFT_STR("s", s))) < 0)
      return rc;
  }
  if (is_slow(i))
    spin_ns(3000);
  if (is_failed(i))
    rc = weft_action_fail(a, "odd", i);
  else if ((rc = WEFT_ADD(a, WEFT_I64("sq", i * i))) >= 0)
    rc = weft_action_succeed(a);
  return rc < 0 || !tick_after(i) ? rc : log_tick(step, i);
}

static int log_big(void) {
  double *v = malloc(BIG_N * sizeof *v);
  if (!v)
    return WEFT_ENOMEM;
  for (long i = 0; i < BIG_N; i++)
    v[i] = (double)i * 0.5;
  size_t shape[2] = {1000, 1000};
  weft_action a;
  int rc = WEFT_ACTION_START(&a, "big", WEFT_F64_ARRAY("x", v, 2, shape));
  free(v);
  if (rc == 0)
    rc = weft_action_succeed(a);
  return rc;
}

typedef struct thread_arg {
  int rank;
  long n;
  int rc;
} thread_arg;

static void *thread_main(void *p) {
  thread_arg *t = p;
  for (long i = 0; i < t->n && t->rc == 0; i++) {
    weft_action a;
    t->rc = WEFT_ACTION_START(&a, "tw", WEFT_I64("i", i));
    if (t->rc == 0)
      t->rc = weft_action_succeed(a);
  }
  return NULL;
}

/* ---- the times each rank buffered ------------------------------------------
 */

/* The times of the events of this rank's main thread, as its buffers hold
 * them: a snapshot of the buffers before each flush, decoded, then given
 * back untouched (weft__pending_abandon) for the flush to write.  The main
 * thread logs nothing between its snapshot and its flush, so the snapshots
 * together hold every record of its stream once. */
typedef struct oracle {
  int64_t *t;
  size_t n, cap;
  int64_t thread; /* the main thread's index, -1 until it logged */
  weft__decoder *d;
  int rc;
} oracle;

static int oracle_event(void *arg, uint64_t stream, const weft_event *e) {
  (void)stream;
  oracle *o = arg;
  if (o->n == o->cap) {
    o->cap = o->cap ? 2 * o->cap : 4096;
    int64_t *t = realloc(o->t, o->cap * sizeof *t);
    if (!t)
      return o->rc = WEFT_ENOMEM;
    o->t = t;
  }
  o->t[o->n++] = e->t_ns;
  return 0;
}

static void oracle_take(oracle *o) {
  if (o->thread < 0) { /* which thread index is this one */
    int64_t me = (int64_t)syscall(SYS_gettid);
    for (uint32_t i = 0; i < weft__thread_count(); i++) {
      weft__thread_info ti;
      if (weft__thread_info_get(i, &ti) == 0 && ti.os_tid == me)
        o->thread = i;
    }
  }
  if (o->thread < 0)
    return; /* nothing logged on this thread yet */
  if (!o->d && weft__decoder_new(&o->d, weft__dict_live()) < 0) {
    CHECK(0, "oracle: decoder: %s", weft_errmsg());
    return;
  }
  weft__pending p;
  int rc = weft__pending_collect(&p);
  CHECK(rc == 0, "oracle: snapshot: %s", weft_errmsg());
  if (rc != 0)
    return;
  for (size_t i = 0; rc == 0 && i < p.n; i++)
    if (p.spans[i].thread == (uint32_t)o->thread)
      rc = weft__decoder_feed(o->d, p.spans[i].thread, p.spans[i].data,
                              p.spans[i].len, oracle_event, NULL, o);
  weft__pending_abandon(&p); /* taken, empty or not: the flush's now */
  CHECK(rc == 0 && o->rc == 0, "oracle: decoding the buffers: %s",
        weft_errmsg());
}

/* Every rank's buffered times on rank 0 (collective): times[r] holds
 * counts[r] values. */
static int64_t *oracle_gather(const oracle *o, int rank, int size, long *counts,
                              long *offsets) {
  long n = (long)o->n;
  MPI_Gather(&n, 1, MPI_LONG, counts, 1, MPI_LONG, 0, MPI_COMM_WORLD);
  int *ci = NULL, *di = NULL;
  int64_t *all = NULL;
  if (rank == 0) {
    long total = 0;
    ci = malloc((size_t)size * sizeof *ci);
    di = malloc((size_t)size * sizeof *di);
    for (int r = 0; r < size; r++) {
      offsets[r] = total;
      ci[r] = (int)counts[r];
      di[r] = (int)total;
      total += counts[r];
    }
    all = malloc((size_t)(total ? total : 1) * sizeof *all);
  }
  MPI_Gatherv(o->t, (int)n, MPI_INT64_T, all, ci, di, MPI_INT64_T, 0,
              MPI_COMM_WORLD);
  free(ci);
  free(di);
  return all;
}

/* ---- verification on rank 0 ---------------------------------------------- */

typedef struct stream_check {
  int kind; /* 0 unknown, 1 main thread, 2 helper thread */
  int64_t next_i;
  int phase; /* within the current work action */
  int big_seen;
  int64_t last_t;
  long events;
} stream_check;

typedef struct rank_check {
  const config *c;
  const lr_log *log;
  int rank;
  stream_check s[8];
  long starts, failed, notes, probes, ticks;
  long leaf_rows[3];  /* starts read from leaf rows: probe, tick, tw */
  long big_leaf;      /* big read from a leaf record */
  const int64_t *buf; /* the main thread's buffered times */
  long nbuf, at;
} rank_check;

static const weft_value *field(const weft_event *e, const char *name) {
  return weft_event_field(e, name);
}

/* The level of a work action's note: after its probe's slot, if any. */
static uint32_t note_slot(int64_t i) { return has_probe(i) ? 3 : 2; }

static void check_tick(rank_check *rc, const weft_event *e) {
  if (e->kind == WEFT_KIND_START) {
    const weft_value *s = field(e, "s"), *k = field(e, "k");
    CHECK(s && s->type == WEFT_TYPE_U64 && k && k->type == WEFT_TYPE_I64 &&
              (k->v.i64 == -1 || tick_after(k->v.i64)),
          "rank %d: tick fields", rc->rank);
    CHECK(e->level_len == 1 && e->level[0] == 1, "rank %d: tick level %s",
          rc->rank, e->level_str);
    rc->ticks++;
    rc->leaf_rows[1] += rc->log->item.kind == LR_ITEM_LEAF_ROW;
  } else {
    CHECK(e->kind == WEFT_KIND_SUCCESS && e->level_len == 1 &&
              e->level[0] == 2 && e->elapsed_ns >= 0,
          "rank %d: tick end %s", rc->rank, e->level_str);
  }
}

static void check_probe(rank_check *rc, stream_check *s, const weft_event *e) {
  int64_t i = s->next_i;
  if (e->kind == WEFT_KIND_START) {
    const weft_value *vi = field(e, "i"), *vo = field(e, "odd");
    CHECK(s->phase == 3 && vi && vi->v.i64 == i && vo &&
              vo->type == WEFT_TYPE_BOOL && vo->v.b == (i % 2 == 1),
          "rank %d: probe of %lld", rc->rank, (long long)i);
    CHECK(e->level_len == 2 && e->level[0] == 2 && e->level[1] == 1,
          "rank %d: probe level %s", rc->rank, e->level_str);
    rc->probes++;
    rc->leaf_rows[0] += rc->log->item.kind == LR_ITEM_LEAF_ROW;
    s->phase = 4;
  } else {
    CHECK(s->phase == 4 && e->kind == WEFT_KIND_SUCCESS && e->level_len == 2 &&
              e->level[1] == 2 && e->elapsed_ns >= 0,
          "rank %d: probe end of %lld", rc->rank, (long long)i);
    s->phase = has_note(i) ? 1 : 2;
  }
}

static int on_event(void *arg, uint64_t stream, const weft_event *e) {
  rank_check *rc = arg;
  if (stream >= 8) {
    CHECK(0, "rank %d: unexpected thread %llu", rc->rank,
          (unsigned long long)stream);
    return 0;
  }
  stream_check *s = &rc->s[stream];
  s->events++;
  CHECK(e->t_ns >= s->last_t, "rank %d: time goes back", rc->rank);
  s->last_t = e->t_ns;
  if (!s->kind)
    s->kind = strcmp(e->type, "tw") == 0 ? 2 : 1;
  if (s->kind == 2) {
    if (e->kind == WEFT_KIND_START) {
      const weft_value *v = field(e, "i");
      CHECK(v && v->v.i64 == s->next_i, "rank %d: tw i", rc->rank);
      s->next_i++;
      rc->leaf_rows[2] += rc->log->item.kind == LR_ITEM_LEAF_ROW;
    }
    return 0;
  }
  /* The main thread: every time exactly as buffered, leaf rows included
   * (no tolerance: the clocks are not skewed here), but for the one case
   * the format allows: a leaf row whose start two times fit, where the
   * earlier is taken, 1 ns early (format.md section 5).  The clocks are
   * not skewed, but each flush's offset estimate differs from the last by
   * its measurement error, so the offset still grows here and there. */
  const lr_item *it = &rc->log->item;
  if (rc->at < rc->nbuf)
    CHECK(e->t_ns == rc->buf[rc->at] ||
              (it->ambiguous && e->t_ns == rc->buf[rc->at] - 1),
          "rank %d: event %ld (%s %s, from %s) at %lld, buffered at %lld",
          rc->rank, rc->at, e->type, e->level_str,
          it->kind == LR_ITEM_LEAF_ROW      ? "a leaf row"
          : it->kind == LR_ITEM_LEAF_RECORD ? "a leaf record"
                                            : "a record",
          (long long)e->t_ns, (long long)rc->buf[rc->at]);
  rc->at++;
  if (strcmp(e->type, "big") == 0) {
    if (e->kind == WEFT_KIND_START) {
      const weft_value *v = field(e, "x");
      CHECK(v && v->type == WEFT_TYPE_F64_ARRAY && v->v.arr.count == BIG_N &&
                v->v.arr.ndim == 2 && v->v.arr.shape[0] == 1000 &&
                v->v.arr.min == 0.0 && v->v.arr.max == (BIG_N - 1) * 0.5 &&
                v->v.arr.nan_count == 0 && v->v.arr.kept >= 1,
            "rank %d: big array summary", rc->rank);
      s->big_seen = 1;
      rc->big_leaf += rc->log->item.kind == LR_ITEM_LEAF_RECORD;
    }
    return 0;
  }
  if (strcmp(e->type, "tick") == 0) {
    CHECK(s->phase == 0, "rank %d: tick inside work", rc->rank);
    check_tick(rc, e);
    return 0;
  }
  if (strcmp(e->type, "probe") == 0) {
    check_probe(rc, s, e);
    return 0;
  }
  int64_t i = s->next_i;
  switch (e->kind) {
  case WEFT_KIND_START: {
    CHECK(strcmp(e->type, "work") == 0 && s->phase == 0,
          "rank %d: expected start of work %lld, got %s", rc->rank,
          (long long)i, e->type);
    const weft_value *vi = field(e, "i"), *vr = field(e, "rank");
    CHECK(vi && vi->v.i64 == i, "rank %d: field i %lld != %lld", rc->rank,
          vi ? (long long)vi->v.i64 : -1LL, (long long)i);
    CHECK(vr && vr->v.i64 == rc->rank, "rank %d: field rank", rc->rank);
    CHECK(e->level_len == 1 && e->level[0] == 1, "rank %d: level", rc->rank);
    CHECK(rc->log->item.kind == LR_ITEM_RECORD,
          "rank %d: work %lld not in "
          "/events",
          rc->rank, (long long)i);
    rc->starts++;
    s->phase = has_probe(i) ? 3 : has_note(i) ? 1 : 2;
    break;
  }
  case WEFT_KIND_MESSAGE: {
    char want[32];
    snprintf(want, sizeof want, "n%lld", (long long)i);
    const weft_value *v = field(e, "s");
    CHECK(s->phase == 1 && strcmp(e->type, "note") == 0 && v &&
              strcmp(v->v.str.ptr, want) == 0,
          "rank %d: note of %lld", rc->rank, (long long)i);
    CHECK(e->level_len == 1 && e->level[0] == note_slot(i),
          "rank %d: note level %s", rc->rank, e->level_str);
    rc->notes++;
    s->phase = 2;
    break;
  }
  case WEFT_KIND_SUCCESS: {
    const weft_value *v = field(e, "sq");
    CHECK(s->phase == 2 && !is_failed(i) && v && v->v.i64 == i * i,
          "rank %d: success of %lld", rc->rank, (long long)i);
    CHECK(e->elapsed_ns >= 0, "rank %d: elapsed", rc->rank);
    CHECK(!is_slow(i) || e->elapsed_ns >= 3000, "rank %d: slow %lld: %lld ns",
          rc->rank, (long long)i, (long long)e->elapsed_ns);
    s->phase = 0;
    s->next_i++;
    break;
  }
  case WEFT_KIND_FAILURE:
    CHECK(s->phase == 2 && is_failed(i) && e->reason &&
              strcmp(e->reason, "odd") == 0 && e->code == i,
          "rank %d: failure of %lld", rc->rank, (long long)i);
    rc->failed++;
    s->phase = 0;
    s->next_i++;
    break;
  }
  return 0;
}

static void verify(const config *c, int size, const int64_t *buffered,
                   const long *counts, const long *offsets) {
  lr_log log;
  if (lr_open(&log, c->path) != 0) {
    CHECK(0, "cannot read %s", c->path);
    return;
  }
  CHECK(log.closed, "state is not closed");
  CHECK(log.version[0] == 2 && log.version[1] == 0, "format %u.%u",
        log.version[0], log.version[1]);
  CHECK(log.mpi_size == (uint32_t)size, "mpi_size");
  uint64_t flushes = (uint64_t)(c->steps / c->flush_every) + 2;
  CHECK(log.c.epochs == flushes, "epochs %llu, expected %llu",
        (unsigned long long)log.c.epochs, (unsigned long long)flushes);
  CHECK(log.c.flushes == flushes * (uint64_t)size, "flush rows");
  CHECK(log.actions_table == !c->no_actions, "actions_table %d",
        log.actions_table);
  uint64_t leaf_rows = 0;
  for (int r = 0; r < size; r++) {
    rank_check rc;
    memset(&rc, 0, sizeof rc);
    rc.c = c;
    rc.log = &log;
    rc.rank = r;
    rc.buf = buffered + offsets[r];
    rc.nbuf = counts[r];
    int e = lr_decode_rank(&log, (uint32_t)r, on_event, &rc);
    CHECK(e == 0, "rank %d: decode: %s", r, weft_errmsg());
    CHECK(rc.at == rc.nbuf,
          "rank %d: main thread: %ld events in the file, "
          "%ld buffered",
          r, rc.at, rc.nbuf);
    long n = actions_of_rank(c, r);
    extras x = extras_of_rank(c, r);
    CHECK(rc.s[0].next_i + rc.s[1].next_i >= n, "rank %d: work count", r);
    CHECK(rc.starts == n, "rank %d: %ld work actions in the file, logged %ld",
          r, rc.starts, n);
    CHECK(rc.probes == x.probes && rc.ticks == x.ticks,
          "rank %d: %ld probes and %ld ticks in the file, logged %ld and %ld",
          r, rc.probes, rc.ticks, x.probes, x.ticks);
    long failed = 0, notes = 0;
    for (long i = 0; i < n; i++) {
      failed += is_failed(i);
      notes += has_note(i);
    }
    CHECK(rc.failed == failed && rc.notes == notes,
          "rank %d: failed/notes mismatch", r);
    int big = 0, helper = 0;
    for (int s = 0; s < 8; s++) {
      big |= rc.s[s].big_seen;
      if (rc.s[s].kind == 2) {
        helper = 1;
        CHECK(rc.s[s].next_i == 1000, "rank %d: helper thread count", r);
      }
      CHECK(rc.s[s].phase == 0, "rank %d: a work action is cut", r);
    }
    CHECK(big == (c->array && r == size - 1), "rank %d: big action", r);
    CHECK(rc.big_leaf == big, "rank %d: big is not a leaf record", r);
    CHECK(helper == c->threads, "rank %d: helper thread stream", r);
    /* The short actions of the main thread are leaf rows (those of the
     * helper thread too, unless a flush took a start without its end). */
    long main_leaves = c->no_actions ? 0 : x.probes + x.ticks;
    CHECK(rc.leaf_rows[0] + rc.leaf_rows[1] == main_leaves,
          "rank %d: %ld probes and %ld ticks from leaf rows, of %ld and %ld", r,
          rc.leaf_rows[0], rc.leaf_rows[1], x.probes, x.ticks);
    CHECK(!c->no_actions || rc.leaf_rows[2] == 0, "rank %d: leaf rows", r);
    CHECK(c->no_actions || !c->threads || rc.leaf_rows[2] > 900,
          "rank %d: %ld of the helper's 1000 actions are leaf rows", r,
          rc.leaf_rows[2]);
    /* /actions: a row for every action, as its records say. */
    lr_actions_report ar;
    e = lr_check_actions(&log, (uint32_t)r, &ar);
    CHECK(e == 0, "rank %d: /actions check: %s", r, weft_errmsg());
    CHECK(ar.mismatches == 0, "rank %d: %llu /actions mismatches, first: %s", r,
          (unsigned long long)ar.mismatches, ar.first);
    uint64_t every = (uint64_t)(n + x.probes + x.ticks) +
                     (c->threads ? 1000 : 0) + (uint64_t)big;
    uint64_t leaves =
        (uint64_t)(rc.leaf_rows[0] + rc.leaf_rows[1] + rc.leaf_rows[2]);
    leaf_rows += ar.leaf_rows;
    if (c->no_actions) {
      CHECK(ar.rows == 0, "rank %d: %llu /actions rows with WEFT_ACTIONS=0", r,
            (unsigned long long)ar.rows);
    } else {
      CHECK(ar.rows == every && ar.leaf_rows == leaves &&
                ar.derived_rows == every - leaves,
            "rank %d: %llu /actions rows (%llu leaf rows), expected %llu "
            "(%llu)",
            r, (unsigned long long)ar.rows, (unsigned long long)ar.leaf_rows,
            (unsigned long long)every, (unsigned long long)leaves);
      CHECK(ar.failed == (uint64_t)failed && ar.unfinished == 0 &&
                ar.succeeded == every - (uint64_t)failed,
            "rank %d: %llu failed and %llu unfinished rows, logged %ld and 0",
            r, (unsigned long long)ar.failed, (unsigned long long)ar.unfinished,
            failed);
    }
    CHECK(log.ranks[r].rank == (uint32_t)r && log.ranks[r].pid > 0 &&
              log.ranks[r].host[0] && log.ranks[r].cmdline_len > 0 &&
              log.ranks[r].mpi_library_len > 0,
          "rank %d: /ranks row", r);
    const lr_rank *rr = &log.ranks[r];
    CHECK(!strcmp(rr->slurm_job_id, getenv("SLURM_JOB_ID")) &&
              !strcmp(rr->slurm_step_id, getenv("SLURM_STEP_ID")) &&
              !strcmp(rr->slurm_array_job_id, getenv("SLURM_ARRAY_JOB_ID")) &&
              !strcmp(rr->slurm_array_task_id, getenv("SLURM_ARRAY_TASK_ID")) &&
              !strcmp(rr->slurm_partition, getenv("SLURM_JOB_PARTITION")) &&
              rr->slurm_job_end_time == atoll(getenv("SLURM_JOB_END_TIME")) &&
              rr->nodelist_len == strlen(getenv("SLURM_JOB_NODELIST")) &&
              !memcmp(log.strings + rr->nodelist_off,
                      getenv("SLURM_JOB_NODELIST"), rr->nodelist_len),
          "rank %d: Slurm context", r);
    CHECK(rr->start_wall_ns > 1600000000LL * 1000000000LL,
          "rank %d: start time", r);
    /* Threads that logged: the main thread unless it logged nothing. */
    uint32_t threads =
        (uint32_t)((n > 0 || (c->array && r == size - 1)) + c->threads);
    CHECK(log.ranks[r].threads == threads, "rank %d: threads %u, want %u", r,
          log.ranks[r].threads, threads);
  }
  CHECK(c->no_actions ? log.c.actions == 0 : leaf_rows > 0,
        "%llu /actions rows, %llu leaf rows", (unsigned long long)log.c.actions,
        (unsigned long long)leaf_rows);
  CHECK(c->no_actions ? log.c.order == 0 : log.c.order > 0, "%llu /order bytes",
        (unsigned long long)log.c.order);
  if (log.ambiguous)
    printf("%llu leaf rows whose start two times fit (the earlier taken)\n",
           (unsigned long long)log.ambiguous);
  lr_close(&log);
}

static void write_json(const config *c, int size) {
  FILE *f = fopen(c->json, "w");
  if (!f) {
    CHECK(0, "cannot write %s", c->json);
    return;
  }
  fprintf(f,
          "{\"path\": \"%s\", \"ranks\": %d, \"array_rank\": %d, "
          "\"helper_actions\": %d, \"epochs\": %ld, \"actions\": %s, "
          "\"per_rank\": [",
          c->path, size, c->array ? size - 1 : -1, c->threads ? 1000 : 0,
          c->steps / c->flush_every + 2, c->no_actions ? "false" : "true");
  for (int r = 0; r < size; r++) {
    long n = actions_of_rank(c, r), failed = 0, notes = 0;
    for (long i = 0; i < n; i++) {
      failed += is_failed(i);
      notes += has_note(i);
    }
    /* probes and ticks: i runs from 0 on each rank */
    extras x = extras_of_rank(c, r);
    fprintf(f,
            "%s{\"rank\": %d, \"work\": %ld, \"failed\": %ld, "
            "\"notes\": %ld, \"probes\": %ld, \"ticks\": %ld}",
            r ? ", " : "", r, n, failed, notes, x.probes, x.ticks);
  }
  fprintf(f, "]}\n");
  fclose(f);
}

static int parse(int argc, char **argv, config *c) {
  *c = (config){.per_rank = 1000, .steps = 10, .flush_every = 3};
  if (argc < 2)
    return -1;
  c->path = argv[1];
  for (int i = 2; i < argc; i++) {
    if (!strcmp(argv[i], "--per-rank") && i + 1 < argc)
      c->per_rank = atol(argv[++i]);
    else if (!strcmp(argv[i], "--steps") && i + 1 < argc)
      c->steps = atol(argv[++i]);
    else if (!strcmp(argv[i], "--flush-every") && i + 1 < argc)
      c->flush_every = atol(argv[++i]);
    else if (!strcmp(argv[i], "--json") && i + 1 < argc)
      c->json = argv[++i];
    else if (!strcmp(argv[i], "--zero-rank"))
      c->zero_rank = 1;
    else if (!strcmp(argv[i], "--array"))
      c->array = 1;
    else if (!strcmp(argv[i], "--threads"))
      c->threads = 1;
    else if (!strcmp(argv[i], "--no-actions"))
      c->no_actions = 1;
    else
      return -1;
  }
  return c->steps > 0 && c->flush_every > 0 ? 0 : -1;
}

int main(int argc, char **argv) {
  config c;
  MPI_Init(&argc, &argv);
  int rank, size;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (parse(argc, argv, &c) != 0) {
    if (rank == 0)
      fprintf(stderr, "usage: test_log OUT.h5 [--per-rank N] [--steps S] "
                      "[--flush-every F] [--zero-rank] [--array] "
                      "[--threads] [--json FILE] [--no-actions]\n");
    MPI_Finalize();
    return 2;
  }
  if (rank == 0)
    remove(c.path);
  MPI_Barrier(MPI_COMM_WORLD);

  /* The path through the environment, and a Slurm context to record
   * (kept when the test really runs under Slurm). */
  setenv("WEFT_FILE", c.path, 1);
  if (c.no_actions && rank == 0) /* the file's rule is rank 0's */
    setenv("WEFT_ACTIONS", "0", 1);
  setenv("SLURM_JOB_ID", "4242", 0);
  setenv("SLURM_STEP_ID", "0", 0);
  setenv("SLURM_ARRAY_JOB_ID", "4240", 0);
  setenv("SLURM_ARRAY_TASK_ID", "2", 0);
  setenv("SLURM_JOB_NODELIST", "node[01-04]", 0);
  setenv("SLURM_JOB_PARTITION", "debug", 0);
  setenv("SLURM_JOB_END_TIME", "1800000000", 0);
  int rc = weft_mpi_init(MPI_COMM_WORLD, NULL);
  CHECK(rc != 0 || !strcmp(weft_mpi_path(), c.path), "weft_mpi_path");
  CHECK(rc == 0, "weft_mpi_init: %s", weft_errmsg());
  if (rc != 0) { /* every rank gets the same result: nothing to check */
    MPI_Finalize();
    return 1;
  }
  pthread_t helper;
  thread_arg targ = {.rank = rank, .n = 1000};
  if (c.threads)
    pthread_create(&helper, NULL, thread_main, &targ);
  oracle o = {.thread = -1};
  int64_t i = 0;
  for (long s = 0; rc == 0 && s < c.steps; s++) {
    long n = actions_in_step(&c, rank, s);
    if (n > 0) /* the first item of its segment, when a flush came before */
      rc = log_tick((uint64_t)s, -1);
    for (long k = 0; k < n && rc == 0; k++)
      rc = log_work(i++, rank, (uint64_t)s);
    CHECK(rc == 0, "logging: %s", weft_errmsg());
    if ((s + 1) % c.flush_every == 0) {
      oracle_take(&o);
      int f = weft_mpi_flush();
      CHECK(f == 0, "weft_mpi_flush: %s", weft_errmsg());
    }
  }
  if (c.array && rank == size - 1)
    CHECK(log_big() == 0, "big: %s", weft_errmsg());
  if (c.threads) {
    pthread_join(helper, NULL);
    CHECK(targ.rc == 0, "helper thread: %s", weft_err_name(targ.rc));
  }
  weft_stats st;
  CHECK(weft_stats_get(&st) == 0 && st.dropped == 0,
        "rank %d dropped events (%s)", rank, weft_errmsg());
  oracle_take(&o);
  rc = weft_mpi_finalize();
  CHECK(rc == 0, "weft_mpi_finalize: %s", weft_errmsg());
  if (o.d)
    weft__decoder_free(o.d);

  long *counts = calloc((size_t)size, sizeof *counts);
  long *offsets = calloc((size_t)size, sizeof *offsets);
  int64_t *buffered = oracle_gather(&o, rank, size, counts, offsets);
  free(o.t);
  int all = all_ranks_failures(failures);
  if (rank == 0 && all == 0) {
    verify(&c, size, buffered, counts, offsets);
    if (c.json)
      write_json(&c, size);
  }
  free(buffered);
  free(counts);
  free(offsets);
  all = all_ranks_failures(failures);
  if (rank == 0)
    printf("%s: %d ranks, %s\n", c.path, size, all ? "FAILED" : "ok");
  MPI_Finalize();
  return all ? 1 : 0;
}
