/*
 * test_log.c - every rank logs a known, rank-dependent sequence, the job
 * writes one log collectively, and rank 0 reads the file back (log_reader.c,
 * written from docs/format.md) and compares every decoded event with what
 * each rank logged.
 *
 *   test_log OUT.h5 [--per-rank N] [--steps S] [--flush-every F]
 *                   [--zero-rank] [--array] [--threads] [--json FILE]
 *                   [--every-row | --no-actions]
 *
 * Rank r logs, in each of S steps, a number of "work" actions that depends
 * on r and the step (uneven buffers; with --zero-rank, rank 1 logs
 * nothing at all), all ranks flush every F steps, --array adds an action
 * with a 10^6-element double array, --threads adds a second logging thread
 * per rank.  Every 11th work action lasts at least 3 us, so that it has a
 * row in /actions under the default WEFT_ACTIONS_MIN_NS (1000 ns);
 * --every-row sets WEFT_ACTIONS_MIN_NS=0 on rank 0 only (the rule of the
 * file is rank 0's, whatever the other ranks' environment says);
 * --no-actions sets WEFT_ACTIONS=0 the same way (no /actions rows at all).
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

#define BIG_N 1000000

typedef struct config {
  const char *path;
  long per_rank, steps, flush_every;
  int zero_rank, array, threads, every_row, no_actions;
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

static void spin_ns(int64_t ns) {
  int64_t t0 = weft_clock_now();
  while (weft_clock_now() - t0 < ns)
    ;
}

static int log_work(int64_t i, int rank) {
  weft_action a;
  int rc =
      WEFT_ACTION_START(&a, "work", WEFT_I64("i", i), WEFT_I64("rank", rank));
  if (rc < 0)
    return rc;
  if (has_note(i)) {
    char s[32];
    snprintf(s, sizeof s, "n%lld", (long long)i);
    if ((rc = WEFT_LOG("note", WEFT_STR("s", s))) < 0)
      return rc;
  }
  if (is_slow(i))
    spin_ns(3000);
  if (is_failed(i))
    return weft_action_fail(a, "odd", i);
  if ((rc = WEFT_ADD(a, WEFT_I64("sq", i * i))) < 0)
    return rc;
  return weft_action_succeed(a);
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
  int rank;
  stream_check s[8];
  long starts, failed, notes;
  int64_t min_ns; /* the log's actions_min_ns */
  long rows;      /* actions that must have an /actions row */
  long slow_rows; /* ... of them slow work actions */
} rank_check;

static const weft_value *field(const weft_event *e, const char *name) {
  return weft_event_field(e, name);
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
  /* The table's rule (docs/format.md): a row for every action that did
   * not succeed, and for the succeeded ones that took actions_min_ns. */
  if (e->kind == WEFT_KIND_FAILURE ||
      (e->kind == WEFT_KIND_SUCCESS && e->elapsed_ns >= rc->min_ns))
    rc->rows++;
  CHECK(e->t_ns >= s->last_t, "rank %d: time goes back", rc->rank);
  s->last_t = e->t_ns;
  if (!s->kind)
    s->kind = strcmp(e->type, "tw") == 0 ? 2 : 1;
  if (s->kind == 2) {
    if (e->kind == WEFT_KIND_START) {
      const weft_value *v = field(e, "i");
      CHECK(v && v->v.i64 == s->next_i, "rank %d: tw i", rc->rank);
      s->next_i++;
    }
    return 0;
  }
  if (strcmp(e->type, "big") == 0) {
    if (e->kind == WEFT_KIND_START) {
      const weft_value *v = field(e, "x");
      CHECK(v && v->type == WEFT_TYPE_F64_ARRAY && v->v.arr.count == BIG_N &&
                v->v.arr.ndim == 2 && v->v.arr.shape[0] == 1000 &&
                v->v.arr.min == 0.0 && v->v.arr.max == (BIG_N - 1) * 0.5 &&
                v->v.arr.nan_count == 0 && v->v.arr.kept >= 1,
            "rank %d: big array summary", rc->rank);
      s->big_seen = 1;
    }
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
    rc->starts++;
    s->phase = has_note(i) ? 1 : 2;
    break;
  }
  case WEFT_KIND_MESSAGE: {
    char want[32];
    snprintf(want, sizeof want, "n%lld", (long long)i);
    const weft_value *v = field(e, "s");
    CHECK(s->phase == 1 && strcmp(e->type, "note") == 0 && v &&
              strcmp(v->v.str.ptr, want) == 0,
          "rank %d: note of %lld", rc->rank, (long long)i);
    CHECK(e->level_len == 1 && e->level[0] == 2, "rank %d: note level",
          rc->rank);
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
    rc->slow_rows += is_slow(i) && e->elapsed_ns >= rc->min_ns;
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

static void verify(const config *c, int size) {
  lr_log log;
  if (lr_open(&log, c->path) != 0) {
    CHECK(0, "cannot read %s", c->path);
    return;
  }
  CHECK(log.closed, "state is not closed");
  CHECK(log.version[0] == 1, "format major %u", log.version[0]);
  CHECK(log.mpi_size == (uint32_t)size, "mpi_size");
  uint64_t flushes = (uint64_t)(c->steps / c->flush_every) + 2;
  CHECK(log.c.epochs == flushes, "epochs %llu, expected %llu",
        (unsigned long long)log.c.epochs, (unsigned long long)flushes);
  CHECK(log.c.flushes == flushes * (uint64_t)size, "flush rows");
  CHECK(log.actions_min_ns == (c->every_row ? 0 : 1000), "actions_min_ns %lld",
        (long long)log.actions_min_ns);
  uint64_t want_rows = 0, slow_rows = 0;
  for (int r = 0; r < size; r++) {
    rank_check rc;
    memset(&rc, 0, sizeof rc);
    rc.c = c;
    rc.rank = r;
    rc.min_ns = log.actions_min_ns;
    int e = lr_decode_rank(&log, (uint32_t)r, on_event, &rc);
    CHECK(e == 0, "rank %d: decode: %s", r, weft_errmsg());
    long n = actions_of_rank(c, r);
    CHECK(rc.s[0].next_i + rc.s[1].next_i >= n, "rank %d: work count", r);
    CHECK(rc.starts == n, "rank %d: %ld work actions in the file, logged %ld",
          r, rc.starts, n);
    long failed = 0, notes = 0;
    for (long i = 0; i < n; i++) {
      failed += is_failed(i);
      notes += has_note(i);
    }
    CHECK(rc.failed == failed && rc.notes == notes,
          "rank %d: failed/notes mismatch", r);
    want_rows += (uint64_t)rc.rows;
    slow_rows += (uint64_t)rc.slow_rows;
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
    CHECK(helper == c->threads, "rank %d: helper thread stream", r);
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
  CHECK(log.actions_table == !c->no_actions, "actions_table %d",
        log.actions_table);
  if (c->no_actions) {
    CHECK(log.c.actions == 0, "%llu /actions rows with WEFT_ACTIONS=0",
          (unsigned long long)log.c.actions);
    lr_close(&log);
    return;
  }
  /* /actions: one row per action that failed or took actions_min_ns,
   * statuses as logged; every slow work action among them. */
  CHECK(slow_rows > 0, "no slow work action has a row");
  if (log.c.actions) {
    uint64_t per_status[4] = {0};
    for (uint64_t i = 0; i < log.c.actions; i++) {
      const lr_action *a = &log.actions[i];
      per_status[a->status & 3]++;
      CHECK(a->end_ns >= a->start_ns - 1000 && a->elapsed_ns >= 0,
            "action row %llu times", (unsigned long long)i);
      CHECK(a->status != 1 || a->elapsed_ns >= log.actions_min_ns,
            "action row %llu: succeeded in %lld ns < actions_min_ns",
            (unsigned long long)i, (long long)a->elapsed_ns);
      const lr_record *ev = &log.events[a->start_event];
      CHECK(a->start_event < log.c.events && ev->size > 0,
            "action row %llu start_event", (unsigned long long)i);
      /* On the job's timeline, as its events say (the writer builds the
       * row before it takes the flush's clock sample, and maps it after). */
      int64_t start, end;
      lr_action_times(&log, a, &start, &end);
      CHECK(llabs(a->start_ns - start) <= 1 && llabs(a->end_ns - end) <= 1,
            "action row %llu: %lld..%lld on the timeline, its events say "
            "%lld..%lld",
            (unsigned long long)i, (long long)a->start_ns, (long long)a->end_ns,
            (long long)start, (long long)end);
    }
    uint64_t want = want_rows, want_failed = 0, every = 0;
    for (int r = 0; r < size; r++) {
      long n = actions_of_rank(c, r);
      every +=
          (uint64_t)n + (c->threads ? 1000 : 0) + (c->array && r == size - 1);
      for (long i = 0; i < n; i++)
        want_failed += (uint64_t)is_failed(i);
    }
    CHECK(!c->every_row || want == every, "every action must have a row");
    CHECK(log.c.actions == want, "actions rows %llu, expected %llu",
          (unsigned long long)log.c.actions, (unsigned long long)want);
    CHECK(per_status[2] == want_failed, "failed rows");
    CHECK(per_status[3] == 0, "unfinished rows");
  }
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
          "\"helper_actions\": %d, \"epochs\": %ld, \"every_row\": %s, "
          "\"per_rank\": [",
          c->path, size, c->array ? size - 1 : -1, c->threads ? 1000 : 0,
          c->steps / c->flush_every + 2, c->every_row ? "true" : "false");
  for (int r = 0; r < size; r++) {
    long n = actions_of_rank(c, r), failed = 0, notes = 0;
    for (long i = 0; i < n; i++) {
      failed += is_failed(i);
      notes += has_note(i);
    }
    fprintf(f,
            "%s{\"rank\": %d, \"work\": %ld, \"failed\": %ld, "
            "\"notes\": %ld}",
            r ? ", " : "", r, n, failed, notes);
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
    else if (!strcmp(argv[i], "--every-row"))
      c->every_row = 1;
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
      fprintf(stderr,
              "usage: test_log OUT.h5 [--per-rank N] [--steps S] "
              "[--flush-every F] [--zero-rank] [--array] "
              "[--threads] [--json FILE] [--every-row | --no-actions]\n");
    MPI_Finalize();
    return 2;
  }
  if (rank == 0)
    remove(c.path);
  MPI_Barrier(MPI_COMM_WORLD);

  /* The path through the environment, and a Slurm context to record
   * (kept when the test really runs under Slurm). */
  setenv("WEFT_FILE", c.path, 1);
  if (c.every_row && rank == 0) /* the file's rule is rank 0's */
    setenv("WEFT_ACTIONS_MIN_NS", "0", 1);
  if (c.no_actions && rank == 0)
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
  int64_t i = 0;
  for (long s = 0; rc == 0 && s < c.steps; s++) {
    long n = actions_in_step(&c, rank, s);
    for (long k = 0; k < n && rc == 0; k++)
      rc = log_work(i++, rank);
    CHECK(rc == 0, "logging: %s", weft_errmsg());
    if ((s + 1) % c.flush_every == 0) {
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
  rc = weft_mpi_finalize();
  CHECK(rc == 0, "weft_mpi_finalize: %s", weft_errmsg());

  int all = all_ranks_failures(failures);
  if (rank == 0 && all == 0) {
    verify(&c, size);
    if (c.json)
      write_json(&c, size);
  }
  all = all_ranks_failures(failures);
  if (rank == 0)
    printf("%s: %d ranks, %s\n", c.path, size, all ? "FAILED" : "ok");
  MPI_Finalize();
  return all ? 1 : 0;
}
