/*
 * check_mapfold.c - checks the log of examples/mapfold run under
 * LD_PRELOAD=libweft-pmpi.so (the talk's map/fold as one tree).
 *
 *   check_mapfold LOG NRANKS
 *
 * On every rank r: the phases scatter, map and fold are children of rank
 * 0's main_computation (itself inside the job-wide mpi_job), all at the
 * same level; MPI_Scatter is inside scatter, MPI_Reduce inside fold;
 * multiply(x = r + 1, y = 7) is inside map with result 7 (r + 1).  The
 * fold's result on rank 0 is 7 P (P + 1) / 2, the sum of the add actions'
 * work.  No other MPI call is in the trace: the MPI traffic of Weft and of
 * HDF5 (weft_mpi_init, _finalize) is not recorded.
 */
#include "event_list.h"
#include "weft.h"

#include <mpi.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const el_event *start_of(const el_list *l, const char *type, int rank) {
  long i = el_find(l, WEFT_KIND_START, type, rank, 0);
  return i < 0 ? NULL : &l->e[i];
}

static int check(const el_list *l, int size) {
  const el_event *job = start_of(l, "mpi_job", 0);
  const el_event *mc = start_of(l, "main_computation", 0);
  if (!job || !mc || !el_child_of(mc, job))
    return el_fail("main_computation is not inside rank 0's mpi_job");
  const char *phase[] = {"scatter", "map", "fold"};
  const char *call[] = {"MPI_Scatter", NULL, "MPI_Reduce"};
  for (int r = 0; r < size; r++)
    for (int k = 0; k < 3; k++) {
      const el_event *p = start_of(l, phase[k], r);
      const el_event *p0 = start_of(l, phase[k], 0);
      if (!p || !el_child_of(p, mc) || strcmp(p->level, p0->level))
        return el_fail("rank %d: %s is not a child of main_computation", r,
                       phase[k]);
      const el_event *c = call[k] ? start_of(l, call[k], r) : NULL;
      if (call[k] && (!c || !el_child_of(c, p)))
        return el_fail("rank %d: %s is not inside %s", r, call[k], phase[k]);
    }
  for (int r = 0; r < size; r++) {
    long i = el_find(l, WEFT_KIND_START, "multiply", r, 0);
    long j = el_find(l, WEFT_KIND_SUCCESS, "multiply", r, 0);
    int64_t x = 0, res = 0;
    if (i < 0 || j < 0 || !el_child_of(&l->e[i], start_of(l, "map", r)) ||
        !el_field(&l->e[i], "x", &x) || x != r + 1 ||
        !el_field(&l->e[j], "result", &res) || res != 7 * (r + 1))
      return el_fail("rank %d: multiply(%lld) = %lld inside map?", r,
                     (long long)x, (long long)res);
  }
  long f = el_find(l, WEFT_KIND_SUCCESS, "fold", 0, 0);
  int64_t sum = 0, want = 7LL * size * (size + 1) / 2;
  if (f < 0 || !el_field(&l->e[f], "result", &sum) || sum != want)
    return el_fail("fold result %lld, want %lld", (long long)sum,
                   (long long)want);
  if (el_count(l, WEFT_KIND_START, "add", -1) != (size_t)(size - 1))
    return el_fail("%zu add actions, want %d",
                   el_count(l, WEFT_KIND_START, "add", -1), size - 1);
  for (size_t i = 0; i < l->n; i++)
    if (l->e[i].kind == WEFT_KIND_START && !strncmp(l->e[i].type, "MPI_", 4) &&
        strcmp(l->e[i].type, "MPI_Scatter") &&
        strcmp(l->e[i].type, "MPI_Reduce"))
      return el_fail("rank %d: %s in the trace (not called by mapfold)",
                     l->e[i].rank, l->e[i].type);
  return 0;
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  if (argc != 3) {
    fprintf(stderr, "usage: check_mapfold LOG NRANKS\n");
    MPI_Finalize();
    return 2;
  }
  el_list l;
  int rc = el_load(&l, argv[1]) < 0 ? 1 : check(&l, atoi(argv[2]));
  if (!rc)
    printf("check_mapfold: one tree, %zu events\n", l.n);
  el_free(&l);
  MPI_Finalize();
  return rc;
}
