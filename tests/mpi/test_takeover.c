/*
 * test_takeover.c - whose libweft a log shuts down.  A weft_mpi_init that
 * started libweft leaves it running when its log fails at finalize, or
 * when a stop signal closed the log early: libweft's buffers and journal
 * still hold the events, and the next weft_mpi_init takes that libweft
 * over and shuts it down once its own log has them.  But an application
 * that meanwhile shut libweft down and started it again (weft_shutdown;
 * weft_init) owns the new one: no log may shut that down.
 *
 *   test_takeover DIR [SCENARIO]
 *
 * DIR is created; the files go there.  SCENARIO picks one of the five
 * below (default: all of them, in this order).
 *
 * Four scenarios, each starting with libweft not running, "first" logged
 * into log A (DIR/<scenario>_a.h5), whose weft_mpi_init starts libweft:
 *   failed_takeover  A's finalize fails (the disk full at its final flush:
 *                    enospc_shim.c, linked in); "between" logged; log B
 *                    takes libweft over: after B's finalize libweft is
 *                    shut down and A's journal directory is gone; B holds
 *                    first, between and second on every rank
 *   failed_restart   the same, but after A the application restarts
 *                    libweft: after B's finalize libweft still runs and
 *                    logs; "third", logged then, is in log C with
 *                    "fourth", and C's finalize leaves libweft running too
 *   early_takeover   a SIGUSR1 on the last rank: the next weft_mpi_flush
 *                    closes A early (A holds first); then as
 *                    failed_takeover, B holding between and second
 *   early_restart    the same early close, then as failed_restart
 * In the restart scenarios B holds "second" only: the events of the
 * libweft the application shut down are not the new one's.  In the
 * takeover scenarios an action "span" is open across the two logs: its
 * start is in A, its end in B, whose stream begins inside it (an end
 * without its start used to make B's weft_mpi_init fail for good, and
 * its decoding).
 *
 * A fifth, restart_open: the application restarts libweft while log A is
 * open.  The new libweft's names and schemas would take ids A has given
 * other meanings, so A takes nothing more: its next flush and its
 * finalize fail (WEFT_ESHUTDOWN) and it keeps "first"; the application's
 * libweft keeps running, and log C then holds "second" (logged after
 * the restart, still in its buffers) and "third".
 */
#include "all_ranks.h"
#include "check.h"
#include "enospc_shim.h"
#include "log_reader.h"
#include "remove_dir.h"
#include "weft_mpi.h"

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int rank, size;

/* The message types, in the order they are logged. */
enum { FIRST, BETWEEN, SECOND, THIRD, FOURTH, NTYPE };
static const char *const type_name[NTYPE] = {"first", "between", "second",
                                             "third", "fourth"};

/* Messages per rank and type: uneven across ranks. */
static long type_n(int t, int r) { return 40 + 13 * r + 7 * t; }

static void log_type(int t) {
  long failed = 0;
  int rc = 0;
  for (long i = 0; i < type_n(t, rank); i++) {
    weft_field f[2] = {WEFT_I64("i", i), WEFT_I64("rank", rank)};
    int r = weft_message_log(type_name[t], f, 2);
    if (r < 0 && !failed++)
      rc = r;
  }
  CHECK(!failed, "log %s: %ld of %ld messages refused (%s: %s)", type_name[t],
        failed, type_n(t, rank), weft_err_name(rc), weft_errmsg());
}

/* rc is `want` on every rank. */
static void expect(int rc, int want, const char *what) {
  CHECK(rc == want, "%s: got %s (%s), want %s", what, weft_err_name(rc),
        rc ? weft_errmsg() : "", weft_err_name(want));
  int lo = 0, hi = 0;
  MPI_Allreduce(&rc, &lo, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  MPI_Allreduce(&rc, &hi, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  CHECK(lo == hi, "%s: ranks disagree (%d..%d)", what, lo, hi);
  if (rank == 0)
    printf("%-40s -> %s%s%s\n", what, weft_err_name(rc), rc ? ": " : "",
           rc ? weft_errmsg() : "");
}

/* ---- reading the logs back (rank 0) --------------------------------- */

typedef struct seen {
  uint32_t rank;
  long n[NTYPE], bad;
} seen;

static int on_event(void *arg, uint64_t stream, const weft_event *e) {
  seen *s = arg;
  (void)stream;
  if (e->kind != WEFT_KIND_MESSAGE)
    return 0;
  int t = 0;
  while (t < NTYPE && strcmp(e->type, type_name[t]))
    t++;
  if (t == NTYPE)
    return 0; /* weft's own messages */
  const weft_value *r = weft_event_field(e, "rank");
  if (!r || r->type != WEFT_TYPE_I64 || r->v.i64 != (int64_t)s->rank)
    s->bad++;
  else
    s->n[t]++;
  return 0;
}

/* Every rank's part of `path` holds each type of `want` (a bit per type)
 * once, and no other. */
static void verify(const char *path, unsigned want) {
  lr_log log;
  if (lr_open(&log, path) != 0) {
    CHECK(0, "cannot read %s: %s", path, weft_errmsg());
    return;
  }
  for (int r = 0; r < size; r++) {
    seen s;
    memset(&s, 0, sizeof s);
    s.rank = (uint32_t)r;
    CHECK(lr_decode_rank(&log, (uint32_t)r, on_event, &s) == 0,
          "%s: decode rank %d: %s", path, r, weft_errmsg());
    CHECK(s.bad == 0, "%s rank %d: %ld messages of another rank", path, r,
          s.bad);
    for (int t = 0; t < NTYPE; t++) {
      long n = want >> t & 1 ? type_n(t, r) : 0;
      CHECK(s.n[t] == n, "%s rank %d: %ld %s messages, want %ld", path, r,
            s.n[t], type_name[t], n);
    }
  }
  lr_close(&log);
}

/* ---- the scenarios --------------------------------------------------- */

/* Log A ends without shutting libweft down: its finalize fails
 * (`early` 0) or a stop signal closes it (`early` 1). */
static void end_log_a(const char *a, int early) {
  if (early) {
    if (rank == size - 1)
      raise(SIGUSR1); /* sbatch --signal: every rank stops at the flush */
    expect(weft_mpi_flush(), WEFT_OK, "flush after SIGUSR1 (A)");
    CHECK(weft_mpi_path() == NULL, "the log is still open after SIGUSR1");
    return;
  }
  setenv("WEFT_TEST_ENOSPC_FILE", a, 1);
  setenv("WEFT_TEST_ENOSPC", "probe", 1);
  enospc_shim_tally t0, t1;
  enospc_shim_counts(&t0);
  expect(weft_mpi_finalize(), WEFT_EIO, "finalize, disk full (A)");
  enospc_shim_counts(&t1);
  setenv("WEFT_TEST_ENOSPC", "off", 1);
  long probes = (long)(t1.injected[ENOSPC_SHIM_FALLOCATE] -
                       t0.injected[ENOSPC_SHIM_FALLOCATE]);
  long all = 0;
  MPI_Allreduce(&probes, &all, 1, MPI_LONG, MPI_SUM, MPI_COMM_WORLD);
  CHECK(all > 0, "no fallocate failed: the shim is not in front of the probe");
}

/* libweft restarted while log A is open (see the top). */
static void restart_open(const char *dir) {
  char a[4096 + 64], c[4096 + 64];
  snprintf(a, sizeof a, "%s/restart_open_a.h5", dir);
  snprintf(c, sizeof c, "%s/restart_open_c.h5", dir);
  if (rank == 0) {
    printf("== restart_open\n");
    remove(a);
    remove(c);
  }
  MPI_Barrier(MPI_COMM_WORLD);
  weft_options o;
  weft_options_init(&o);
  CHECK(weft_init(&o) == 0, "weft_init: %s", weft_errmsg());
  expect(weft_mpi_init(MPI_COMM_WORLD, a), WEFT_OK, "init (A)");
  log_type(FIRST);
  expect(weft_mpi_flush(), WEFT_OK, "flush (A)");
  CHECK(weft_shutdown() == 0, "weft_shutdown: %s", weft_errmsg());
  CHECK(weft_init(&o) == 0, "weft_init: %s", weft_errmsg());
  log_type(SECOND);
  expect(weft_mpi_flush(), WEFT_ESHUTDOWN, "flush after a restart (A)");
  expect(weft_mpi_finalize(), WEFT_ESHUTDOWN, "finalize after a restart (A)");
  CHECK(weft_is_initialized(), "A's finalize shut down the application's "
                               "libweft");
  log_type(THIRD);
  expect(weft_mpi_init(MPI_COMM_WORLD, c), WEFT_OK, "init (C)");
  expect(weft_mpi_finalize(), WEFT_OK, "finalize (C)");
  CHECK(weft_is_initialized(), "C's finalize shut down the application's "
                               "libweft");
  CHECK(weft_shutdown() == 0, "weft_shutdown: %s", weft_errmsg());
  MPI_Barrier(MPI_COMM_WORLD);
  if (rank == 0) {
    verify(a, 1u << FIRST);
    verify(c, 1u << SECOND | 1u << THIRD);
  }
}

/* By [early][restart]. */
static const char *const scenario_name[2][2] = {
    {"failed_takeover", "failed_restart"}, {"early_takeover", "early_restart"}};

static void scenario(const char *dir, int early, int restart) {
  const char *name = scenario_name[early][restart];
  char a[4096 + 64], b[4096 + 64], c[4096 + 64], journal[4096 + 80];
  snprintf(a, sizeof a, "%s/%s_a.h5", dir, name);
  snprintf(b, sizeof b, "%s/%s_b.h5", dir, name);
  snprintf(c, sizeof c, "%s/%s_c.h5", dir, name);
  snprintf(journal, sizeof journal, "%s.journal", a);
  if (rank == 0) {
    printf("== %s\n", name);
    remove(a);
    remove(b);
    remove(c);
    remove_dir(journal);
  }
  MPI_Barrier(MPI_COMM_WORLD);
  CHECK(!weft_is_initialized(), "%s: libweft running at the start", name);

  expect(weft_mpi_init(MPI_COMM_WORLD, a), WEFT_OK, "init (A)");
  weft_action span = 0;
  if (!restart) {
    CHECK(weft_action_start(&span, "span", NULL, 0) == 0, "span: %s",
          weft_errmsg());
    expect(weft_mpi_flush(), WEFT_OK, "flush with span open (A)");
  }
  log_type(FIRST);
  end_log_a(a, early);
  CHECK(weft_is_initialized(), "%s: libweft shut down with A", name);
  log_type(BETWEEN);
  if (span)
    CHECK(weft_action_succeed(span) == 0, "span: %s", weft_errmsg());
  if (restart) {
    /* The application's own libweft from here on. */
    CHECK(weft_shutdown() == 0, "weft_shutdown: %s", weft_errmsg());
    CHECK(weft_init(NULL) == 0, "weft_init: %s", weft_errmsg());
  }

  expect(weft_mpi_init(MPI_COMM_WORLD, b), WEFT_OK, "init (B)");
  log_type(SECOND);
  expect(weft_mpi_finalize(), WEFT_OK, "finalize (B)");
  MPI_Barrier(MPI_COMM_WORLD); /* every rank's journal cleanup is done */
  struct stat st;
  if (!restart) {
    /* B took over A's libweft and, with everything written, shut it
     * down: its journals and their directory are gone. */
    CHECK(!weft_is_initialized(), "%s: libweft left running after B", name);
    CHECK(stat(journal, &st) != 0, "%s: %s is still there", name, journal);
  } else {
    CHECK(weft_is_initialized(),
          "%s: B's finalize shut down the application's libweft", name);
    log_type(THIRD);
    expect(weft_mpi_init(MPI_COMM_WORLD, c), WEFT_OK, "init (C)");
    log_type(FOURTH);
    expect(weft_mpi_finalize(), WEFT_OK, "finalize (C)");
    CHECK(weft_is_initialized(),
          "%s: C's finalize shut down the application's libweft", name);
    if (weft_is_initialized())
      CHECK(weft_shutdown() == 0, "weft_shutdown: %s", weft_errmsg());
  }

  MPI_Barrier(MPI_COMM_WORLD);
  if (rank == 0) {
    if (early)
      verify(a, 1u << FIRST);
    if (restart) {
      verify(b, 1u << SECOND);
      verify(c, 1u << THIRD | 1u << FOURTH);
      /* The journals the application's weft_shutdown kept (with the
       * events no log took) are of no use here. */
      remove_dir(journal);
    } else {
      verify(b, (early ? 0 : 1u << FIRST) | 1u << BETWEEN | 1u << SECOND);
    }
  }
}

int main(int argc, char **argv) {
  const char *only = argc > 2 ? argv[2] : NULL;
  int known = !only || !strcmp(only, "restart_open");
  for (int i = 0; i < 4 && !known; i++)
    known = !strcmp(only, scenario_name[i / 2][i % 2]);
  if (argc < 2 || argc > 3 || !known) {
    fprintf(stderr, "usage: test_takeover DIR [failed_takeover|"
                    "failed_restart|early_takeover|early_restart|"
                    "restart_open]\n");
    return 2;
  }
  MPI_Init(&argc, &argv);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (rank == 0)
    mkdir(argv[1], 0755);
  MPI_Barrier(MPI_COMM_WORLD);
  for (int early = 0; early < 2; early++)
    for (int restart = 0; restart < 2; restart++)
      if (!only || !strcmp(only, scenario_name[early][restart]))
        scenario(argv[1], early, restart);
  if (!only || !strcmp(only, "restart_open"))
    restart_open(argv[1]);
  return all_ranks_finish(failures);
}
