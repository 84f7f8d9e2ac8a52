/*
 * test_handoff.c - the manager-worker pattern of docs/causality.md: the
 * manager's context travels with each work item, so the work done on a
 * worker nests under the manager's action for that item.
 *
 *   mpiexec -n 4 test_handoff OUT.h5
 *
 * Rank 0 opens "queue" and, for each of ITEMS items, an action "item"
 * {i}; inside it, it sends the item (MPI_Send) and its context
 * (weft_mpi_context_send) to worker 1 + i % (P - 1).  A worker receives
 * the item, then the context (weft_mpi_context_recv) as the action
 * "work" {item}, runs "square" inside it and sends the result back; the
 * manager gathers the results (message "result") in "gather".  Rank 0
 * then reads the log back and checks that every "work" is a child of the
 * "item" with the same number, on the right worker, with "square" in it.
 * Last, rank 0 sends a context with no action open: it gets
 * WEFT_ENOACTION, and rank 1 still receives (an empty context) and starts
 * "no_context" as a task root instead of waiting forever.
 */
#include "event_list.h"
#include "weft_mpi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ITEMS 9
#define TAG_DATA 1
#define TAG_CTX 2
#define TAG_RESULT 3

static int manager(int size) {
  weft_action q = 0, it = 0, g = 0;
  if (WEFT_ACTION_START(&q, "queue", WEFT_I64("items", ITEMS)) < 0)
    return el_fail("queue: %s", weft_errmsg());
  for (int i = 0; i < ITEMS; i++) {
    int w = 1 + i % (size - 1);
    WEFT_ACTION_START(&it, "item", WEFT_I64("i", i), WEFT_I64("worker", w));
    MPI_Send(&i, 1, MPI_INT, w, TAG_DATA, MPI_COMM_WORLD);
    if (weft_mpi_context_send(MPI_COMM_WORLD, w, TAG_CTX) < 0)
      return el_fail("context_send: %s", weft_errmsg());
    weft_action_succeed(it);
  }
  WEFT_ACTION_START(&g, "gather");
  for (int k = 0; k < ITEMS; k++) {
    int res[2];
    MPI_Recv(res, 2, MPI_INT, MPI_ANY_SOURCE, TAG_RESULT, MPI_COMM_WORLD,
             MPI_STATUS_IGNORE);
    WEFT_LOG("result", WEFT_I64("item", res[0]), WEFT_I64("value", res[1]));
  }
  weft_action_succeed(g);
  if (weft_action_succeed(q) < 0)
    return 1;
  /* No action open: an empty context still goes, the error stays here. */
  if (weft_mpi_context_send(MPI_COMM_WORLD, 1, TAG_CTX) != WEFT_ENOACTION)
    return el_fail("context_send without an action did not say so");
  return 0;
}

static int worker(int rank, int size) {
  for (int i = 0; i < ITEMS; i++) {
    if (1 + i % (size - 1) != rank)
      continue;
    int item = -1;
    MPI_Recv(&item, 1, MPI_INT, 0, TAG_DATA, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    weft_action w = 0, sq = 0;
    weft_field f[] = {WEFT_I64("item", item)};
    if (weft_mpi_context_recv(&w, MPI_COMM_WORLD, 0, TAG_CTX, MPI_STATUS_IGNORE,
                              "work", f, 1) < 0)
      return el_fail("context_recv: %s", weft_errmsg());
    WEFT_ACTION_START(&sq, "square", WEFT_I64("x", item));
    int res[2] = {item, item * item};
    WEFT_ADD(sq, WEFT_I64("result", res[1]));
    weft_action_succeed(sq);
    weft_action_succeed(w);
    MPI_Send(res, 2, MPI_INT, 0, TAG_RESULT, MPI_COMM_WORLD);
  }
  if (rank == 1) {
    weft_action a = 0;
    if (weft_mpi_context_recv(&a, MPI_COMM_WORLD, 0, TAG_CTX, MPI_STATUS_IGNORE,
                              "no_context", NULL, 0) < 0 ||
        weft_action_succeed(a) < 0)
      return el_fail("an empty context was not received: %s", weft_errmsg());
  }
  return 0;
}

static int check(const char *path, int size) {
  el_list l;
  if (el_load(&l, path) < 0)
    return 1;
  int rc = 0;
  for (int i = 0; i < ITEMS && !rc; i++) {
    int w = 1 + i % (size - 1);
    const el_event *item = NULL, *work = NULL, *sq = NULL;
    for (size_t k = 0; k < l.n; k++) {
      const el_event *e = &l.e[k];
      int64_t v = -1;
      if (e->kind != WEFT_KIND_START)
        continue;
      if (!strcmp(e->type, "item") && el_field(e, "i", &v) && v == i)
        item = e;
      else if (!strcmp(e->type, "work") && el_field(e, "item", &v) && v == i)
        work = e;
      else if (!strcmp(e->type, "square") && el_field(e, "x", &v) && v == i)
        sq = e;
    }
    if (!item || !work || !sq)
      rc = el_fail("item %d: item, work or square missing", i);
    else if (item->rank != 0 || work->rank != w || sq->rank != w)
      rc = el_fail("item %d: on ranks %d, %d (want 0, %d)", i, item->rank,
                   work->rank, w);
    else if (!el_child_of(work, item))
      rc = el_fail("item %d: work at %s is not a child of item at %s", i,
                   work->level, item->level);
    else if (!el_child_of(sq, work))
      rc = el_fail("item %d: square at %s is not in work at %s", i, sq->level,
                   work->level);
  }
  long nc = el_find(&l, WEFT_KIND_START, "no_context", 1, 0);
  if (!rc && (nc < 0 || l.e[nc].level_len != 1))
    rc = el_fail("no_context is missing or not a task root");
  if (!rc && el_count(&l, WEFT_KIND_MESSAGE, "result", 0) != ITEMS)
    rc = el_fail("%zu results, want %d",
                 el_count(&l, WEFT_KIND_MESSAGE, "result", 0), ITEMS);
  if (!rc)
    printf("test_handoff: %d items handed off to %d workers and nested\n",
           ITEMS, size - 1);
  el_free(&l);
  return rc;
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int rank = 0, size = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (argc != 2 || size < 2) {
    if (rank == 0)
      fprintf(stderr, "usage: mpiexec -n 4 test_handoff OUT.h5\n");
    MPI_Finalize();
    return 2;
  }
  setenv("WEFT_OVERWRITE", "1", 1);
  if (weft_mpi_init(MPI_COMM_WORLD, argv[1]) < 0) {
    fprintf(stderr, "weft_mpi_init: %s\n", weft_errmsg());
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  int bad = rank == 0 ? manager(size) : worker(rank, size);
  MPI_Allreduce(MPI_IN_PLACE, &bad, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  if (weft_mpi_finalize() < 0)
    bad = el_fail("weft_mpi_finalize: %s", weft_errmsg());
  if (!bad && rank == 0)
    bad = check(argv[1], size);
  MPI_Allreduce(MPI_IN_PLACE, &bad, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  MPI_Finalize();
  return bad;
}
