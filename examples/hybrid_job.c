/*
 * hybrid_job.c - an MPI + OpenMP job traced with Weft.
 *
 * Every rank runs one "solve" action of STEPS iterations.  A "step" splits
 * the rank's share of work over its OpenMP threads, each thread recording
 * its part as an "omp_chunk" action, then combines the ranks' partial sums
 * ("allreduce"; only the master thread calls MPI: MPI_THREAD_FUNNELED).
 *
 *   solve/1 => started [rank 0] steps=6 threads=2 step_ms=50
 *       step/2/1 => started [rank 0] step=0
 *           omp_chunk/2/2/1 => started [rank 0, thread 0] lo=0 hi=500
 *           omp_chunk/2/3/1 => started [rank 0, thread 1] lo=500 hi=1000
 *           allreduce/2/4/1 => started [rank 0] local=...
 *       ...
 *
 * Why serialize/continue: each thread has its own current action, so an
 * action a worker thread opened by itself would be the root of a new task.
 * Inside the step, the master thread serializes the step's context once
 * per worker thread (each serialization takes the step's next child slot,
 * Eliot's serialize_task_id); each worker continues its context, so its
 * chunk lands under the step, with its thread index.  The master thread's
 * own chunk simply nests.
 *
 * usage: hybrid_job [-s STEPS] [-m STEP_MS] [-f FLUSH_EVERY] [-k RANK:STEP]
 *                   [OUT.h5]
 *   OUT.h5       the log (default: WEFT_FILE, else weft-<SLURM_JOB_ID>.h5)
 *   -s STEPS     iterations (6); 0 runs until the job is stopped (the
 *                time-limit example, slurm-examples/timelimit.sbatch)
 *   -m STEP_MS   milliseconds each thread works per step (50): a short
 *                computation, then a sleep standing for the heavy part,
 *                so that the example costs little CPU on a shared machine
 *   -f N         weft_mpi_flush every N steps (20; 0: only at the end), so
 *                that a killed job has its log written up to the last
 *                flush, and its journal holds the rest for `weft recover`
 *   -k RANK:STEP rank RANK kills itself (SIGKILL) at step STEP, to see
 *                what `weft recover` rebuilds after a crash
 * Threads: OMP_NUM_THREADS (under Slurm, set it from --cpus-per-task).
 */
#define _POSIX_C_SOURCE 200809L

#include <weft_mpi.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifdef _OPENMP
#include <omp.h>
#endif

enum { MAX_THREADS = 256, ITEMS_PER_THREAD = 500 };

typedef struct config {
  long steps, step_ms, flush_every;
  int kill_rank;
  long kill_step;
  const char *path;
} config;

static int threads_available(void) {
#ifdef _OPENMP
  int n = omp_get_max_threads();
  return n < MAX_THREADS ? n : MAX_THREADS;
#else
  return 1;
#endif
}

static int thread_index(void) {
#ifdef _OPENMP
  return omp_get_thread_num();
#else
  return 0;
#endif
}

/* Sleep ms milliseconds, resuming after signals (Slurm's warning signal
 * must not shorten the work). */
static void sleep_ms(long ms) {
  struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&t, &t) != 0 && errno == EINTR)
    ;
}

/* One thread's part of a step: sum its items, then "work" step_ms. */
static int64_t chunk_work(int64_t lo, int64_t hi, long step_ms) {
  int64_t s = 0;
  for (int64_t i = lo; i < hi; i++)
    s += i * i % 7;
  sleep_ms(step_ms);
  return s;
}

/* The chunk of thread t, as an action under the step: the master thread
 * nests it directly, the others continue the context serialized for them.
 * Returns the first weft error, or 0. */
static int chunk(int t, const char *context, int64_t lo, int64_t hi,
                 long step_ms, int64_t *sum) {
  const weft_field f[] = {WEFT_I64("lo", lo), WEFT_I64("hi", hi)};
  weft_action a;
  int rc = t == 0 ? weft_action_start(&a, "omp_chunk", f, 2)
                  : weft_context_continue(&a, context, "omp_chunk", f, 2);
  if (rc != 0)
    return rc;
  *sum = chunk_work(lo, hi, step_ms);
  WEFT_ADD(a, WEFT_I64("sum", *sum));
  return weft_action_succeed(a);
}

/* One step on this rank: the threads' chunks, then the reduction. */
static int step(long i, int nthreads, const config *cfg, int64_t *total) {
  static char contexts[MAX_THREADS][WEFT_CONTEXT_MAX];
  int64_t sums[MAX_THREADS] = {0};
  int errs[MAX_THREADS] = {0};
  int rc = 0;

  WEFT_WITH_ACTION(s, "step", WEFT_I64("step", i)) {
    for (int t = 1; t < nthreads && rc == 0; t++)
      rc = weft_context_serialize(s, contexts[t], sizeof contexts[t], NULL);
    if (rc != 0) {
      weft_action_fail(s, "serialize", rc);
      break;
    }
#ifdef _OPENMP
#pragma omp parallel num_threads(nthreads)
#endif
    {
      int t = thread_index();
      int64_t lo = (int64_t)t * ITEMS_PER_THREAD;
      errs[t] = chunk(t, contexts[t], lo, lo + ITEMS_PER_THREAD, cfg->step_ms,
                      &sums[t]);
    }
    int64_t local = 0;
    for (int t = 0; t < nthreads; t++) {
      local += sums[t];
      if (errs[t] != 0 && rc == 0)
        rc = errs[t];
    }
    WEFT_WITH_ACTION(r, "allreduce", WEFT_I64("local", local)) {
      MPI_Allreduce(&local, total, 1, MPI_INT64_T, MPI_SUM, MPI_COMM_WORLD);
      WEFT_ADD(r, WEFT_I64("total", *total));
    }
  }
  return rc;
}

static int fail(const char *what, int rc) {
  const char *detail = weft_errmsg();
  fprintf(stderr, "hybrid_job: %s: %s\n", what,
          detail[0] ? detail : weft_strerror(rc));
  return 1;
}

static int usage(const char *msg) {
  fprintf(stderr,
          "hybrid_job: %s\nusage: hybrid_job [-s STEPS] [-m STEP_MS] "
          "[-f FLUSH_EVERY] [-k RANK:STEP] [OUT.h5]\n",
          msg);
  return 2;
}

static int parse_long(const char *s, long *out) {
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno != 0 || end == s || *end != '\0' || v < 0)
    return -1;
  *out = v;
  return 0;
}

static int parse_args(int argc, char **argv, config *cfg) {
  *cfg = (config){6, 50, 20, -1, -1, NULL};
  int c;
  while ((c = getopt(argc, argv, "s:m:f:k:")) != -1) {
    long rank;
    char *colon;
    switch (c) {
    case 's':
      if (parse_long(optarg, &cfg->steps) != 0)
        return usage("-s needs a count >= 0");
      break;
    case 'm':
      if (parse_long(optarg, &cfg->step_ms) != 0)
        return usage("-m needs milliseconds >= 0");
      break;
    case 'f':
      if (parse_long(optarg, &cfg->flush_every) != 0)
        return usage("-f needs a count >= 0");
      break;
    case 'k':
      colon = strchr(optarg, ':');
      if (colon == NULL)
        return usage("-k needs RANK:STEP");
      *colon = '\0';
      if (parse_long(optarg, &rank) != 0 ||
          parse_long(colon + 1, &cfg->kill_step) != 0)
        return usage("-k needs RANK:STEP");
      cfg->kill_rank = (int)rank;
      break;
    default:
      return usage("unknown option");
    }
  }
  if (optind + 1 < argc)
    return usage("more than one output file");
  cfg->path = optind < argc ? argv[optind] : NULL;
  return 0;
}

int main(int argc, char **argv) {
  config cfg;
  if (parse_args(argc, argv, &cfg) != 0)
    return 2;

  int provided;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
  int rank;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  int rc = weft_mpi_init(MPI_COMM_WORLD, cfg.path);
  if (rc != 0) {
    fail("weft_mpi_init", rc);
    MPI_Finalize();
    return 1;
  }

  int nthreads = threads_available();
  int64_t total = 0;
  WEFT_WITH_ACTION(solve, "solve", WEFT_I64("steps", cfg.steps),
                   WEFT_I64("threads", nthreads),
                   WEFT_I64("step_ms", cfg.step_ms)) {
    for (long i = 0; cfg.steps == 0 || i < cfg.steps; i++) {
      if (rank == cfg.kill_rank && i == cfg.kill_step)
        raise(SIGKILL);
      if ((rc = step(i, nthreads, &cfg, &total)) != 0) {
        weft_action_fail(solve, "step failed", rc);
        break;
      }
      if (cfg.flush_every > 0 && (i + 1) % cfg.flush_every == 0 &&
          (rc = weft_mpi_flush()) != 0)
        fail("weft_mpi_flush", rc);
    }
    WEFT_ADD(solve, WEFT_I64("total", total));
  }

  int frc = weft_mpi_finalize();
  MPI_Finalize();
  if (rc != 0)
    return fail("step", rc);
  if (frc != 0)
    return fail("weft_mpi_finalize", frc);
  if (rank == 0)
    printf("hybrid_job: %ld steps, %d threads per rank, total %lld\n",
           cfg.steps, nthreads, (long long)total);
  return 0;
}
