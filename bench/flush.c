/*
 * flush.c - what writing the log costs, beside plain MPI-IO.
 *
 *   mpiexec -n 4 --oversubscribe build/bench/flush [--small] [--dir DIR]
 *
 * Each rank logs ROUNDS x ACTIONS actions with two int64 start fields (as
 * children of one open action, the common case), then all ranks call
 * weft_mpi_flush.  After each flush the same ranks write the same number
 * of bytes with one MPI_File_write_at_all each (plus MPI_File_sync, as
 * H5Fflush syncs) into a second file, so both are measured in the same
 * run on the same disk.  The default writes at least 1 GiB of event data
 * in total with 4 ranks; --small is a quick smoke run.
 *
 * Output, one `name value unit` line each (rank 0):
 *   flush_bandwidth         event bytes (/events + /payload) / flush time
 *   flush_bandwidth_all     every byte the flushes added to the file /
 *                           flush time (includes /actions)
 *   mpiio_bandwidth         the same event bytes with MPI_File_write_at_all
 *   flush_vs_mpiio          ratio of the two event-byte bandwidths
 *   flush_ns_per_event      flush time per record (all ranks' records)
 *   file_bytes_per_action_events  /events + /payload bytes per action
 *   file_bytes_per_action_actions /actions bytes per action (0 when
 *                           WEFT_ACTIONS=0)
 *   file_bytes_per_action_total   file size / actions
 *   end_to_end_ns_per_action      (logging + every flush + finalize) /
 *                           actions of one rank
 *   end_to_end_ns_per_action_job  the same time / actions of all ranks
 * With 4 ranks on 2 cores the ranks time-share the cores; the figures are
 * what a rank sees.
 */
#include "weft_mpi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static double max_over_ranks(double v) {
  double m = 0;
  MPI_Allreduce(&v, &m, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
  return m;
}

static void line(int rank, const char *name, double v, const char *unit) {
  if (rank == 0)
    printf("%s %.6g %s\n", name, v, unit);
}

int main(int argc, char **argv) {
  int small = 0;
  const char *dir = ".";
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--small"))
      small = 1;
    else if (!strcmp(argv[i], "--dir") && i + 1 < argc)
      dir = argv[++i];
    else {
      fprintf(stderr, "usage: flush [--small] [--dir DIR]\n");
      return 2;
    }
  }
  MPI_Init(&argc, &argv);
  int rank, size;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);

  /* 48 bytes per action: 1 GiB over 4 ranks in 4 rounds of 64 MiB. */
  const long rounds = small ? 2 : 4;
  const long actions = small ? 20000 : (64L << 20) / 48 + 1;
  weft_options o;
  weft_options_init(&o);
  weft_options_from_env(&o);
  o.buffer_budget = (size_t)actions * 48 * 2 + (8u << 20);
  if (weft_init(&o) != 0) {
    fprintf(stderr, "flush: weft_init: %s\n", weft_errmsg());
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  char path[4096], raw[4096];
  snprintf(path, sizeof path, "%s/bench-flush.h5", dir);
  snprintf(raw, sizeof raw, "%s/bench-flush.raw", dir);
  if (rank == 0) {
    remove(path);
    remove(raw);
  }
  MPI_Barrier(MPI_COMM_WORLD);

  double t_begin = now_s();
  if (weft_mpi_init(MPI_COMM_WORLD, path) != 0) {
    fprintf(stderr, "flush: %s\n", weft_errmsg());
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  MPI_File fh;
  MPI_File_open(MPI_COMM_WORLD, raw, MPI_MODE_CREATE | MPI_MODE_WRONLY,
                MPI_INFO_NULL, &fh);
  weft_action root;
  WEFT_ACTION_START(&root, "bench");

  double flush_s = 0, mpiio_s = 0, raw_bytes_all = 0, log_s = 0;
  long long events_before = 0;
  weft_stats st0;
  weft_stats_get(&st0);
  events_before = (long long)st0.events;
  MPI_Offset raw_at = 0;
  void *zeros = NULL;
  for (long r = 0; r < rounds; r++) {
    double t0 = now_s();
    for (long i = 0; i < actions; i++) {
      weft_action a;
      WEFT_ACTION_START(&a, "work", WEFT_I64("i", i), WEFT_I64("round", r));
      weft_action_succeed(a);
    }
    double t1 = now_s();
    weft_stats st;
    weft_stats_get(&st);
    uint64_t bytes = st.bytes_pending;
    MPI_Barrier(MPI_COMM_WORLD);
    double t2 = now_s();
    if (weft_mpi_flush() != 0) {
      fprintf(stderr, "flush: %s\n", weft_errmsg());
      MPI_Abort(MPI_COMM_WORLD, 1);
    }
    double t3 = now_s();
    log_s += t1 - t0;
    flush_s += max_over_ranks(t3 - t2);

    /* The same bytes with plain collective MPI-IO. */
    if (!zeros && !(zeros = calloc(1, bytes + 1)))
      MPI_Abort(MPI_COMM_WORLD, 1);
    unsigned long long mine = bytes, off = 0, tot = 0;
    MPI_Exscan(&mine, &off, 1, MPI_UNSIGNED_LONG_LONG, MPI_SUM, MPI_COMM_WORLD);
    MPI_Allreduce(&mine, &tot, 1, MPI_UNSIGNED_LONG_LONG, MPI_SUM,
                  MPI_COMM_WORLD);
    if (rank == 0)
      off = 0;
    MPI_Barrier(MPI_COMM_WORLD);
    double t4 = now_s();
    MPI_File_write_at_all(fh, raw_at + (MPI_Offset)off, zeros, (int)bytes,
                          MPI_BYTE, MPI_STATUS_IGNORE);
    MPI_File_sync(fh);
    double t5 = now_s();
    mpiio_s += max_over_ranks(t5 - t4);
    raw_at += (MPI_Offset)tot;
    raw_bytes_all += (double)tot;
  }
  weft_action_succeed(root);
  double t6 = now_s();
  weft_stats st1;
  weft_stats_get(&st1);
  long long events = (long long)st1.events - events_before;
  if (weft_mpi_finalize() != 0) {
    fprintf(stderr, "flush: finalize: %s\n", weft_errmsg());
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  double t_end = now_s();
  MPI_File_close(&fh);
  free(zeros);

  long long all_events = 0;
  MPI_Allreduce(&events, &all_events, 1, MPI_LONG_LONG, MPI_SUM,
                MPI_COMM_WORLD);
  double total_actions = (double)actions * (double)rounds * size;
  double max_job_s = max_over_ranks(t_end - t_begin);
  double e2e = max_job_s / ((double)actions * rounds);
  double logging = max_over_ranks(log_s) / ((double)actions * rounds);
  (void)t6;

  if (rank == 0) {
    struct stat sb;
    double file_bytes = stat(path, &sb) == 0 ? (double)sb.st_size : 0;
    /* The event bytes are what the buffers held: exactly what /events and
     * /payload received. */
    const char *act_env = getenv("WEFT_ACTIONS");
    double action_bytes = act_env && !strcmp(act_env, "0") ? 0 : 48;
    line(rank, "ranks", size, "ranks");
    line(rank, "actions_total", total_actions, "actions");
    line(rank, "event_bytes_total", raw_bytes_all, "bytes");
    line(rank, "flush_time", flush_s, "s");
    line(rank, "mpiio_time", mpiio_s, "s");
    line(rank, "flush_bandwidth", raw_bytes_all / flush_s / 1e6, "MB/s");
    line(rank, "flush_bandwidth_all",
         (raw_bytes_all + action_bytes * total_actions) / flush_s / 1e6,
         "MB/s");
    line(rank, "mpiio_bandwidth", raw_bytes_all / mpiio_s / 1e6, "MB/s");
    line(rank, "flush_vs_mpiio", mpiio_s / flush_s, "ratio");
    line(rank, "flush_ns_per_event", flush_s * 1e9 / (double)all_events, "ns");
    line(rank, "file_bytes_per_action_events", raw_bytes_all / total_actions,
         "bytes");
    line(rank, "file_bytes_per_action_actions", action_bytes, "bytes");
    line(rank, "file_bytes_per_action_total", file_bytes / total_actions,
         "bytes");
    line(rank, "logging_ns_per_action", logging * 1e9, "ns");
    line(rank, "end_to_end_ns_per_action", e2e * 1e9, "ns");
    line(rank, "end_to_end_ns_per_action_job", max_job_s * 1e9 / total_actions,
         "ns");
    remove(path);
    remove(raw);
  }
  weft_shutdown();
  MPI_Finalize();
  return 0;
}
