/*
 * file_layout.h - the rows of the HDF5 log (docs/format.md, version 2.0).
 *
 * Each C struct below is the memory type *and* the file type of its
 * dataset: the HDF5 compound is built from the struct's offsets and size,
 * so a write needs no conversion (a conversion would silently turn a
 * collective write into an independent one in HDF5 1.10).
 */
#ifndef WEFT_MPI_FILE_LAYOUT_H
#define WEFT_MPI_FILE_LAYOUT_H

#include "record.h"
#include "weft.h"

#include <hdf5.h>
#include <stdint.h>

#define WEFT_FORMAT_NAME "weft-h5"
#define WEFT_FORMAT_MAJOR 2
#define WEFT_FORMAT_MINOR 0

/* Status of an action in /actions (enum status_t). */
enum {
  WEFT_STATUS_SUCCEEDED = 1,
  WEFT_STATUS_FAILED = 2,
  WEFT_STATUS_UNFINISHED = 3
};

/* /flushes: one row per (epoch, rank); epoch 0 is weft_mpi_init.  The
 * clock sample: offset_ns = this rank's clock - rank 0's clock at
 * sample_mono_ns (this rank's clock), within +-error_ns. */
typedef struct weft__flush_row {
  int64_t sample_mono_ns;
  int64_t offset_ns;
  int64_t error_ns;
  int64_t sample_wall_ns;
  uint64_t events;
  uint64_t payload_bytes;
  uint64_t dropped;
  uint32_t epoch;
  uint32_t rank;
} weft__flush_row;

/* /segments: the records one thread of one rank wrote in one epoch. */
typedef struct weft__segment_row {
  uint64_t event_start;
  uint64_t event_count;
  uint64_t payload_start;
  uint64_t payload_bytes;
  int64_t t_first;
  int64_t t_last;
  uint32_t epoch;
  uint32_t rank;
  uint32_t thread;
  uint32_t os_tid;
  uint64_t leaf_start; /* its leaf rows in /actions */
  uint64_t leaf_count;
  uint64_t order_start; /* its bits in /order, when leaf_count > 0 */
} weft__segment_row;

/* /names: interned names (action and message types, field names), per
 * rank; the text is strings[off, off + len). */
typedef struct weft__name_row {
  uint64_t off;
  uint64_t len;
  uint32_t rank;
  uint32_t id;
} weft__name_row;

/* /schemas: per-rank schemas (ids >= 16); their fields are
 * schema_fields[fields_off, fields_off + nfields). */
typedef struct weft__schema_row {
  uint64_t fields_off;
  uint32_t rank;
  uint32_t id;
  uint32_t type_name;
  uint16_t nfields;
  uint8_t kind; /* kind_t */
  uint8_t fixed_size;
} weft__schema_row;

/* /schema_fields: one row per field of a schema, in payload order. */
typedef struct weft__field_row {
  uint32_t name;
  uint8_t type; /* field_type_t */
  uint8_t pad_[3];
} weft__field_row;

/* /actions: one row per action, written when it ends (or, at finalize,
 * unfinished); for a short action (a leaf row) its only record.
 * start_ns/end_ns are Unix-epoch ns on the job timeline (rank 0's clock,
 * corrected); elapsed_ns is measured on the rank's own monotonic clock.
 * Packed: 31 bytes is what lets a short action with two int64 fields
 * take at most 48 in the file (docs/format.md, /actions).  Members are
 * read and written by value, never through pointers to them. */
typedef struct __attribute__((packed)) weft__action_row {
  int64_t start_ns;
  int64_t end_ns;
  int64_t elapsed_ns;
  uint32_t rank;
  uint16_t schema;
  uint8_t status; /* status_t */
} weft__action_row;
_Static_assert(sizeof(weft__action_row) == 31, "/actions rows are packed");

#define WEFT_HOST_LEN 64
#define WEFT_SLURM_LEN 32

/* /ranks: one row per rank, rewritten at every flush (threads grows). */
typedef struct weft__rank_row {
  int64_t start_wall_ns;
  int64_t start_mono_ns;
  int64_t slurm_job_end_time;
  uint64_t cmdline_off;
  uint64_t mpi_library_off;
  uint64_t nodelist_off;
  uint32_t rank;
  uint32_t pid;
  uint32_t threads;
  uint32_t cmdline_len;
  uint32_t mpi_library_len;
  uint32_t nodelist_len;
  char host[WEFT_HOST_LEN];
  char slurm_job_id[WEFT_SLURM_LEN];
  char slurm_step_id[WEFT_SLURM_LEN];
  char slurm_array_job_id[WEFT_SLURM_LEN];
  char slurm_array_task_id[WEFT_SLURM_LEN];
  char slurm_partition[2 * WEFT_SLURM_LEN];
  /* The rank in MPI_COMM_WORLD, which libweft-pmpi's peer fields name
   * (a log's communicator may number its ranks otherwise);
   * WEFT_WORLD_RANK_UNKNOWN in a row rebuilt from a crash journal that
   * did not name it (version 1-2) or whose world rank clashed
   * (recover_write.c). */
  uint32_t world_rank;
  uint32_t world_size;
} weft__rank_row;
#define WEFT_WORLD_RANK_UNKNOWN UINT32_MAX

/* The committed counters (root attribute "committed"): rows of each
 * dataset that readers may trust. */
typedef struct weft__committed {
  uint64_t epochs;
  uint64_t events;
  uint64_t payload;
  uint64_t segments;
  uint64_t strings;
  uint64_t names;
  uint64_t schemas;
  uint64_t schema_fields;
  uint64_t actions;
  uint64_t order;
  uint64_t flushes;
  uint64_t failed_flushes;
} weft__committed;

/* The appendable datasets, in write order (heaps before their indexes). */
typedef enum weft__dset {
  WEFT_D_PAYLOAD,
  WEFT_D_EVENTS,
  WEFT_D_ORDER,
  WEFT_D_SEGMENTS,
  WEFT_D_STRINGS,
  WEFT_D_NAMES,
  WEFT_D_SCHEMA_FIELDS,
  WEFT_D_SCHEMAS,
  WEFT_D_ACTIONS,
  WEFT_D_FLUSHES,
  WEFT_D_COUNT
} weft__dset;

/* HDF5 types of the layout (built once per file). */
typedef struct weft__h5types {
  hid_t kind;   /* enum kind_t (u8) */
  hid_t status; /* enum status_t (u8) */
  hid_t ftype;  /* enum field_type_t (u8) */
  hid_t state;  /* enum state_t (u8) */
  hid_t row[WEFT_D_COUNT];
  hid_t rank_row;
  hid_t committed;
} weft__h5types;

/* Build the types (committed enums under /types when file >= 0). */
int weft__h5types_create(weft__h5types *t, hid_t file);
void weft__h5types_close(weft__h5types *t);
/* Dataset names, element sizes and rows per chunk. */
const char *weft__dset_name(weft__dset d);
size_t weft__dset_elem_size(weft__dset d);
uint64_t weft__dset_chunk_rows(weft__dset d);
/* Rows of dataset d that c counts as committed. */
uint64_t weft__committed_rows(const weft__committed *c, weft__dset d);

#endif /* WEFT_MPI_FILE_LAYOUT_H */
