/*
 * subcomm_edges.c - a Weft program whose log is written on a communicator
 * that numbers ranks otherwise than MPI_COMM_WORLD, run under
 * libweft-pmpi, which records the peers of its messages as world ranks.
 *
 *   subcomm_edges reversed LOG   one log on MPI_COMM_WORLD with its ranks
 *                                reversed: log rank = size - 1 - world rank
 *   subcomm_edges halves PREFIX  two logs, PREFIX.0.h5 (world ranks below
 *                                size / 2) and PREFIX.1.h5 (the others),
 *                                each with its ranks reversed; half of
 *                                the messages cross from one to the other
 *
 * Every world rank r exchanges, on MPI_COMM_WORLD, one message with tag 5
 * around the ring (to r + 1, from r - 1) and one with tag 6 two ranks
 * away (to r + 2, from r - 2), both with MPI_Sendrecv, inside an action
 * "exchange" {world}.  The same tag from every sender makes wrong pairings
 * possible: subcomm_edges.sh checks that `weft tree` pairs each message
 * with the right partner, named by its rank in the log.
 */
#include <weft_mpi.h>

#include <stdio.h>
#include <string.h>

static int exchange(int rank, int size, int dist, int tag) {
  int to = (rank + dist) % size, from = (rank + size - dist) % size;
  int x = rank, got = -1;
  if (MPI_Sendrecv(&x, 1, MPI_INT, to, tag, &got, 1, MPI_INT, from, tag,
                   MPI_COMM_WORLD, MPI_STATUS_IGNORE) != MPI_SUCCESS ||
      got != from) {
    fprintf(stderr, "world rank %d: got %d from %d\n", rank, got, from);
    return 1;
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 3 ||
      (strcmp(argv[1], "reversed") != 0 && strcmp(argv[1], "halves") != 0)) {
    fprintf(stderr, "usage: subcomm_edges reversed|halves LOG\n");
    return 2;
  }
  int halves = !strcmp(argv[1], "halves");
  MPI_Init(&argc, &argv);
  int rank, size;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  int color = halves && rank >= size / 2;
  MPI_Comm comm;
  MPI_Comm_split(MPI_COMM_WORLD, color, size - rank, &comm);
  char path[4096];
  if (halves)
    snprintf(path, sizeof path, "%s.%d.h5", argv[2], color);
  else
    snprintf(path, sizeof path, "%s", argv[2]);
  int rc = weft_mpi_init(comm, path);
  if (rc) {
    fprintf(stderr, "world rank %d: weft_mpi_init: %s\n", rank, weft_errmsg());
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  weft_action a;
  weft_field f[] = {WEFT_I64("world", rank)};
  int bad = weft_action_start(&a, "exchange", f, 1) != WEFT_OK;
  bad |= exchange(rank, size, 1, 5);
  bad |= exchange(rank, size, 2, 6);
  bad |= weft_action_succeed(a) != WEFT_OK;
  if (weft_mpi_finalize() != WEFT_OK) {
    fprintf(stderr, "world rank %d: weft_mpi_finalize: %s\n", rank,
            weft_errmsg());
    bad = 1;
  }
  MPI_Comm_free(&comm);
  MPI_Finalize();
  return bad;
}
