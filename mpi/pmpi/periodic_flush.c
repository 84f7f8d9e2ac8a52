/*
 * periodic_flush.c - WEFT_PMPI_FLUSH_EVERY=N: for a long program that
 * does not use Weft itself, open the log at MPI_Init and flush it after
 * every N-th collective on MPI_COMM_WORLD, so that the buffers never fill
 * (events beyond the buffer budget would be dropped) and the log can be
 * read while the job runs.
 *
 * Every rank calls the collectives of MPI_COMM_WORLD in the same order,
 * so every rank reaches the N-th one and enters the collective flush
 * together; nothing else is needed to agree on when to flush.  The
 * flush runs inside the guard: its MPI and HDF5 traffic is not traced.
 * Without the variable (or with 0) the log is written at MPI_Finalize.
 */
#include "pmpi.h"

#include <stdio.h>
#include <stdlib.h>

static uint64_t every;

void pm_flush_setup(void) {
  const char *v = getenv("WEFT_PMPI_FLUSH_EVERY");
  char *end = NULL;
  unsigned long long n = v && *v ? strtoull(v, &end, 10) : 0;
  every = end && *end ? 0 : n; /* not a number: never */
  /* Every rank flushes at the same collectives or none does (an MPMD
   * launch may set it for some programs only). */
  uint64_t mine[2] = {every, ~every}, lim[2] = {0, 0};
  PMPI_Allreduce(mine, lim, 2, MPI_UINT64_T, MPI_MAX, MPI_COMM_WORLD);
  if (lim[0] != ~lim[1]) {
    if (pm.world_rank == 0)
      fprintf(stderr, "weft: libweft-pmpi: WEFT_PMPI_FLUSH_EVERY differs "
                      "between ranks: the log is written at MPI_Finalize\n");
    every = 0;
  }
  if (!every || !pm.owns_weft)
    return;
  weft__mpi_guard_enter();
  if (weft_mpi_init(MPI_COMM_WORLD, NULL) != WEFT_OK)
    every = 0; /* the log is then attempted again at MPI_Finalize */
  weft__mpi_guard_leave();
}

void pm_flush_after(MPI_Comm comm) {
  if (!every || comm != MPI_COMM_WORLD || !weft_mpi_path())
    return;
  pm_lock();
  uint64_t done = pm_comm_get(MPI_COMM_WORLD)->coll_seq;
  pm_unlock();
  if (done % every)
    return;
  weft__mpi_guard_enter();
  weft_mpi_flush();
  weft__mpi_guard_leave();
}
