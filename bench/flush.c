/*
 * flush.c - what writing the log costs, beside plain MPI-IO.
 *
 *   mpiexec -n 4 --oversubscribe build/bench/flush [--small] [--dir DIR]
 *                           [--final-only] [--no-journal] [--runs N]
 *
 * The buffers are a crash journal in DIR/bench.journal (or
 * WEFT_JOURNAL_DIR), as in a job whose libweft weft_mpi_init starts
 * (docs/resilience.md); --no-journal or WEFT_JOURNAL=0 keeps them in plain
 * memory.
 *
 * Two phases, each logging actions with two int64 start fields as
 * children of one open action (the common case):
 *
 * 1. Trace then write once (what "end-to-end" means for Caliper's trace,
 *    whose figure counts its exit-time write): every rank logs 1.4 M
 *    actions (53 MiB) into memory, then weft_mpi_finalize writes them all.
 * Timed from weft_init to weft_shutdown (which removes the journal), as a job
 * pays it; only the TSC calibration, a 20 ms sleep once per process, is taken
 * before.  N runs (default 5; --small: 1), each with a fresh libweft: a new
 * journal, buffers never touched.  The median run is reported, with the fastest
 * and the slowest: on a shared machine single runs vary by tens of percent.
 * Two baselines are timed just before each run: two clock_gettime calls per
 * action (the floor for timing anything), and the I/O floor: the same ranks
 * filling as many bytes of fresh memory as the buffers take (40 per action,
 * mapped as the journal is) and writing 40 per action of them into one
 * shared file with MPI_File_write_at_all, no tracing.  That floor moves by
 * up to 6x between runs on a VM (the hypervisor's first touch of memory and
 * the serialized page-cache copy), so each run's cost above its floor is
 * reported too.  The first I/O floor is the process's first use of that
 * much memory; the first traced run comes after it.
 * 2. Flush bandwidth: rounds of logging, each followed by
 *    weft_mpi_flush; after each flush the same ranks write as many bytes
 *    as that flush added to the log (its file size grew by them) with one
 *    MPI_File_write_at_all each, plus MPI_File_sync as H5Fflush syncs,
 *    into a second file: same number of bytes (from a buffer in memory,
 *    written once before), same disk, same run.  The default
 *    writes more than 1 GiB to the log in total with 4 ranks; --small
 *    is a quick smoke run.
 *
 * Output, one `name value unit` line each (rank 0):
 *   final_*                  phase 1 (the median run)
 *     end_to_end_ns_per_action      (weft_init .. weft_shutdown) wall time
 *                                   x min(ranks, cores) / all ranks'
 *                                   actions: core time per action
 *                                   (target <= 100); _min, _max: the
 *                                   fastest and slowest runs
 *     cpu_ns_per_action             CPU time (user + system) of all ranks
 *                                   over the same span / actions: the
 *                                   same cost without the time a rank
 *                                   waited (for others, for the file's
 *                                   lock) or was not scheduled
 *     first_run_end_to_end_ns_per_action, first_run_io_floor_ns_per_action
 *                                   the first run and its I/O floor (the
 *                                   process's first large allocation)
 *     end_to_end_vs_clock_gettime   the same over two clock_gettime calls
 *     file_bytes_per_action         file size / actions
 *     io_floor_ns_per_action        the I/O floor of the run whose cost
 *                                   above it is the median, as core time
 *                                   per action like end_to_end
 *     above_io_floor_ns_per_action  end_to_end minus the I/O floor timed
 *                                   just before it: what tracing adds to
 *                                   writing the same bytes (median run;
 *                                   _min, _max; a run whose floor was slow
 *                                   and trace fast comes out negative)
 *   flush_bandwidth          bytes the flushes added to the file / flush time
 *   mpiio_bandwidth          the same bytes with MPI_File_write_at_all + sync
 *   flush_vs_mpiio           ratio of the two (target >= 0.8)
 *   flush_buffer_bandwidth   bytes the buffers held / flush time
 *   flush_ns_per_event       flush time per record (all ranks' records)
 *   buffer_bytes_per_action  bytes buffered per action (START + SUCCESS)
 *   file_bytes_per_action    file size / actions (target <= 48): each of
 *                            these short actions is a leaf row of /actions
 *                            (31 bytes) and its two fields in /payload
 *   end_to_end_ns_per_action_flushing  phase 2 wall time as in phase 1
 * With 4 ranks on 2 cores the ranks time-share the cores: wall time per
 * rank's action is twice the core time.
 */
#include "weft_mpi.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum { FINAL_REPS_MAX = 31 };

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* CPU time of this process (user + system), s. */
static double cpu_s(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_utime.tv_sec + 1e-6 * (double)ru.ru_utime.tv_usec +
         (double)ru.ru_stime.tv_sec + 1e-6 * (double)ru.ru_stime.tv_usec;
}

static double sum_over_ranks(double v) {
  double s = 0;
  MPI_Allreduce(&v, &s, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
  return s;
}

/* A barrier that waits asleep: a rank done with its timed span must not
 * take time slices from ranks still in theirs (MPI_Barrier polls, and
 * with more ranks than cores each poll yields to, but keeps competing
 * with, the ranks it waits for). */
static void quiet_barrier(void) {
  MPI_Request rq;
  int done = 0;
  MPI_Ibarrier(MPI_COMM_WORLD, &rq);
  while (MPI_Test(&rq, &done, MPI_STATUS_IGNORE) == MPI_SUCCESS && !done)
    nanosleep(&(struct timespec){0, 50000}, NULL);
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

static void die(const char *what) {
  fprintf(stderr, "flush: %s: %s\n", what, weft_errmsg());
  MPI_Abort(MPI_COMM_WORLD, 1);
}

static double file_size(const char *path) {
  struct stat sb;
  return stat(path, &sb) == 0 ? (double)sb.st_size : 0;
}

static void log_actions(long n, long round) {
  for (long i = 0; i < n; i++) {
    weft_action a;
    WEFT_ACTION_START(&a, "work", WEFT_I64("i", i), WEFT_I64("round", round));
    weft_action_succeed(a);
  }
}

/* Two clock_gettime calls per action, n times: the baseline of phase 1. */
static double clock_floor_s(long n) {
  struct timespec t;
  volatile long sink = 0;
  double t0 = now_s();
  for (long i = 0; i < n; i++) {
    clock_gettime(CLOCK_MONOTONIC, &t);
    sink += t.tv_nsec;
    clock_gettime(CLOCK_MONOTONIC, &t);
    sink += t.tv_nsec;
  }
  (void)sink;
  return now_s() - t0;
}

/* The memory and file traffic of phase 1 without tracing: each rank fills
 * `buf` bytes of fresh memory, mapped as the buffers are (a file in `dir`,
 * where the journal is by default, when there is one; else anonymous
 * memory), then writes `file` bytes of it into one shared file with one
 * MPI_File_write_at_all, and lets both go as weft_shutdown does.  On a VM
 * both steps depend on the hypervisor (first touch of guest memory, the
 * page-cache copy): the same four ranks doing only this vary by up to 6x
 * from run to run here, so phase 1 reports each run's end-to-end cost
 * above this floor, measured just before it. */
static double io_floor_s(size_t buf, size_t file, const char *dir,
                         int journal) {
  int rank, size;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  char mem[4096], out[4096];
  snprintf(mem, sizeof mem, "%s/bench-floor.%d", dir, rank);
  snprintf(out, sizeof out, "%s/bench-floor.out", dir);
  if (file > buf || file > (size_t)1 << 30)
    MPI_Abort(MPI_COMM_WORLD, 1);
  MPI_Barrier(MPI_COMM_WORLD);
  double t0 = now_s();
  int fd = -1;
  if (journal && ((fd = open(mem, O_RDWR | O_CREAT | O_TRUNC, 0600)) < 0 ||
                  posix_fallocate(fd, 0, (off_t)buf) != 0))
    MPI_Abort(MPI_COMM_WORLD, 1);
  unsigned char *p =
      mmap(NULL, buf, PROT_READ | PROT_WRITE,
           journal ? MAP_SHARED : MAP_PRIVATE | MAP_ANONYMOUS, fd, 0);
  if (p == MAP_FAILED)
    MPI_Abort(MPI_COMM_WORLD, 1);
  memset(p, 0x5a, buf);
  unsigned long long mine = file, off = 0;
  MPI_Exscan(&mine, &off, 1, MPI_UNSIGNED_LONG_LONG, MPI_SUM, MPI_COMM_WORLD);
  if (rank == 0)
    off = 0;
  MPI_File fh;
  if (MPI_File_open(MPI_COMM_WORLD, out, MPI_MODE_CREATE | MPI_MODE_WRONLY,
                    MPI_INFO_NULL, &fh) != MPI_SUCCESS ||
      MPI_File_write_at_all(fh, (MPI_Offset)off, p, (int)file, MPI_BYTE,
                            MPI_STATUS_IGNORE) != MPI_SUCCESS ||
      MPI_File_close(&fh) != MPI_SUCCESS)
    MPI_Abort(MPI_COMM_WORLD, 1);
  munmap(p, buf);
  if (fd >= 0) {
    close(fd);
    unlink(mem);
  }
  double t1 = now_s();
  quiet_barrier();
  if (rank == 0)
    remove(out);
  return max_over_ranks(t1 - t0);
}

/* One run of phase 1: a fresh libweft (a new journal, buffers never
 * touched, as when a job starts), `n` actions logged on every rank, one
 * write at finalize.  The clock baseline is timed just before. */
typedef struct final_run {
  double e2e_ns, io_floor_ns, over_ns, cpu_ns, vs_floor, init_s, logging_s,
      write_s, file_bytes;
} final_run;

/* The bytes phase 1 puts in memory and in the file per action, for the
 * I/O floor: 40 in the buffers, 40.1 in the file (docs/format.md §8). */
enum { FLOOR_BUF_BYTES = 40, FLOOR_FILE_BYTES = 40 };

static final_run final_once(int rank, int size, int cores, long n,
                            const char *path, const char *dir,
                            const weft_options *o) {
  double share = size < cores ? size : cores;
  double per_action = share * 1e9 / ((double)n * size);
  if (rank == 0)
    remove(path);
  double io_s =
      io_floor_s((size_t)n * FLOOR_BUF_BYTES, (size_t)n * FLOOR_FILE_BYTES, dir,
                 o->journal_dir != NULL);
  MPI_Barrier(MPI_COMM_WORLD);
  double floor_s = max_over_ranks(clock_floor_s(n));
  MPI_Barrier(MPI_COMM_WORLD);
  double c0 = cpu_s(), t0 = now_s();
  if (weft_init(o) != 0)
    die("weft_init");
  if (weft_mpi_init(MPI_COMM_WORLD, path) != 0)
    die("weft_mpi_init");
  double t_init = now_s();
  weft_action root;
  WEFT_ACTION_START(&root, "bench");
  log_actions(n, 0);
  weft_action_succeed(root);
  double t1 = now_s();
  weft_stats st;
  if (weft_stats_get(&st) != 0 || st.dropped != 0)
    die("phase 1 dropped events: its budget is too small");
  if (weft_mpi_finalize() != 0)
    die("weft_mpi_finalize");
  weft_shutdown(); /* removes the journal: everything is in the log */
  double t2 = now_s(), c2 = cpu_s();
  quiet_barrier();
  double wall = max_over_ranks(t2 - t0);
  final_run r = {
      .e2e_ns = wall * per_action,
      .io_floor_ns = io_s * per_action,
      .over_ns = (wall - io_s) * per_action,
      .cpu_ns = sum_over_ranks(c2 - c0) * 1e9 / ((double)n * size),
      .vs_floor = wall / floor_s,
      .init_s = max_over_ranks(t_init - t0),
      .logging_s = max_over_ranks(t1 - t0),
      .write_s = max_over_ranks(t2 - t1),
      .file_bytes = rank == 0 ? file_size(path) : 0,
  };
  if (rank == 0)
    remove(path);
  return r;
}

static int by_e2e(const void *a, const void *b) {
  double x = ((const final_run *)a)->e2e_ns, y = ((const final_run *)b)->e2e_ns;
  return (x > y) - (x < y);
}

static int by_over(const void *a, const void *b) {
  double x = ((const final_run *)a)->over_ns,
         y = ((const final_run *)b)->over_ns;
  return (x > y) - (x < y);
}

/* Phase 1, `reps` runs; the median run is reported (the machine is shared:
 * single runs vary by tens of percent), with the fastest and slowest, and
 * the first run on its own: a job pays it once, in a process whose memory
 * is fresh. */
static void phase_final(int rank, int size, int cores, long n, int reps,
                        const char *path, const char *dir,
                        const weft_options *o) {
  final_run runs[FINAL_REPS_MAX];
  /* The TSC calibration sleeps 20 ms in a process's first weft_init: a
   * one-off wait, not work per action; take it before the timed runs. */
  if (weft_init(o) != 0 || weft_shutdown() != 0)
    die("weft_init");
  for (int k = 0; k < reps; k++)
    runs[k] = final_once(rank, size, cores, n, path, dir, o);
  const final_run first = runs[0];
  qsort(runs, (size_t)reps, sizeof runs[0], by_e2e);
  const final_run *m = &runs[reps / 2];
  double all = (double)n * size;
  line(rank, "final_actions_total", all, "actions");
  line(rank, "final_runs", reps, "runs");
  line(rank, "final_init_s", m->init_s, "s");
  line(rank, "final_logging_s", m->logging_s, "s");
  line(rank, "final_write_s", m->write_s, "s");
  line(rank, "final_end_to_end_ns_per_action", m->e2e_ns, "ns");
  line(rank, "final_end_to_end_ns_per_action_min", runs[0].e2e_ns, "ns");
  line(rank, "final_end_to_end_ns_per_action_max", runs[reps - 1].e2e_ns, "ns");
  line(rank, "final_first_run_end_to_end_ns_per_action", first.e2e_ns, "ns");
  line(rank, "final_first_run_io_floor_ns_per_action", first.io_floor_ns, "ns");
  line(rank, "final_cpu_ns_per_action", m->cpu_ns, "ns");
  line(rank, "final_end_to_end_vs_clock_gettime", m->vs_floor, "ratio");
  line(rank, "final_file_bytes_per_action", m->file_bytes / all, "bytes");
  /* The same runs by their cost above the floor measured just before. */
  qsort(runs, (size_t)reps, sizeof runs[0], by_over);
  m = &runs[reps / 2];
  line(rank, "final_io_floor_ns_per_action", m->io_floor_ns, "ns");
  line(rank, "final_above_io_floor_ns_per_action", m->over_ns, "ns");
  line(rank, "final_above_io_floor_ns_per_action_min", runs[0].over_ns, "ns");
  line(rank, "final_above_io_floor_ns_per_action_max", runs[reps - 1].over_ns,
       "ns");
}

int main(int argc, char **argv) {
  int small = 0, final_only = 0, journal = 1, reps = 0;
  const char *dir = ".";
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--small"))
      small = 1;
    else if (!strcmp(argv[i], "--final-only")) /* phase 1, for profiling */
      final_only = 1;
    else if (!strcmp(argv[i], "--no-journal"))
      journal = 0;
    else if (!strcmp(argv[i], "--dir") && i + 1 < argc)
      dir = argv[++i];
    else if (!strcmp(argv[i], "--runs") && i + 1 < argc &&
             (reps = atoi(argv[++i])) >= 1 && reps <= FINAL_REPS_MAX)
      continue;
    else {
      fprintf(stderr,
              "usage: flush [--small] [--dir DIR] [--final-only] "
              "[--no-journal] [--runs N (1-%d)]\n",
              FINAL_REPS_MAX);
      return 2;
    }
  }
  MPI_Init(&argc, &argv);
  int rank, size;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  int cores = (int)sysconf(_SC_NPROCESSORS_ONLN);
  /* DIR is made when missing (its last level), so that a missing one is
   * not reported as a missing journal directory by weft_init. */
  if (rank == 0 && mkdir(dir, 0755) != 0 && errno != EEXIST) {
    fprintf(stderr, "flush: cannot make %s: %s\n", dir, strerror(errno));
    MPI_Abort(MPI_COMM_WORLD, 2);
  }
  MPI_Barrier(MPI_COMM_WORLD);

  /* 40 bytes per action in the buffers and in the file.  The action
   * count is what 64 MiB held at the 48 bytes an action took before short
   * SUCCESS records (1.4 M per rank), so that figures compare across
   * versions: 1.1 GB of file data over 4 ranks in 5 rounds; phase 1
   * traces 53 MiB per rank in memory. */
  const long rounds = small ? 2 : 5;
  const long actions = small ? 20000 : (64L << 20) / 48 + 1;
  weft_options o;
  weft_options_init(&o);
  weft_options_from_env(&o);
  o.buffer_budget = (size_t)actions * 40 * 2 + (8u << 20);
  char jdir[4096];
  snprintf(jdir, sizeof jdir, "%s/bench.journal", dir);
  const char *env_j = getenv("WEFT_JOURNAL");
  if (env_j && !strcmp(env_j, "0"))
    journal = 0;
  if (!journal)
    o.journal_dir = NULL;
  else if (!o.journal_dir)
    o.journal_dir = jdir;
  char path[4096], raw[4096], once[4096];
  snprintf(path, sizeof path, "%s/bench-flush.h5", dir);
  snprintf(raw, sizeof raw, "%s/bench-flush.raw", dir);
  snprintf(once, sizeof once, "%s/bench-final.h5", dir);
  line(rank, "ranks", size, "ranks");
  line(rank, "cores", cores, "cores");
  /* Phase 1's budget holds its trace, as a job would size it (on tmpfs the
   * journal's whole budget is allocated at weft_init); phase 2 keeps room
   * for two rounds. */
  weft_options o1 = o;
  o1.buffer_budget = (size_t)actions * 40 + (8u << 20);
  phase_final(rank, size, cores, actions,
              reps    ? reps
              : small ? 1
                      : 5,
              once, dir, &o1);
  if (final_only) {
    MPI_Barrier(MPI_COMM_WORLD);
    if (journal && rank == 0)
      rmdir(jdir);
    MPI_Finalize();
    return 0;
  }

  if (weft_init(&o) != 0)
    die("weft_init");
  if (rank == 0) {
    remove(path);
    remove(raw);
  }
  MPI_Barrier(MPI_COMM_WORLD);
  double t_begin = now_s();
  if (weft_mpi_init(MPI_COMM_WORLD, path) != 0)
    die("weft_mpi_init");
  MPI_File fh;
  MPI_File_open(MPI_COMM_WORLD, raw, MPI_MODE_CREATE | MPI_MODE_WRONLY,
                MPI_INFO_NULL, &fh);
  weft_action root;
  WEFT_ACTION_START(&root, "bench");

  double flush_s = 0, mpiio_s = 0, event_bytes = 0, file_bytes = 0;
  weft_stats st0;
  weft_stats_get(&st0);
  long long events_before = (long long)st0.events;
  MPI_Offset raw_at = 0;
  unsigned char *data = NULL;
  size_t data_len = 0;
  for (long r = 0; r < rounds; r++) {
    log_actions(actions, r);
    weft_stats st;
    weft_stats_get(&st);
    double mine_events = (double)st.bytes_pending, all_events = 0;
    MPI_Allreduce(&mine_events, &all_events, 1, MPI_DOUBLE, MPI_SUM,
                  MPI_COMM_WORLD);
    double before = rank == 0 ? file_size(path) : 0;
    MPI_Barrier(MPI_COMM_WORLD);
    double t2 = now_s();
    if (weft_mpi_flush() != 0)
      die("weft_mpi_flush");
    double t3 = now_s();
    flush_s += max_over_ranks(t3 - t2);
    event_bytes += all_events;

    /* The bytes this flush added to the file, with plain MPI-IO. */
    double added = rank == 0 ? file_size(path) - before : 0;
    MPI_Bcast(&added, 1, MPI_DOUBLE, 0, MPI_COMM_WORLD);
    file_bytes += added;
    unsigned long long tot = (unsigned long long)added;
    unsigned long long mine = tot / (unsigned long long)size +
                              ((unsigned long long)rank < tot % size);
    unsigned long long off = 0;
    MPI_Exscan(&mine, &off, 1, MPI_UNSIGNED_LONG_LONG, MPI_SUM, MPI_COMM_WORLD);
    if (rank == 0)
      off = 0;
    if (mine > data_len) {
      /* Bytes in memory, as an application's data are: calloc'd memory
       * never written maps the kernel's one zero page, which a write
       * would copy from the cache, faster than any real data. */
      free(data);
      if (!(data = malloc(mine)))
        MPI_Abort(MPI_COMM_WORLD, 1);
      memset(data, 0x5a, mine);
      data_len = mine;
    }
    MPI_Barrier(MPI_COMM_WORLD);
    double t4 = now_s();
    MPI_File_write_at_all(fh, raw_at + (MPI_Offset)off, data, (int)mine,
                          MPI_BYTE, MPI_STATUS_IGNORE);
    MPI_File_sync(fh);
    double t5 = now_s();
    mpiio_s += max_over_ranks(t5 - t4);
    raw_at += (MPI_Offset)tot;
  }
  weft_action_succeed(root);
  weft_stats st1;
  weft_stats_get(&st1);
  long long events = (long long)st1.events - events_before;
  if (weft_mpi_finalize() != 0)
    die("weft_mpi_finalize");
  double t_end = now_s();
  MPI_File_close(&fh);
  free(data);

  long long all_events = 0;
  MPI_Allreduce(&events, &all_events, 1, MPI_LONG_LONG, MPI_SUM,
                MPI_COMM_WORLD);
  double total_actions = (double)actions * (double)rounds * size;
  double wall = max_over_ranks(t_end - t_begin);
  double share = size < cores ? size : cores;
  if (rank == 0) {
    double fsize = file_size(path);
    line(rank, "actions_total", total_actions, "actions");
    line(rank, "buffered_bytes_total", event_bytes, "bytes");
    line(rank, "flushed_file_bytes_total", file_bytes, "bytes");
    line(rank, "flush_time", flush_s, "s");
    line(rank, "mpiio_time", mpiio_s, "s");
    line(rank, "flush_bandwidth", file_bytes / flush_s / 1e6, "MB/s");
    line(rank, "mpiio_bandwidth", file_bytes / mpiio_s / 1e6, "MB/s");
    line(rank, "flush_vs_mpiio", mpiio_s / flush_s, "ratio");
    line(rank, "flush_buffer_bandwidth", event_bytes / flush_s / 1e6, "MB/s");
    line(rank, "flush_ns_per_event", flush_s * 1e9 / (double)all_events, "ns");
    line(rank, "buffer_bytes_per_action", event_bytes / total_actions, "bytes");
    line(rank, "file_bytes_per_action", fsize / total_actions, "bytes");
    line(rank, "end_to_end_ns_per_action_flushing",
         wall * share * 1e9 / total_actions, "ns");
    remove(path);
    remove(raw);
  }
  weft_shutdown(); /* removes the journal: everything was written */
  MPI_Barrier(MPI_COMM_WORLD);
  if (journal && rank == 0)
    rmdir(jdir);
  MPI_Finalize();
  return 0;
}
