/*
 * journal_setup.c - libweft-mpi turns the crash journal on (journal.h,
 * docs/resilience.md).
 *
 * When weft_mpi_init initialises libweft itself, the buffers are backed by
 * a journal in WEFT_JOURNAL_DIR or, by default, in `<log>.journal/` beside
 * the log; WEFT_JOURNAL=0 turns it off.  libweft-pmpi initialises libweft
 * at MPI_Init, long before it opens the log, the same way
 * (weft__journal_init_early): the log's name is decided then.  An
 * application that calls weft_init itself chooses with
 * weft_options.journal_dir (or WEFT_JOURNAL_DIR through
 * weft_options_from_env).  Either way the journal header then names the
 * rank, the Slurm job and the log, so `weft recover` knows where each
 * journal belongs, and the rank in MPI_COMM_WORLD, so that a log it
 * rebuilds from journals alone still pairs libweft-pmpi's peers (world
 * ranks) with the right ranks when the log's communicator is not
 * MPI_COMM_WORLD in order.
 */
#include "guard.h"
#include "journal.h"
#include "writer.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The default directory, kept to remove it when it is left empty. */
static char default_dir[PATH_MAX + 16];

/* 1: a journal (WEFT_JOURNAL unset, empty or 1), 0: none (0), or an
 * error naming the variable: a typo must not turn the journal off, or
 * leave it on when it was meant to be off, without a word. */
static int journal_wanted(void) {
  const char *v = getenv("WEFT_JOURNAL");
  if (!v || !*v || !strcmp(v, "1"))
    return 1;
  if (!strcmp(v, "0"))
    return 0;
  return weft__error(WEFT_EINVAL, "WEFT_JOURNAL=\"%s\": expected 0 or 1", v);
}

/* weft_init with the options o (without a journal), saying in the trace
 * that this rank has none, in dir, and why. */
static int init_without(weft_options *o, const char *dir, const char *why) {
  o->journal_dir = NULL;
  int rc = weft_init(o);
  if (rc == WEFT_OK) {
    weft_field f[2] = {WEFT_STR("dir", dir), WEFT_STR("reason", why)};
    weft_message_log("weft:no_journal", f, 2);
  }
  return rc;
}

/* weft_init with the journal beside the log at path; with path NULL
 * (no name to put it beside), without one, because of `why`. */
static int init_beside(const char *path, const char *why) {
  weft_options o;
  weft_options_init(&o);
  int rc = weft_options_from_env(&o);
  if (rc < 0)
    return rc;
  default_dir[0] = '\0';
  int wanted = journal_wanted();
  if (wanted < 0)
    return wanted;
  if (!path && !(wanted && o.journal_dir)) /* WEFT_JOURNAL_DIR still can */
    return init_without(&o, "-", why);
  if (!wanted) {
    o.journal_dir = NULL;
  } else if (!o.journal_dir) {
    snprintf(default_dir, sizeof default_dir, "%s.journal", path);
    o.journal_dir = default_dir;
  }
  rc = weft_init(&o);
  if (rc == WEFT_EIO && o.journal_dir) {
    /* No journal possible there (read-only, full): trace without one
     * rather than not at all; the log is still written at every flush.
     * The trace says so, on this rank (default_dir is kept: weft_init may
     * have made it, and it goes when empty). */
    char dir[PATH_MAX + 16], err[WEFT__ERRMSG_MAX];
    snprintf(dir, sizeof dir, "%s", o.journal_dir);
    snprintf(err, sizeof err, "%s", weft_errmsg());
    rc = init_without(&o, dir, err);
  }
  return rc;
}

/* The journal header says whose it is: the process's rank in the log's
 * communicator and in MPI_COMM_WORLD (PMPI: not a call of the
 * application's for libweft-pmpi to record), the job and the log. */
void weft__journal_name(int rank, const char *log) {
  int world_rank = -1, world_size = 0;
  if (PMPI_Comm_rank(MPI_COMM_WORLD, &world_rank) != MPI_SUCCESS ||
      PMPI_Comm_size(MPI_COMM_WORLD, &world_size) != MPI_SUCCESS)
    world_rank = -1, world_size = 0; /* unknown, as in older journals */
  weft__journal_set_world(world_rank, world_size);
  weft__journal_set_meta(rank, getenv("SLURM_JOB_ID"), log);
}

static void describe(int rank, const char *path) {
  if (!weft__journal_path())
    return;
  char abs[PATH_MAX + 1];
  const char *log = weft__path_absolute(path, abs, sizeof abs);
  weft__journal_name(rank, log);
}

int weft__journal_init(weft__writer *w) { return init_beside(w->path, NULL); }

void weft__journal_describe(const weft__writer *w) {
  describe(w->rank, w->path);
}

int weft__journal_init_early(MPI_Comm comm, char *log, size_t cap,
                             char *why_none, size_t why_cap) {
  int rank;
  PMPI_Comm_rank(comm, &rank);
  /* The settings weft_mpi_init will check, checked now: a bad value must
   * not cost a whole run (an MPMD launch may give ranks different ones). */
  int rc = weft__agree(comm, weft__env_check(rank));
  if (rc < 0)
    return rc;
  char path[PATH_MAX + 1];
  rc = weft__output_name(comm, path, sizeof path);
  log[0] = '\0';
  if (rc == WEFT_OK)
    snprintf(log, cap, "%s", path);
  /* Without a name to put the journal beside, trace without one (the log
   * itself fails with the same reason when it is opened). */
  char why[WEFT__ERRMSG_MAX] = "";
  if (rc < 0)
    snprintf(why, sizeof why, "%s", weft_errmsg());
  snprintf(why_none, why_cap, "%s", why);
  int local = init_beside(rc < 0 ? NULL : path, why);
  if (local == WEFT_OK && rc == WEFT_OK)
    describe(rank, path);
  else if (local == WEFT_OK && weft__journal_path())
    /* a journal in WEFT_JOURNAL_DIR, for a log yet to be named: it must
     * still say whose it is, or weft recover cannot use it */
    weft__journal_name(rank, "");
  /* Every rank traces, or none: libweft-pmpi's collective calls (the job
   * action, the log at MPI_Finalize) need all of them. */
  rc = weft__agree(comm, local);
  if (rc < 0) {
    if (local == WEFT_OK) {
      weft_shutdown();
      weft__journal_dir_cleanup();
    }
    weft__output_name_release(); /* no log will take the name */
  }
  return rc;
}

void weft__journal_dir_cleanup(void) {
  /* Every rank tries; only the last one to leave finds it empty (the
   * others fail with ENOTEMPTY or ENOENT, which is fine). */
  if (default_dir[0])
    rmdir(default_dir);
  default_dir[0] = '\0';
}
