/*
 * test_disk_full.c - a disk that is really full (ENOSPC from the file
 * system, not the RLIMIT_FSIZE of test_errors.c, which the space probe
 * checks by itself): every rank gets the same clear error, no rank hangs,
 * the application goes on, and no buffered event is lost.
 *
 *   test_disk_full DIR [flushes|final_probe|final|lost|commit|close|
 *                       commit_done|close_done|PART_check|all [FAIL_RANK]]
 *
 * DIR is created; the files go there.  The first word picks the parts
 * below (default all).  The failures come from enospc_shim.c, linked in:
 * WEFT_TEST_ENOSPC set between the steps makes fallocate or the writes to
 * one file fail with ENOSPC.  FAIL_RANK (default 1, 0 with one rank) is
 * the rank whose writes alone fail in the one_rank and one_write steps;
 * it must write: under two-phase collective I/O (WEFT_IO=collective, or
 * auto with small flushes) only the aggregators do, and rank 0 is one.
 *
 * Part 1, DIR/full.h5 (the flushes; each batch is a type of action):
 *   before     logged, flushed                          -> ok
 *   probe      the space probe's fallocate fails, twice -> WEFT_EIO, "No
 *              space left on device", naming the file, on every rank; no
 *              write reached the file
 *   one_rank   the probe passes, then FAIL_RANK's writes fail
 *                                                       -> WEFT_EIO
 *   one_write  only FAIL_RANK's first write fails (a disk full for a
 *              moment)                                  -> WEFT_EIO
 *   all_ranks  the probe passes, then every write fails -> WEFT_EIO
 *   after      room again                               -> ok; finalize ok
 *   An action ("span") is open across all of it.  Rank 0 then reads the
 *   log: every action of every batch of every rank is there exactly once
 *   with the field values logged, and failed_flushes counts the 5 failed
 *   attempts.
 * Parts final_probe and final, DIR/final_MODE.h5 (the final flush):
 *   kept       logged, flushed                          -> ok
 *   final      logged; in weft_mpi_finalize the probe finds the disk full
 *              (final_probe: "No space left on device", naming the file)
 *              or every write fails (final)             -> WEFT_EIO on
 *              every rank; each rank's crash journal is kept
 *   then, with room, weft_mpi_init(DIR/rescue_MODE.h5) writes the events
 *   the final flush could not (its first flush writes what is buffered);
 *   finalize ok, and, as it took over the libweft the failed log had
 *   started, shuts it down: the journals go.  final_MODE.h5
 *   holds `kept` once and not `final`; rescue_MODE.h5 holds `final` once.
 *   In part final the log is closed without another write to it
 *   (metadata_discard.c: the metadata goes to a scratch file in memory;
 *   TMPDIR is set to a missing directory, which must not matter); before
 *   that, H5Fclose hung
 *   (2 ranks) or HDF5 crashed in MPI_Finalize (1 rank).  With 4 and 8
 *   ranks part final needs WEFT_IO=independent: under two-phase I/O Open
 *   MPI loses the write for good and the rescue log is refused, as in
 *   part lost.
 *
 * Part lost: see part_lost.  Parts commit, close, commit_done and
 * close_done, then PART_check (not in all; disk_full_commit.sh runs weft
 * recover in between): see part_commit.
 *
 * Every failing step checks the shim's counts: the failures were injected
 * (otherwise the step tested nothing and the test fails), and no write to
 * the file went around them (aio_write is only counted).
 */
#include "all_ranks.h"
#include "check.h"
#include "enospc_shim.h"
#include "log_reader.h"
#include "weft_mpi.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int rank, size, fail_rank;

/* The batches, in the order they are logged. */
enum {
  BEFORE,
  PROBE,
  ONE_RANK,
  ONE_WRITE,
  ALL_RANKS,
  AFTER,
  KEPT,
  FINAL,
  NBATCH
};
static const char *const batch_type[NBATCH] = {
    "before",    "probe", "one_rank", "one_write",
    "all_ranks", "after", "kept",     "final"};

/* Actions per rank and batch: uneven across ranks and batches. */
static int64_t batch_n(int b, int r) { return 300 + 97 * r + 41 * b; }

/* The value of field "v" of action i of batch b on rank r. */
static int64_t value_of(int b, int r, int64_t i) {
  return i * 1000003 + r * 7919 + b;
}

/* The padding makes a batch's payload 60-200 KiB per rank. */
static void log_batch(int b) {
  char pad[200];
  memset(pad, 'a' + b, sizeof pad - 1);
  pad[sizeof pad - 1] = '\0';
  for (int64_t i = 0; i < batch_n(b, rank); i++) {
    weft_action a;
    weft_field f[4] = {WEFT_I64("i", i), WEFT_I64("rank", rank),
                       WEFT_I64("v", value_of(b, rank, i)),
                       WEFT_STR("pad", pad)};
    CHECK(weft_action_start(&a, batch_type[b], f, 4) == 0, "start %s: %s",
          batch_type[b], weft_errmsg());
    CHECK(weft_action_succeed(a) == 0, "succeed %s", batch_type[b]);
  }
}

static long sum_all(long mine) {
  long all = 0;
  MPI_Allreduce(&mine, &all, 1, MPI_LONG, MPI_SUM, MPI_COMM_WORLD);
  return all;
}

/* rc is `want` on every rank, with the same message on every rank, which
 * contains needle1 and needle2 (either may be NULL). */
static void expect(int rc, int want, const char *what, const char *needle1,
                   const char *needle2) {
  CHECK(rc == want, "%s: got %s (%s), want %s", what, weft_err_name(rc),
        weft_errmsg(), weft_err_name(want));
  CHECK(!needle1 || strstr(weft_errmsg(), needle1),
        "%s: message \"%s\" lacks \"%s\"", what, weft_errmsg(), needle1);
  CHECK(!needle2 || strstr(weft_errmsg(), needle2),
        "%s: message \"%s\" lacks \"%s\"", what, weft_errmsg(), needle2);
  /* The code and the message (its hash) alike on every rank. */
  unsigned long h = 5381;
  for (const char *c = rc ? weft_errmsg() : ""; *c; c++)
    h = h * 33 + (unsigned char)*c;
  long mine[2] = {rc, (long)(h & 0x7fffffff)}, lo[2], hi[2];
  MPI_Allreduce(mine, lo, 2, MPI_LONG, MPI_MIN, MPI_COMM_WORLD);
  MPI_Allreduce(mine, hi, 2, MPI_LONG, MPI_MAX, MPI_COMM_WORLD);
  CHECK(lo[0] == hi[0], "%s: ranks disagree (%ld..%ld)", what, lo[0], hi[0]);
  CHECK(lo[1] == hi[1], "%s: ranks' messages differ (\"%s\" here)", what,
        weft_errmsg());
  if (rank == 0)
    printf("%-34s -> %s%s%s\n", what, weft_err_name(rc), rc ? ": " : "",
           rc ? weft_errmsg() : "");
}

/* What the shim did during one step, on this rank. */
typedef struct step {
  enospc_shim_tally t0;
  const char *what;
} step;

static void step_begin(step *s, const char *what, const char *mode) {
  s->what = what;
  setenv("WEFT_TEST_ENOSPC", mode, 1);
  enospc_shim_counts(&s->t0);
}

/* Switch the failures off and check what the shim did: `probes` fallocate
 * failures in all (rank 0's space probe); write failures only where
 * rank_fails, and `writes`: 0 none, 1 at least one, 2 at least one and
 * every write failed (nothing reached the file).  `closes`: H5Fclose ran
 * in the step and may rewrite metadata where it is (the superblock),
 * which a full disk allows, so writes may go through after a failed
 * probe. */
static void step_end(step *s, long probes, int writes, int rank_fails,
                     int closes) {
  setenv("WEFT_TEST_ENOSPC", "off", 1);
  enospc_shim_tally t;
  enospc_shim_counts(&t);
  long fa = (long)(t.injected[ENOSPC_SHIM_FALLOCATE] -
                   s->t0.injected[ENOSPC_SHIM_FALLOCATE]);
  long wr = 0, through = 0;
  for (int c = ENOSPC_SHIM_PWRITE; c < ENOSPC_SHIM_CALLS; c++) {
    wr += (long)(t.injected[c] - s->t0.injected[c]);
    through += (long)(t.passed[c] - s->t0.passed[c]);
  }
  CHECK(rank_fails || wr == 0, "%s: %ld writes failed on rank %d", s->what, wr,
        rank);
  long all_fa = sum_all(fa), all_wr = sum_all(wr);
  long all_through = sum_all(through);
  CHECK(all_fa == probes, "%s: %ld fallocate failures injected, want %ld",
        s->what, all_fa, probes);
  CHECK(writes ? all_wr > 0 : all_wr == 0,
        "%s: %ld write failures injected (the shim is not in front of "
        "MPI-IO's writes?)",
        s->what, all_wr);
  /* With writes failing on every rank (or the probe failing, before any
   * write), nothing may reach the file. */
  CHECK(!((probes && !closes) || writes == 2) || all_through == 0,
        "%s: %ld writes reached the file while it was full", s->what,
        all_through);
  if (rank == 0)
    printf("%-34s    injected: %ld fallocate, %ld writes; %ld writes went "
           "through\n",
           s->what, all_fa, all_wr, all_through);
}

/* ---- reading the logs back ------------------------------------------- */

typedef struct seen {
  uint32_t rank;
  int64_t starts[NBATCH], ends[NBATCH];
  unsigned char *got[NBATCH]; /* action i of the batch seen */
  int64_t span_starts, span_ends;
  long bad;
} seen;

static int64_t field_i64(const weft_event *e, const char *name, int *ok) {
  const weft_value *v = weft_event_field(e, name);
  if (!v || v->type != WEFT_TYPE_I64) {
    *ok = 0;
    return 0;
  }
  return v->v.i64;
}

static int on_event(void *arg, uint64_t stream, const weft_event *e) {
  seen *s = arg;
  (void)stream;
  if (!strcmp(e->type, "span")) {
    s->span_starts += e->kind == WEFT_KIND_START;
    s->span_ends += e->kind == WEFT_KIND_SUCCESS;
    return 0;
  }
  int b = 0;
  while (b < NBATCH && strcmp(e->type, batch_type[b]))
    b++;
  if (b == NBATCH)
    return 0; /* weft's own messages */
  if (e->kind == WEFT_KIND_SUCCESS) {
    s->ends[b]++;
    return 0;
  }
  if (e->kind != WEFT_KIND_START)
    return 0;
  s->starts[b]++;
  int ok = 1;
  int64_t i = field_i64(e, "i", &ok), r = field_i64(e, "rank", &ok);
  int64_t v = field_i64(e, "v", &ok);
  if (!ok || r != s->rank || i < 0 || i >= batch_n(b, (int)s->rank) ||
      v != value_of(b, (int)s->rank, i) || s->got[b][i]) {
    if (s->bad++ < 5)
      CHECK(0, "rank %u %s: i %lld rank %lld v %lld%s", s->rank, batch_type[b],
            (long long)i, (long long)r, (long long)v,
            ok && i >= 0 && i < batch_n(b, (int)s->rank) && s->got[b][i]
                ? " (twice)"
                : "");
    return 0;
  }
  s->got[b][i] = 1;
  return 0;
}

/* Check that `path` holds, for every rank, each batch of `want` (a bit
 * per batch) exactly once and no other batch; the span action when
 * `span`.  Fills *c with the committed counters. */
static void verify(const char *path, unsigned want, int span, int closed,
                   lr_committed *c) {
  lr_log log;
  memset(c, 0, sizeof *c);
  if (lr_open(&log, path) != 0) {
    CHECK(0, "cannot read %s", path);
    return;
  }
  *c = log.c;
  CHECK(log.closed == closed, "%s: state %s, want %s", path,
        log.closed ? "closed" : "open", closed ? "closed" : "open");
  for (int r = 0; r < size; r++) {
    seen s;
    memset(&s, 0, sizeof s);
    s.rank = (uint32_t)r;
    for (int b = 0; b < NBATCH; b++)
      s.got[b] = calloc((size_t)batch_n(b, r), 1);
    CHECK(lr_decode_rank(&log, (uint32_t)r, on_event, &s) == 0,
          "%s: decode rank %d: %s", path, r, weft_errmsg());
    for (int b = 0; b < NBATCH; b++) {
      int64_t n = want >> b & 1 ? batch_n(b, r) : 0;
      CHECK(s.starts[b] == n && s.ends[b] == n,
            "%s rank %d %s: %lld starts, %lld ends, want %lld", path, r,
            batch_type[b], (long long)s.starts[b], (long long)s.ends[b],
            (long long)n);
      free(s.got[b]);
    }
    CHECK(s.span_starts == span && s.span_ends == span,
          "%s rank %d: span %lld starts, %lld ends, want %d", path, r,
          (long long)s.span_starts, (long long)s.span_ends, span);
  }
  lr_close(&log);
}

/* ---- the journal ---------------------------------------------------- */

/* Whether this process's journal (<host>.<pid>.wj) is in dir. */
static int journal_present(const char *dir) {
  char tail[64];
  snprintf(tail, sizeof tail, ".%ld.wj", (long)getpid());
  DIR *d = opendir(dir);
  if (!d)
    return 0;
  int found = 0;
  struct dirent *e;
  size_t n = strlen(tail);
  while (!found && (e = readdir(d))) {
    size_t len = strlen(e->d_name);
    found = len > n && !strcmp(e->d_name + len - n, tail);
  }
  closedir(d);
  return found;
}

/* ---- the parts ------------------------------------------------------- */

/* Log `batch`, then a flush while only FAIL_RANK's writes fail, in shim
 * mode KIND:FAIL_RANK then `tail`: WEFT_EIO on every rank, failures
 * injected on that rank only. */
static void fail_rank_step(const char *path, int batch, const char *kind,
                           const char *tail, const char *what) {
  char mode[64];
  snprintf(mode, sizeof mode, "%s:%d%s", kind, fail_rank, tail);
  log_batch(batch);
  step s;
  step_begin(&s, mode, mode);
  expect(weft_mpi_flush(), WEFT_EIO, what, "No space left on device", path);
  step_end(&s, 0, 1, rank == fail_rank, 0);
}

/* Begin a part: remove `path` (and `also`, when not NULL) from an earlier
 * run, aim the shim at path with nothing failing, and weft_mpi_init(path),
 * which starts libweft (not running between parts).  Returns its rc. */
static int part_begin(const char *path, const char *also, const char *what) {
  if (rank == 0) {
    remove(path);
    if (also)
      remove(also);
  }
  MPI_Barrier(MPI_COMM_WORLD);
  setenv("WEFT_TEST_ENOSPC_FILE", path, 1);
  setenv("WEFT_TEST_ENOSPC", "off", 1);
  CHECK(!weft_is_initialized(), "%s: libweft still initialised", what);
  int rc = weft_mpi_init(MPI_COMM_WORLD, path);
  expect(rc, WEFT_OK, what, NULL, NULL);
  return rc;
}

static void part_flushes(const char *dir) {
  /* A file system without fallocate (the shim's
   * WEFT_TEST_ENOSPC_NO_FALLOCATE): the probe only asks statvfs, which
   * finds room, so there is no probe step, and the writer must write
   * independently to hear of the failures that follow. */
  const char *nf = getenv("WEFT_TEST_ENOSPC_NO_FALLOCATE");
  int no_fallocate = nf && !strcmp(nf, "1");
  char path[4096];
  snprintf(path, sizeof path, "%s/full.h5", dir);
  if (part_begin(path, NULL, "init") != WEFT_OK)
    return;
  weft_action span;
  weft_field sf[1] = {WEFT_I64("rank", rank)};
  CHECK(weft_action_start(&span, "span", sf, 1) == 0, "start span");

  log_batch(BEFORE);
  expect(weft_mpi_flush(), WEFT_OK, "flush", NULL, NULL);

  step s;
  log_batch(PROBE);
  if (!no_fallocate) {
    step_begin(&s, "probe fails (twice)", "probe");
    expect(weft_mpi_flush(), WEFT_EIO, "flush, probe finds no space",
           "No space left on device", path);
    expect(weft_mpi_flush(), WEFT_EIO, "flush again, still no space",
           "No space left on device", path);
    step_end(&s, 2, 0, 0, 0);
  }

  fail_rank_step(path, ONE_RANK, "write_rank", "",
                 "flush, one rank's writes fail");
  /* A disk full for a moment: one write fails, the next ones do not. */
  fail_rank_step(path, ONE_WRITE, "write_first", ":1",
                 "flush, one write fails");

  log_batch(ALL_RANKS);
  step_begin(&s, "write", "write");
  expect(weft_mpi_flush(), WEFT_EIO, "flush, every write fails",
         "No space left on device", path);
  step_end(&s, 0, 2, 1, 0);

  log_batch(AFTER);
  expect(weft_mpi_flush(), WEFT_OK, "flush with room again", NULL, NULL);
  CHECK(weft_action_succeed(span) == 0, "end span");
  expect(weft_mpi_finalize(), WEFT_OK, "finalize", NULL, NULL);

  if (rank == 0) {
    lr_committed c;
    verify(path,
           1u << BEFORE | 1u << PROBE | 1u << ONE_RANK | 1u << ONE_WRITE |
               1u << ALL_RANKS | 1u << AFTER,
           1, 1, &c);
    unsigned long long want = no_fallocate ? 3 : 5;
    CHECK(c.failed_flushes == want, "failed_flushes %llu, want %llu",
          (unsigned long long)c.failed_flushes, want);
  }
}

/* `mode`: the shim's mode during weft_mpi_finalize: "write" (every write
 * fails) or "probe" (the disk is full when the final flush probes it). */
static void part_final(const char *dir, const char *mode) {
  int probe = !strcmp(mode, "probe");
  char path[4096], rescue[4096], journal[4096 + 16];
  snprintf(path, sizeof path, "%s/final_%s.h5", dir, mode);
  snprintf(rescue, sizeof rescue, "%s/rescue_%s.h5", dir, mode);
  snprintf(journal, sizeof journal, "%s.journal", path);
  /* weft_mpi_init starts libweft here, with a journal beside the log. */
  if (part_begin(path, rescue, "init (final)") != WEFT_OK)
    return;
  CHECK(journal_present(journal), "no journal of pid %ld in %s", (long)getpid(),
        journal);
  log_batch(KEPT);
  expect(weft_mpi_flush(), WEFT_OK, "flush (final)", NULL, NULL);

  log_batch(FINAL);
  char scratch[4096 + 16];
  snprintf(scratch, sizeof scratch, "%s/no-such-dir", dir);
  if (!probe)
    setenv("TMPDIR", scratch, 1);
  step s;
  step_begin(&s, probe ? "probe (finalize)" : "write (finalize)", mode);
  expect(weft_mpi_finalize(), WEFT_EIO,
         probe ? "finalize, no space" : "finalize, every write fails",
         probe ? "No space left on device" : NULL, probe ? path : NULL);
  if (probe)
    step_end(&s, 1, 0, 0, 1);
  else
    step_end(&s, 0, 2, 1, 1);
  CHECK(journal_present(journal), "the journal of pid %ld left %s",
        (long)getpid(), journal);
  CHECK(weft_is_initialized(), "libweft shut down after a failed finalize");

  /* With room again, a new log takes what is buffered. */
  expect(weft_mpi_init(MPI_COMM_WORLD, rescue), WEFT_OK, "init (rescue)", NULL,
         NULL);
  expect(weft_mpi_finalize(), WEFT_OK, "finalize (rescue)", NULL, NULL);
  /* The rescue took over the libweft the failed log had started, and with
   * everything written shut it down: the journal is gone. */
  CHECK(!weft_is_initialized(), "libweft left running after the rescue");
  CHECK(!journal_present(journal), "the journal of pid %ld is still in %s",
        (long)getpid(), journal);

  MPI_Barrier(MPI_COMM_WORLD);
  if (rank == 0) {
    lr_committed c;
    verify(path, 1u << KEPT, 0, 0, &c);
    verify(rescue, 1u << FINAL, 0, 1, &c);
  }
}

/* Part lost, DIR/lost.h5: FAIL_RANK's writes fail after the probe
 * passed, under the transfer WEFT_IO picks (two-phase collective I/O for
 * these small flushes).  The flush fails on every rank, saying why ("No
 * space left on device" when the failing rank's H5Dwrite heard of it,
 * "lost a write" when MPI-IO kept it to itself: Open MPI 4.1's OMPIO
 * with an aggregator failing).  Then, with room again: either the next
 * flush and finalize succeed and the file holds every batch, or this
 * MPI-IO lost the write for good, and every flush and the finalize fail
 * the same way, never hang, and the events stay buffered, with the
 * journal kept for weft recover. */
static void part_lost(const char *dir) {
  char path[4096], journal[4096 + 16];
  snprintf(path, sizeof path, "%s/lost.h5", dir);
  snprintf(journal, sizeof journal, "%s.journal", path);
  if (part_begin(path, NULL, "init (lost)") != WEFT_OK)
    return;
  log_batch(BEFORE);
  expect(weft_mpi_flush(), WEFT_OK, "flush (lost)", NULL, NULL);

  char mode[64];
  snprintf(mode, sizeof mode, "write_rank:%d", fail_rank);
  log_batch(ONE_RANK);
  step s;
  step_begin(&s, mode, mode);
  int rc = weft_mpi_flush();
  int lost = rc == WEFT_EIO && strstr(weft_errmsg(), "lost a write");
  expect(rc, WEFT_EIO, "flush, one rank's writes fail (lost)",
         lost ? "lost a write" : "No space left on device", path);
  step_end(&s, 0, 1, rank == fail_rank, 0);

  log_batch(AFTER);
  rc = weft_mpi_flush();
  lost = rc == WEFT_EIO && strstr(weft_errmsg(), "lost a write");
  expect(rc, lost ? WEFT_EIO : WEFT_OK, "flush with room again (lost)",
         lost ? "lost a write" : NULL, lost ? path : NULL);
  expect(weft_mpi_finalize(), lost ? WEFT_EIO : WEFT_OK, "finalize (lost)",
         lost ? "lost a write" : NULL, NULL);
  if (lost) {
    weft_stats st;
    CHECK(weft_stats_get(&st) == 0 && st.bytes_pending > 0,
          "the events are no longer buffered");
    CHECK(journal_present(journal), "the journal of pid %ld left %s",
          (long)getpid(), journal);
    CHECK(weft_shutdown() == 0, "weft_shutdown: %s", weft_errmsg());
    CHECK(journal_present(journal), "weft_shutdown removed the journal");
  } else if (rank == 0) {
    lr_committed c;
    verify(path, 1u << BEFORE | 1u << ONE_RANK | 1u << AFTER, 0, 1, &c);
  }
  if (rank == 0)
    printf("part lost: %s\n", lost ? "MPI-IO lost the write for good"
                                   : "MPI-IO reported the failure");
}

/* Parts commit and close, DIR/commit.h5 and DIR/close.h5: every row of a
 * flush is written, then a write of its metadata fails: in the H5Fflush
 * of a commit (commit), or in the H5Fclose of weft_mpi_finalize (close).
 * The shim's mode write_below:4096 fails the writes that begin in the
 * first 4 KiB, where HDF5 put the object headers it rewrites at every
 * commit and where no row goes, on whichever rank makes them.  That rank
 * used to leave HDF5's metadata flush early while the others waited in
 * it: the job hung.  Now (metadata_shield.c) WEFT_EIO on every rank; the
 * log may hold that metadata in part, so the next flush and finalize
 * refuse to write to it; the events stay buffered and in the journals.
 * disk_full_commit.sh then runs weft recover and part PART_check: every
 * batch is in the recovered log once.
 *
 * Parts commit_done and close_done: the same writes reach the file and
 * are reported failed after (write_below_done:4096), so the log does hold
 * that commit, readable, while the writer counts it failed.  Recovery must
 * go by the epochs the log shows committed (the journal keeps the marks
 * of that commit: weft__pending_keep) and not add its events twice. */
static void part_commit(const char *dir, const char *name) {
  int close = !strncmp(name, "close", 5);
  int done = strstr(name, "_done") != NULL;
  const char *mode = done ? "write_below_done:4096" : "write_below:4096";
  char path[4096], journal[4096 + 16], what[64];
  snprintf(path, sizeof path, "%s/%s.h5", dir, name);
  snprintf(journal, sizeof journal, "%s.journal", path);
  if (part_begin(path, NULL, "init") != WEFT_OK)
    return;
  log_batch(BEFORE);
  expect(weft_mpi_flush(), WEFT_OK, "flush", NULL, NULL);
  log_batch(ONE_RANK);
  step s;
  step_begin(&s, mode, mode);
  snprintf(what, sizeof what, "%s, a metadata write fails",
           close ? "finalize" : "flush");
  expect(close ? weft_mpi_finalize() : weft_mpi_flush(), WEFT_EIO, what,
         "No space left on device", path);
  step_end(&s, 0, 1, 1, close);
  if (!close) {
    /* Nothing more reaches the damaged log (the close goes to the
     * scratch file). */
    enospc_shim_tally t0, t1;
    enospc_shim_counts(&t0);
    log_batch(AFTER);
    expect(weft_mpi_flush(), WEFT_EIO, "flush after it",
           "nothing more is written", path);
    expect(weft_mpi_finalize(), WEFT_EIO, "finalize after it",
           "nothing more is written", path);
    enospc_shim_counts(&t1);
    long wrote = 0;
    for (int c = ENOSPC_SHIM_PWRITE; c < ENOSPC_SHIM_CALLS; c++)
      wrote += (long)(t1.passed[c] - t0.passed[c]);
    wrote = sum_all(wrote);
    CHECK(wrote == 0, "%ld writes reached the damaged log", wrote);
  }
  weft_stats st;
  CHECK(weft_stats_get(&st) == 0 && st.bytes_pending > 0,
        "the events are no longer buffered");
  CHECK(weft_shutdown() == 0, "weft_shutdown: %s", weft_errmsg());
  CHECK(journal_present(journal), "no journal of pid %ld in %s", (long)getpid(),
        journal);
}

/* Parts PART_check, after weft recover: every batch of PART is in the log
 * once.  close_done's log was closed by its H5Fclose (whose writes all
 * reached it). */
static void part_check(const char *dir, const char *name) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s.h5", dir, name);
  unsigned want = 1u << BEFORE | 1u << ONE_RANK;
  if (!strncmp(name, "commit", 6))
    want |= 1u << AFTER;
  if (rank == 0) {
    lr_committed c;
    verify(path, want, 0, !strcmp(name, "close_done"), &c);
  }
}

/* Whether `part` is one of parts commit, close, commit_done, close_done,
 * followed by `tail`. */
static int commit_part(const char *part, const char *tail) {
  static const char *const names[] = {"commit", "close", "commit_done",
                                      "close_done"};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    size_t n = strlen(names[i]);
    if (!strncmp(part, names[i], n) && !strcmp(part + n, tail))
      return 1;
  }
  return 0;
}

int main(int argc, char **argv) {
  const char *part = argc > 2 ? argv[2] : "all";
  if (argc < 2 || argc > 4 ||
      (strcmp(part, "flushes") && strcmp(part, "final") &&
       strcmp(part, "final_probe") && strcmp(part, "lost") &&
       !commit_part(part, "") && !commit_part(part, "_check") &&
       strcmp(part, "all"))) {
    fprintf(stderr, "usage: test_disk_full DIR [flushes|final|final_probe|"
                    "lost|commit|close|commit_done|close_done|PART_check|"
                    "all [FAIL_RANK]]\n");
    return 2;
  }
  MPI_Init(&argc, &argv);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  fail_rank = argc > 3 ? atoi(argv[3]) : size > 1;
  CHECK(fail_rank >= 0 && fail_rank < size, "FAIL_RANK %d of %d ranks",
        fail_rank, size);
  if (rank == 0)
    mkdir(argv[1], 0755);
  MPI_Barrier(MPI_COMM_WORLD);

  if (!strcmp(part, "flushes") || !strcmp(part, "all"))
    part_flushes(argv[1]);
  if (!strcmp(part, "final_probe") || !strcmp(part, "all"))
    part_final(argv[1], "probe");
  if (!strcmp(part, "final") || !strcmp(part, "all"))
    part_final(argv[1], "write");
  if (!strcmp(part, "lost"))
    part_lost(argv[1]);
  if (commit_part(part, ""))
    part_commit(argv[1], part);
  if (commit_part(part, "_check")) {
    char name[32];
    snprintf(name, sizeof name, "%.*s", (int)(strlen(part) - 6), part);
    part_check(argv[1], name);
  }

  return all_ranks_finish(failures);
}
