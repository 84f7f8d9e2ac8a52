/*
 * complex_calc.c - the talk's "when is complex_calc() slow?" example in C.
 *
 * A profiler says complex_calc is slowish on average; the trace says it is
 * slow for one input.  main() runs complex_calc over its inputs inside a
 * "main" action (the block form, Eliot's `with start_action`), and each
 * complex_calc call is an action with its input as a field, so each call
 * in the tree carries its elapsed time beside its argument (from
 * `weft tree complex_calc.h5`):
 *
 *   +-- complex_calc (i: 7) => succeeded took 1ms
 *   +-- complex_calc (i: -12) => succeeded took 50ms
 *   +-- complex_calc (i: 4) => succeeded took 1ms
 *
 * It is an MPI program (run it alone, as a singleton, or under mpiexec)
 * that writes its trace with libweft-mpi to the HDF5 file given as its
 * argument (complex_calc.h5 by default); look at it with
 *
 *   weft tree complex_calc.h5
 *   weft profile complex_calc.h5
 */
#include <weft_mpi.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* The "calculation": iterate x = cos(x) (it converges to 0.739...) for a
 * fixed time, busy, not sleeping, so the cost is CPU time as in a real
 * calculation.  Input -12 takes 50 ms, every other input 1 ms. */
static double complex_calc(int64_t i) {
  WEFT_FUNCTION(WEFT_I64("i", i));
  int64_t budget_ns = i == -12 ? 50000000 : 1000000;
  int64_t t0 = weft_clock_now();
  double x = (double)i;
  while (weft_clock_now() - t0 < budget_ns)
    for (int k = 0; k < 100; k++)
      x = cos(x);
  return WEFT_RETURN_F64(x * (double)i);
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static const int64_t inputs[] = {13, 7, -12, 4, 0, 25, -3};
enum { N_INPUTS = sizeof inputs / sizeof inputs[0] };

static double run(void) {
  const size_t n = N_INPUTS;
  double median = 0;
  WEFT_WITH_ACTION(job, "main",
                   WEFT_I64_ARRAY("inputs", inputs, 1, (size_t[]){n})) {
    double results[N_INPUTS];
    for (size_t k = 0; k < n; k++)
      results[k] = complex_calc(inputs[k]);
    qsort(results, n, sizeof results[0], cmp_double);
    median = n % 2 ? results[n / 2] : (results[n / 2 - 1] + results[n / 2]) / 2;
    WEFT_ADD(job, WEFT_F64("median", median));
  }
  return median;
}

/* Report a failed weft call; weft_errmsg() has the detail (for libweft-mpi
 * errors it names the rank and the file). */
static int fail(const char *what, int rc) {
  const char *detail = weft_errmsg();
  fprintf(stderr, "complex_calc: %s: %s\n", what,
          detail[0] ? detail : weft_strerror(rc));
  return 1;
}

int main(int argc, char **argv) {
  const char *path = argc > 1 ? argv[1] : "complex_calc.h5";
  MPI_Init(&argc, &argv);
  int rank;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  int rc = weft_mpi_init(MPI_COMM_WORLD, path);
  if (rc != 0) {
    fail("weft_mpi_init", rc);
    MPI_Finalize();
    return 1;
  }

  double median = run();
  if (rank == 0)
    printf("median %g\n", median);

  rc = weft_mpi_finalize();
  MPI_Finalize();
  if (rc != 0)
    return fail("weft_mpi_finalize", rc);
  if (rank == 0)
    fprintf(stderr,
            "complex_calc: trace written to %s; see it with: weft "
            "tree %s\n",
            path, path);
  return 0;
}
