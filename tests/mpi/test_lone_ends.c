/*
 * test_lone_ends.c - ends whose starts went out in earlier flushes.
 *
 *   test_lone_ends OUT.h5
 *
 * Each of NT threads opens DEPTH nested actions, one thread per flush, so
 * every START is written by an earlier flush than its end; then all close
 * them and the last flush holds nothing but short SUCCESS records (8
 * bytes each, record.h), every one a 16-byte /events row of its own: the
 * rows take twice the records' bytes, which the flush's staging must hold
 * (a review found it reserved 4/3 and overran).  The log read back has
 * every start and every success, in nesting order per thread.
 *
 * The /actions rows of those actions span clock samples, and each rank's
 * main thread keeps one action open to the end (an unfinished row, ended
 * at the last sample); the last rank comes to weft_mpi_finalize late, so
 * the others count their records and wait.  Every action has one row, a
 * derived one (none is a short action), which must sit on the timeline
 * where its records say (the writer builds rows before it takes a flush's
 * clock sample and maps them after; lr_check_actions).
 */
#include "../check.h"
#include "log_reader.h"
#include "weft_mpi.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NT 6
#define DEPTH 120

static pthread_barrier_t opened, flushed, closed;

static void *worker(void *arg) {
  long k = (long)arg;
  weft_action a[DEPTH];
  for (int step = 0; step < NT; step++) {
    if (step == k)
      for (int i = 0; i < DEPTH; i++)
        CHECK(weft_action_start(&a[i], "deep", NULL, 0) == 0, "start: %s",
              weft_errmsg());
    pthread_barrier_wait(&opened);
    pthread_barrier_wait(&flushed);
  }
  for (int i = DEPTH - 1; i >= 0; i--)
    CHECK(weft_action_succeed(a[i]) == 0, "succeed: %s", weft_errmsg());
  pthread_barrier_wait(&closed);
  return NULL;
}

typedef struct tally {
  long started, succeeded, other;
} tally;

static int count(void *arg, uint64_t stream, const weft_event *ev) {
  (void)stream;
  tally *t = arg;
  if (ev->kind == WEFT_KIND_START && !strcmp(ev->type, "deep"))
    t->started++;
  else if (ev->kind == WEFT_KIND_SUCCESS && !strcmp(ev->type, "deep"))
    t->succeeded++;
  else
    t->other++;
  return 0;
}

int main(int argc, char **argv) {
  int prov, rank;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &prov);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (rank == 0 && argc == 2)
    remove(argv[1]); /* a rerun's: weft_mpi_init never overwrites a log */
  MPI_Barrier(MPI_COMM_WORLD);
  if (argc != 2 || weft_mpi_init(MPI_COMM_WORLD, argv[1]) != 0) {
    fprintf(stderr, "test_lone_ends: init: %s\n", weft_errmsg());
    return 1;
  }
  weft_action open;
  CHECK(weft_action_start(&open, "open", NULL, 0) == 0, "start: %s",
        weft_errmsg());
  pthread_barrier_init(&opened, NULL, NT + 1);
  pthread_barrier_init(&flushed, NULL, NT + 1);
  pthread_barrier_init(&closed, NULL, NT + 1);
  pthread_t th[NT];
  for (long k = 0; k < NT; k++)
    pthread_create(&th[k], NULL, worker, (void *)k);
  for (int step = 0; step < NT; step++) {
    pthread_barrier_wait(&opened);
    CHECK(weft_mpi_flush() == 0, "flush %d: %s", step, weft_errmsg());
    pthread_barrier_wait(&flushed);
  }
  pthread_barrier_wait(&closed);
  CHECK(weft_mpi_flush() == 0, "last flush: %s", weft_errmsg());
  for (long k = 0; k < NT; k++)
    pthread_join(th[k], NULL);
  int size;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (rank == size - 1)
    nanosleep(&(struct timespec){0, 50 * 1000 * 1000}, NULL);
  CHECK(weft_mpi_finalize() == 0, "finalize: %s", weft_errmsg());
  MPI_Barrier(MPI_COMM_WORLD);

  if (rank == 0) {
    lr_log log;
    CHECK(lr_open(&log, argv[1]) == 0, "reading %s: %s", argv[1],
          weft_errmsg());
    for (int r = 0; r < size && !failures; r++) {
      tally t = {0, 0, 0};
      CHECK(lr_decode_rank(&log, (uint32_t)r, count, &t) == 0,
            "rank %d: decoding: %s", r, weft_errmsg());
      CHECK(t.started == NT * DEPTH && t.succeeded == NT * DEPTH,
            "rank %d: %ld starts, %ld successes, expected %d of each", r,
            t.started, t.succeeded, NT * DEPTH);
    }
    uint64_t rows = 0;
    for (int r = 0; r < size && !failures; r++) {
      lr_actions_report ar;
      CHECK(lr_check_actions(&log, (uint32_t)r, &ar) == 0,
            "rank %d: /actions: %s", r, weft_errmsg());
      CHECK(ar.mismatches == 0, "rank %d: %llu /actions mismatches, first: %s",
            r, (unsigned long long)ar.mismatches, ar.first);
      CHECK(ar.succeeded == NT * DEPTH && ar.unfinished == 1 &&
                ar.failed == 0 && ar.leaf_rows == 0,
            "rank %d: %llu succeeded, %llu unfinished, %llu failed and %llu "
            "leaf rows in /actions, expected %d, 1, 0 and 0",
            r, (unsigned long long)ar.succeeded,
            (unsigned long long)ar.unfinished, (unsigned long long)ar.failed,
            (unsigned long long)ar.leaf_rows, NT * DEPTH);
      rows += ar.rows;
    }
    CHECK(failures || rows == log.c.actions, "%llu /actions rows of no rank",
          (unsigned long long)(log.c.actions - rows));
    if (!failures)
      lr_close(&log);
  }
  MPI_Finalize();
  if (failures)
    return 1;
  if (rank == 0)
    printf("%s: ok\n", argv[1]);
  return 0;
}
