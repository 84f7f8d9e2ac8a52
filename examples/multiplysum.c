/*
 * multiplysum.c - the talk's "badmath" example in C: the result is wrong,
 * and the trace shows which function is to blame.
 *
 *   multiplysum(1, 2, 4) should be (1 + 2) * 4 = 12, but prints 0.
 *
 * Each function opens an action named after itself with one line,
 * WEFT_FUNCTION (Eliot's @log_call), and records its return value as the
 * success field `result` with WEFT_RETURN_I64.  The trace shows
 * add(1, 2) = 3 and multiply(3, 4) = 0: multiply is wrong.
 *
 * It is an MPI program (run it alone, as a singleton, or under mpiexec)
 * that writes its trace with libweft-mpi to the HDF5 file given as its
 * argument (multiplysum.h5 by default); show the tree with
 *
 *   weft tree multiplysum.h5
 */
#include <weft_mpi.h>

#include <inttypes.h>
#include <stdio.h>

static int64_t add(int64_t a, int64_t b) {
  WEFT_FUNCTION(WEFT_I64("a", a), WEFT_I64("b", b));
  return WEFT_RETURN_I64(a + b);
}

/* Multiplication by repeated addition, with the bug the trace finds: the
 * loop condition is reversed, so the loop never runs and 0 comes back. */
static int64_t multiply(int64_t a, int64_t b) {
  WEFT_FUNCTION(WEFT_I64("a", a), WEFT_I64("b", b));
  int64_t product = 0;
  for (int64_t i = 0; i > b; i++)
    product += a;
  return WEFT_RETURN_I64(product);
}

static int64_t multiplysum(int64_t a, int64_t b, int64_t c) {
  WEFT_FUNCTION(WEFT_I64("a", a), WEFT_I64("b", b), WEFT_I64("c", c));
  return WEFT_RETURN_I64(multiply(add(a, b), c));
}

/* Report a failed weft call; weft_errmsg() has the detail (for libweft-mpi
 * errors it names the rank and the file). */
static int fail(const char *what, int rc) {
  const char *detail = weft_errmsg();
  fprintf(stderr, "multiplysum: %s: %s\n", what,
          detail[0] ? detail : weft_strerror(rc));
  return 1;
}

int main(int argc, char **argv) {
  const char *path = argc > 1 ? argv[1] : "multiplysum.h5";
  MPI_Init(&argc, &argv);
  int rank;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  int rc = weft_mpi_init(MPI_COMM_WORLD, path);
  if (rc != 0) {
    fail("weft_mpi_init", rc);
    MPI_Finalize();
    return 1;
  }

  int64_t result = multiplysum(1, 2, 4);
  if (rank == 0)
    printf("%" PRId64 "\n", result);

  rc = weft_mpi_finalize();
  MPI_Finalize();
  if (rc != 0)
    return fail("weft_mpi_finalize", rc);
  if (rank == 0)
    fprintf(stderr,
            "multiplysum: trace written to %s; see it with: weft tree "
            "%s\n",
            path, path);
  return 0;
}
