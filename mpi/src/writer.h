/*
 * writer.h - the state of libweft-mpi between weft_mpi_init and
 * weft_mpi_finalize, shared by its source files.
 */
#ifndef WEFT_MPI_WRITER_H
#define WEFT_MPI_WRITER_H

#include "file_layout.h"
#include "timeline.h"
#include "weft_int.h"

#include <mpi.h>
#include <stddef.h>
#include <stdint.h>

/* A growable byte array (staging area of one dataset; bytes.c). */
typedef struct weft__bytes {
  unsigned char *p;
  size_t len, cap; /* cap >= 2 MiB: p is a mapping, not malloc's */
} weft__bytes;

/* Make room for n bytes in all (keeping the len bytes held); 0 when out of
 * memory. */
int weft__bytes_reserve(weft__bytes *b, size_t n);

/* Append n bytes (zeroed when src is NULL); returns the destination or
 * NULL when out of memory. */
void *weft__bytes_push(weft__bytes *b, const void *src, size_t n);
void weft__bytes_free(weft__bytes *b);

/* A clock sample of this rank (see /flushes). */
typedef struct weft__clock_sample {
  int64_t mono_ns;
  int64_t offset_ns;
  int64_t error_ns;
  int64_t wall_ns;
} weft__clock_sample;

/* The test-only clock skew of this rank (WEFT_TEST_CLOCK_SKEW_NS): the
 * writer shows a time stamp t of this rank's clock as
 * t + ns + ppm * 1e-6 * t, a constant offset plus a drift since the
 * clock's origin.  The origin is the same on every rank of a node, so a
 * test knows the injected offset at any time without knowing when
 * weft_mpi_init ran. */
typedef struct weft__skew {
  int64_t ns;
  int64_t ppm; /* 0: no drift */
} weft__skew;

/* t as the writer shows it: the one place the skew is applied.  Without
 * drift, one predictable test of an integer and the add: a hot loop keeps
 * a local copy of the skew so that the test is loop-invariant. */
static inline int64_t weft__skewed(const weft__skew *s, int64_t t) {
  if (!s->ppm)
    return t + s->ns;
  return t + s->ns + (int64_t)((double)s->ppm * (double)t / 1e6);
}

/* An open action being tracked for /actions. */
typedef struct weft__open_action {
  int64_t t;
  uint64_t start_event; /* its START's row (WEFT__LOCAL_ROW: this epoch's) */
  uint16_t schema;
} weft__open_action;

/* Per-thread state of the /actions builder. */
typedef struct weft__action_stack {
  weft__open_action *a;
  uint32_t n, cap;
} weft__action_stack;

typedef struct weft__action_state {
  weft__action_stack *threads;
  uint32_t nthreads;
} weft__action_state;

/* How the event data goes to MPI-IO under each collective H5Dwrite
 * (WEFT_IO; append.c). */
typedef enum weft__io_mode {
  WEFT_IO_AUTO = 0,    /* independent for big pieces, else collective */
  WEFT_IO_COLLECTIVE,  /* always two-phase collective MPI-IO */
  WEFT_IO_INDEPENDENT, /* always each rank's own contiguous write */
} weft__io_mode;

/* WEFT_IO_AUTO writes independently when the ranks' pieces of a dataset
 * average at least this many bytes. */
#define WEFT_IO_INDEPENDENT_MIN ((hsize_t)4 << 20)

/* /events rows each rank copies and writes per round of a flush: 4 MiB
 * of headers and their payloads (flush.c write_records). */
#define WEFT_ROUND_ROWS (1 << 18)
/* A rank whose snapshot holds at most this many bytes (about a round's
 * worth) stages it whole in the counting pass and writes it in the first
 * round: the records are read once (flush.c stage_records).  Staging
 * bigger snapshots whole made the flush slower on disk (bench/flush:
 * 53-55 ns per record against 39-44 in rounds), faster on tmpfs (9.0-9.3
 * against 10.7), and needed memory in proportion to the snapshot. */
#define WEFT_STAGE_WHOLE_MAX ((size_t)4 << 20)

/* Parse WEFT_IO into *out (WEFT_IO_AUTO when unset). */
int weft__io_mode_from_env(int *out);

/* No dataset has this many rows: the extent is not known (a collective
 * H5Dset_extent failed somewhere), which forces the next one. */
#define WEFT_EXTENT_UNKNOWN ((hsize_t)-1)

typedef struct weft__writer {
  MPI_Comm comm;
  int rank, size;
  int owns_weft;       /* weft_mpi_init called weft_init */
  uint32_t generation; /* the weft_init whose names and schemas it holds */
  char *path;
  int actions_on;
  weft__pending held; /* the final flush's snapshot, until the file closed */
  int holding;
  int clock_samples;
  int io_mode;           /* WEFT_IO: weft__io_mode */
  int check_collective;  /* WEFT_TEST_CHECK_COLLECTIVE (append.c) */
  uint64_t dropped_seen; /* libweft's drop count at the last flush row */
  int unreserved;  /* the last space probe could not reserve (space_probe.c) */
  weft__skew skew; /* WEFT_TEST_CLOCK_SKEW_NS for this rank */
  int round_rows;  /* /events rows per round of a flush (flush.c) */
  size_t stage_whole_max; /* buffered bytes a flush stages at once */

  hid_t file;
  MPI_File lost_probe; /* the log read-only on MPI_COMM_SELF (lost_write.c) */
  MPI_File discard;    /* scratch file for H5Fclose (metadata_discard.c) */
  int flush_failed; /* the last flush or recovery failed (metadata_discard.c) */
  int damaged; /* a metadata write failed: no more writes (metadata_shield.c) */
  hid_t dset[WEFT_D_COUNT];
  hid_t ranks;
  hid_t dxpl;     /* collective transfers, collective MPI-IO */
  hid_t dxpl_ind; /* collective transfers, independent MPI-IO (append.c) */
  weft__h5types types;
  hsize_t extent[WEFT_D_COUNT]; /* or WEFT_EXTENT_UNKNOWN (append.c) */
  /* The highest extent asked for since the last commit, set before each
   * H5Dset_extent whatever its outcome: what may be allocated beyond the
   * committed rows (space_probe.c). */
  hsize_t ext_hi[WEFT_D_COUNT];

  weft__committed committed;
  uint32_t names_done;   /* names with ids below this are in the file */
  uint32_t schemas_done; /* schemas with ids below this are in the file */
  int meta_done;         /* rank strings are in the file */

  weft__rank_row rank_row;
  weft__bytes rank_strings; /* cmdline, MPI library, node list */

  weft__clock_sample *samples; /* committed samples of this rank */
  size_t nsamples, samples_cap;
  int64_t timeline_mono_ns, timeline_wall_ns; /* rank 0's, broadcast */

  weft__action_state actions; /* committed action stacks */
  weft__bytes stage[WEFT_D_COUNT];
  /* A flush's leaf rows of /actions (flush.c): all of them when its
   * records are staged whole, a round's otherwise.  stage[WEFT_D_ACTIONS]
   * holds the derived rows, written after them. */
  weft__bytes leaf_stage;
  /* With settle: the start_event of each derived row staged, for
   * recover_write.c to tell the actions an earlier epoch started. */
  weft__bytes row_origin;

  /* weft recover (recover_write.c): schemas come from a journal's
   * dictionary instead of this process's tables (dict.schema NULL: live). */
  weft__dict dict;
  int settle; /* recovery: note each derived row's start_event in row_origin
                 (recover_write.c settles the rows of actions started in an
                 earlier epoch) */
} weft__writer;

/* ---- waiting for the other ranks (quiet_wait.c) ------------------------- */

/* Complete rq, polling briefly and then sleeping between polls so that a
 * rank waiting for slower ones leaves them its core.  MPI_SUCCESS or an
 * MPI error code. */
int weft__quiet_wait(MPI_Request *rq);
/* Collective: MPI_Allreduce waited for with weft__quiet_wait.  Returns
 * MPI_SUCCESS or an MPI error code. */
int weft__quiet_allreduce(const void *in, void *out, int n, MPI_Datatype type,
                          MPI_Op op, MPI_Comm comm);
/* Collective: a barrier waited for with weft__quiet_wait. */
int weft__quiet_barrier(MPI_Comm comm);

/* ---- collective agreement (agree.c) ------------------------------------ */

/* Collective.  Combine each rank's local result (0 or a WEFT_E* code with
 * its weft_errmsg()) into one: when any rank failed, every rank returns
 * the code of the lowest failed rank and weft_errmsg() reads
 * "rank R: <its message>". */
int weft__agree(MPI_Comm comm, int local);
/* The same, waiting with weft__quiet_wait: after a step that keeps some
 * ranks much longer than others (a large write). */
int weft__agree_quiet(MPI_Comm comm, int local);
/* Record an HDF5 failure of `what` as WEFT_EHDF5 with the innermost HDF5
 * error message. */
int weft__h5_error(const char *what);
/* File access properties of every log: the MPI-IO driver on comm, with
 * collective metadata reads, independent metadata writes, and sync points
 * only in H5Fflush and H5Fclose (file_create.c).  -1 on failure. */
hid_t weft__h5_fapl(MPI_Comm comm);
/* The two transfer property lists, w->dxpl and w->dxpl_ind (both
 * H5FD_MPIO_COLLECTIVE; MPI-IO collective or independent underneath).  -1
 * on failure (what was made is left in w for weft__file_close). */
int weft__h5_dxpls(weft__writer *w);
/* The same as WEFT_EIO: data and flush failures are I/O failures (a full
 * disk, a quota, a lost file system). */
int weft__h5_io_error(const char *what);
/* Whether errno value e is a reason a write to a file failed (a full disk,
 * a quota, a size limit, a disk error, a read-only file system), and not
 * something another call left in errno. */
int weft__errno_is_io(int e);
/* weft_errmsg() without its "<weft_strerror(code)>: " prefix. */
const char *weft__errmsg_detail(void);

/* Silence HDF5's automatic error printing while libweft-mpi runs (the
 * library never prints), restoring the application's handler after. */
typedef struct weft__h5_quiet {
  H5E_auto2_t func;
  void *data;
} weft__h5_quiet;
void weft__h5_quiet_begin(weft__h5_quiet *q);
void weft__h5_quiet_end(const weft__h5_quiet *q);

/* ---- output path (output_path.c) ---------------------------------------- */

/* Collective.  The path (argument, WEFT_FILE, or the default), decided by
 * rank 0, checked (directory, existing file, WEFT_OVERWRITE) and created
 * empty by rank 0 so that every problem has an errno.  *out is malloc'd.
 * *created is 1 on every rank when rank 0 created the file. */
int weft__output_path(MPI_Comm comm, const char *arg, char **out, int *created);
/* weft__path_absolute: guard.h (libweft-pmpi calls it). */
/* Collective: the absolute name weft__output_path(comm, NULL, ...) will
 * choose, decided now by rank 0: WEFT_FILE, or the default name, which
 * rank 0 holds with an empty file until that call takes it. */
int weft__output_name(MPI_Comm comm, char *out, size_t cap);

/* ---- rank metadata (rank_info.c) ---------------------------------------- */

/* Fill w->rank_row and w->rank_strings (local, no MPI collective). */
int weft__rank_info(weft__writer *w);

/* ---- clock alignment (clock_sync.c) -------------------------------------- */

/* This rank's event clock including the test skew. */
int64_t weft__writer_clock(const weft__writer *w);
/* Collective.  Estimate this rank's offset to rank 0 (binomial tree of
 * ping-pongs, O(log P) rounds). */
int weft__clock_sync(weft__writer *w, weft__clock_sample *out);
/* Map a time stamp of this rank onto rank 0's clock with the samples
 * known so far plus `extra` (may be NULL), as a reader would
 * (docs/format.md section 6, timeline.h). */
int64_t weft__clock_map(const weft__writer *w, const weft__clock_sample *extra,
                        int64_t t);
/* The same for many nearby time stamps: the interval between two samples
 * that the last one fell in, and its mapping. */
typedef struct weft__clock_cursor {
  int64_t from, to; /* time stamps in [from, to) map with: */
  int64_t m, o, slope;
} weft__clock_cursor;
/* Point c at the interval of t. */
void weft__clock_cursor_set(const weft__writer *w,
                            const weft__clock_sample *extra,
                            weft__clock_cursor *c, int64_t t);
static inline int64_t weft__clock_cursor_map(const weft__clock_cursor *c,
                                             int64_t t) {
  return t - weft__offset_at(c->m, c->o, c->slope, t);
}
/* weft__clock_map through c, which must start with from > to (empty). */
static inline int64_t weft__clock_map_near(const weft__writer *w,
                                           const weft__clock_sample *extra,
                                           weft__clock_cursor *c, int64_t t) {
  if (__builtin_expect(t < c->from || t >= c->to, 0))
    weft__clock_cursor_set(w, extra, c, t);
  return weft__clock_cursor_map(c, t);
}
/* Parse WEFT_TEST_CLOCK_SKEW_NS ("rank:ns[:ppm][,rank:ns[:ppm]...]") for
 * this rank; ranks not listed get no skew. */
int weft__clock_skew_from_env(int rank, weft__skew *skew);

/* ---- the actions table (actions_table.c) --------------------------------- */

/* start_event values of actions started in the epoch being written are
 * local record indexes marked with this bit until the file offset of the
 * rank's rows is known; those of actions started earlier are file rows. */
#define WEFT__LOCAL_ROW (UINT64_C(1) << 63)

/* Copy the committed stacks (src) into dst for a flush attempt. */
int weft__actions_copy(weft__action_state *dst, const weft__action_state *src);
void weft__actions_free(weft__action_state *s);
/* The stack of `thread` (created empty on first use). */
int weft__actions_stack(weft__action_state *s, uint32_t thread,
                        weft__action_stack **out);
/* One record (header h, with the skew applied; schema sc) of the thread
 * whose stack is st, at file row `row`; a finished action is appended as
 * a row to out, its start and end on this rank's clock (raw ns) until
 * weft__actions_timeline. */
int weft__actions_record(weft__writer *w, weft__action_stack *st,
                         uint32_t thread, const weft_rec *h,
                         const weft__schema *sc, uint64_t row,
                         weft__bytes *out);
/* Feed the records of one thread; finished actions are appended as rows
 * to out.  first_event is the file row of the first record. */
int weft__actions_feed(weft__writer *w, weft__action_state *s, uint32_t thread,
                       const unsigned char *data, size_t len,
                       uint64_t first_event, weft__bytes *out);
/* Append rows with status unfinished for every action still open, ending
 * at `end` (this rank's clock). */
int weft__actions_unfinished(weft__writer *w, weft__action_state *s,
                             int64_t end, weft__bytes *out);
/* Put the rows of `rows` from index `from` on the job's timeline: their
 * raw start and end through weft__clock_map with the epoch's sample
 * `now`, plus the timeline's wall-clock origin. */
void weft__actions_timeline(const weft__writer *w,
                            const weft__clock_sample *now, weft__bytes *rows,
                            size_t from);

/* ---- file (file_create.c) -------------------------------------------------
 */

/* Collective.  Create the file's groups, types, datasets and attributes. */
int weft__file_create(weft__writer *w);
/* Collective.  Close everything (marks the state closed when `closed`). */
int weft__file_close(weft__writer *w, int closed);
/* Collective.  Write the root attribute `committed` and H5Fflush (not when
 * `final`: weft__file_close follows). */
int weft__file_commit(weft__writer *w, const weft__committed *c, int final);

/* ---- collective append (append.c) -----------------------------------------
 */

/* Collective.  Append this rank's n rows of `buf` to dataset d at row
 * base + offset, after extending it to base + total rows. */
int weft__append(weft__writer *w, weft__dset d, hsize_t base, hsize_t offset,
                 hsize_t n, hsize_t total, const void *buf);
/* Collective.  Extend dataset d to `extent` rows (nothing to do when it
 * has them), then agree. */
int weft__extend(weft__writer *w, weft__dset d, hsize_t extent);
/* Collective H5Dwrite.  This rank's n rows of `buf` at row `start` of
 * dataset d, already extended; `total`: the rows of all ranks in this
 * call (it picks the transfer).  Returns this rank's outcome: the caller
 * agrees. */
int weft__write_rows(weft__writer *w, weft__dset d, hsize_t start, hsize_t n,
                     hsize_t total, const void *buf);
/* Test-only (WEFT_TEST_CHECK_COLLECTIVE=1): WEFT_EFORMAT naming `what`
 * when the last H5Dwrite with dxpl was not carried out collectively by
 * HDF5 (a type conversion or a selection it cannot handle makes it fall
 * back to independent I/O without a word).  WEFT_OK otherwise. */
int weft__check_collective(const weft__writer *w, hid_t dxpl, const char *what);
/* Whether a collective write of `total` rows of d goes to MPI-IO
 * independently (WEFT_IO; the same on every rank). */
int weft__transfer_independent(const weft__writer *w, weft__dset d,
                               hsize_t total);

/* ---- closing after a failed flush (metadata_discard.c) --------------------
 */

/* Local.  Open this rank's scratch file (w->discard; MPI_FILE_NULL when it
 * cannot), with the log. */
void weft__metadata_discard_open(weft__writer *w);
/* Local.  Close it, unless weft__metadata_discard gave it to HDF5. */
void weft__metadata_discard_close(weft__writer *w);
/* Collective.  Point HDF5's MPI-IO handle of the log at the scratch file on
 * every rank, so that H5Fclose writes nothing more to the log; WEFT_EIO
 * (nothing changed) when a rank has no scratch file. */
int weft__metadata_discard(weft__writer *w);

/* ---- failed metadata writes (metadata_shield.c) ---------------------------
 */

/* Local.  Until weft__shield_end, a failed write to the log is reported
 * to HDF5 as done (and noted), so that no rank leaves HDF5's metadata
 * flush early.  Call it right before H5Fflush or H5Fclose. */
void weft__shield_begin(weft__writer *w);
/* Local.  Log the message weft:no_shield {reason} when HDF5's calls to
 * MPI_File_write_at go to the MPI library's own definition (link order),
 * so that the shield cannot work. */
void weft__shield_check(void);
/* Collective.  End the region.  When a write failed on some rank, set
 * w->damaged on every rank; WEFT_EIO saying so on the ranks where one
 * failed (`what`: the call), WEFT_OK elsewhere: weft__agree follows. */
int weft__shield_end(weft__writer *w, const char *what);

/* ---- writes MPI-IO lost (lost_write.c) ------------------------------------
 */

/* Open the handle the check asks (after the file exists; no handle, no
 * check).  Local. */
void weft__lost_write_open(weft__writer *w);
/* Local.  WEFT_EIO when this process's MPI-IO lost a write earlier (so
 * that its next sync would hang the others); WEFT_OK otherwise. */
int weft__lost_write_check(const weft__writer *w);
/* Close that handle (local). */
void weft__lost_write_close(weft__writer *w);

/* ---- free space (space_probe.c) ----------------------------------------- */

/* Collective.  Before a flush appends tot[d] rows to each dataset d (after
 * its committed rows), check that the file can grow by what that
 * allocates, and reserve it: WEFT_EIO naming the reason otherwise. */
int weft__space_probe(weft__writer *w, const uint64_t *tot);
/* Release the space reserved past the end of the closed file at path
 * (rank 0, after the last close; best effort). */
void weft__space_trim(const char *path);

/* ---- journal and stop signals (journal_setup.c, signals.c) ------------ */

/* weft_init for weft_mpi_init: options from the environment, the journal
 * in WEFT_JOURNAL_DIR or <log>.journal/ unless WEFT_JOURNAL=0. */
int weft__journal_init(weft__writer *w);
/* Name rank, job and log in the journal header (when there is one). */
void weft__journal_describe(const weft__writer *w);
/* weft__journal_init_early and weft__journal_dir_cleanup: guard.h. */
/* The WEFT_* settings weft_mpi_init reads (weft_mpi.c), checked alone:
 * WEFT_EINVAL naming the first bad one. */
int weft__env_check(int rank);
/* Install the SIGTERM and WEFT_SIGNAL handlers (they only set flags). */
int weft__signals_install(void);
void weft__signals_restore(void);
/* Collective: *reason = 0 go on, 1 last flush (warning signal or the
 * Slurm end time near), 2 last flush after SIGTERM, on any rank. */
int weft__signals_agree(MPI_Comm comm, int *reason);
/* 1 when this process received SIGTERM. */
int weft__signals_term_pending(void);
/* Restore the dispositions; after a SIGTERM, raise it again. */
void weft__signals_finish(void);

/* ---- the flush (flush.c) ----------------------------------------------------
 */

/* Where the ranks meet in a flush.  Ranks come to weft_mpi_flush and
 * weft_mpi_finalize at different times (when they are done with a phase
 * or with logging): each first counts its records, then waits for the
 * others asleep (quiet_wait.c), so the wait of the early ones covers
 * their counting. */
typedef enum weft__meet {
  WEFT__MEET_NONE,    /* the ranks are together already (weft_mpi_init) */
  WEFT__MEET_BARRIER, /* a quiet barrier (weft_mpi_finalize) */
  WEFT__MEET_STOP     /* the stop-flag agreement (weft_mpi_flush): a stop
                         makes the flush final */
} weft__meet;

/* Collective.  One epoch: write everything buffered.  final: also record
 * the actions still open as unfinished, and hold the snapshot until
 * weft__flush_settle.  *stop (WEFT__MEET_STOP only, else may be NULL):
 * the reason of weft__signals_agree; when not 0 the flush was final. */
int weft__flush(weft__writer *w, int final, weft__meet meet, int *stop);
/* After the final flush's weft__file_close: release its snapshot when the
 * file closed, else give it back to libweft (journal and buffers keep it). */
void weft__flush_settle(weft__writer *w, int closed);

#endif /* WEFT_MPI_WRITER_H */
