/*
 * leaf_continue.c - the actions `weft recover` finds open at the last
 * commit when a continued leaf comes before them (fault.leaf_continue).
 *
 *   leaf_continue LOG
 *
 * One rank opens "root" and "outer" in it, continues root's context as
 * "cont" and ends it at once (in the log, a CONTINUE record then a leaf
 * row of /actions, its only record, which takes the CONTINUE's level and
 * none of outer's slots), opens "inner" in outer, flushes, logs a message
 * and kills itself.  Recovery walks the log's committed items, leaf rows
 * included, to rebuild the open actions: root, outer and inner get
 * unfinished rows, and inner's task level is outer's second slot.
 */
#include "weft.h"
#include "weft_mpi.h"

#include <signal.h>
#include <stdio.h>

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  if (argc != 2 || weft_mpi_init(MPI_COMM_WORLD, argv[1]) != 0) {
    fprintf(stderr, "leaf_continue: %s\n", weft_errmsg());
    return 2;
  }
  weft_action root, outer, cont, inner;
  char ctx[WEFT_CONTEXT_MAX];
  size_t len;
  if (weft_action_start(&root, "root", NULL, 0) != 0 ||
      weft_action_start(&outer, "outer", NULL, 0) != 0 ||
      weft_context_serialize(root, ctx, sizeof ctx, &len) != 0 ||
      weft_context_continue(&cont, ctx, "cont", NULL, 0) != 0 ||
      weft_action_succeed(cont) != 0 ||
      weft_action_start(&inner, "inner", NULL, 0) != 0 ||
      weft_mpi_flush() != 0) {
    fprintf(stderr, "leaf_continue: %s\n", weft_errmsg());
    return 2;
  }
  weft_message_log("after", NULL, 0);
  raise(SIGKILL);
  return 1;
}
