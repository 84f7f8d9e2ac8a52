/*
 * gen_view.c - writes a Weft log for the tests of `weft view` and
 * `weft flame`.  Run under mpiexec with 4 ranks: gen_view PATH.
 *
 * Rank 0 opens "job" {nranks, note, big = 2^53 + 1, ids = [7, 2^53 + 1]}
 * and serializes its context; every
 * rank continues it as "solve" {n = rank} (rank 0 on a second thread, so
 * that rank has two lanes).  A solve runs four "compute" {arg = i} actions
 * of 1 ms (rank 2's third takes 15 ms) with result = 3 * arg, each
 * followed by a "progress" {i, html} message; rank 1 also runs an action
 * whose type holds XML and HTML specials; rank 3's solve fails.  Field
 * values try to close the page's <script> element: the tests check that
 * they show up as text and run nothing.
 */
#include "weft.h"
#include "weft_mpi.h"

#include <mpi.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define NOTE "</script><script>window.weftPwned=1</script><!--"
#define REASON "diverged </script><img src=x onerror=\"window.weftPwned=2\">"

static int rank, size;

static void pause_ms(int ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

static void check(int rc, const char *what) {
  if (rc != 0) {
    fprintf(stderr, "gen_view rank %d: %s: %s (%s)\n", rank, what,
            weft_strerror(rc), weft_errmsg());
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
}

static void *solve(void *ctx) {
  weft_action s = 0;
  weft_field n = WEFT_I64("n", rank);
  check(weft_context_continue(&s, ctx, "solve", &n, 1), "continue");
  for (int i = 0; i < 4; i++) {
    weft_action c = 0;
    weft_field a = WEFT_I64("arg", i);
    check(weft_action_start(&c, "compute", &a, 1), "compute");
    pause_ms(rank == 2 && i == 2 ? 15 : 1);
    weft_field r = WEFT_I64("result", 3 * i);
    check(weft_action_add(c, &r, 1), "add");
    check(weft_action_succeed(c), "succeed");
    weft_field p[] = {WEFT_I64("i", i), WEFT_STR("html", "<b>&amp;</b>")};
    check(weft_message_log("progress", p, 2), "progress");
  }
  if (rank == 1) {
    weft_action w = 0;
    check(weft_action_start(&w, "io<write>&\"flush\"", NULL, 0), "io");
    pause_ms(2);
    check(weft_action_succeed(w), "io end");
  }
  if (rank == 3)
    check(weft_action_fail(s, REASON, 5), "fail");
  else
    check(weft_action_succeed(s), "succeed solve");
  return NULL;
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (argc != 2) {
    if (rank == 0)
      fprintf(stderr, "usage: gen_view PATH\n");
    MPI_Finalize();
    return 2;
  }
  check(weft_init(NULL), "init");
  check(weft_mpi_init(MPI_COMM_WORLD, argv[1]), "mpi init");
  char ctx[WEFT_CONTEXT_MAX];
  weft_action job = 0;
  if (rank == 0) {
    const int64_t ids[2] = {7, INT64_C(9007199254740993)};
    size_t nids = 2;
    weft_field f[] = {WEFT_I64("nranks", size), WEFT_STR("note", NOTE),
                      WEFT_I64("big", INT64_C(9007199254740993)),
                      WEFT_I64_ARRAY("ids", ids, 1, &nids)};
    check(weft_action_start(&job, "job", f, 4), "job");
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
  MPI_Barrier(MPI_COMM_WORLD);
  if (rank == 0)
    check(weft_action_succeed(job), "job end");
  check(weft_mpi_finalize(), "finalize");
  weft_shutdown();
  MPI_Finalize();
  return 0;
}
