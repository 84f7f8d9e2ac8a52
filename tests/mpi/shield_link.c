/*
 * shield_link.c - the metadata shield (mpi/src/metadata_shield.c) with
 * the shared libweft-mpi, as applications link it, in both link orders.
 *
 *   shield_link LOG shielded     libweft-mpi comes before the MPI library:
 *                                a flush whose metadata write fails (the
 *                                shim's write_below:4096) returns WEFT_EIO
 *                                on every rank instead of hanging, and
 *                                finalize refuses the damaged log
 *   shield_link LOG unshielded   the MPI library comes first, so HDF5's
 *                                MPI_File_write_at is MPI's own: the job
 *                                runs normally (nothing fails here), and
 *                                shield_link.sh checks that the log says
 *                                weft:no_shield
 *
 * Only the public API: the two programs differ in their link order alone
 * (tests/mpi/CMakeLists.txt).
 */
#include "all_ranks.h"
#include "check.h"
#include "enospc_shim.h"
#include "weft_mpi.h"

#include <stdlib.h>
#include <string.h>

static void log_some(const char *type, int rank, int n) {
  for (int i = 0; i < n; i++) {
    weft_action a;
    weft_field f[2] = {WEFT_I64("i", i), WEFT_I64("rank", rank)};
    CHECK(weft_action_start(&a, type, f, 2) == 0, "start: %s", weft_errmsg());
    CHECK(weft_action_succeed(a) == 0, "succeed: %s", weft_errmsg());
  }
}

/* rc is `want` on every rank. */
static void expect(int rc, int want, const char *what) {
  int lo = 0, hi = 0;
  MPI_Allreduce(&rc, &lo, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  MPI_Allreduce(&rc, &hi, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  CHECK(lo == want && hi == want, "%s: got %s..%s (%s), want %s", what,
        weft_err_name(lo), weft_err_name(hi), weft_errmsg(),
        weft_err_name(want));
}

int main(int argc, char **argv) {
  if (argc != 3 ||
      (strcmp(argv[2], "shielded") && strcmp(argv[2], "unshielded"))) {
    fprintf(stderr, "usage: shield_link LOG shielded|unshielded\n");
    return 2;
  }
  int shielded = !strcmp(argv[2], "shielded");
  MPI_Init(&argc, &argv);
  int rank;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (rank == 0)
    remove(argv[1]);
  MPI_Barrier(MPI_COMM_WORLD);
  setenv("WEFT_TEST_ENOSPC_FILE", argv[1], 1);
  setenv("WEFT_TEST_ENOSPC", "off", 1);
  expect(weft_mpi_init(MPI_COMM_WORLD, argv[1]), WEFT_OK, "init");
  log_some("before", rank, 200);
  expect(weft_mpi_flush(), WEFT_OK, "flush");
  log_some("after", rank, 300);
  if (shielded) {
    enospc_shim_tally t0, t1;
    enospc_shim_counts(&t0);
    setenv("WEFT_TEST_ENOSPC", "write_below:4096", 1);
    expect(weft_mpi_flush(), WEFT_EIO, "flush, a metadata write fails");
    setenv("WEFT_TEST_ENOSPC", "off", 1);
    enospc_shim_counts(&t1);
    long mine = (long)(t1.injected[ENOSPC_SHIM_PWRITE] +
                       t1.injected[ENOSPC_SHIM_PWRITEV] -
                       t0.injected[ENOSPC_SHIM_PWRITE] -
                       t0.injected[ENOSPC_SHIM_PWRITEV]),
         all = 0;
    MPI_Allreduce(&mine, &all, 1, MPI_LONG, MPI_SUM, MPI_COMM_WORLD);
    CHECK(all > 0, "no write failure injected (the shim is not there?)");
    expect(weft_mpi_finalize(), WEFT_EIO, "finalize, damaged log");
  } else {
    expect(weft_mpi_finalize(), WEFT_OK, "finalize");
  }
  return all_ranks_finish(failures);
}
