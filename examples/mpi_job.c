/*
 * mpi_job.c - a small traced MPI simulation, the job ./scripts/demo runs.
 *
 *   mpiexec -n 4 --oversubscribe build/examples/mpi_job [OUT.h5]
 *
 * (without OUT.h5 the log goes to $WEFT_FILE or the default name).
 *
 * Rank 0 starts the task "simulation" and hands its context to every rank
 * (weft_context_serialize + MPI_Bcast + weft_context_continue), so the
 * whole job is one causal tree.  Each rank then:
 *   setup      reads its part of the mesh;
 *   timestep   x STEPS, each with
 *     compute      cost depends on the input `x`; x = 9 is slow, and only
 *                  rank 2 gets it (every 4th step): the profile shows it;
 *     halo         exchanges boundary values with its neighbours;
 *     reduce       MPI_Allreduce of the residual (message "residual");
 *     validate     fails once on rank 3 (residual above tolerance) and is
 *                  retried;
 *   checkpoint every 5 steps: writes its field to a file, then the job
 *              flushes the log collectively (weft_mpi_flush).
 */
#include "weft_mpi.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define STEPS 12
#define CELLS 4096

static void busy_us(long us) {
  struct timespec t0, t;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  do
    clock_gettime(CLOCK_MONOTONIC, &t);
  while ((t.tv_sec - t0.tv_sec) * 1000000L + (t.tv_nsec - t0.tv_nsec) / 1000 <
         us);
}

/* The physics: its cost grows with x, and x = 9 hits a slow path. */
static double compute(double *field, int n, int64_t x) {
  WEFT_FUNCTION(WEFT_I64("x", x), WEFT_I64("cells", n));
  busy_us(x == 9 ? 20000 : 300 * x);
  double sum = 0;
  for (int i = 0; i < n; i++) {
    field[i] = 0.5 * field[i] + 0.25 * sin((double)(i + x));
    sum += field[i] * field[i];
  }
  return WEFT_RETURN_F64(sqrt(sum / n));
}

static void halo(double *field, int n, int rank, int size) {
  WEFT_WITH_ACTION(a, "halo", WEFT_I64("bytes", (int64_t)sizeof(double))) {
    int left = (rank + size - 1) % size, right = (rank + 1) % size;
    double in = 0;
    MPI_Sendrecv(&field[n - 1], 1, MPI_DOUBLE, right, 1, &in, 1, MPI_DOUBLE,
                 left, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    field[0] = 0.5 * (field[0] + in);
    WEFT_ADD(a, WEFT_I64("from", left), WEFT_I64("to", right));
  }
}

static double reduce(double local) {
  double global = 0;
  WEFT_WITH_ACTION(a, "reduce", WEFT_F64("local", local)) {
    MPI_Allreduce(&local, &global, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
    WEFT_LOG("residual", WEFT_F64("value", global));
    WEFT_ADD(a, WEFT_F64("global", global));
  }
  return global;
}

static void validate(int rank, int step, double residual) {
  for (int attempt = 1; attempt <= 2; attempt++) {
    weft_action a;
    WEFT_ACTION_START(&a, "validate", WEFT_I64("attempt", attempt),
                      WEFT_F64("residual", residual));
    if (rank == 3 && step == 7 && attempt == 1) {
      weft_action_fail(a, "residual above tolerance", 22);
      busy_us(2000); /* recompute a finer estimate, then retry */
      continue;
    }
    weft_action_succeed(a);
    break;
  }
}

static int checkpoint(const double *field, int n, int rank, int step) {
  char path[64];
  snprintf(path, sizeof path, "/tmp/mpi_job-%d-rank%d.dat", (int)getppid(),
           rank);
  int rc = 0;
  WEFT_WITH_ACTION(a, "checkpoint", WEFT_I64("step", step),
                   WEFT_STR("path", path)) {
    FILE *f = fopen(path, "wb");
    size_t wrote = f ? fwrite(field, sizeof *field, (size_t)n, f) : 0;
    if (f)
      fclose(f);
    if (wrote != (size_t)n) {
      weft_action_fail(a, "cannot write checkpoint", 5);
      rc = -1;
    } else {
      WEFT_ADD(a, WEFT_I64("bytes", (int64_t)(wrote * sizeof *field)));
    }
  }
  remove(path);
  return rc;
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int rank, size;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  int rc = weft_mpi_init(MPI_COMM_WORLD, argc > 1 ? argv[1] : NULL);
  if (rc != 0) {
    if (rank == 0)
      fprintf(stderr, "mpi_job: %s\n", weft_errmsg());
    MPI_Finalize();
    return 1;
  }

  /* One task for the whole job, continued on every rank. */
  char ctx[WEFT_CONTEXT_MAX] = "";
  weft_action sim = 0;
  if (rank == 0) {
    WEFT_ACTION_START(&sim, "simulation", WEFT_I64("ranks", size),
                      WEFT_I64("steps", STEPS));
    weft_context_serialize(sim, ctx, sizeof ctx, NULL);
  }
  MPI_Bcast(ctx, sizeof ctx, MPI_CHAR, 0, MPI_COMM_WORLD);
  /* Rank 0's part nests under "simulation" directly; the others continue
   * the serialized context (a thread with an open action cannot). */
  weft_action mine;
  weft_field who = WEFT_I64("rank", rank);
  if ((rank == 0
           ? weft_action_start(&mine, "rank_main", &who, 1)
           : weft_context_continue(&mine, ctx, "rank_main", &who, 1)) != 0)
    fprintf(stderr, "mpi_job: rank %d: %s\n", rank, weft_errmsg());

  double field[CELLS];
  WEFT_WITH_ACTION(s, "setup", WEFT_I64("cells", CELLS)) {
    for (int i = 0; i < CELLS; i++)
      field[i] = (double)((i * 31 + rank * 17) % 101) / 100.0;
    busy_us(1000 + 500 * rank);
    WEFT_LOG("mesh_loaded", WEFT_STR("file", "mesh.h5"),
             WEFT_I64("first_cell", (int64_t)rank * CELLS));
    WEFT_ADD(s, WEFT_I64("bytes", (int64_t)sizeof field));
  }

  for (int step = 0; step < STEPS; step++) {
    WEFT_WITH_ACTION(ts, "timestep", WEFT_I64("step", step)) {
      int64_t x = (rank == 2 && step % 4 == 1) ? 9 : 1 + (rank + step) % 4;
      double r = compute(field, CELLS, x);
      WEFT_ADD(ts, WEFT_I64("x", x));
      halo(field, CELLS, rank, size);
      double global = reduce(r);
      validate(rank, step, global);
      if (step % 5 == 4)
        checkpoint(field, CELLS, rank, step);
    }
    if (step % 5 == 4 && (rc = weft_mpi_flush()) != 0 && rank == 0)
      fprintf(stderr, "mpi_job: flush: %s\n", weft_errmsg());
  }

  weft_action_succeed(mine);
  MPI_Barrier(MPI_COMM_WORLD); /* every rank's part ends before the root */
  if (rank == 0)
    weft_action_succeed(sim);
  if ((rc = weft_mpi_finalize()) != 0 && rank == 0)
    fprintf(stderr, "mpi_job: finalize: %s\n", weft_errmsg());
  if (rank == 0 && rc == 0)
    printf("mpi_job: %d ranks, %d steps, log written\n", size, STEPS);
  MPI_Finalize();
  return rc ? 1 : 0;
}
