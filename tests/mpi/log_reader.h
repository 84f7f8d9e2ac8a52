/*
 * log_reader.h - a reader of the Weft HDF5 log (format 2.0) written from
 * docs/format.md alone (it does not include libweft-mpi's layout header),
 * so the tests check the file against the specification, not against the
 * writer's own structs.  Only the integer timeline mapping comes from
 * libweft (lib/src/timeline.h), as section 6 defines it.  Serial HDF5
 * calls; used by rank 0 after weft_mpi_finalize.
 */
#ifndef WEFT_TEST_LOG_READER_H
#define WEFT_TEST_LOG_READER_H

#include "weft_int.h"

#include <stddef.h>
#include <stdint.h>

/* Rows as specified (offsets in docs/format.md section 4). */
typedef struct lr_record {
  int64_t t;
  uint32_t schema, size;
} lr_record;

typedef struct lr_segment {
  uint64_t event_start, event_count, payload_start, payload_bytes;
  int64_t t_first, t_last;
  uint32_t epoch, rank, thread, os_tid;
  uint64_t leaf_start, leaf_count, order_start;
} lr_segment;

typedef struct lr_name {
  uint64_t off, len;
  uint32_t rank, id;
} lr_name;

typedef struct lr_schema {
  uint64_t fields_off;
  uint32_t rank, id, type_name;
  uint16_t nfields;
  uint8_t kind, fixed_size;
} lr_schema;

typedef struct lr_field {
  uint32_t name;
  uint8_t type, pad[3];
} lr_field;

/* 31 bytes, packed: read its members by value only. */
typedef struct __attribute__((packed)) lr_action {
  int64_t start_ns, end_ns, elapsed_ns;
  uint32_t rank;
  uint16_t schema;
  uint8_t status;
} lr_action;

typedef struct lr_flush {
  int64_t sample_mono_ns, offset_ns, error_ns, sample_wall_ns;
  uint64_t events, payload_bytes, dropped;
  uint32_t epoch, rank;
} lr_flush;

typedef struct lr_rank {
  int64_t start_wall_ns, start_mono_ns, slurm_job_end_time;
  uint64_t cmdline_off, mpi_library_off, nodelist_off;
  uint32_t rank, pid, threads, cmdline_len, mpi_library_len, nodelist_len;
  char host[64], slurm_job_id[32], slurm_step_id[32], slurm_array_job_id[32],
      slurm_array_task_id[32], slurm_partition[64];
  uint32_t world_rank, world_size; /* UINT32_MAX and 0 when unknown */
} lr_rank;

typedef struct lr_committed {
  uint64_t epochs, events, payload, segments, strings, names, schemas,
      schema_fields, actions, order, flushes, failed_flushes;
} lr_committed;

/* One item of a segment (docs/format.md section 4, /segments): an /events
 * row (a record, or a leaf record with bit 31) or a leaf row of /actions. */
enum { LR_ITEM_RECORD = 1, LR_ITEM_LEAF_RECORD, LR_ITEM_LEAF_ROW };

typedef struct lr_item {
  int kind;
  uint64_t segment; /* its row in /segments */
  uint64_t row;     /* its row in /events, or in /actions for a leaf row */
  uint64_t index;   /* its place among the segment's items, from 0 */
  uint32_t schema;  /* as stored (bit 31 on a leaf record) */
  uint32_t size;    /* payload bytes (a leaf row's: its schema's size) */
  const unsigned char *payload; /* size bytes, then zero padding */
  int64_t t;                    /* the rank's clock: its time, or its start */
  int64_t end; /* the end of a leaf record or a leaf row, else t */
  /* A leaf row whose start two times fit (section 5): the earlier is
   * taken, so t and end may be 1 ns before the times the rank logged. */
  int ambiguous;
} lr_item;

/* A rank's clock sample (/flushes), sorted by rank, then time. */
typedef struct lr_sample {
  int64_t m, o, slope; /* slope to the next sample (timeline.h) */
} lr_sample;

typedef struct lr_log {
  lr_committed c;
  uint32_t mpi_size;
  uint32_t version[2];
  int closed;        /* state attribute */
  int actions_table; /* attribute: 0 when WEFT_ACTIONS=0 */
  int64_t timeline_mono_ns, timeline_wall_ns;
  lr_record *events;
  unsigned char *payload;
  lr_segment *segments;
  char *strings;
  lr_name *names;
  lr_schema *schemas;
  lr_field *fields;
  lr_action *actions;
  unsigned char *order;
  lr_flush *flushes;
  lr_rank *ranks;
  /* per /actions row: 1 when a segment lists it (a leaf row) */
  unsigned char *leaf_row;
  /* the clock samples of rank r: samples[sample_first[r] ..
   * sample_first[r + 1]) */
  lr_sample *samples;
  uint64_t *sample_first;
  /* The item being decoded while lr_decode_rank calls its callback. */
  lr_item item;
  /* Leaf rows whose start was ambiguous (two times fit both ends, section
   * 5: the reader took the earlier, 1 ns early), over every decode. */
  uint64_t ambiguous;
  /* the decoder's dictionary for one rank (lr_decode_rank) */
  uint32_t dict_rank;
  weft__schema *dict_schemas; /* indexed by schema id */
  uint32_t dict_nschemas;
  const char **dict_names; /* indexed by name id, NUL-terminated copies */
  uint32_t dict_nnames;
  uint32_t *dict_ids;
  uint8_t *dict_types;
} lr_log;

/* Read every committed row, and check what holds the file together: the
 * segments' rows, bytes and bits inside the committed tables, and the leaf
 * rows (listed by one segment each).  0, or -1 with a message on stderr. */
int lr_open(lr_log *log, const char *path);
void lr_close(lr_log *log);

/* Name `id` of `rank`, or NULL. */
const char *lr_name_of(const lr_log *log, uint32_t rank, uint32_t id);
/* The type name of an /actions row (its start schema's), or NULL. */
const char *lr_action_type(const lr_log *log, const lr_action *a);

/* The items of every segment of `rank`, in file order (each thread's in
 * epoch order), as docs/format.md section 4 orders them through /order,
 * with each leaf row's times on the rank's clock (section 5).  fn's
 * non-zero return stops the walk and is returned.  Returns 0, fn's value,
 * or WEFT_EFORMAT with a message on stderr when the items do not add up
 * (payload bytes, t_first, t_last, /order bits, a leaf row whose times no
 * local time maps to). */
typedef int (*lr_item_fn)(void *arg, const lr_item *it);
int lr_walk_rank(lr_log *log, uint32_t rank, lr_item_fn fn, void *arg);

/* Decode every thread stream of `rank` (thread by thread, each in epoch
 * order) with libweft's decoder; fn gets stream = thread, and log->item is
 * the item that the event comes from.  Returns 0 or the decoder's error. */
int lr_decode_rank(lr_log *log, uint32_t rank, weft__event_fn fn, void *arg);

/* docs/format.md section 6: time stamp t of `rank` on rank 0's clock,
 * in integers exactly as the writer computes it. */
int64_t lr_timeline(const lr_log *log, uint32_t rank, int64_t t);

/* The /actions rows of one rank against its streams (lr_decode_rank):
 * every action whose start the log holds has exactly one row; a leaf row
 * for the actions read from leaf rows, a derived row for the others, in
 * the epoch of its end (unfinished: the last epoch, ended at the rank's
 * last clock sample), with start_ns, end_ns, elapsed_ns, rank, type name
 * and status as the records say; within an epoch the rank's leaf rows
 * come first, in segment order.  Counts are of the rank's rows. */
typedef struct lr_actions_report {
  uint64_t rows, leaf_rows, derived_rows;
  uint64_t succeeded, failed, unfinished;
  uint64_t mismatches;
  char first[512]; /* the first mismatch */
} lr_actions_report;
int lr_check_actions(lr_log *log, uint32_t rank, lr_actions_report *rep);

#endif /* WEFT_TEST_LOG_READER_H */
