/*
 * test_clock.c - clock alignment under an injected skew and drift.
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
 *   test_clock OUT.h5 [SPACING_NS] [--drift PPM] [--times FILE]
 *
 * SPACING_NS (default 0) of busy work separates the "send" event from the
 * send and the receive from the "recv" event.  Clock alignment orders two
 * events correctly when they are further apart than the sum of their
 * ranks' error bounds; on dedicated cores that is well below an MPI
 * message latency (spacing 0 works), but with 8 ranks time-sharing 2
 * cores every exchange waits for context switches and the bounds reach
 * several microseconds, so those runs use a spacing above them.
 *
 * --drift PPM: the injected clocks also run at different rates, odd ranks
 * PPM parts per million fast and even ranks other than 0 as much slow,
 * and the rounds are PAUSE_NS apart so that the run spans its six clock
 * samples (init, four flushes, finalize) over about half a second.  Then
 * no single offset per rank orders the pairs: the test also maps them
 * with each rank's first sample alone and with its last sample alone, and
 * requires that both of these constant mappings put some send after its
 * recv by more than the two ranks' error bounds, while the linear
 * interpolation of section 6 keeps every pair in order.  The stored
 * offsets are checked against the drifting skew at their sample times,
 * allowing for the drift during the clock synchronisation itself (see
 * offset_slack).
 *
 * Between its "send" and the send, each rank also logs a short action
 * "hop" {round}: a leaf row of /actions, whose times on the rank's clock
 * the reader finds by inverting the section 6 mapping of the skewed,
 * drifting clock (log_reader.c checks that both ends map back exactly).
 * Its start must come after the "send" and its end before the rank's
 * "recv" of that round, and every /actions row must agree with the
 * streams.  Where the mapping repeats a value at both ends, section 5 lets
 * the reader's start be 1 ns early (counted, printed): those checks hold
 * either way, as the reader never puts a leaf row before the item that
 * precedes it, and no tolerance is needed.
 *
 * --times FILE: rank 0 also writes, for every send and recv event, its
 * rank, its raw time stamp and its Unix-epoch time by section 6 and by the
 * first sample alone, for test_clock_reader to check the tools' reader.
 */
#include "log_reader.h"
#include "weft_mpi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ROUNDS 40
#define FLUSH_EVERY 10
#define PAUSE_NS 10000000LL /* between rounds with --drift */

static const int64_t skews[8] = {
    0,           5000000000LL,   -3000000000LL, 1500000LL, -700000000LL,
    250000000LL, -40000000000LL, 9000LL};

static int64_t drift_ppm; /* --drift */

/* The skew injected into rank r (as WEFT_TEST_CLOCK_SKEW_NS says). */
static int64_t skew_of(int r) { return r > 0 && r < 8 ? skews[r] : 0; }
static int64_t ppm_of(int r) {
  if (r <= 0 || r >= 8)
    return 0;
  return r % 2 ? drift_ppm : -drift_ppm;
}

/* The offset to rank 0 injected into rank r when its skewed clock reads
 * m: the writer shows raw t as t + ns + ppm * 1e-6 * t (writer.h), and
 * rank 0's clock is not skewed. */
static int64_t injected_offset(int r, int64_t m) {
  double rate = (double)ppm_of(r) / 1e6;
  double t = (double)(m - skew_of(r)) / (1.0 + rate);
  return skew_of(r) + (int64_t)(rate * t);
}

typedef struct times {
  int64_t send[ROUNDS], recv[ROUNDS];
  int64_t hop_start[ROUNDS], hop_end[ROUNDS];
  int hop_leaf_rows, hop_round; /* the open hop's round, or -1 */
} times;

static times *by_rank;
static int cur_rank;
static const lr_log *cur_log;

static int on_event(void *arg, uint64_t stream, const weft_event *e) {
  (void)arg;
  (void)stream;
  times *tr = &by_rank[cur_rank];
  if (e->kind == WEFT_KIND_START && strcmp(e->type, "hop") == 0) {
    const weft_value *r = weft_event_field(e, "round");
    tr->hop_round =
        r && r->v.i64 >= 0 && r->v.i64 < ROUNDS ? (int)r->v.i64 : -1;
    if (tr->hop_round >= 0)
      tr->hop_start[tr->hop_round] = e->t_ns;
    tr->hop_leaf_rows += cur_log->item.kind == LR_ITEM_LEAF_ROW;
    return 0;
  }
  if (e->kind == WEFT_KIND_SUCCESS && strcmp(e->type, "hop") == 0) {
    if (tr->hop_round >= 0)
      tr->hop_end[tr->hop_round] = e->t_ns;
    tr->hop_round = -1;
    return 0;
  }
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

/* The ways of mapping a rank's time stamps onto rank 0's clock compared
 * here: section 6, and one constant offset per rank. */
enum { MAP_LINEAR, MAP_FIRST, MAP_LAST, NMAPS };
static const char *const map_name[NMAPS] = {
    "linear interpolation", "first sample only", "last sample only"};

typedef struct rank_samples {
  int64_t first_offset, last_offset, worst_error;
  int n;
} rank_samples;

static int64_t map_time(const lr_log *log, const rank_samples *rs, int how,
                        uint32_t rank, int64_t t) {
  if (how == MAP_FIRST)
    return t - rs[rank].first_offset;
  if (how == MAP_LAST)
    return t - rs[rank].last_offset;
  return lr_timeline(log, rank, t);
}

/* How far the stored offset of `rank` may be from the injected one
 * beyond its error bound.  The error bound covers the ping-pong; with a
 * drift, the offset also moves while the synchronisation goes on: the
 * sample's time is taken when the whole tree is done, not at the rank's
 * own exchange, and the offset handed down by each rank on the path to
 * rank 0 was measured a round earlier.  All of it happens inside one
 * weft_mpi_init or weft_mpi_flush call, at most `sync_ns` long. */
static int64_t offset_slack(int rank, int64_t sync_ns) {
  double slack = 0;
  for (int r = rank; r > 0;) {
    int top = 1;
    while (top * 2 <= r)
      top *= 2;
    slack += (double)llabs(ppm_of(r)) / 1e6 * (double)sync_ns;
    r -= top; /* the parent in the binomial tree */
  }
  return (int64_t)slack + 1;
}

static int verify(const char *path, int size, int64_t sync_ns,
                  const char *times_path) {
  lr_log log;
  int bad = 0;
  if (lr_open(&log, path) != 0)
    return 1;
  by_rank = calloc((size_t)size, sizeof *by_rank);
  rank_samples *rs = calloc((size_t)size, sizeof *rs);
  cur_log = &log;
  for (cur_rank = 0; cur_rank < size; cur_rank++) {
    by_rank[cur_rank].hop_round = -1;
    if (lr_decode_rank(&log, (uint32_t)cur_rank, on_event, NULL) != 0) {
      fprintf(stderr, "FAIL: decoding rank %d: %s\n", cur_rank, weft_errmsg());
      bad++;
    }
  }

  /* The hops: leaf rows, each between its round's send and recv on the
   * rank's own clock, and /actions as the streams say. */
  for (int r = 0; r < size; r++) {
    const times *t = &by_rank[r];
    lr_actions_report ar;
    if (lr_check_actions(&log, (uint32_t)r, &ar) != 0 || ar.mismatches) {
      fprintf(stderr, "FAIL: rank %d: %llu /actions mismatches, first: %s\n", r,
              (unsigned long long)ar.mismatches, ar.first);
      bad++;
    }
    if (t->hop_leaf_rows != ROUNDS || ar.leaf_rows != ROUNDS ||
        ar.rows != ROUNDS) {
      fprintf(stderr,
              "FAIL: rank %d: %d hops from leaf rows, %llu leaf rows, %llu "
              "rows, expected %d\n",
              r, t->hop_leaf_rows, (unsigned long long)ar.leaf_rows,
              (unsigned long long)ar.rows, ROUNDS);
      bad++;
    }
    for (int k = 0; k < ROUNDS; k++)
      if (!(t->send[k] <= t->hop_start[k] && t->hop_start[k] <= t->hop_end[k] &&
            t->hop_end[k] <= t->recv[k])) {
        fprintf(stderr,
                "FAIL: rank %d round %d: send %lld, hop %lld..%lld, recv "
                "%lld\n",
                r, k, (long long)t->send[k], (long long)t->hop_start[k],
                (long long)t->hop_end[k], (long long)t->recv[k]);
        bad++;
      }
  }
  printf("clock: %llu leaf rows whose start two times fit (the earlier "
         "taken)\n",
         (unsigned long long)log.ambiguous);

  /* The stored offsets against the injected skew. */
  int64_t worst_error = 0, worst_actual = 0;
  for (uint64_t i = 0; i < log.c.flushes; i++) {
    const lr_flush *f = &log.flushes[i];
    if (f->rank >= (uint32_t)size) {
      fprintf(stderr, "FAIL: /flushes row %llu: rank %u\n",
              (unsigned long long)i, f->rank);
      bad++;
      continue;
    }
    rank_samples *s = &rs[f->rank];
    if (s->n++ == 0)
      s->first_offset = f->offset_ns; /* rows of a rank are in epoch order */
    s->last_offset = f->offset_ns;
    if (f->error_ns > s->worst_error)
      s->worst_error = f->error_ns;
    int64_t want = injected_offset((int)f->rank, f->sample_mono_ns);
    int64_t d = f->offset_ns - want;
    if (d < 0)
      d = -d;
    if (f->error_ns > worst_error)
      worst_error = f->error_ns;
    if (d > worst_actual)
      worst_actual = d;
    int64_t slack = offset_slack((int)f->rank, sync_ns);
    if (d > f->error_ns + slack) {
      fprintf(stderr,
              "FAIL: epoch %u rank %u: offset %lld, injected %lld, error "
              "bound %lld (+%lld for the drift)\n",
              f->epoch, f->rank, (long long)f->offset_ns, (long long)want,
              (long long)f->error_ns, (long long)slack - 1);
      bad++;
    }
  }
  for (int r = 0; r < size; r++)
    if (rs[r].n < 2) {
      fprintf(stderr, "FAIL: rank %d has %d clock samples\n", r, rs[r].n);
      bad++;
    }

  /* Every send->recv pair under each mapping.  `clear`: inverted by more
   * than the two ranks' error bounds, which no measurement error of the
   * samples explains. */
  long raw_violations = 0, pairs = 0;
  long inverted[NMAPS] = {0}, clear[NMAPS] = {0};
  int64_t min_gap = INT64_MAX, worst_inversion[NMAPS] = {0};
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
      for (int how = 0; how < NMAPS; how++) {
        int64_t gs = map_time(&log, rs, how, (uint32_t)a, ts);
        int64_t gr = map_time(&log, rs, how, (uint32_t)b, tr);
        if (how == MAP_LINEAR && gr - gs < min_gap)
          min_gap = gr - gs;
        if (gs < gr)
          continue;
        inverted[how]++;
        if (gs - gr > worst_inversion[how])
          worst_inversion[how] = gs - gr;
        clear[how] += gs - gr > rs[a].worst_error + rs[b].worst_error;
        if (how == MAP_LINEAR && inverted[how] <= 10)
          fprintf(stderr,
                  "FAIL: round %d: send on %d at %lld after recv on %d at "
                  "%lld (corrected)\n",
                  k, a, (long long)gs, b, (long long)gr);
      }
    }
  }
  bad += inverted[MAP_LINEAR] != 0;
  if (size > 2 && raw_violations == 0) {
    fprintf(stderr, "FAIL: the injected skew did not reorder raw stamps\n");
    bad++;
  }
  if (drift_ppm && size > 1)
    for (int how = MAP_FIRST; how <= MAP_LAST; how++)
      if (clear[how] == 0) {
        fprintf(stderr,
                "FAIL: the injected drift did not matter: mapping with the "
                "%s inverts %ld pairs, none by more than the error bounds "
                "(worst %lld ns)\n",
                map_name[how], inverted[how], (long long)worst_inversion[how]);
        bad++;
      }

  printf("clock: %ld ordered pairs, %ld out of order before correction, %ld "
         "after; smallest corrected send->recv gap %lld ns; offsets within "
         "%lld ns of the injected skew, error bounds up to %lld ns\n",
         pairs, raw_violations, inverted[MAP_LINEAR],
         (long long)(pairs ? min_gap : 0), (long long)worst_actual,
         (long long)worst_error);
  if (drift_ppm)
    for (int how = MAP_FIRST; how <= MAP_LAST; how++)
      printf("clock: one offset per rank (%s): %ld pairs inverted, %ld by "
             "more than the error bounds, worst by %lld ns\n",
             map_name[how], inverted[how], clear[how],
             (long long)worst_inversion[how]);

  if (times_path) {
    FILE *out = fopen(times_path, "w");
    int64_t wall = log.timeline_wall_ns - log.timeline_mono_ns;
    for (int r = 0; out && r < size; r++)
      for (int k = 0; k < ROUNDS; k++)
        for (int which = 0; which < 2; which++) {
          int64_t t = which ? by_rank[r].recv[k] : by_rank[r].send[k];
          if (t)
            fprintf(out, "%d %lld %lld %lld\n", r, (long long)t,
                    (long long)(lr_timeline(&log, (uint32_t)r, t) + wall),
                    (long long)(map_time(&log, rs, MAP_FIRST, (uint32_t)r, t) +
                                wall));
        }
    if (!out || fclose(out) != 0) {
      fprintf(stderr, "FAIL: cannot write %s\n", times_path);
      bad++;
    }
  }
  free(rs);
  free(by_rank);
  lr_close(&log);
  return bad;
}

static void spin(int64_t ns) {
  int64_t end = weft_clock_now() + ns;
  while (ns > 0 && weft_clock_now() < end)
    ;
}

static int64_t mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int usage(void) {
  fprintf(stderr, "usage: test_clock OUT.h5 [SPACING_NS] [--drift PPM] "
                  "[--times FILE]\n");
  return 2;
}

int main(int argc, char **argv) {
  if (argc < 2)
    return usage();
  int64_t spacing = 0;
  const char *times_path = NULL;
  for (int i = 2; i < argc; i++) {
    if (strcmp(argv[i], "--drift") == 0 && i + 1 < argc)
      drift_ppm = atoll(argv[++i]);
    else if (strcmp(argv[i], "--times") == 0 && i + 1 < argc)
      times_path = argv[++i];
    else if (i == 2 && argv[i][0] != '-')
      spacing = atoll(argv[i]);
    else
      return usage();
  }
  char spec[512] = "";
  for (int r = 1; r < 8; r++) {
    char one[64];
    snprintf(one, sizeof one, "%s%d:%lld", r > 1 ? "," : "", r,
             (long long)skews[r]);
    strcat(spec, one);
    if (ppm_of(r)) {
      snprintf(one, sizeof one, ":%lld", (long long)ppm_of(r));
      strcat(spec, one);
    }
  }
  setenv("WEFT_TEST_CLOCK_SKEW_NS", spec, 1);
  MPI_Init(&argc, &argv);
  int rank, size;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (rank == 0)
    remove(argv[1]);
  MPI_Barrier(MPI_COMM_WORLD);
  /* The longest weft_mpi_init or weft_mpi_flush: each clock
   * synchronisation happens inside one (offset_slack). */
  int64_t sync_ns = mono_ns();
  int rc = weft_mpi_init(MPI_COMM_WORLD, argv[1]);
  sync_ns = mono_ns() - sync_ns;
  if (rc != 0) {
    fprintf(stderr, "FAIL: init: %s\n", weft_errmsg());
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  int to = (rank + 1) % size, from = (rank + size - 1) % size;
  int flush_failed = 0;
  for (int k = 0; k < ROUNDS; k++) {
    int64_t token = k;
    MPI_Request req;
    WEFT_LOG("send", WEFT_I64("round", k), WEFT_I64("peer", to));
    weft_action hop;
    if (WEFT_ACTION_START(&hop, "hop", WEFT_I64("round", k)) == 0)
      weft_action_succeed(hop);
    spin(spacing / 2);
    MPI_Isend(&token, 1, MPI_INT64_T, to, k, MPI_COMM_WORLD, &req);
    MPI_Recv(&token, 1, MPI_INT64_T, from, k, MPI_COMM_WORLD,
             MPI_STATUS_IGNORE);
    spin(spacing / 2);
    WEFT_LOG("recv", WEFT_I64("round", k), WEFT_I64("peer", from));
    MPI_Wait(&req, MPI_STATUS_IGNORE);
    if (drift_ppm) {
      /* Sleep, not spin: the ranks share the cores. */
      struct timespec pause = {0, PAUSE_NS};
      nanosleep(&pause, NULL);
    }
    if (k % FLUSH_EVERY == FLUSH_EVERY - 1) {
      int64_t t0 = mono_ns();
      if (weft_mpi_flush() != 0) {
        fprintf(stderr, "FAIL: flush: %s\n", weft_errmsg());
        flush_failed = 1;
      }
      if (mono_ns() - t0 > sync_ns)
        sync_ns = mono_ns() - t0;
    }
  }
  int64_t t0 = mono_ns();
  if ((rc = weft_mpi_finalize()) != 0)
    fprintf(stderr, "FAIL: finalize: %s\n", weft_errmsg());
  if (mono_ns() - t0 > sync_ns)
    sync_ns = mono_ns() - t0;
  int64_t longest = 0;
  MPI_Reduce(&sync_ns, &longest, 1, MPI_INT64_T, MPI_MAX, 0, MPI_COMM_WORLD);
  int bad = rc != 0 || flush_failed;
  if (rank == 0 && !bad)
    bad = verify(argv[1], size, longest, times_path);
  MPI_Bcast(&bad, 1, MPI_INT, 0, MPI_COMM_WORLD);
  MPI_Finalize();
  return bad ? 1 : 0;
}
