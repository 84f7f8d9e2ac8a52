/*
 * reader.h - opens a Weft HDF5 log (docs/format.md) for the tools.
 *
 * weft__trace_open reads the small tables whole (ranks, flushes, segments,
 * names, schemas) and checks them against the committed counters and
 * against each other; the event records, the leaf rows of /actions, the
 * /order bits and the payload heap are read later, in bounded chunks, by
 * weft__trace_read_segment.  Every problem is reported as one line of text
 * (no file name: callers add it) and -1; nothing here prints or exits.
 */
#ifndef WEFT_TOOLS_READER_H
#define WEFT_TOOLS_READER_H

#include "weft_int.h"

#include <stddef.h>
#include <stdint.h>

#define WEFT__FORMAT_MAJOR 2

/* world_rank of a /ranks row that does not know it. */
#define WEFT__WORLD_UNKNOWN UINT32_MAX

/* weft__trace_open's result for a Weft log of a format version this weft
 * does not read (t->version says which), as opposed to -1 for a file that
 * is not a readable Weft log. */
#define WEFT__TRACE_EVERSION (-2)

/* weft__trace_open's and weft__trace_read_segment's result when memory
 * ran out, Weft's or HDF5's while it read (err says where): not the
 * file's fault, so the tools exit 1, not 2, and weft recover does not take
 * the log for a damaged one. */
#define WEFT__TRACE_ENOMEM (-3)

/* Committed row counts (root attribute `committed`). */
typedef struct weft__committed {
  uint64_t epochs, events, payload, segments, strings, names, schemas,
      schema_fields, actions, order, flushes, failed_flushes;
} weft__committed;

typedef struct weft__rank_row {
  int64_t start_wall_ns, start_mono_ns, slurm_job_end_time;
  uint32_t rank, pid, threads;
  /* The rank in MPI_COMM_WORLD and its size: libweft-pmpi's `peer` and
   * `root` fields name world ranks.  WEFT__WORLD_UNKNOWN and 0 in a row
   * that weft recover rebuilt from a journal that did not name them
   * (version 1-2) or whose world rank clashed: the tools then take the
   * log rank for it only when no row of the file knows its world rank
   * (weft__model_world). */
  uint32_t world_rank, world_size;
  char host[65];
  char job_id[33], step_id[33], array_job_id[33], array_task_id[33];
  char partition[65];
  char *cmdline;      /* arguments, NUL between two (owned) */
  size_t cmdline_len; /* its bytes, without the terminating NUL */
  char *mpi_library;  /* owned */
  char *nodelist;     /* owned, "" when absent */
} weft__rank_row;

typedef struct weft__flush_row {
  int64_t sample_mono_ns, offset_ns, error_ns, sample_wall_ns;
  uint64_t events, payload_bytes, dropped;
  uint32_t epoch, rank;
} weft__flush_row;

typedef struct weft__segment_row {
  uint64_t event_start, event_count, payload_start, payload_bytes;
  int64_t t_first, t_last;
  uint32_t epoch, rank, thread, os_tid;
  uint64_t leaf_start, leaf_count; /* its leaf rows in /actions */
  uint64_t order_start;            /* its bits in /order (leaf_count > 0) */
} weft__segment_row;

typedef struct weft__rank_dict weft__rank_dict;

typedef struct weft__trace {
  char *path;
  int64_t fid;         /* hid_t */
  uint32_t version[2]; /* format_version major, minor */
  char writer[65], clock[17], encoding[33];
  uint32_t mpi_size;
  int64_t timeline_mono_ns, timeline_wall_ns;
  int closed;         /* state == closed */
  uint32_t recovered; /* epochs weft recover appended (attribute, or 0) */
  int actions_table;
  uint64_t leaf_rows; /* rows of /actions that the segments list */
  weft__committed c;
  weft__rank_row *ranks;       /* mpi_size rows */
  weft__flush_row *flushes;    /* c.flushes rows, sorted by rank, epoch */
  weft__segment_row *segments; /* sorted by rank, thread, epoch */
  size_t nsegments;
  weft__rank_dict *dicts;            /* per rank names and schemas */
  void *dict_storage;                /* what the dictionaries point into */
  int64_t events_dset, payload_dset; /* hid_t, open while the trace is */
  int64_t actions_dset, order_dset;  /* hid_t, -1 when there is no leaf row */
  int64_t record_type;               /* hid_t: memory type of /events */
  int64_t action_type;               /* hid_t: memory type of /actions */
  uint64_t file_size;                /* bytes, to bound what is read */
} weft__trace;

/* Open and check path.  On failure returns -1, WEFT__TRACE_EVERSION for
 * a Weft log of another format major version (its version is then in
 * t->version) or WEFT__TRACE_ENOMEM, with a one-line reason in err (the
 * trace is then closed). */
int weft__trace_open(weft__trace *t, const char *path, char *err,
                     size_t errcap);
void weft__trace_close(weft__trace *t);

/* Whether HDF5 still works: it can make a small file in memory.  A failed
 * allocation can leave HDF5 unable to open any file (an interface it could
 * not set up), so that a log reads as damaged the same way twice (weft
 * recover asks before it moves a log aside). */
int weft__hdf5_works(void);

/* Names and schemas of `rank` for weft__decoder_new. */
weft__dict weft__trace_dict(const weft__trace *t, uint32_t rank);

/* Time stamp t of `rank` mapped onto the job timeline, Unix-epoch ns
 * (docs/format.md section 6, in integers exactly as the writer maps the
 * times of /actions). */
int64_t weft__trace_wall(const weft__trace *t, uint32_t rank, int64_t ns);

/* The clock segment a time was last found in, so that consecutive times
 * of one rank map without a search.  Zero it before first use. */
typedef struct weft__wall_hint {
  int valid;
  uint32_t rank;
  int64_t from, to; /* [from, to): the segment, rank's monotonic ns */
  int64_t m0, o0;   /* offset = weft__offset_at(m0, o0, slope, ns) */
  int64_t slope;    /* 2^-48 ns per ns (lib/src/timeline.h) */
} weft__wall_hint;

int64_t weft__trace_wall_hint(const weft__trace *t, uint32_t rank, int64_t ns,
                              weft__wall_hint *h);

/* A segment being read by weft__trace_read_segment (reader.c). */
typedef struct weft__seg_read weft__seg_read;

/* Records of a segment handed to a weft__chunk_fn: whole records in the
 * in-memory layout (16-byte header + payload padded to 8). */
typedef struct weft__chunk {
  const unsigned char *data;
  size_t len;
  const weft__seg_read *from; /* for weft__chunk_where */
} weft__chunk;

/* Calls fn(arg, chunk) with the records of segment s as one run of whole
 * records, at most about `chunk` bytes at a time: its /events rows and, in
 * the places /order gives, its leaf rows of /actions, each as the leaf
 * record it stands for (record.h, WEFT_REC_LEAF), with its times on the
 * rank's own clock.  Stops and returns fn's non-zero value; returns -1
 * with err set when the file cannot be read or the segment's rows, bits
 * and sizes do not add up, WEFT__TRACE_ENOMEM when memory ran out. */
typedef int (*weft__chunk_fn)(void *arg, const weft__chunk *c);
int weft__trace_read_segment(weft__trace *t, const weft__segment_row *s,
                             size_t chunk, weft__chunk_fn fn, void *arg,
                             char *err, size_t errcap);

/* Where the record at byte `off` of c came from in the file, for an error
 * message, in buf: "segment of rank R thread T epoch E: '/events' row N
 * (schema S, '/payload' bytes A..B)", or "'/actions' leaf row N" for a leaf
 * row; rows are 0-based file rows and A..B a half-open range, as h5py
 * indexes them ("no payload" when it has none).  Only while fn has c.  It
 * walks the chunk's rows up to off: nothing is kept per record for it.
 * Returns 0, or -1 when no record of c starts at off (buf then names the
 * segment and the chunk's first rows). */
int weft__chunk_where(const weft__chunk *c, size_t off, char *buf, size_t cap);

#endif
