/*
 * test_collective.c - collective actions (weft_mpi_action_start) nest
 * under the root rank's current action on every rank.
 *
 *   mpiexec -n 4 test_collective OUT.h5
 *
 * Rank 0 opens "run"; the other ranks open actions of their own ("local",
 * separate tasks), so the collective actions are continued while actions
 * are open.  Then:
 *   phase x 2        rooted at 0: on every rank a child of "run", at the
 *                    same level, with a message and a child of its own;
 *   rooted_at_2      rooted at rank 2 inside its nested action "r2";
 *   rooted_at_last   rooted at the last rank inside its "local", with a
 *                    message "in_last": in the log every other rank's
 *                    action comes before the one it continues
 *                    (collective_tree.sh checks `weft tree` and the Eliot
 *                    export on this log);
 *   half             over a split communicator (root: world rank 0 for the
 *                    even ranks, world rank 1 for the odd ones);
 *   fresh            rooted at rank 1 when no action is open there: its
 *                    action is a task root and the others nest under it.
 * After weft_mpi_finalize, rank 0 reads the log back and checks each of
 * these on every rank.
 */
#include "event_list.h"
#include "weft_mpi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond, ...)                                                       \
  do {                                                                         \
    if (!(cond))                                                               \
      return el_fail(__VA_ARGS__);                                             \
  } while (0)

static int run(int rank, int size) {
  weft_action top = 0, a = 0, r2 = 0;
  if (rank == 0)
    CHECK(weft_action_start(&top, "run", NULL, 0) == 0, "run");
  else
    CHECK(WEFT_ACTION_START(&top, "local", WEFT_I64("rank", rank)) == 0,
          "local");

  for (int step = 0; step < 2; step++) {
    weft_field f[] = {WEFT_I64("step", step)};
    CHECK(weft_mpi_action_start(&a, MPI_COMM_WORLD, 0, "phase", f, 1) == 0,
          "phase: %s", weft_errmsg());
    WEFT_LOG("inside", WEFT_I64("rank", rank));
    weft_action w = 0;
    CHECK(WEFT_ACTION_START(&w, "work", WEFT_I64("rank", rank)) == 0, "work");
    CHECK(weft_action_succeed(w) == 0, "work end");
    CHECK(weft_action_succeed(a) == 0, "phase end: %s", weft_errmsg());
  }

  if (rank == 2)
    CHECK(weft_action_start(&r2, "r2", NULL, 0) == 0, "r2");
  CHECK(weft_mpi_action_start(&a, MPI_COMM_WORLD, 2, "rooted_at_2", NULL, 0) ==
            0,
        "rooted_at_2: %s", weft_errmsg());
  CHECK(weft_action_succeed(a) == 0, "rooted_at_2 end");
  if (rank == 2)
    CHECK(weft_action_succeed(r2) == 0, "r2 end");

  weft_field lf[] = {WEFT_I64("r", rank)};
  CHECK(weft_mpi_action_start(&a, MPI_COMM_WORLD, size - 1, "rooted_at_last",
                              lf, 1) == 0,
        "rooted_at_last: %s", weft_errmsg());
  WEFT_LOG("in_last", WEFT_I64("r", rank));
  CHECK(weft_action_succeed(a) == 0, "rooted_at_last end");

  MPI_Comm half;
  MPI_Comm_split(MPI_COMM_WORLD, rank % 2, rank, &half);
  weft_field hf[] = {WEFT_I64("color", rank % 2)};
  CHECK(weft_mpi_action_start(&a, half, 0, "half", hf, 1) == 0, "half: %s",
        weft_errmsg());
  CHECK(weft_action_succeed(a) == 0, "half end");
  MPI_Comm_free(&half);

  /* Nothing open anywhere: rank 1's action roots a new task. */
  CHECK(weft_action_succeed(top) == 0, "top end");
  CHECK(weft_mpi_action_start(&a, MPI_COMM_WORLD, 1, "fresh", NULL, 0) == 0,
        "fresh: %s", weft_errmsg());
  CHECK(weft_action_succeed(a) == 0, "fresh end");

  /* A bad root is refused on every rank, and nothing is left open. */
  CHECK(weft_mpi_action_start(&a, MPI_COMM_WORLD, 99, "bad", NULL, 0) ==
                WEFT_EINVAL &&
            a == 0,
        "bad root accepted");
  CHECK(weft_action_current() == 0, "an action is left open");
  return 0;
}

static const el_event *start_of(const el_list *l, const char *type, int rank,
                                int nth) {
  long i = el_find(l, WEFT_KIND_START, type, rank, nth);
  return i < 0 ? NULL : &l->e[i];
}

static int check(const char *path, int size) {
  el_list l;
  if (el_load(&l, path) < 0)
    return 1;
  int rc = 0;
  const el_event *runs = start_of(&l, "run", 0, 0);
  rc = runs ? 0 : el_fail("no run action");
  for (int step = 0; step < 2 && !rc; step++) {
    const el_event *p0 = start_of(&l, "phase", 0, step);
    for (int r = 0; r < size && !rc; r++) {
      const el_event *p = start_of(&l, "phase", r, step);
      const el_event *w = start_of(&l, "work", r, step);
      int64_t s = -1;
      if (!p || !w)
        rc = el_fail("rank %d: phase or work %d missing", r, step);
      else if (!el_child_of(p, runs) || strcmp(p->level, p0->level))
        rc = el_fail("rank %d: phase %d at %s is not run's child at %s", r,
                     step, p->level, p0->level);
      else if (!el_field(p, "step", &s) || s != step)
        rc = el_fail("rank %d: phase %d has step %lld", r, step, (long long)s);
      else if (!el_child_of(w, p))
        rc = el_fail("rank %d: work %s is not in phase %s", r, w->level,
                     p->level);
    }
  }
  const el_event *p0 = start_of(&l, "phase", 0, 0);
  const el_event *p1 = start_of(&l, "phase", 0, 1);
  if (!rc && !strcmp(p0->level, p1->level))
    rc = el_fail("both phases have level %s", p0->level);
  const el_event *r2 = start_of(&l, "r2", 2, 0);
  for (int r = 0; r < size && !rc; r++) {
    const el_event *x = start_of(&l, "rooted_at_2", r, 0);
    if (!r2 || !x || !el_child_of(x, r2))
      rc = el_fail("rank %d: rooted_at_2 (%s) is not a child of rank 2's r2 "
                   "(%s)",
                   r, x ? x->level : "missing", r2 ? r2->level : "missing");
  }
  const el_event *last = start_of(&l, "local", size - 1, 0);
  for (int r = 0; r < size && !rc; r++) {
    const el_event *x = start_of(&l, "rooted_at_last", r, 0);
    int64_t v = -1;
    if (!last || !x || !el_child_of(x, last))
      rc = el_fail("rank %d: rooted_at_last (%s) is not a child of rank %d's "
                   "local (%s)",
                   r, x ? x->level : "missing", size - 1,
                   last ? last->level : "missing");
    else if (!el_field(x, "r", &v) || v != r)
      rc = el_fail("rank %d: rooted_at_last has r %lld", r, (long long)v);
  }
  for (int r = 0; r < size && !rc; r++) {
    const el_event *h = start_of(&l, "half", r, 0);
    const el_event *parent = r % 2 == 0 ? runs : start_of(&l, "local", 1, 0);
    if (!h || !parent || !el_child_of(h, parent))
      rc = el_fail("rank %d: half is not under world rank %d's action", r,
                   r % 2);
  }
  const el_event *f1 = start_of(&l, "fresh", 1, 0);
  if (!rc && (!f1 || f1->level_len != 1))
    rc = el_fail("rank 1's fresh is not a task root");
  for (int r = 0; r < size && !rc; r++) {
    const el_event *f = start_of(&l, "fresh", r, 0);
    if (r != 1 && (!f || !el_child_of(f, f1)))
      rc = el_fail("rank %d: fresh is not under rank 1's", r);
  }
  const char *types[] = {"phase",          "work", "rooted_at_2",
                         "rooted_at_last", "half", "fresh"};
  for (size_t t = 0; t < sizeof types / sizeof types[0] && !rc; t++) {
    size_t starts = el_count(&l, WEFT_KIND_START, types[t], -1);
    size_t ends = el_count(&l, WEFT_KIND_SUCCESS, types[t], -1);
    if (starts != ends || starts < (size_t)size)
      rc = el_fail("%s: %zu starts, %zu successes", types[t], starts, ends);
  }
  if (!rc)
    printf("test_collective: %zu events, collective actions nest on %d "
           "ranks\n",
           l.n, size);
  el_free(&l);
  return rc;
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int rank = 0, size = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (argc != 2 || size != 4) {
    if (rank == 0)
      fprintf(stderr, "usage: mpiexec -n 4 test_collective OUT.h5\n");
    MPI_Finalize();
    return 2;
  }
  setenv("WEFT_OVERWRITE", "1", 1);
  int rc = weft_mpi_init(MPI_COMM_WORLD, argv[1]);
  if (rc < 0) {
    fprintf(stderr, "weft_mpi_init: %s\n", weft_errmsg());
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  int bad = run(rank, size);
  MPI_Allreduce(MPI_IN_PLACE, &bad, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  rc = weft_mpi_finalize();
  if (rc < 0)
    bad = el_fail("weft_mpi_finalize: %s", weft_errmsg());
  if (!bad && rank == 0)
    bad = check(argv[1], size);
  MPI_Allreduce(MPI_IN_PLACE, &bad, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  MPI_Finalize();
  return bad;
}
