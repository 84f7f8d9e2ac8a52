/*
 * consumer_mpi.c - a program outside Weft using an installed libweft-mpi:
 * one traced action written to the HDF5 log named by argv[1], which must
 * exist afterwards.  Runs as a singleton or under mpiexec.
 */
#include <weft_mpi.h>

#include <stdio.h>
#include <sys/stat.h>

static int fail(const char *what, int err) {
  fprintf(stderr, "consumer_mpi: %s: %s (%s)\n", what, weft_strerror(err),
          weft_errmsg());
  return 1;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: consumer_mpi FILE.h5\n");
    return 2;
  }
  MPI_Init(&argc, &argv);
  int err = weft_mpi_init(MPI_COMM_WORLD, argv[1]);
  if (err < 0)
    return fail("weft_mpi_init", err);

  weft_action a = 0;
  weft_field n42 = {.name = "n", .type = WEFT_TYPE_I64, .v.i64 = 42};
  if ((err = weft_action_start(&a, "consumer:mpi", &n42, 1)) < 0)
    return fail("weft_action_start", err);
  if ((err = weft_action_succeed(a)) < 0)
    return fail("weft_action_succeed", err);
  if ((err = weft_mpi_finalize()) < 0)
    return fail("weft_mpi_finalize", err);
  MPI_Finalize();

  struct stat st;
  if (stat(argv[1], &st) != 0 || st.st_size == 0) {
    fprintf(stderr, "consumer_mpi: %s was not written\n", argv[1]);
    return 1;
  }
  printf("consumer_mpi: wrote %s (%lld bytes)\n", argv[1],
         (long long)st.st_size);
  return 0;
}
