/*
 * log_reader.h - a reader of the Weft HDF5 log written from docs/format.md
 * alone (it does not include libweft-mpi's layout header), so the tests
 * check the file against the specification, not against the writer's own
 * structs.  Serial HDF5 calls; used by rank 0 after weft_mpi_finalize.
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

typedef struct lr_action {
  int64_t start_ns, end_ns, elapsed_ns;
  uint64_t start_event;
  uint32_t rank, thread, type;
  uint16_t depth;
  uint8_t status, pad;
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
} lr_rank;

typedef struct lr_committed {
  uint64_t epochs, events, payload, segments, strings, names, schemas,
      schema_fields, actions, flushes, failed_flushes;
} lr_committed;

typedef struct lr_log {
  lr_committed c;
  uint32_t mpi_size;
  uint32_t version[2];
  int closed;             /* state attribute */
  int64_t actions_min_ns; /* attribute; 0 when absent (format 1.0) */
  int actions_table;      /* attribute: 0 when WEFT_ACTIONS=0 */
  int64_t timeline_mono_ns, timeline_wall_ns;
  lr_record *events;
  unsigned char *payload;
  lr_segment *segments;
  char *strings;
  lr_name *names;
  lr_schema *schemas;
  lr_field *fields;
  lr_action *actions;
  lr_flush *flushes;
  lr_rank *ranks;
  /* the decoder's dictionary for one rank (lr_decode_rank) */
  uint32_t dict_rank;
  weft__schema *dict_schemas; /* indexed by schema id */
  uint32_t dict_nschemas;
  const char **dict_names; /* indexed by name id, NUL-terminated copies */
  uint32_t dict_nnames;
  uint32_t *dict_ids;
  uint8_t *dict_types;
} lr_log;

/* Read every committed row.  0, or -1 with a message on stderr. */
int lr_open(lr_log *log, const char *path);
void lr_close(lr_log *log);

/* Name `id` of `rank`, or NULL. */
const char *lr_name_of(const lr_log *log, uint32_t rank, uint32_t id);

/* Decode every thread stream of `rank` (thread by thread, each in epoch
 * order) with libweft's decoder; fn gets stream = thread.  Returns 0 or
 * the decoder's error. */
int lr_decode_rank(lr_log *log, uint32_t rank, weft__event_fn fn, void *arg);

/* docs/format.md section 6: time stamp t of `rank` on rank 0's clock. */
int64_t lr_timeline(const lr_log *log, uint32_t rank, int64_t t);

/* Where /actions row a belongs on the job's timeline (wall-clock ns), from
 * its events: its start event's time, and that time plus its elapsed time,
 * each through the rank's clock samples (lr_timeline), plus the
 * timeline's wall-clock origin. */
void lr_action_times(const lr_log *log, const lr_action *a, int64_t *start,
                     int64_t *end);

#endif /* WEFT_TEST_LOG_READER_H */
