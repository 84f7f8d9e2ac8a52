/*
 * unmodified_mpi.c - a plain MPI program: no Weft call anywhere.  It is
 * traced from outside, with the PMPI library preloaded:
 *
 *   LD_PRELOAD=build/mpi/pmpi/libweft-pmpi.so WEFT_FILE=ring.h5 \
 *     mpiexec -n 4 --oversubscribe build/examples/unmodified_mpi
 *   build/tools/weft tree ring.h5
 *
 * (with Open MPI, `mpiexec -x LD_PRELOAD=...` sets it for the ranks only).
 * The job: a token passed around a ring of ranks, a halo exchange with
 * non-blocking calls, a broadcast and a reduction, a split communicator,
 * and one collective MPI-IO write.  libweft-pmpi records every call as an
 * action under one job-wide action and writes the log at MPI_Finalize.
 */
#include <mpi.h>

#include <stdio.h>
#include <string.h>

#define HALO 256

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  int left = (rank + size - 1) % size, right = (rank + 1) % size;

  /* A token around the ring: rank 0 starts it, each rank adds itself. */
  long token = 0;
  if (size > 1) {
    if (rank == 0) {
      MPI_Send(&token, 1, MPI_LONG, right, 1, MPI_COMM_WORLD);
      MPI_Recv(&token, 1, MPI_LONG, left, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    } else {
      MPI_Recv(&token, 1, MPI_LONG, left, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      token += rank;
      MPI_Send(&token, 1, MPI_LONG, right, 1, MPI_COMM_WORLD);
    }
  }

  /* Halo exchange with both neighbours. */
  double out[2][HALO], in[2][HALO];
  for (int i = 0; i < HALO; i++)
    out[0][i] = out[1][i] = rank + i * 1e-3;
  MPI_Request req[4];
  MPI_Irecv(in[0], HALO, MPI_DOUBLE, left, 2, MPI_COMM_WORLD, &req[0]);
  MPI_Irecv(in[1], HALO, MPI_DOUBLE, right, 3, MPI_COMM_WORLD, &req[1]);
  MPI_Isend(out[0], HALO, MPI_DOUBLE, right, 2, MPI_COMM_WORLD, &req[2]);
  MPI_Isend(out[1], HALO, MPI_DOUBLE, left, 3, MPI_COMM_WORLD, &req[3]);
  MPI_Waitall(4, req, MPI_STATUSES_IGNORE);

  /* Parameters from rank 0, a global residual. */
  int params[4] = {7, 42, 0, 0};
  MPI_Bcast(params, 4, MPI_INT, 0, MPI_COMM_WORLD);
  double local = in[0][0] + in[1][0], total = 0;
  MPI_Allreduce(&local, &total, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);

  /* Even and odd ranks reduce separately. */
  MPI_Comm half;
  MPI_Comm_split(MPI_COMM_WORLD, rank % 2, rank, &half);
  int one = 1, count = 0;
  MPI_Allreduce(&one, &count, 1, MPI_INT, MPI_SUM, half);
  MPI_Comm_free(&half);

  /* Every rank writes its block of a shared file. */
  const char *path = argc > 1 ? argv[1] : "unmodified_mpi.dat";
  MPI_File fh;
  if (MPI_File_open(MPI_COMM_WORLD, path, MPI_MODE_CREATE | MPI_MODE_WRONLY,
                    MPI_INFO_NULL, &fh) == MPI_SUCCESS) {
    MPI_File_write_at_all(fh, (MPI_Offset)rank * HALO * sizeof(double), out[0],
                          HALO, MPI_DOUBLE, MPI_STATUS_IGNORE);
    MPI_File_close(&fh);
  }
  MPI_Barrier(MPI_COMM_WORLD);
  if (rank == 0)
    printf("token %ld, total %.3f, half %d\n", token, total, count);
  MPI_Finalize();
  return 0;
}
