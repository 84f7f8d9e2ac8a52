/*
 * gen_trace.c - writes a Weft log with known content for the tools' tests
 * and benchmark.  Run under mpiexec:
 *
 *   gen_trace PATH            the test job (below)
 *   gen_trace PATH N          benchmark: N "step" actions per rank, each
 *                             with one nested "kernel" action and a message
 *   gen_trace PATH crash      the test job up to the second compute of
 *                             every solve, a flush, then MPI_Abort: a log
 *                             left in state "writing" with open actions
 *   gen_trace PATH -- ARG...  the test job; the ARGs are only there to be
 *                             recorded in the log's command line
 *   gen_trace PATH idle       every rank but rank 1 runs one "work" action
 *                             of 1 ms; rank 1 logs nothing at all (not even
 *                             the global fields the other modes add)
 *
 * The test job: rank 0 opens "job" {nranks} and serializes its context;
 * every rank (rank 0 on a second thread) continues it as "solve" {n =
 * 10 * rank}; a solve runs five "compute" {arg} actions (arg = i, except
 * -12 on rank 1 at i = 3, which takes 20 ms instead of 1 ms) with success
 * field result = 2 * arg, and logs "progress" {i}; rank 0's solve adds
 * the success field "history": 5000 bytes of "0123456789" repeated, which
 * libweft cuts to its 4096-byte string_max; rank 2's solve fails
 * ("diverged", code 7); rank 3 leaves "hang" open (unfinished).  A flush
 * separates the solves from the end of "job", which logs "done".
 */
#include "weft.h"
#include "weft_mpi.h"

#include <mpi.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int rank, size, crash;

static void pause_ms(int ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

static void check(int rc, const char *what) {
  if (rc != 0) {
    fprintf(stderr, "gen_trace rank %d: %s: %s (%s)\n", rank, what,
            weft_strerror(rc), weft_errmsg());
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
}

static void *solve(void *ctx) {
  weft_action s = 0;
  weft_field n = WEFT_I64("n", 10 * rank);
  check(weft_context_continue(&s, ctx, "solve", &n, 1), "continue");
  for (int i = 0; i < 5; i++) {
    int64_t arg = rank == 1 && i == 3 ? -12 : i;
    weft_action c = 0;
    weft_field a = WEFT_I64("arg", arg);
    check(weft_action_start(&c, "compute", &a, 1), "compute");
    pause_ms(arg == -12 ? 20 : 1);
    weft_field r = WEFT_I64("result", 2 * arg);
    check(weft_action_add(c, &r, 1), "add");
    check(weft_action_succeed(c), "succeed");
    weft_field p = WEFT_I64("i", i);
    check(weft_message_log("progress", &p, 1), "progress");
    if (crash && i == 1)
      return NULL; /* the caller flushes and aborts */
  }
  if (rank == 0) {
    static char history[5001];
    for (size_t k = 0; k < sizeof history - 1; k++)
      history[k] = (char)('0' + k % 10);
    weft_field h = WEFT_STR("history", history);
    check(weft_action_add(s, &h, 1), "history");
  }
  if (rank == 2)
    check(weft_action_fail(s, "diverged", 7), "fail");
  else
    check(weft_action_succeed(s), "succeed solve");
  return NULL;
}

static void test_job(void) {
  char ctx[WEFT_CONTEXT_MAX];
  weft_action job = 0;
  if (rank == 0) {
    weft_field nr = WEFT_I64("nranks", size);
    check(weft_action_start(&job, "job", &nr, 1), "job");
    size_t len;
    check(weft_context_serialize(job, ctx, sizeof ctx, &len), "serialize");
  }
  MPI_Bcast(ctx, sizeof ctx, MPI_CHAR, 0, MPI_COMM_WORLD);
  if (rank == 0) {
    pthread_t th;
    pthread_create(&th, NULL, solve, ctx);
    pthread_join(th, NULL);
  } else {
    solve(ctx);
  }
  check(weft_mpi_flush(), "flush");
  if (crash)
    MPI_Abort(MPI_COMM_WORLD, 3);
  MPI_Barrier(MPI_COMM_WORLD);
  if (rank == 0) {
    check(weft_message_log("done", NULL, 0), "done");
    check(weft_action_succeed(job), "job end");
  }
  if (rank == 3) {
    weft_action h = 0;
    check(weft_action_start(&h, "hang", NULL, 0), "hang");
  }
}

static void idle_job(void) {
  if (rank == 1)
    return;
  weft_action w = 0;
  check(weft_action_start(&w, "work", NULL, 0), "work");
  pause_ms(1);
  check(weft_action_succeed(w), "work end");
}

static void bench_job(long n) {
  for (long i = 0; i < n; i++) {
    weft_action s = 0, k = 0;
    weft_field f = WEFT_I64("i", i);
    check(weft_action_start(&s, "step", &f, 1), "step");
    weft_field g = WEFT_I64("size", i & 1023);
    check(weft_action_start(&k, "kernel", &g, 1), "kernel");
    check(weft_action_succeed(k), "kernel end");
    check(weft_message_log("tick", &f, 1), "tick");
    check(weft_action_succeed(s), "step end");
    if ((i + 1) % 200000 == 0)
      check(weft_mpi_flush(), "flush");
  }
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (argc < 2) {
    if (rank == 0)
      fprintf(stderr, "usage: gen_trace PATH [N | crash | idle | -- ARG...]\n");
    MPI_Finalize();
    return 2;
  }
  weft_options o;
  weft_options_init(&o);
  o.buffer_budget = (size_t)1 << 30;
  /* WEFT_JOURNAL_DIR gives a crashed job journals, WEFT_BUFFER_BUDGET
   * smaller ones than 1 GiB a rank (tools.nomem). */
  check(weft_options_from_env(&o), "options");
  check(weft_init(&o), "init");
  check(weft_mpi_init(MPI_COMM_WORLD, argv[1]), "mpi init");
  int idle = argc > 2 && !strcmp(argv[2], "idle");
  weft_field g[] = {WEFT_STR("case", "gen_trace"), WEFT_I64("seed", 42)};
  if (!idle || rank != 1)
    check(weft_global_add(g, 2), "globals");
  crash = argc > 2 && !strcmp(argv[2], "crash");
  if (idle)
    idle_job();
  else if (argc > 2 && !crash && strcmp(argv[2], "--"))
    bench_job(atol(argv[2]));
  else
    test_job();
  check(weft_mpi_finalize(), "finalize");
  weft_shutdown();
  MPI_Finalize();
  return 0;
}
