/*
 * weft_mpi.c - the public API of libweft-mpi (weft_mpi.h): the life cycle
 * of the writer.  The work is in flush.c; this file checks the
 * preconditions, reads the environment and cleans up after failures.
 */
#include "weft_mpi.h"
#include "guard.h"
#include "writer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static weft__writer *writer;
/* The log was closed early by a stop signal (signals.c): later flushes do
 * nothing (what is logged after stays in the journal) and finalize only
 * shuts libweft down when weft_mpi_init had started it. */
static int closed_early, owned_early;
/* libweft was started by a weft_mpi_init whose log then failed at
 * finalize, and its buffers and journal still hold the events: the next
 * weft_mpi_init takes it over, and shuts it down (removing the journal)
 * once its own log has everything. */
static int owned_left;
/* The weft_init (weft__generation) that libweft belongs to: an
 * application that shut it down and started it again owns the new one,
 * which holds none of the events left behind. */
static uint32_t owned_gen;
/* The last log was closed with everything written (guard.h). */
static int log_complete;
/* Why the last weft_mpi_init failed ("" when none did, or one succeeded
 * since): without a writer, flush and finalize say so. */
static char init_failure[WEFT__ERRMSG_MAX];

static int not_initialised(void) {
  if (!init_failure[0])
    return weft__error(WEFT_ENOTINIT, "weft_mpi_init has not been called");
  return weft__error(WEFT_ENOTINIT,
                     "weft_mpi_init failed (%s), and none has succeeded since",
                     init_failure);
}

static int env_int(const char *name, int def, int min, int max, int *out) {
  const char *v = getenv(name);
  *out = def;
  if (!v || !*v)
    return WEFT_OK;
  char *end;
  long x = strtol(v, &end, 10);
  if (*end || x < min || x > max)
    return weft__error(WEFT_EINVAL,
                       "%s=\"%s\": expected an integer in "
                       "[%d, %d]",
                       name, v, min, max);
  *out = (int)x;
  return WEFT_OK;
}

/* A flag: unset, empty, 0 or 1, exactly as output_path.c and
 * journal_setup.c compare it ("01" or "yes" is an error, not a guess). */
static int env_flag(const char *name) {
  const char *v = getenv(name);
  if (!v || !*v || !strcmp(v, "0") || !strcmp(v, "1"))
    return WEFT_OK;
  return weft__error(WEFT_EINVAL, "%s=\"%s\": expected 0 or 1", name, v);
}

static int read_env(weft__writer *w) {
  int rc = env_int("WEFT_ACTIONS", 1, 0, 1, &w->actions_on);
  /* Read where they are used (output_path.c, journal_setup.c), checked
   * here, on every rank. */
  if (rc == WEFT_OK)
    rc = env_flag("WEFT_OVERWRITE");
  if (rc == WEFT_OK)
    rc = env_flag("WEFT_JOURNAL");
  if (rc == WEFT_OK)
    rc = env_int("WEFT_CLOCK_SAMPLES", 8, 1, 1000, &w->clock_samples);
  if (rc == WEFT_OK)
    rc = weft__io_mode_from_env(&w->io_mode);
  if (rc == WEFT_OK)
    rc = weft__clock_skew_from_env(w->rank, &w->skew);
  if (rc == WEFT_OK)
    rc = env_int("WEFT_TEST_CHECK_COLLECTIVE", 0, 0, 1, &w->check_collective);
  /* Test-only: rows per round of a flush's record copy (flush.c), small
   * to make rounds end inside spans and ranks finish at different rounds,
   * and then no flush stages its records whole; ranks may differ. */
  if (rc == WEFT_OK)
    rc = env_int("WEFT_TEST_ROUND_ROWS", WEFT_ROUND_ROWS, 1, 1 << 30,
                 &w->round_rows);
  w->stage_whole_max =
      getenv("WEFT_TEST_ROUND_ROWS") ? 0 : WEFT_STAGE_WHOLE_MAX;
  return rc;
}

int weft__env_check(int rank) {
  weft__writer w;
  memset(&w, 0, sizeof w);
  w.rank = rank;
  return read_env(&w);
}

static void writer_free(weft__writer *w) {
  for (int d = 0; d < WEFT_D_COUNT; d++)
    weft__bytes_free(&w->stage[d]);
  weft__bytes_free(&w->leaf_stage);
  weft__bytes_free(&w->row_origin);
  weft__bytes_free(&w->rank_strings);
  weft__actions_free(&w->actions);
  free(w->samples);
  free(w->path);
  if (w->comm != MPI_COMM_NULL)
    PMPI_Comm_free(&w->comm);
  free(w);
}

/* After MPI_Finalize no MPI call may be made (Open MPI aborts the job),
 * so weft_mpi_flush and weft_mpi_finalize refuse: the events stay in the
 * buffers and the journal, for weft recover. */
static int mpi_finalized(const char *call) {
  int finalized = 0;
  PMPI_Finalized(&finalized);
  if (!finalized)
    return WEFT_OK;
  return weft__error(WEFT_EMPI,
                     "MPI is already finalised: call %s before MPI_Finalize "
                     "(what was logged since the last flush %s)",
                     call,
                     weft__journal_path()
                         ? "is in the crash journal, for weft recover"
                         : "is lost: there is no crash journal");
}

/* Local checks that need no other rank. */
static int preconditions(MPI_Comm comm) {
  int inited = 0, finalized = 0;
  PMPI_Initialized(&inited);
  PMPI_Finalized(&finalized);
  if (!inited)
    return weft__error(WEFT_EMPI, "MPI is not initialised: call MPI_Init "
                                  "before weft_mpi_init");
  if (finalized)
    return weft__error(WEFT_EMPI, "MPI is already finalised");
  if (comm == MPI_COMM_NULL)
    return weft__error(WEFT_EINVAL, "communicator is MPI_COMM_NULL");
  if (writer)
    return weft__error(WEFT_EINIT, "weft_mpi_init was already called");
  return WEFT_OK;
}

static int start(weft__writer *w, const char *path) {
  int rc = weft__agree(w->comm, read_env(w));
  if (rc < 0)
    return rc;
  /* Settings every rank must share: whether there is an /actions table is
   * the file's (one attribute, written collectively; it decides whether
   * short actions are leaf rows) and the clock ping-pong's sample
   * count must match on both sides, and HDF5 wants one transfer mode
   * per collective write (WEFT_IO).  Rank 0's environment sets them,
   * should an MPMD launch give the ranks different ones. */
  int64_t rule[3] = {w->actions_on, w->clock_samples, w->io_mode};
  if (PMPI_Bcast(rule, 3, MPI_INT64_T, 0, w->comm) != MPI_SUCCESS)
    return weft__error(WEFT_EMPI, "broadcasting the settings failed");
  w->actions_on = (int)rule[0];
  w->clock_samples = (int)rule[1];
  w->io_mode = (int)rule[2];
  int created = 0;
  if ((rc = weft__output_path(w->comm, path, &w->path, &created)) < 0)
    return rc;
  /* libweft after the path: its journal goes beside the log by default. */
  int local = WEFT_OK;
  if (!weft_is_initialized() && (local = weft__journal_init(w)) == WEFT_OK) {
    w->owns_weft = 1;
    owned_left = 0; /* the libweft left behind was shut down since */
  } else if (owned_left && weft_is_initialized() &&
             weft__generation() == owned_gen) {
    w->owns_weft = 1;
  }
  w->generation = weft__generation();
  if (local == WEFT_OK)
    weft__shield_check();
  if (local == WEFT_OK)
    local = weft__signals_install();
  rc = weft__agree(w->comm, local);
  if (rc == WEFT_OK)
    rc = weft__agree(w->comm, weft__rank_info(w));
  if (rc == WEFT_OK)
    rc = weft__file_create(w);
  if (rc == WEFT_OK)
    /* epoch 0: metadata, the first clock sample */
    rc = weft__flush(w, 0, WEFT__MEET_NONE, NULL);
  /* Only now does the journal name this log: a failed init must leave it
   * naming the log its events belong to (a failed finalize's, say). */
  if (rc == WEFT_OK)
    weft__journal_describe(w);
  if (rc < 0) {
    char why[WEFT__ERRMSG_MAX];
    strncpy(why, weft__errmsg_detail(), sizeof why - 1);
    why[sizeof why - 1] = '\0';
    weft__signals_restore();
    if (w->file >= 0)
      weft__file_close(w, 0);
    if (w->rank == 0 && created)
      unlink(w->path); /* leave no half-made log behind */
    weft__error(rc, "%s", why);
  }
  return rc;
}

static int init(MPI_Comm comm, const char *path) {
  int rc = preconditions(comm);
  if (rc < 0)
    return rc;
  weft__writer *w = calloc(1, sizeof *w);
  if (!w)
    return weft__error(WEFT_ENOMEM, "weft_mpi_init");
  w->comm = MPI_COMM_NULL;
  w->file = -1;
  w->lost_probe = w->discard = MPI_FILE_NULL;
  /* A private communicator: our messages never match the application's,
   * and MPI errors come back as codes instead of aborting the job. */
  if (PMPI_Comm_dup(comm, &w->comm) != MPI_SUCCESS) {
    free(w);
    return weft__error(WEFT_EMPI, "MPI_Comm_dup failed");
  }
  PMPI_Comm_set_errhandler(w->comm, MPI_ERRORS_RETURN);
  PMPI_Comm_rank(w->comm, &w->rank);
  PMPI_Comm_size(w->comm, &w->size);

  /* A log that a stop signal closed early leaves libweft to the next log,
   * as a failed finalize does. */
  if (closed_early && owned_early)
    owned_left = 1;
  weft__h5_quiet q;
  weft__mpi_guard_enter(); /* HDF5's MPI calls are not the application's */
  weft__h5_quiet_begin(&q);
  rc = start(w, path);
  weft__h5_quiet_end(&q);
  weft__mpi_guard_leave();
  if (rc < 0) {
    /* Not a libweft taken over: its events wait for another try. */
    if (w->owns_weft && !owned_left) {
      weft_shutdown(); /* the journal goes too, unless it holds events */
      weft__journal_dir_cleanup();
    }
    writer_free(w);
    return rc;
  }
  writer = w;
  closed_early = owned_early = 0;
  owned_left = 0;
  log_complete = 0;
  return WEFT_OK;
}

int weft_mpi_init(MPI_Comm comm, const char *path) {
  int rc = init(comm, path);
  if (rc == WEFT_OK)
    init_failure[0] = '\0';
  else if (!writer)
    snprintf(init_failure, sizeof init_failure, "%s", weft_errmsg());
  return rc;
}

/* After the final flush of w, whose result is rc: close the file, then
 * release the snapshot or give it back (weft__flush_settle).  Guarded by
 * the caller. */
static int close_after(weft__writer *w, int rc) {
  char why[WEFT__ERRMSG_MAX] = "";
  if (rc < 0)
    strncpy(why, weft__errmsg_detail(), sizeof why - 1);
  int crc = weft__file_close(w, rc == WEFT_OK);
  weft__flush_settle(w, rc == WEFT_OK && crc == WEFT_OK);
  if (rc == WEFT_OK)
    return crc;
  return weft__error(rc, "%s", why);
}

/* The libweft this log started is gone when the application shut it down
 * and initialised it again while the log was open (the log then takes
 * nothing more, flush.c): the one running is the application's, which
 * the log must neither shut down nor leave to the next log. */
static void disown_if_restarted(weft__writer *w) {
  if (w->generation != weft__generation())
    w->owns_weft = 0;
}

int weft_mpi_flush(void) {
  if (!writer) {
    if (closed_early)
      return WEFT_OK;
    return not_initialised();
  }
  int done = mpi_finalized("weft_mpi_flush");
  if (done < 0)
    return done;
  disown_if_restarted(writer);
  weft__h5_quiet q;
  weft__mpi_guard_enter();
  weft__h5_quiet_begin(&q);
  /* A safe point: do the ranks have to stop (signals.c)?  They agree in
   * the flush, which is then the last one. */
  int stop = 0;
  int rc = weft__flush(writer, 0, WEFT__MEET_STOP, &stop);
  if (stop) {
    weft__writer *w = writer;
    rc = close_after(w, rc);
    closed_early = 1;
    owned_early = w->owns_weft;
    owned_gen = weft__generation();
    if (rc == WEFT_OK && owned_early && weft__signals_term_pending()) {
      /* The process ends now: the journal has served, unless other
       * threads logged after this flush's snapshot; weft_shutdown keeps
       * it then, for weft recover. */
      weft_shutdown();
      weft__journal_dir_cleanup();
      owned_early = 0;
    }
    writer = NULL;
    writer_free(w);
  }
  weft__h5_quiet_end(&q);
  weft__mpi_guard_leave();
  if (stop) {
    char why[WEFT__ERRMSG_MAX] = "";
    if (rc < 0)
      strncpy(why, weft__errmsg_detail(), sizeof why - 1);
    weft__signals_finish(); /* after SIGTERM: does not return */
    if (rc < 0)
      weft__error(rc, "%s", why);
  }
  return rc;
}

int weft_mpi_finalize(void) {
  if (!writer && closed_early) {
    weft__mpi_before_finalize();
    closed_early = 0;
    if (owned_early) {
      weft_shutdown(); /* keeps the journal when events came after */
      weft__journal_dir_cleanup();
    }
    /* log_complete stays 0: what was logged after the early close is for
     * weft recover (resilience.md), not to be dropped. */
    return WEFT_OK;
  }
  if (!writer)
    return not_initialised();
  int done = mpi_finalized("weft_mpi_finalize");
  if (done < 0)
    return done;
  weft__writer *w = writer;
  disown_if_restarted(w);
  /* libweft-pmpi finishes the job-wide action it opened (guard.h). */
  weft__mpi_before_finalize();
  weft__h5_quiet q;
  weft__mpi_guard_enter();
  weft__h5_quiet_begin(&q);
  /* Ranks come to the end when they are done logging, not together
   * (weft__meet in writer.h). */
  int rc = close_after(w, weft__flush(w, 1, WEFT__MEET_BARRIER, NULL));
  log_complete = rc == WEFT_OK;
  weft__h5_quiet_end(&q);
  weft__mpi_guard_leave();
  /* Shut libweft down only if we started it and everything was written:
   * otherwise its buffers still hold the events. */
  if (rc == WEFT_OK && w->owns_weft) {
    weft_shutdown(); /* removes the journal: everything is in the log */
    weft__journal_dir_cleanup();
  } else if (w->owns_weft && !weft__journal_path()) {
    /* Failed, and no journal to keep (weft:no_journal): the default
     * directory made for it goes when empty.  Every rank passed its
     * journal's creation at weft_mpi_init's agreement. */
    weft__journal_dir_cleanup();
  }
  if (rc < 0 && w->owns_weft) {
    owned_left = 1;
    owned_gen = weft__generation();
  }
  writer = NULL;
  writer_free(w);
  if (rc < 0) {
    char why[WEFT__ERRMSG_MAX] = "";
    strncpy(why, weft__errmsg_detail(), sizeof why - 1);
    weft__signals_finish();
    return weft__error(rc, "%s", why);
  }
  weft__signals_finish(); /* a SIGTERM that came meanwhile ends us now */
  return rc;
}

const char *weft_mpi_path(void) { return writer ? writer->path : NULL; }

int weft__mpi_log_complete(void) { return !writer && log_complete; }
