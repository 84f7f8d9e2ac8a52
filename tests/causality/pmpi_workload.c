/*
 * pmpi_workload.c - a plain MPI program (no Weft call) run under
 * LD_PRELOAD=libweft-pmpi.so by the causality tests.
 *
 *   pmpi_workload TRUTH_DIR
 *
 * Besides doing its MPI calls it writes, per rank, TRUTH_DIR/truth.<rank>:
 * one line per call it made, in order, with the fields the trace must
 * show ("MPI_Send peer=1 tag=10 bytes=8 id=3000001"), and one
 * "mpi:recv ..." line per message it received, except for an MPI_Recv
 * naming its source and tag, which is its own receipt: its line carries
 * the id ("MPI_Recv peer=0 tag=1 bytes=8 id=1").  Every message carries a
 * unique id in its first 8 bytes, so check_pmpi can tell whether the trace
 * pairs each receive with the send that really delivered it.  The calls
 * exercise what pairing must get right: different tags received out of
 * order, several messages with one tag received by requests completed in
 * reverse order, wildcard receives, a message shorter than its receive
 * buffer, a receive that fails before matching anything (its line says
 * "failed"), a wildcard receive that fails truncating its message (which
 * it consumed), a duplicated communicator; and a
 * late sender and a late arrival at a barrier for `weft profile --waits`.
 *
 * With PMPI_WORKLOAD_DIE=1 it never reaches MPI_Finalize: after a last
 * barrier (every rank is then past all its calls) and a pause (every rank
 * has returned from the barrier), each rank kills itself with SIGKILL, so
 * that the trace survives only in the crash journals (pmpi_crash.sh).
 */
#include <mpi.h>

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static FILE *truth;
static int rank, size;
static long long next_id;

static void say(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vfprintf(truth, fmt, ap);
  va_end(ap);
  fputc('\n', truth);
}

/* A fresh message: its id in buf[0]. */
static long long fresh(long long *buf) {
  buf[0] = (long long)rank * 1000000 + next_id++;
  return buf[0];
}

static void send(long long *buf, int count, int dest, int tag, MPI_Comm comm,
                 const char *world_peer) {
  long long id = fresh(buf);
  MPI_Send(buf, count, MPI_LONG_LONG, dest, tag, comm);
  say("MPI_Send peer=%s tag=%d bytes=%d id=%lld", world_peer, tag, 8 * count,
      id);
}

static void recv_note(const long long *buf, int source, int tag, int bytes) {
  say("mpi:recv peer=%d tag=%d bytes=%d id=%lld", source, tag, bytes, buf[0]);
}

static void ring(int left, int right) {
  long long b[4];
  char peer[16];
  snprintf(peer, sizeof peer, "%d", right);
  if (rank == 0) {
    send(b, 1, right, 1, MPI_COMM_WORLD, peer);
    /* room for two, one arrives: the trace says how much did */
    MPI_Recv(b, 2, MPI_LONG_LONG, left, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    say("MPI_Recv peer=%d tag=1 bytes=16 received=8 id=%lld", left, b[0]);
  } else {
    /* A bad count fails before any message is matched: the message goes to
     * the next receive, which the trace must pair with it. */
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    if (MPI_Recv(b, -1, MPI_LONG_LONG, left, 1, MPI_COMM_WORLD,
                 MPI_STATUS_IGNORE) != MPI_SUCCESS)
      say("MPI_Recv peer=%d tag=1 bytes=0 failed", left);
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_ARE_FATAL);
    MPI_Recv(b, 1, MPI_LONG_LONG, left, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    say("MPI_Recv peer=%d tag=1 bytes=8 id=%lld", left, b[0]);
    send(b, 1, right, 1, MPI_COMM_WORLD, peer);
  }
}

/* Tags 10 and 11 sent in that order, received 11 first. */
static void out_of_order(int left, int right) {
  long long s[2][2], r[2];
  MPI_Request req[2];
  for (int i = 0; i < 2; i++) {
    long long id = fresh(s[i]);
    MPI_Isend(s[i], 2, MPI_LONG_LONG, right, 10 + i, MPI_COMM_WORLD, &req[i]);
    say("MPI_Isend peer=%d tag=%d bytes=16 id=%lld", right, 10 + i, id);
  }
  for (int i = 1; i >= 0; i--) {
    MPI_Recv(r, 2, MPI_LONG_LONG, left, 10 + i, MPI_COMM_WORLD,
             MPI_STATUS_IGNORE);
    say("MPI_Recv peer=%d tag=%d bytes=16 id=%lld", left, 10 + i, r[0]);
  }
  MPI_Waitall(2, req, MPI_STATUSES_IGNORE);
  say("MPI_Waitall requests=2");
}

/* Three messages with one tag; the receives are completed in reverse. */
static void same_tag(int left, int right) {
  long long s[3][1], r[3][1];
  MPI_Request rr[3], sr[3];
  for (int i = 0; i < 3; i++) {
    MPI_Irecv(r[i], 1, MPI_LONG_LONG, left, 20, MPI_COMM_WORLD, &rr[i]);
    say("MPI_Irecv peer=%d tag=20 bytes=8", left);
  }
  for (int i = 0; i < 3; i++) {
    long long id = fresh(s[i]);
    MPI_Isend(s[i], 1, MPI_LONG_LONG, right, 20, MPI_COMM_WORLD, &sr[i]);
    say("MPI_Isend peer=%d tag=20 bytes=8 id=%lld", right, id);
  }
  for (int i = 2; i >= 0; i--) {
    MPI_Wait(&rr[i], MPI_STATUS_IGNORE);
    say("MPI_Wait requests=1");
    recv_note(r[i], left, 20, 8);
  }
  MPI_Waitall(3, sr, MPI_STATUSES_IGNORE);
  say("MPI_Waitall requests=3");
}

/* Everyone sends to rank 0, which receives with wildcards. */
static void wildcard(void) {
  long long b[1];
  if (rank != 0) {
    send(b, 1, 0, 30 + rank % 2, MPI_COMM_WORLD, "0");
    return;
  }
  for (int i = 1; i < size; i++) {
    MPI_Status st;
    MPI_Recv(b, 1, MPI_LONG_LONG, MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD,
             &st);
    say("MPI_Recv peer=-1 tag=-1 bytes=8");
    recv_note(b, st.MPI_SOURCE, st.MPI_TAG, 8);
  }
}

/* A call made under MPI_ERRORS_RETURN must have failed with a truncation;
 * errors are fatal again afterwards. */
static void expect_truncated(int rc, const char *call) {
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_ARE_FATAL);
  int cls = 0;
  MPI_Error_class(rc, &cls);
  if (cls != MPI_ERR_TRUNCATE) {
    fprintf(stderr, "pmpi_workload: no truncation in %s (rc %d)\n", call, rc);
    MPI_Abort(MPI_COMM_WORLD, 2);
  }
}

/* Rank 0 sends rank 1 a 16-byte message, then an 8-byte one, with tag 50;
 * rank 1 takes the first into an 8-byte buffer from MPI_ANY_SOURCE: the
 * receive fails with MPI_ERR_TRUNCATE but consumed the message (its first
 * 8 bytes, the id, arrive), so the trace pairs it, and the next.  Then the
 * same through MPI_Irecv + MPI_Wait with tag 51. */
static void truncated(void) {
  long long b[2];
  if (rank == 0) {
    send(b, 2, 1, 50, MPI_COMM_WORLD, "1");
    send(b, 1, 1, 50, MPI_COMM_WORLD, "1");
    send(b, 2, 1, 51, MPI_COMM_WORLD, "1");
  } else if (rank == 1) {
    MPI_Status st;
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    int rc =
        MPI_Recv(b, 1, MPI_LONG_LONG, MPI_ANY_SOURCE, 50, MPI_COMM_WORLD, &st);
    expect_truncated(rc, "MPI_Recv");
    say("MPI_Recv peer=-1 tag=50 bytes=8 failed");
    recv_note(b, 0, 50, 16);
    MPI_Recv(b, 1, MPI_LONG_LONG, 0, 50, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    say("MPI_Recv peer=0 tag=50 bytes=8 id=%lld", b[0]);
    MPI_Request rq;
    MPI_Irecv(b, 1, MPI_LONG_LONG, 0, 51, MPI_COMM_WORLD, &rq);
    say("MPI_Irecv peer=0 tag=51 bytes=8");
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    rc = MPI_Wait(&rq, &st);
    expect_truncated(rc, "MPI_Wait");
    say("MPI_Wait requests=1 failed");
    recv_note(b, 0, 51, 16);
  }
}

static void sendrecv(int left, int right) {
  long long s[1], r[1];
  long long id = fresh(s);
  MPI_Sendrecv(s, 1, MPI_LONG_LONG, right, 40, r, 1, MPI_LONG_LONG, left, 40,
               MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  say("MPI_Sendrecv peer=%d tag=40 bytes=8 id=%lld", right, id);
  recv_note(r, left, 40, 8);
}

/* A receive completed by MPI_Test in a polling loop. */
static void polled(int left, int right) {
  long long s[1], r[1];
  MPI_Request rr, sr;
  MPI_Irecv(r, 1, MPI_LONG_LONG, left, 50, MPI_COMM_WORLD, &rr);
  say("MPI_Irecv peer=%d tag=50 bytes=8", left);
  long long id = fresh(s);
  MPI_Isend(s, 1, MPI_LONG_LONG, right, 50, MPI_COMM_WORLD, &sr);
  say("MPI_Isend peer=%d tag=50 bytes=8 id=%lld", right, id);
  int flag = 0;
  while (!flag)
    MPI_Test(&rr, &flag, MPI_STATUS_IGNORE);
  say("MPI_Test requests=1");
  recv_note(r, left, 50, 8);
  MPI_Wait(&sr, MPI_STATUS_IGNORE);
  say("MPI_Wait requests=1");
}

/* Rank 1 sends 30 ms late to rank 2 (a late sender); the last rank
 * reaches a barrier 60 ms after the others (a wait at collective). */
static void late(void) {
  struct timespec nap = {0, 30 * 1000 * 1000};
  long long b[1];
  if (rank == 1 && size > 2) {
    nanosleep(&nap, NULL);
    send(b, 1, 2, 60, MPI_COMM_WORLD, "2");
  } else if (rank == 2) {
    MPI_Recv(b, 1, MPI_LONG_LONG, 1, 60, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    say("MPI_Recv peer=1 tag=60 bytes=8 id=%lld", b[0]);
  }
  /* twice as late as rank 2, which waits for rank 1's message */
  struct timespec later = {0, 60 * 1000 * 1000};
  if (rank == size - 1)
    nanosleep(&later, NULL);
  MPI_Barrier(MPI_COMM_WORLD);
  say("MPI_Barrier bytes=0");
}

static void collectives(void) {
  int ints[4] = {1, 2, 3, 4};
  MPI_Bcast(ints, 4, MPI_INT, 0, MPI_COMM_WORLD);
  say("MPI_Bcast bytes=16 root=0");
  double x = rank, sum = 0;
  MPI_Allreduce(&x, &sum, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
  say("MPI_Allreduce bytes=8");
  long l[2] = {rank, 1}, lr[2];
  MPI_Reduce(l, lr, 2, MPI_LONG, MPI_SUM, size - 1, MPI_COMM_WORLD);
  say("MPI_Reduce bytes=16 root=%d", size - 1);
  int *all = malloc(sizeof(int) * (size_t)size * 3);
  int mine[3] = {rank, rank, rank};
  MPI_Gather(mine, 3, MPI_INT, all, 3, MPI_INT, 0, MPI_COMM_WORLD);
  say("MPI_Gather bytes=12 root=0");
  MPI_Allgather(mine, 1, MPI_INT, all, 1, MPI_INT, MPI_COMM_WORLD);
  say("MPI_Allgather bytes=4");
  int *to = malloc(sizeof(int) * (size_t)size);
  for (int i = 0; i < size; i++)
    to[i] = i;
  MPI_Alltoall(to, 1, MPI_INT, all, 1, MPI_INT, MPI_COMM_WORLD);
  say("MPI_Alltoall bytes=%d", 4 * size);
  MPI_Scatter(to, 1, MPI_INT, mine, 1, MPI_INT, 1, MPI_COMM_WORLD);
  say("MPI_Scatter bytes=4 root=1");
  MPI_Barrier(MPI_COMM_WORLD);
  say("MPI_Barrier bytes=0");
  free(to);
  free(all);
}

static void communicators(int left, int right) {
  MPI_Comm half, dup;
  MPI_Comm_split(MPI_COMM_WORLD, rank % 2, rank, &half);
  say("MPI_Comm_split color=%d key=%d", rank % 2, rank);
  int one = 1, n = 0;
  MPI_Allreduce(&one, &n, 1, MPI_INT, MPI_SUM, half);
  say("MPI_Allreduce bytes=4");
  MPI_Bcast(&n, 1, MPI_INT, 0, half);
  /* root 0 of `half` is world rank rank % 2 */
  say("MPI_Bcast bytes=4 root=%d", rank % 2);
  MPI_Comm_free(&half);
  say("MPI_Comm_free");

  MPI_Comm_dup(MPI_COMM_WORLD, &dup);
  say("MPI_Comm_dup");
  long long b[1];
  char peer[16];
  snprintf(peer, sizeof peer, "%d", right);
  /* Same peers and tag as the ring, another communicator. */
  if (rank % 2 == 0) {
    send(b, 1, right, 1, dup, peer);
    MPI_Recv(b, 1, MPI_LONG_LONG, left, 1, dup, MPI_STATUS_IGNORE);
    say("MPI_Recv peer=%d tag=1 bytes=8 id=%lld", left, b[0]);
  } else {
    MPI_Recv(b, 1, MPI_LONG_LONG, left, 1, dup, MPI_STATUS_IGNORE);
    say("MPI_Recv peer=%d tag=1 bytes=8 id=%lld", left, b[0]);
    send(b, 1, right, 1, dup, peer);
  }
  MPI_Comm_free(&dup);
  say("MPI_Comm_free");
}

static void file_io(const char *dir) {
  char path[4096];
  snprintf(path, sizeof path, "%s/workload.dat", dir);
  MPI_File fh;
  double block[32];
  for (int i = 0; i < 32; i++)
    block[i] = rank + i;
  MPI_File_open(MPI_COMM_WORLD, path, MPI_MODE_CREATE | MPI_MODE_WRONLY,
                MPI_INFO_NULL, &fh);
  say("MPI_File_open amode=%d", MPI_MODE_CREATE | MPI_MODE_WRONLY);
  MPI_File_write_at_all(fh, (MPI_Offset)rank * (MPI_Offset)sizeof block, block,
                        32, MPI_DOUBLE, MPI_STATUS_IGNORE);
  say("MPI_File_write_at_all offset=%d bytes=256", rank * 256);
  MPI_File_close(&fh);
  say("MPI_File_close");
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: pmpi_workload TRUTH_DIR\n");
    return 2;
  }
  MPI_Init(&argc, &argv);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  char path[4096];
  snprintf(path, sizeof path, "%s/truth.%d", argv[1], rank);
  truth = fopen(path, "w");
  if (truth)
    setvbuf(truth, NULL, _IOLBF, 0);
  if (!truth || size < 2) {
    fprintf(stderr, "pmpi_workload: cannot write %s or fewer than 2 ranks\n",
            path);
    MPI_Abort(MPI_COMM_WORLD, 2);
  }
  int left = (rank + size - 1) % size, right = (rank + 1) % size;
  ring(left, right);
  out_of_order(left, right);
  same_tag(left, right);
  wildcard();
  /* No message of a later step may meet rank 0's wildcard receives. */
  MPI_Barrier(MPI_COMM_WORLD);
  say("MPI_Barrier bytes=0");
  truncated();
  sendrecv(left, right);
  polled(left, right);
  collectives();
  late();
  communicators(left, right);
  file_io(argv[1]);
  const char *die = getenv("PMPI_WORKLOAD_DIE");
  if (die && !strcmp(die, "1")) {
    MPI_Barrier(MPI_COMM_WORLD);
    say("MPI_Barrier bytes=0");
    fclose(truth);
    struct timespec pause = {2, 0};
    nanosleep(&pause, NULL);
    raise(SIGKILL);
  }
  fclose(truth);
  MPI_Finalize();
  return 0;
}
