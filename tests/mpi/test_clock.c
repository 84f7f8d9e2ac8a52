/*
 * test_clock.c - clock alignment under an injected skew.
 *
 * Every rank's clock is shifted by a different amount (seconds, some
 * negative) through WEFT_TEST_CLOCK_SKEW_NS.  The ranks pass messages
 * around a ring: rank A logs "send" before MPI_Send to B, B logs "recv"
 * after MPI_Recv returns, so "send" happened before "recv".  Rank 0 reads
 * the log and checks, with the reader's mapping of docs/format.md
 * section 6, that every such pair is in causal order on the job timeline,
 * that the raw time stamps were indeed out of order (the skew took
 * effect), and that every stored offset is within its error bound of the
 * injected skew.
 *
 *   test_clock OUT.h5 [SPACING_NS]
 *
 * SPACING_NS (default 0) of busy work separates the "send" event from the
 * send and the receive from the "recv" event.  Clock alignment orders two
 * events correctly when they are further apart than the sum of their
 * ranks' error bounds; on dedicated cores that is well below an MPI
 * message latency (spacing 0 works), but with 8 ranks time-sharing 2
 * cores every exchange waits for context switches and the bounds reach
 * several microseconds, so those runs use a spacing above them.
 */
#include "log_reader.h"
#include "weft_mpi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROUNDS 40
#define MAX_RANKS 64

static const int64_t skews[8] = {
    0,           5000000000LL,   -3000000000LL, 1500000LL, -700000000LL,
    250000000LL, -40000000000LL, 9000LL};

typedef struct times {
  int64_t send[ROUNDS], recv[ROUNDS];
} times;

static times *by_rank;
static int cur_rank;

static int on_event(void *arg, uint64_t stream, const weft_event *e) {
  (void)arg;
  (void)stream;
  if (e->kind != WEFT_KIND_MESSAGE)
    return 0;
  const weft_value *r = weft_event_field(e, "round");
  if (!r || r->v.i64 < 0 || r->v.i64 >= ROUNDS)
    return 0;
  if (strcmp(e->type, "send") == 0)
    by_rank[cur_rank].send[r->v.i64] = e->t_ns;
  else if (strcmp(e->type, "recv") == 0)
    by_rank[cur_rank].recv[r->v.i64] = e->t_ns;
  return 0;
}

static int verify(const char *path, int size) {
  lr_log log;
  int bad = 0;
  if (lr_open(&log, path) != 0)
    return 1;
  by_rank = calloc((size_t)size, sizeof *by_rank);
  for (cur_rank = 0; cur_rank < size; cur_rank++)
    if (lr_decode_rank(&log, (uint32_t)cur_rank, on_event, NULL) != 0) {
      fprintf(stderr, "FAIL: decoding rank %d: %s\n", cur_rank, weft_errmsg());
      bad++;
    }
  long raw_violations = 0, pairs = 0;
  int64_t min_gap = INT64_MAX;
  for (int a = 0; a < size && size > 1; a++) {
    int b = (a + 1) % size;
    for (int k = 0; k < ROUNDS; k++) {
      int64_t ts = by_rank[a].send[k], tr = by_rank[b].recv[k];
      if (!ts || !tr) {
        fprintf(stderr, "FAIL: round %d %d->%d missing\n", k, a, b);
        bad++;
        continue;
      }
      pairs++;
      raw_violations += ts >= tr;
      int64_t gs = lr_timeline(&log, (uint32_t)a, ts);
      int64_t gr = lr_timeline(&log, (uint32_t)b, tr);
      if (gr - gs < min_gap)
        min_gap = gr - gs;
      if (gs >= gr) {
        if (bad++ < 10)
          fprintf(stderr,
                  "FAIL: round %d: send on %d at %lld after recv on %d at "
                  "%lld (corrected)\n",
                  k, a, (long long)gs, b, (long long)gr);
      }
    }
  }
  if (size > 2 && raw_violations == 0) {
    fprintf(stderr, "FAIL: the injected skew did not reorder raw stamps\n");
    bad++;
  }
  int64_t worst_error = 0, worst_actual = 0;
  for (uint64_t i = 0; i < log.c.flushes; i++) {
    const lr_flush *f = &log.flushes[i];
    int64_t skew = f->rank < 8 ? skews[f->rank] : 0;
    int64_t d = f->offset_ns - skew;
    if (d < 0)
      d = -d;
    if (f->error_ns > worst_error)
      worst_error = f->error_ns;
    if (d > worst_actual)
      worst_actual = d;
    if (d > f->error_ns + 1) {
      fprintf(stderr,
              "FAIL: epoch %u rank %u: offset %lld, skew %lld, error bound "
              "%lld\n",
              f->epoch, f->rank, (long long)f->offset_ns, (long long)skew,
              (long long)f->error_ns);
      bad++;
    }
  }
  printf("clock: %ld ordered pairs, %ld out of order before correction, 0 "
         "after; smallest corrected send->recv gap %lld ns; offsets within "
         "%lld ns of the injected skew, error bounds up to %lld ns\n",
         pairs, raw_violations, (long long)(pairs ? min_gap : 0),
         (long long)worst_actual, (long long)worst_error);
  free(by_rank);
  lr_close(&log);
  return bad;
}

static void spin(int64_t ns) {
  int64_t end = weft_clock_now() + ns;
  while (ns > 0 && weft_clock_now() < end)
    ;
}

int main(int argc, char **argv) {
  if (argc != 2 && argc != 3) {
    fprintf(stderr, "usage: test_clock OUT.h5 [SPACING_NS]\n");
    return 2;
  }
  int64_t spacing = argc == 3 ? atoll(argv[2]) : 0;
  char spec[512] = "";
  for (int r = 1; r < 8; r++) {
    char one[48];
    snprintf(one, sizeof one, "%s%d:%lld", r > 1 ? "," : "", r,
             (long long)skews[r]);
    strcat(spec, one);
  }
  setenv("WEFT_TEST_CLOCK_SKEW_NS", spec, 1);
  MPI_Init(&argc, &argv);
  int rank, size;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (rank == 0)
    remove(argv[1]);
  MPI_Barrier(MPI_COMM_WORLD);
  int rc = weft_mpi_init(MPI_COMM_WORLD, argv[1]);
  if (rc != 0) {
    fprintf(stderr, "FAIL: init: %s\n", weft_errmsg());
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  int to = (rank + 1) % size, from = (rank + size - 1) % size;
  for (int k = 0; k < ROUNDS; k++) {
    int64_t token = k;
    MPI_Request req;
    WEFT_LOG("send", WEFT_I64("round", k), WEFT_I64("peer", to));
    spin(spacing / 2);
    MPI_Isend(&token, 1, MPI_INT64_T, to, k, MPI_COMM_WORLD, &req);
    MPI_Recv(&token, 1, MPI_INT64_T, from, k, MPI_COMM_WORLD,
             MPI_STATUS_IGNORE);
    spin(spacing / 2);
    WEFT_LOG("recv", WEFT_I64("round", k), WEFT_I64("peer", from));
    MPI_Wait(&req, MPI_STATUS_IGNORE);
    if (k % 10 == 9 && (rc = weft_mpi_flush()) != 0)
      fprintf(stderr, "FAIL: flush: %s\n", weft_errmsg());
  }
  if ((rc = weft_mpi_finalize()) != 0)
    fprintf(stderr, "FAIL: finalize: %s\n", weft_errmsg());
  int bad = rc != 0;
  if (rank == 0 && !bad)
    bad = verify(argv[1], size);
  MPI_Bcast(&bad, 1, MPI_INT, 0, MPI_COMM_WORLD);
  MPI_Finalize();
  return bad ? 1 : 0;
}
