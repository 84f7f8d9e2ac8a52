/*
 * weft_mpi.h - libweft-mpi: one HDF5 log per MPI job.
 *
 * Every rank of a communicator writes the events buffered by libweft into
 * one shared HDF5 file, collectively (parallel HDF5 over MPI-IO).  The file
 * layout is specified in docs/format.md.
 *
 *   MPI_Init(&argc, &argv);
 *   weft_mpi_init(MPI_COMM_WORLD, NULL);   // path from WEFT_FILE, or default
 *   ... log actions with weft.h ...
 *   weft_mpi_flush();                      // optional, at phase boundaries
 *   weft_mpi_finalize();                   // before MPI_Finalize
 *   MPI_Finalize();
 *
 * Conventions are those of weft.h: 0 or a negative WEFT_E* code, detail in
 * weft_errmsg().  The collective functions agree on the outcome before they
 * return, so every rank returns the same code and the same message (naming
 * the rank where the problem happened).  A failed call never loses buffered
 * events: they stay in the buffers for the next flush.
 *
 * Environment (read by weft_mpi_init on every rank; rank 0's path wins):
 *   WEFT_FILE          output path (default: weft-<SLURM_JOB_ID>.h5, or
 *                      weft-<YYYYmmdd-HHMMSS>-<pid of rank 0>.h5 outside
 *                      Slurm, in rank 0's working directory; when it or
 *                      its <name>.journal/ exists, the first free
 *                      weft-<...>.1.h5, .2.h5, ...)
 *   WEFT_OVERWRITE=1   replace an existing file (otherwise WEFT_EEXIST);
 *                      a path given only, never a default name
 *   WEFT_ACTIONS=0     do not write the /actions table (a row per
 *                      action; short actions are then leaf records of
 *                      /events instead, docs/format.md)
 *   WEFT_CLOCK_SAMPLES ping-pong round trips per clock estimate (8)
 *   WEFT_IO            auto, collective or independent: how each
 *                      collective write reaches MPI-IO (auto:
 *                      independent when the ranks' pieces of a dataset
 *                      average 4 MiB or more, or when the file system
 *                      could not reserve the flush's space; docs/format.md
 *                      section 8)
 *   WEFT_TEST_CLOCK_SKEW_NS  tests only: "rank:ns[:ppm],..." shifts the
 *                      clock of those ranks (time stamps and clock
 *                      samples) by ns, plus a drift of ppm parts per
 *                      million since the clock's origin (|ppm| <=
 *                      100000), to check the alignment (tests/mpi)
 *   WEFT_TEST_CHECK_COLLECTIVE=1  tests only: fail a flush whose writes
 *                      HDF5 did not carry out collectively (tests/mpi)
 *   WEFT_JOURNAL=0     no crash journal (docs/resilience.md)
 *   WEFT_JOURNAL_DIR   journal directory (default: <log>.journal/)
 *   WEFT_SIGNAL        the warning signal that makes the next flush the
 *                      last one (USR1; a name, a number or none); SIGTERM
 *                      always does, and is raised again after it
 *   WEFT_END_MARGIN    seconds before SLURM_JOB_END_TIME at which a flush
 *                      becomes the last one (default 60, or half the time
 *                      the job has left at weft_mpi_init if less);
 *                      weft_mpi_path() is NULL once a flush closed the log
 *   and those of weft_options_from_env() when libweft is initialised here.
 *
 * Crash journal: when weft_mpi_init initialises libweft (or libweft-pmpi
 * does, at MPI_Init: docs/causality.md), the buffers are backed by a
 * per-rank journal file from which `weft recover` completes the log if
 * the job dies; a clean weft_mpi_finalize (MPI_Finalize under
 * libweft-pmpi) removes it.  An application that calls weft_init itself
 * must set weft_options.journal_dir (or use weft_options_from_env with
 * WEFT_JOURNAL_DIR) to have one.
 *
 * Thread safety: call these functions from one thread per rank, while no
 * other thread calls MPI on the same communicator (the HDF5 build is not
 * thread safe).  Other threads may keep logging during a flush.
 */
#ifndef WEFT_MPI_H
#define WEFT_MPI_H

#include "weft.h"

#include <mpi.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Collective over comm.  Start writing the job's log at `path` (NULL: from
 * the environment, see above).  Initialises libweft with
 * weft_options_from_env() when the application has not called weft_init
 * (weft_mpi_finalize then shuts it down again).  Creates the file, writes
 * each rank's metadata (host, pid, MPI library, command line, Slurm
 * context) and a first clock alignment, and writes what is already
 * buffered.  Errors (identical on every rank): WEFT_EMPI when MPI is not
 * initialised or is finalised, WEFT_EINIT when already started,
 * WEFT_EEXIST when the path exists and WEFT_OVERWRITE is not 1, WEFT_EIO
 * for a missing or unwritable directory or a full disk, WEFT_EHDF5,
 * WEFT_EINVAL for a bad environment value.  After a failure nothing is kept
 * open and the call may be repeated, e.g. with another path.  A failed call
 * that initialised libweft shuts it down again: until a call succeeds,
 * logging calls return WEFT_ENOTINIT (WEFT_ESHUTDOWN on a thread that had
 * logged meanwhile, say a weft:no_journal message) and keep nothing,
 * and weft_mpi_flush
 * and weft_mpi_finalize return WEFT_ENOTINIT saying why the init failed.
 * To keep what is logged meanwhile (and retry with another path), call
 * weft_init (or weft_options_from_env and weft_init) before
 * weft_mpi_init. */
WEFT_API int weft_mpi_init(MPI_Comm comm, const char *path);

/* Collective.  Append every event buffered so far on every rank to the
 * file, re-estimate the clock offsets, and commit (readers trust only
 * committed rows).  Ranks with nothing buffered take part as well.  On
 * failure (WEFT_EIO, WEFT_EHDF5, WEFT_EMPI) nothing is committed and the
 * events stay buffered for the next flush.  WEFT_ENOTINIT before
 * weft_mpi_init.  A safe point for stop signals: when any rank received
 * SIGTERM or the warning signal, or SLURM_JOB_END_TIME is near, this flush
 * is the last one and closes the file (as weft_mpi_finalize does; later
 * flushes return 0 and do nothing, finalize only shuts libweft down), and
 * a rank that received SIGTERM then raises it again. */
WEFT_API int weft_mpi_flush(void);

/* Collective.  Flush (actions still open are recorded as unfinished), mark
 * the file closed and close it.  Must be called before MPI_Finalize.  The
 * file is closed even when the last flush fails; the error is returned,
 * the unwritten events stay in libweft's buffers, and the file keeps what
 * its last successful flush wrote (it is closed without another write to
 * it: HDF5's last metadata goes to a scratch file in memory, unless some
 * rank cannot make one).  When weft_mpi_init had initialised libweft, the
 * next weft_mpi_init takes libweft over with the events still buffered,
 * and its weft_mpi_finalize shuts libweft down once they are written (an
 * action open across the two logs has its start in the first and its end
 * in the second).  A log open while the application shuts libweft down
 * and initialises it again takes nothing more: its flushes and finalize
 * return WEFT_ESHUTDOWN (the new libweft's names would reuse the ids the
 * log gave the old one's) and the file keeps what it had; the new
 * libweft's events go to the next log. */
WEFT_API int weft_mpi_finalize(void);

/* Absolute path of the file being written, as rank 0 resolved it (valid
 * between init and finalize), or NULL. */
WEFT_API const char *weft_mpi_path(void);

/* ------------------------------------------------------------------------ */
/* Causality across ranks (docs/causality.md)                               */
/* ------------------------------------------------------------------------ */

/* Collective over comm: start on every rank of comm an action of type
 * `type` with the given start fields, all nested under the current action
 * of rank `root` (its context is serialized once and broadcast).  Ranks
 * may have actions of their own open: the new action is then finished
 * before them.  Each rank finishes its action itself, with
 * weft_action_succeed / weft_action_fail.  When the root has no action
 * open, its action becomes the root of a new task and the other ranks'
 * actions nest under it.  Errors as weft_action_start (the root's error is
 * returned on every rank), WEFT_EMPI, WEFT_EINVAL for a bad root. */
WEFT_API int weft_mpi_action_start(weft_action *out, MPI_Comm comm, int root,
                                   const char *type, const weft_field *fields,
                                   size_t n);

/* Send the calling thread's current context (one slot of its current
 * action) to rank `dest` of comm with `tag`, as a message of its own.
 * Errors: WEFT_EMPI; WEFT_ENOACTION when no action is open (an empty
 * context is sent all the same, so the receiver does not wait forever, and
 * starts an ordinary action). */
WEFT_API int weft_mpi_context_send(MPI_Comm comm, int dest, int tag);
/* Receive a context sent with weft_mpi_context_send (source may be
 * MPI_ANY_SOURCE, tag MPI_ANY_TAG; status may be MPI_STATUS_IGNORE) and
 * start an action of type `type` that continues it: it nests under the
 * sender's action.  Errors as weft_context_continue, WEFT_EMPI,
 * WEFT_ECONTEXT when the message is not a context. */
WEFT_API int weft_mpi_context_recv(weft_action *out, MPI_Comm comm, int source,
                                   int tag, MPI_Status *status,
                                   const char *type, const weft_field *fields,
                                   size_t n);

/* What libweft-pmpi (the PMPI interposition library) records.  The
 * initial setting comes from WEFT_MPI_TRACE=all|collectives|off (default
 * all); MPI_Pcontrol(0) switches tracing off and MPI_Pcontrol(1) back to
 * the environment's setting. */
typedef enum weft_mpi_trace_mode {
  WEFT_MPI_TRACE_OFF = 0,         /* nothing */
  WEFT_MPI_TRACE_COLLECTIVES = 1, /* collectives, communicator creation */
  WEFT_MPI_TRACE_ALL = 2          /* and point-to-point, MPI-IO */
} weft_mpi_trace_mode;

/* The setting in force (a weft_mpi_trace_mode). */
WEFT_API int weft_mpi_trace_get(void);
/* The setting of WEFT_MPI_TRACE. */
WEFT_API int weft_mpi_trace_env(void);
/* Change the setting for the whole process; returns the previous one, or
 * WEFT_EINVAL. */
WEFT_API int weft_mpi_trace_set(int mode);

#ifdef __cplusplus
}
#endif

#endif /* WEFT_MPI_H */
