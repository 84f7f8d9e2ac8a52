/*
 * lifecycle.c - MPI_Init, MPI_Init_thread, MPI_Finalize and MPI_Pcontrol
 * as libweft-pmpi sees them.
 *
 * After PMPI_Init: when the application has not initialised libweft
 * itself, libweft-pmpi does (options from the environment, and the crash
 * journal beside the log it will write, as weft_mpi_init would: a job
 * that dies before MPI_Finalize leaves its trace for `weft recover`; when
 * the application has, its own crash journal is named for that log,
 * name_own_journal), and
 * opens the job-wide action "mpi_job" over MPI_COMM_WORLD (a collective
 * action: one node with a child on every rank), so every MPI call of an
 * unmodified program nests in one tree.  A program that uses Weft itself may
 * still call weft_mpi_init: it finds libweft initialised and writes its log as
 * usual (it must not call weft_init after MPI_Init, see docs/causality.md).
 *
 * Before PMPI_Finalize: "mpi_job" is finished, then the log is written:
 * by weft_mpi_finalize when a log is open; by weft_mpi_init +
 * weft_mpi_finalize on MPI_COMM_WORLD when the application never opened
 * one (also when it initialised libweft itself, on some ranks or all:
 * their events are written then); not at all when the application
 * already wrote and closed its own.  Those calls run inside the guard:
 * HDF5's MPI traffic is never traced.
 *
 * Like Darshan, the wrappers return the application's MPI result
 * unchanged and never fail the job because of Weft; and, like Darshan,
 * they print a warning (rank 0) when the job cannot be traced or its
 * trace could not be written.
 */
#include "journal.h"
#include "pmpi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

pm_state pm;
/* The log libweft-pmpi writes at MPI_Finalize, named at MPI_Init: for
 * a libweft of ours, the log its journal is beside, for the warning
 * below; for the application's, WEFT_FILE, which its journal is named
 * for provisionally (name_own_journal, unname_old_journal). */
static char log_name[4096];
/* The journal name_own_journal named last ("" when none) and its
 * libweft's generation, kept to unname it once that libweft is gone;
 * named_prov: the journal of pm.named_gen is still named provisionally
 * (not since by a log of the application's). */
static char named_path[4096];
static uint32_t named_path_gen;
static int named_prov;

static int64_t mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The job action ends while it can still be written (it stays open, and
 * is shown unfinished, when the application left actions open in it). */
static void finish_job(void) {
  if (pm.job && weft_action_current() == pm.job &&
      weft_action_succeed(pm.job) == WEFT_OK)
    pm.job = 0;
}

static void unname_old_journal(void);

/* Called by weft_mpi_finalize before its last flush (guard.h). */
static void before_log_closes(void) {
  pm.saw_writer = 1;
  /* The application's own log named its libweft's journal with its rank
   * there: pm_note_writer must not name it provisionally for ours after
   * the log closes. */
  if (pm.named_gen && !pm.owns_weft && weft_is_initialized()) {
    unname_old_journal();
    pm.named_gen = weft__generation();
    named_prov = 0;
  }
  finish_job();
}

/* A program that initialised libweft itself with a crash journal
 * (weft_options.journal_dir, WEFT_JOURNAL_DIR) and leaves its log to us
 * gets the log of MPI_COMM_WORLD at MPI_Finalize, where its rank is its
 * world rank.  With WEFT_FILE set, its journal says so from MPI_Init on
 * (weft_mpi_init names a journal only once its log is made), so that weft
 * recover can use it should the process die before MPI_Finalize:
 * provisionally, with no rank in the log (-1) but its world rank
 * (docs/journal.md), since the program may still open a log of its own,
 * which names its ranks' journals anew.  Without WEFT_FILE the journal
 * stays unnamed until MPI_Finalize: the default name is decided only when
 * a log is opened (holding one from MPI_Init on would change the name a
 * log of the program's own gets, and leave an empty file behind after a
 * kill), and a journal of no particular log could be taken into any log
 * rebuilt from the same directory. */
static void name_own_journal(void) {
  const char *env = getenv("WEFT_FILE");
  if (!weft__journal_path() || !env || !*env)
    return;
  char abs[sizeof log_name];
  snprintf(log_name, sizeof log_name, "%s",
           weft__path_absolute(env, abs, sizeof abs));
  weft__journal_name(-1, log_name);
  pm.named_gen = named_path_gen = weft__generation();
  named_prov = 1;
  snprintf(named_path, sizeof named_path, "%s", weft__journal_path());
}

/* The journal name_own_journal named, of a libweft the application has
 * shut down since (and perhaps started again): what it holds was never
 * written, and is discarded, as the docs say of events not written when
 * the application shuts libweft down.  It names no rank any more, so
 * that no rebuild takes it for a rank of a later run's log. */
static void unname_old_journal(void) {
  const char *now = weft__journal_path();
  if (named_path[0] && named_path_gen != weft__generation() &&
      !(now && !strcmp(now, named_path))) {
    /* Inside the application's MPI calls: its weft_errmsg() stays (kept
     * on the stack: threads may get here at once, from MPI_Finalize's
     * hook and a traced call). */
    char keep[WEFT__ERRMSG_MAX];
    snprintf(keep, sizeof keep, "%s", weft_errmsg());
    if (weft__journal_unname_file(named_path, log_name) != WEFT_OK)
      fprintf(stderr,
              "weft: libweft-pmpi could not set the journal %s, of a "
              "libweft the program shut down, back to no rank: %s; if weft "
              "recover can still read it, it may take its events, which "
              "were never written, into a rebuilt %s\n",
              named_path, weft_errmsg(), log_name);
    weft__errmsg_restore(keep);
  }
  if (named_path_gen != weft__generation())
    named_path[0] = '\0';
}

/* Whether the journal open now is the one name_own_journal named (the
 * application may have shut libweft down and started it again since). */
static int own_journal_named(void) {
  return pm.named_gen && pm.named_gen == weft__generation() &&
         weft__journal_path();
}

void pm_note_writer(void) {
  if (!pm.saw_writer && weft_mpi_path())
    pm.saw_writer = 1;
  /* A libweft the program started again since MPI_Init (against the
   * docs, but it happens): its new journal is named as the first was.
   * One thread at a time rewrites the header (MPI_THREAD_MULTIPLE); one
   * that finds another at it goes on, the journal being named by it. */
  static int naming;
  if (pm.named_gen && !pm.owns_weft && weft_is_initialized() &&
      !own_journal_named() && !weft_mpi_path() &&
      !__atomic_exchange_n(&naming, 1, __ATOMIC_ACQUIRE)) {
    if (!own_journal_named()) {
      unname_old_journal();
      name_own_journal();
    }
    __atomic_store_n(&naming, 0, __ATOMIC_RELEASE);
  }
}

static void start(int provided, int64_t t0) {
  int64_t t1 = mono_ns(); /* MPI_Init's time, not Weft's set-up below */
  /* The set-up below is collective, so every rank traces or none: an
   * MPMD launch may give the ranks different WEFT_MPI_TRACE values. */
  /* Likewise whether the program initialised libweft itself: the ranks
   * that did not set it up together below. */
  int off = weft_mpi_trace_get() == WEFT_MPI_TRACE_OFF;
  int own = weft_is_initialized();
  int mine[4] = {off, !off, own, !own}, any[4] = {0, 0, 0, 0};
  PMPI_Allreduce(mine, any, 4, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  int rank = 0;
  PMPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (any[0]) {
    if (any[1] && rank == 0)
      fprintf(stderr, "weft: libweft-pmpi does not trace this job: "
                      "WEFT_MPI_TRACE=off on some ranks only\n");
    weft_mpi_trace_set(WEFT_MPI_TRACE_OFF);
    return;
  }
  int mixed = any[2] && any[3];
  if (mixed && rank == 0)
    fprintf(stderr,
            "weft: libweft-pmpi traces only the ranks whose program "
            "initialised libweft itself (the others did not): unless the "
            "program writes a log of its own, their events are written at "
            "MPI_Finalize to a log of MPI_COMM_WORLD in which the other "
            "ranks have none\n");
  pm.started = 1;
  pm.locking = provided == MPI_THREAD_MULTIPLE;
  PMPI_Comm_rank(MPI_COMM_WORLD, &pm.world_rank);
  pm_comm_get(MPI_COMM_WORLD); /* set up before any thread races for it */
  if (any[2]) {
    name_own_journal();
  } else {
    char why[1024];
    if (weft__journal_init_early(MPI_COMM_WORLD, log_name, sizeof log_name, why,
                                 sizeof why) == WEFT_OK) {
      pm.owns_weft = 1;
      if (!log_name[0] && pm.world_rank == 0) /* said now, not at the end */
        fprintf(stderr,
                "weft: libweft-pmpi cannot write a log: %s; what the job "
                "logs %s\n",
                why,
                weft__journal_path()
                    ? "is kept in the crash journals (WEFT_JOURNAL_DIR) "
                      "for weft recover"
                    : "will be lost: set WEFT_FILE to a writable path");
    } else if (pm.world_rank == 0) { /* a bad WEFT_* value, say */
      fprintf(stderr, "weft: libweft-pmpi does not trace this job: %s\n",
              weft_errmsg());
    }
  }
  weft__mpi_finalize_hook_set(before_log_closes);
  pm_flush_setup();
  int size = 0;
  PMPI_Comm_size(MPI_COMM_WORLD, &size);
  if (pm.owns_weft) {
    weft_field f[] = {WEFT_I64("ranks", size)};
    if (weft_mpi_action_start(&pm.job, MPI_COMM_WORLD, 0, "mpi_job", f, 1) < 0)
      pm.job = 0;
  }
  static weft_site site;
  weft_field f[] = {WEFT_I64("wait_ns", t1 - t0),
                    WEFT_I64("thread_level", provided),
                    WEFT_I64("ranks", size)};
  weft__message_site(&site, "MPI_Init", f, sizeof f / sizeof f[0]);
}

int MPI_Init(int *argc, char ***argv) {
  int64_t t0 = mono_ns();
  int rc = PMPI_Init(argc, argv);
  if (rc == MPI_SUCCESS)
    start(MPI_THREAD_SINGLE, t0);
  return rc;
}

int MPI_Init_thread(int *argc, char ***argv, int required, int *provided) {
  int64_t t0 = mono_ns();
  int rc = PMPI_Init_thread(argc, argv, required, provided);
  if (rc == MPI_SUCCESS)
    start(*provided, t0);
  return rc;
}

/* What libweft-pmpi prints (this, and a line when it cannot trace at
 * all): an unmodified program has no code that could see weft_mpi_init's
 * or _finalize's error, and a trace that silently is not there after a
 * long job is worse than a line on stderr (Darshan warns the same way).
 * Rank 0 only: the ranks agree on it. */
static void warn_unwritten(void) {
  if (pm.world_rank != 0)
    return;
  const char *journal = weft__journal_path();
  fprintf(stderr, "weft: libweft-pmpi could not write the trace: %s\n",
          weft_errmsg());
  if (journal) {
    const char *slash = strrchr(journal, '/');
    int dir = !slash ? 1 : slash == journal ? 1 : (int)(slash - journal);
    const char *d = !slash ? "." : journal;
    fprintf(stderr,
            "weft: it is kept in the crash journals in %.*s: once the cause "
            "is fixed (a file in the way moved aside), `weft recover "
            "--journal %.*s %s` writes the log\n",
            dir, d, dir, d, log_name[0] ? log_name : "LOG");
  }
}

/* On a rank whose program never initialised libweft, for the log of
 * the ranks whose program did: libweft without a crash journal, so that
 * weft_mpi_init does not make one (64 MiB reserved on disk) for a rank
 * that has no events to keep.  On a bad WEFT_* value it is left to
 * weft_mpi_init, which then fails on every rank, saying why. */
static void join_without_journal(void) {
  weft_options o;
  weft_options_init(&o);
  if (weft_options_from_env(&o) == WEFT_OK) {
    o.journal_dir = NULL;
    weft_init(&o);
  }
}

/* Write the log (see the top of the file). */
static void write_log(void) {
  weft__mpi_guard_enter();
  /* Whether the application wrote a log of its own, on any rank: it may
   * have opened one on a communicator that leaves some ranks out, and
   * opening ours on MPI_COMM_WORLD takes every rank or none.  And whether
   * libweft is initialised on any rank: by the application alone (it
   * calls weft_init and leaves the log to us), some ranks' events would
   * otherwise be lost without a word. */
  int mine[2] = {pm.saw_writer, weft_is_initialized()}, any[2] = {0, 0};
  PMPI_Allreduce(mine, any, 2, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  int any_saw = any[0];
  /* Ours to write: the same on every rank (owns_weft is agreed at
   * MPI_Init). */
  int ours = !any_saw && (pm.owns_weft || any[1]);
  /* This rank has no events: it only takes part in the others' log. */
  int joins = ours && !pm.owns_weft && !mine[1];
  int rc = WEFT_OK;
  if (!pm.owns_weft)
    unname_old_journal(); /* shut down before MPI_Finalize */
  if (weft_mpi_path()) {
    rc = weft_mpi_finalize();
  } else if (ours) {
    if (joins)
      join_without_journal();
    else if (!pm.owns_weft && weft__journal_path())
      /* The application's journal (weft_options.journal_dir) names its
       * rank in our log now, its world rank, no longer provisionally: the
       * application opened no log (no rank saw one), and weft_mpi_init
       * names the journal only once the log is made, so a process killed
       * in it, or a log that fails, leaves the journal for weft recover.
       * It names no log (any log), as before provisional names: a log
       * that fails where WEFT_FILE points (a file system gone, say) can
       * then be rebuilt elsewhere. */
      weft__journal_name(pm.world_rank, "");
    if ((rc = weft_mpi_init(MPI_COMM_WORLD, NULL)) == WEFT_OK)
      rc = weft_mpi_finalize(); /* leaves an application's libweft alone */
  }
  if (rc < 0 && (pm.owns_weft || ours)) {
    warn_unwritten(); /* the ranks agreed on rc and on ours: rank 0 says */
  } else if (!ours && own_journal_named() && named_prov) {
    /* The application wrote its own log, not with this journal (on other
     * ranks, or before the libweft it has now): the log named at
     * MPI_Init will not be written, and this journal's events have no
     * log to go to.  The journal names neither a log nor its world
     * rank any more, as before MPI_Init: weft recover must not take it
     * for a rank of a log rebuilt from journals that name no real rank
     * (its log is WEFT_FILE, which may name the application's log too). */
    weft__journal_set_world(-1, 0);
    weft__journal_set_meta(-1, NULL, "");
    pm.named_gen = 0;
    named_prov = 0;
  } else if (pm.owns_weft && any_saw &&
             (!pm.saw_writer || weft__mpi_log_complete())) {
    /* The application wrote its own log (on this rank, closed whole; or
     * on other ranks only): what this rank logged after it, or at all,
     * has no log to go to, as without libweft-pmpi (its
     * weft_mpi_finalize would have shut libweft down, and a rank outside
     * its communicator would have logged nothing).  Dropping it lets
     * weft_shutdown remove the journal instead of leaving 64 MiB a rank
     * beside a log that does not exist. */
    weft__pending p;
    if (weft__pending_collect(&p) == WEFT_OK)
      weft__pending_release(&p);
  }
  /* Its libweft is not the application's, even when weft_mpi_init
   * started it and kept it after a failed log: it goes, with nothing of
   * this rank's in it. */
  if (joins && weft_is_initialized()) {
    weft_shutdown();
    weft__journal_dir_cleanup();
  }
  weft__mpi_guard_leave();
}

int MPI_Finalize(void) {
  if (pm.started) {
    pm_note_writer();
    weft__mpi_finalize_hook_set(NULL);
    finish_job();
    write_log();
    if (pm.owns_weft && weft_is_initialized()) {
      weft_shutdown(); /* keeps the journal if the log did not get all */
      weft__journal_dir_cleanup();
    }
    if (pm.owns_weft)
      weft__output_name_release();
    pm_request_table_free();
    pm_comm_table_free();
    pm.started = 0;
    pm.owns_weft = 0;
    pm.named_gen = 0;
    named_prov = 0;
    pm.job = 0;
  }
  return PMPI_Finalize();
}

/* mpiP's convention: 0 stops recording, 1 resumes the WEFT_MPI_TRACE
 * setting; other levels are the application's and are passed on. */
int MPI_Pcontrol(const int level, ...) {
  if (level == 0)
    weft_mpi_trace_set(WEFT_MPI_TRACE_OFF);
  else if (level == 1)
    weft_mpi_trace_set(weft_mpi_trace_env());
  return PMPI_Pcontrol(level);
}
