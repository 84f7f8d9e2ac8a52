/*
 * fault_app.c - an MPI job that fails in a chosen way, for the fault
 * tests (fault.sh).
 *
 *   fault_app LOG COUNTS-DIR MODE STEP VICTIM [FLUSH-EVERY]
 *
 * Each rank opens an action "run", then does steps 0, 1, ...: a step is an
 * action "step" {i} holding an action "inner" {i} holding a message
 * "tick" {seq: i}.  After each step the rank writes i to COUNTS-DIR/<rank>
 * with pwrite(2): the test's counter of what was surely logged (the page
 * cache keeps it whatever kills the process).  Every FLUSH-EVERY steps (5)
 * the ranks call weft_mpi_flush.  At step STEP, inside "inner", rank VICTIM
 * (or every rank for the term modes) does MODE:
 *   kill9      SIGKILL itself
 *   segv       write through a NULL pointer
 *   abort      MPI_Abort
 *   term       rank VICTIM sends SIGTERM to every rank (as slurmstepd
 *              does at a time limit); the ranks go on to the next flush,
 *              which becomes the last one, and SIGTERM ends them
 *   term-kill  as term, but the ranks are busy for longer than the grace
 *              period: rank VICTIM sends SIGKILL to every rank 300 ms
 *              later (mpirun's kill sequence), before any flush
 *   usr1       rank VICTIM sends SIGUSR1 (sbatch --signal) to every rank:
 *              the next flush is the last and closes the log; the ranks
 *              run on to 3 * STEP steps and finish cleanly
 *   none       run 3 * STEP steps and finish cleanly
 *   closekill  run 3 * STEP steps, then rank VICTIM dies (SIGKILL) inside
 *              the H5Fclose of weft_mpi_finalize: the last flush's data
 *              was handed to HDF5 but its metadata never reached the file
 * In the modes that run on (usr1, none, closekill), at step 2 * STEP every
 * rank logs
 * an action "side" from a second thread: a thread that first logs after
 * the log was closed, which only `weft recover` can add to /ranks.
 */
#ifndef _GNU_SOURCE /* the build defines it for every file */
#define _GNU_SOURCE
#endif
#include "weft.h"
#include "weft_mpi.h"

#include <dlfcn.h>
#include <hdf5.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* closekill: this process dies in H5Fclose (libweft-mpi's call binds to
 * this definition, which the executable exports because the library
 * refers to the name). */
static int kill_in_close;

herr_t H5Fclose(hid_t file) {
  if (kill_in_close)
    raise(SIGKILL);
  /* POSIX lets dlsym's result be a function; ISO C needs the copy. */
  void *sym = dlsym(RTLD_NEXT, "H5Fclose");
  herr_t (*real)(hid_t) = NULL;
  memcpy(&real, &sym, sizeof real);
  return real ? real(file) : -1;
}

static void *side(void *arg) {
  weft_action a;
  WEFT_ACTION_START(&a, "side", WEFT_I64("rank", *(int *)arg));
  weft_action_succeed(a);
  return NULL;
}

static void nap(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0)
    ;
}

int main(int argc, char **argv) {
  if (argc < 6) {
    fprintf(stderr, "usage: fault_app LOG COUNTS-DIR MODE STEP VICTIM "
                    "[FLUSH-EVERY]\n");
    return 2;
  }
  const char *log = argv[1], *mode = argv[3];
  long step = atol(argv[4]), victim = atol(argv[5]);
  long every = argc > 6 ? atol(argv[6]) : 5;
  MPI_Init(&argc, &argv);
  int rank, size;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (weft_mpi_init(MPI_COMM_WORLD, log) != 0) {
    fprintf(stderr, "rank %d: weft_mpi_init: %s\n", rank, weft_errmsg());
    MPI_Abort(MPI_COMM_WORLD, 3);
  }
  int *pids = malloc((size_t)size * sizeof *pids);
  int me = (int)getpid();
  MPI_Allgather(&me, 1, MPI_INT, pids, 1, MPI_INT, MPI_COMM_WORLD);
  char path[4096];
  snprintf(path, sizeof path, "%s/%d", argv[2], rank);
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) {
    perror(path);
    MPI_Abort(MPI_COMM_WORLD, 3);
  }
  long last = !strcmp(mode, "none") || !strcmp(mode, "usr1") ||
                      !strcmp(mode, "closekill")
                  ? 3 * step
                  : 1000000;
  weft_action run;
  WEFT_ACTION_START(&run, "run", WEFT_I64("rank", rank));
  for (long i = 0; i < last; i++) {
    weft_action s, in;
    WEFT_ACTION_START(&s, "step", WEFT_I64("i", i));
    WEFT_ACTION_START(&in, "inner", WEFT_I64("i", i));
    WEFT_LOG("tick", WEFT_I64("seq", i), WEFT_I64("rank", rank));
    if (i == step) {
      if (rank == victim && !strcmp(mode, "kill9"))
        kill(getpid(), SIGKILL);
      if (rank == victim && !strcmp(mode, "segv")) {
        int *volatile nowhere = NULL;
        *nowhere = 1;
      }
      if (rank == victim && !strcmp(mode, "abort"))
        MPI_Abort(MPI_COMM_WORLD, 7);
      if (rank == victim &&
          (!strcmp(mode, "term") || !strcmp(mode, "term-kill")))
        for (int r = 0; r < size; r++)
          kill(pids[r], SIGTERM);
      if (rank == victim && !strcmp(mode, "usr1"))
        for (int r = 0; r < size; r++)
          kill(pids[r], SIGUSR1);
      if (!strcmp(mode, "term-kill")) {
        nap(300); /* busy: no safe point within the grace period */
        if (rank == victim) {
          for (int r = 0; r < size; r++)
            if (r != rank)
              kill(pids[r], SIGKILL);
          kill(getpid(), SIGKILL);
        }
        nap(5000);
      }
    }
    weft_action_succeed(in);
    weft_action_succeed(s);
    pthread_t th;
    if (last < 1000000 && i == 2 * step &&
        (pthread_create(&th, NULL, side, &rank) != 0 ||
         pthread_join(th, NULL) != 0))
      MPI_Abort(MPI_COMM_WORLD, 3);
    if (pwrite(fd, &i, sizeof i, 0) != (ssize_t)sizeof i)
      MPI_Abort(MPI_COMM_WORLD, 3);
    if (every > 0 && (i + 1) % every == 0 && weft_mpi_flush() != 0) {
      fprintf(stderr, "rank %d: weft_mpi_flush: %s\n", rank, weft_errmsg());
      MPI_Abort(MPI_COMM_WORLD, 3);
    }
  }
  weft_action_succeed(run);
  close(fd);
  free(pids);
  kill_in_close = rank == victim && !strcmp(mode, "closekill");
  int rc = weft_mpi_finalize();
  MPI_Finalize();
  return rc == 0 ? 0 : 1;
}
