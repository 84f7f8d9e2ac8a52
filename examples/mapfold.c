/*
 * mapfold.c - the talk's Dask example (bag.map(multiply).fold(add)) as an
 * MPI job traced into one tree.
 *
 *   mpiexec -n 3 --oversubscribe build/examples/mapfold [OUT.h5]
 *   build/tools/weft tree OUT.h5
 *
 * Rank 0 opens "main_computation" over the sequence 1..P (one element per
 * rank).  Three collective actions (weft_mpi_action_start) then give that
 * action one child per phase with a part on every rank:
 *   scatter   MPI_Scatter hands rank r the element r + 1;
 *   map       each rank calls multiply(x, y=7), an action of its own;
 *   fold      MPI_Reduce with a user-defined operation that calls
 *             add(a, b) for every pair it combines, so the additions show
 *             up on whichever rank MPI ran them.
 * With 3 ranks the result is 7 + 14 + 21 = 42, as in the talk.  Run it
 * with LD_PRELOAD=libweft-pmpi.so and the MPI calls themselves appear
 * inside the phases as well.
 */
#include "weft_mpi.h"

#include <stdio.h>

static int64_t multiply(int64_t x, int64_t y) {
  WEFT_FUNCTION(WEFT_I64("x", x), WEFT_I64("y", y));
  return WEFT_RETURN_I64(x * y);
}

static int64_t add(int64_t x, int64_t y) {
  WEFT_FUNCTION(WEFT_I64("x", x), WEFT_I64("y", y));
  return WEFT_RETURN_I64(x + y);
}

/* The MPI reduction operation: inout[i] = add(in[i], inout[i]). */
static void add_op(void *in, void *inout, int *len, MPI_Datatype *dt) {
  (void)dt;
  const int64_t *a = in;
  int64_t *b = inout;
  for (int i = 0; i < *len; i++)
    b[i] = add(a[i], b[i]);
}

/* Finish a phase action; report a failure of the phase. */
static int phase_end(weft_action a, int rc) {
  if (rc != MPI_SUCCESS)
    return weft_action_fail(a, "MPI call failed", rc);
  return weft_action_succeed(a);
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  int rc = weft_mpi_init(MPI_COMM_WORLD, argc > 1 ? argv[1] : NULL);
  if (rc < 0) {
    if (rank == 0)
      fprintf(stderr, "mapfold: %s\n", weft_errmsg());
    MPI_Finalize();
    return 1;
  }

  int64_t seq[64];
  int n = size < 64 ? size : 64;
  weft_action main_a = 0, a = 0;
  if (rank == 0) {
    for (int i = 0; i < n; i++)
      seq[i] = i + 1;
    size_t shape[1] = {(size_t)n};
    WEFT_ACTION_START(&main_a, "main_computation",
                      WEFT_I64_ARRAY("sequence", seq, 1, shape));
  }

  int64_t x = 0, y = 0, sum = 0;
  weft_field scatter_f[] = {WEFT_I64("elements", n)};
  weft_mpi_action_start(&a, MPI_COMM_WORLD, 0, "scatter", scatter_f, 1);
  rc = MPI_Scatter(seq, 1, MPI_INT64_T, &x, 1, MPI_INT64_T, 0, MPI_COMM_WORLD);
  phase_end(a, rc);

  weft_mpi_action_start(&a, MPI_COMM_WORLD, 0, "map", NULL, 0);
  y = multiply(x, 7);
  phase_end(a, MPI_SUCCESS);

  MPI_Op op;
  MPI_Op_create(add_op, 1, &op);
  weft_mpi_action_start(&a, MPI_COMM_WORLD, 0, "fold", NULL, 0);
  rc = MPI_Reduce(&y, &sum, 1, MPI_INT64_T, op, 0, MPI_COMM_WORLD);
  if (rank == 0)
    WEFT_ADD(a, WEFT_I64("result", sum));
  phase_end(a, rc);
  MPI_Op_free(&op);

  if (rank == 0) {
    WEFT_ADD(main_a, WEFT_I64("result", sum));
    weft_action_succeed(main_a);
    printf("%lld\n", (long long)sum);
  }
  rc = weft_mpi_finalize();
  if (rc < 0 && rank == 0)
    fprintf(stderr, "mapfold: %s\n", weft_errmsg());
  MPI_Finalize();
  return rc < 0;
}
