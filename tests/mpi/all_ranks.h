/*
 * all_ranks.h - how the MPI test programs total their failures: a rank's
 * count alone says nothing about the job, and only rank 0 reports.
 */
#ifndef WEFT_TEST_ALL_RANKS_H
#define WEFT_TEST_ALL_RANKS_H

#include <mpi.h>
#include <stdio.h>

/* The failures of every rank, given this rank's (collective). */
static inline int all_ranks_failures(int mine) {
  int all = 0;
  MPI_Allreduce(&mine, &all, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  return all;
}

/* The end of a program: rank 0 prints "ok" or "FAILED", MPI_Finalize, and
 * the exit status (collective). */
static inline int all_ranks_finish(int mine) {
  int all = all_ranks_failures(mine), rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (rank == 0)
    printf("%s\n", all ? "FAILED" : "ok");
  MPI_Finalize();
  return all ? 1 : 0;
}

#endif /* WEFT_TEST_ALL_RANKS_H */
