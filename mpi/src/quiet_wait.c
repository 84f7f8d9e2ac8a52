/*
 * quiet_wait.c - waiting for the other ranks without taking a core from
 * them.
 *
 * MPI implementations wait by polling: Open MPI spins, and with more
 * ranks than cores (mpi_yield_when_idle) yields between polls, which still
 * keeps the waiting rank runnable and takes time slices from the ranks it
 * waits for.  The flush is where ranks wait longest for each other: they
 * reach it when they are done logging, not together (its first
 * collective waits quietly: the stop-flag agreement of weft_mpi_flush, a
 * barrier in weft_mpi_finalize), and large writes, which the kernel
 * serializes, end one rank after the other.  Here a rank polls
 * for a few microseconds (the common case on dedicated cores: the others
 * are there already) and then sleeps between polls, which frees its core
 * for a rank still logging (on the 2-core VM, with 4 ranks: 5 % of the
 * end-to-end cost of bench/flush) or for the application's own threads.
 * A sleep adds at most ~0.1 ms to a flush that takes milliseconds.
 */
#include "writer.h"

#include <time.h>

#define SPIN_NS 20000  /* poll this long before sleeping */
#define SLEEP_NS 50000 /* between polls after that */

static int64_t mono_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

int weft__quiet_wait(MPI_Request *rq) {
  int64_t spin_until = mono_ns() + SPIN_NS;
  for (;;) {
    int done = 0;
    if (PMPI_Test(rq, &done, MPI_STATUS_IGNORE) != MPI_SUCCESS) {
      /* Complete it anyway: the operation may still write into the
       * caller's buffers, which must not outlive it. */
      PMPI_Wait(rq, MPI_STATUS_IGNORE);
      return MPI_ERR_OTHER;
    }
    if (done)
      return MPI_SUCCESS;
    if (mono_ns() >= spin_until) {
      struct timespec nap = {0, SLEEP_NS};
      nanosleep(&nap, NULL);
    }
  }
}

/* A rank that cannot start the non-blocking operation still takes part
 * in the collective, the blocking way, so that the others are not left
 * waiting for it. */
int weft__quiet_allreduce(const void *in, void *out, int n, MPI_Datatype type,
                          MPI_Op op, MPI_Comm comm) {
  MPI_Request rq;
  if (PMPI_Iallreduce(in, out, n, type, op, comm, &rq) != MPI_SUCCESS)
    return PMPI_Allreduce(in, out, n, type, op, comm);
  return weft__quiet_wait(&rq);
}

int weft__quiet_barrier(MPI_Comm comm) {
  MPI_Request rq;
  int rc = PMPI_Ibarrier(comm, &rq) == MPI_SUCCESS ? weft__quiet_wait(&rq)
                                                   : PMPI_Barrier(comm);
  if (rc != MPI_SUCCESS)
    return weft__error(WEFT_EMPI, "MPI_Barrier failed");
  return WEFT_OK;
}
