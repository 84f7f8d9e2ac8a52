/*
 * file_layout.c - the HDF5 datatypes of the log (docs/format.md).
 *
 * Every compound is built from its C struct with HOFFSET/sizeof and
 * little-endian standard member types, which on the supported platforms
 * (x86-64, aarch64) are the native types: H5Dwrite then sees memory type ==
 * file type and keeps the transfer collective.
 */
#include "file_layout.h"

#include <stddef.h>

static const char *const dset_names[WEFT_D_COUNT] = {
    [WEFT_D_PAYLOAD] = "payload",
    [WEFT_D_EVENTS] = "events",
    [WEFT_D_ORDER] = "order",
    [WEFT_D_SEGMENTS] = "segments",
    [WEFT_D_STRINGS] = "strings",
    [WEFT_D_NAMES] = "names",
    [WEFT_D_SCHEMA_FIELDS] = "schema_fields",
    [WEFT_D_SCHEMAS] = "schemas",
    [WEFT_D_ACTIONS] = "actions",
    [WEFT_D_FLUSHES] = "flushes",
};

static const size_t dset_sizes[WEFT_D_COUNT] = {
    [WEFT_D_PAYLOAD] = 1,
    [WEFT_D_EVENTS] = sizeof(weft_rec),
    [WEFT_D_ORDER] = 1,
    [WEFT_D_SEGMENTS] = sizeof(weft__segment_row),
    [WEFT_D_STRINGS] = 1,
    [WEFT_D_NAMES] = sizeof(weft__name_row),
    [WEFT_D_SCHEMA_FIELDS] = sizeof(weft__field_row),
    [WEFT_D_SCHEMAS] = sizeof(weft__schema_row),
    [WEFT_D_ACTIONS] = sizeof(weft__action_row),
    [WEFT_D_FLUSHES] = sizeof(weft__flush_row),
};

/* Rows per chunk: about 1 MiB per chunk for the big tables, so extending
 * by a flush allocates few chunks; small for the small tables. */
static const uint32_t dset_chunk_rows[WEFT_D_COUNT] = {
    [WEFT_D_PAYLOAD] = 1u << 20,       [WEFT_D_EVENTS] = 1u << 16,
    [WEFT_D_ORDER] = 1u << 16,         [WEFT_D_SEGMENTS] = 1u << 10,
    [WEFT_D_STRINGS] = 1u << 16,       [WEFT_D_NAMES] = 1u << 10,
    [WEFT_D_SCHEMA_FIELDS] = 1u << 10, [WEFT_D_SCHEMAS] = 1u << 10,
    [WEFT_D_ACTIONS] = 1u << 15,       [WEFT_D_FLUSHES] = 1u << 10,
};

const char *weft__dset_name(weft__dset d) { return dset_names[d]; }
size_t weft__dset_elem_size(weft__dset d) { return dset_sizes[d]; }
uint64_t weft__dset_chunk_rows(weft__dset d) { return dset_chunk_rows[d]; }

uint64_t weft__committed_rows(const weft__committed *c, weft__dset d) {
  const uint64_t v[WEFT_D_COUNT] = {[WEFT_D_PAYLOAD] = c->payload,
                                    [WEFT_D_EVENTS] = c->events,
                                    [WEFT_D_SEGMENTS] = c->segments,
                                    [WEFT_D_STRINGS] = c->strings,
                                    [WEFT_D_NAMES] = c->names,
                                    [WEFT_D_SCHEMA_FIELDS] = c->schema_fields,
                                    [WEFT_D_SCHEMAS] = c->schemas,
                                    [WEFT_D_ACTIONS] = c->actions,
                                    [WEFT_D_ORDER] = c->order,
                                    [WEFT_D_FLUSHES] = c->flushes};
  return v[d];
}

static hid_t enum_u8(const char *const *names, const int *values, int n) {
  hid_t t = H5Tenum_create(H5T_STD_U8LE);
  for (int i = 0; t >= 0 && i < n; i++) {
    uint8_t v = (uint8_t)values[i];
    if (H5Tenum_insert(t, names[i], &v) < 0) {
      H5Tclose(t);
      t = -1;
    }
  }
  return t;
}

static hid_t fixed_string(size_t n) {
  hid_t t = H5Tcopy(H5T_C_S1);
  if (t >= 0 &&
      (H5Tset_size(t, n) < 0 || H5Tset_strpad(t, H5T_STR_NULLPAD) < 0)) {
    H5Tclose(t);
    t = -1;
  }
  return t;
}

/* Insert members; stops at the first failure (reported by the caller
 * through the compound's hid staying valid but `ok` turning 0). */
#define MEMBER(ok, t, S, m, ht)                                                \
  ((ok) = (ok) && H5Tinsert((t), #m, HOFFSET(S, m), (ht)) >= 0)

static hid_t record_type(void) {
  hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(weft_rec));
  int ok = t >= 0;
  MEMBER(ok, t, weft_rec, t, H5T_STD_I64LE);
  MEMBER(ok, t, weft_rec, schema, H5T_STD_U32LE);
  MEMBER(ok, t, weft_rec, size, H5T_STD_U32LE);
  return ok ? t : -1;
}

static hid_t segment_type(void) {
  hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(weft__segment_row));
  int ok = t >= 0;
  MEMBER(ok, t, weft__segment_row, event_start, H5T_STD_U64LE);
  MEMBER(ok, t, weft__segment_row, event_count, H5T_STD_U64LE);
  MEMBER(ok, t, weft__segment_row, payload_start, H5T_STD_U64LE);
  MEMBER(ok, t, weft__segment_row, payload_bytes, H5T_STD_U64LE);
  MEMBER(ok, t, weft__segment_row, t_first, H5T_STD_I64LE);
  MEMBER(ok, t, weft__segment_row, t_last, H5T_STD_I64LE);
  MEMBER(ok, t, weft__segment_row, epoch, H5T_STD_U32LE);
  MEMBER(ok, t, weft__segment_row, rank, H5T_STD_U32LE);
  MEMBER(ok, t, weft__segment_row, thread, H5T_STD_U32LE);
  MEMBER(ok, t, weft__segment_row, os_tid, H5T_STD_U32LE);
  MEMBER(ok, t, weft__segment_row, leaf_start, H5T_STD_U64LE);
  MEMBER(ok, t, weft__segment_row, leaf_count, H5T_STD_U64LE);
  MEMBER(ok, t, weft__segment_row, order_start, H5T_STD_U64LE);
  return ok ? t : -1;
}

static hid_t name_type(void) {
  hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(weft__name_row));
  int ok = t >= 0;
  MEMBER(ok, t, weft__name_row, off, H5T_STD_U64LE);
  MEMBER(ok, t, weft__name_row, len, H5T_STD_U64LE);
  MEMBER(ok, t, weft__name_row, rank, H5T_STD_U32LE);
  MEMBER(ok, t, weft__name_row, id, H5T_STD_U32LE);
  return ok ? t : -1;
}

static hid_t schema_type(hid_t kind) {
  hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(weft__schema_row));
  int ok = t >= 0;
  MEMBER(ok, t, weft__schema_row, fields_off, H5T_STD_U64LE);
  MEMBER(ok, t, weft__schema_row, rank, H5T_STD_U32LE);
  MEMBER(ok, t, weft__schema_row, id, H5T_STD_U32LE);
  MEMBER(ok, t, weft__schema_row, type_name, H5T_STD_U32LE);
  MEMBER(ok, t, weft__schema_row, nfields, H5T_STD_U16LE);
  MEMBER(ok, t, weft__schema_row, kind, kind);
  MEMBER(ok, t, weft__schema_row, fixed_size, H5T_STD_U8LE);
  return ok ? t : -1;
}

static hid_t field_type(hid_t ftype) {
  hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(weft__field_row));
  int ok = t >= 0;
  MEMBER(ok, t, weft__field_row, name, H5T_STD_U32LE);
  MEMBER(ok, t, weft__field_row, type, ftype);
  return ok ? t : -1;
}

static hid_t action_type(hid_t status) {
  hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(weft__action_row));
  int ok = t >= 0;
  MEMBER(ok, t, weft__action_row, start_ns, H5T_STD_I64LE);
  MEMBER(ok, t, weft__action_row, end_ns, H5T_STD_I64LE);
  MEMBER(ok, t, weft__action_row, elapsed_ns, H5T_STD_I64LE);
  MEMBER(ok, t, weft__action_row, rank, H5T_STD_U32LE);
  MEMBER(ok, t, weft__action_row, schema, H5T_STD_U16LE);
  MEMBER(ok, t, weft__action_row, status, status);
  return ok ? t : -1;
}

static hid_t flush_type(void) {
  hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(weft__flush_row));
  int ok = t >= 0;
  MEMBER(ok, t, weft__flush_row, sample_mono_ns, H5T_STD_I64LE);
  MEMBER(ok, t, weft__flush_row, offset_ns, H5T_STD_I64LE);
  MEMBER(ok, t, weft__flush_row, error_ns, H5T_STD_I64LE);
  MEMBER(ok, t, weft__flush_row, sample_wall_ns, H5T_STD_I64LE);
  MEMBER(ok, t, weft__flush_row, events, H5T_STD_U64LE);
  MEMBER(ok, t, weft__flush_row, payload_bytes, H5T_STD_U64LE);
  MEMBER(ok, t, weft__flush_row, dropped, H5T_STD_U64LE);
  MEMBER(ok, t, weft__flush_row, epoch, H5T_STD_U32LE);
  MEMBER(ok, t, weft__flush_row, rank, H5T_STD_U32LE);
  return ok ? t : -1;
}

static hid_t rank_type(void) {
  hid_t host = fixed_string(WEFT_HOST_LEN);
  hid_t s32 = fixed_string(WEFT_SLURM_LEN);
  hid_t s64 = fixed_string(2 * WEFT_SLURM_LEN);
  hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(weft__rank_row));
  int ok = t >= 0 && host >= 0 && s32 >= 0 && s64 >= 0;
  MEMBER(ok, t, weft__rank_row, start_wall_ns, H5T_STD_I64LE);
  MEMBER(ok, t, weft__rank_row, start_mono_ns, H5T_STD_I64LE);
  MEMBER(ok, t, weft__rank_row, slurm_job_end_time, H5T_STD_I64LE);
  MEMBER(ok, t, weft__rank_row, cmdline_off, H5T_STD_U64LE);
  MEMBER(ok, t, weft__rank_row, mpi_library_off, H5T_STD_U64LE);
  MEMBER(ok, t, weft__rank_row, nodelist_off, H5T_STD_U64LE);
  MEMBER(ok, t, weft__rank_row, rank, H5T_STD_U32LE);
  MEMBER(ok, t, weft__rank_row, pid, H5T_STD_U32LE);
  MEMBER(ok, t, weft__rank_row, threads, H5T_STD_U32LE);
  MEMBER(ok, t, weft__rank_row, cmdline_len, H5T_STD_U32LE);
  MEMBER(ok, t, weft__rank_row, mpi_library_len, H5T_STD_U32LE);
  MEMBER(ok, t, weft__rank_row, nodelist_len, H5T_STD_U32LE);
  MEMBER(ok, t, weft__rank_row, host, host);
  MEMBER(ok, t, weft__rank_row, slurm_job_id, s32);
  MEMBER(ok, t, weft__rank_row, slurm_step_id, s32);
  MEMBER(ok, t, weft__rank_row, slurm_array_job_id, s32);
  MEMBER(ok, t, weft__rank_row, slurm_array_task_id, s32);
  MEMBER(ok, t, weft__rank_row, slurm_partition, s64);
  MEMBER(ok, t, weft__rank_row, world_rank, H5T_STD_U32LE);
  MEMBER(ok, t, weft__rank_row, world_size, H5T_STD_U32LE);
  if (host >= 0)
    H5Tclose(host);
  if (s32 >= 0)
    H5Tclose(s32);
  if (s64 >= 0)
    H5Tclose(s64);
  return ok ? t : -1;
}

static hid_t committed_type(void) {
  hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(weft__committed));
  int ok = t >= 0;
  MEMBER(ok, t, weft__committed, epochs, H5T_STD_U64LE);
  MEMBER(ok, t, weft__committed, events, H5T_STD_U64LE);
  MEMBER(ok, t, weft__committed, payload, H5T_STD_U64LE);
  MEMBER(ok, t, weft__committed, segments, H5T_STD_U64LE);
  MEMBER(ok, t, weft__committed, strings, H5T_STD_U64LE);
  MEMBER(ok, t, weft__committed, names, H5T_STD_U64LE);
  MEMBER(ok, t, weft__committed, schemas, H5T_STD_U64LE);
  MEMBER(ok, t, weft__committed, schema_fields, H5T_STD_U64LE);
  MEMBER(ok, t, weft__committed, actions, H5T_STD_U64LE);
  MEMBER(ok, t, weft__committed, order, H5T_STD_U64LE);
  MEMBER(ok, t, weft__committed, flushes, H5T_STD_U64LE);
  MEMBER(ok, t, weft__committed, failed_flushes, H5T_STD_U64LE);
  return ok ? t : -1;
}

static int commit(hid_t file, hid_t group, const char *name, hid_t t) {
  (void)file;
  return H5Tcommit2(group, name, t, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
}

int weft__h5types_create(weft__h5types *t, hid_t file) {
  static const char *const kind_names[] = {"start",    "success",   "failure",
                                           "message",  "add",       "task",
                                           "continue", "serialize", "globals"};
  static const int kind_values[] = {
      WEFT_REC_START,    WEFT_REC_SUCCESS,   WEFT_REC_FAILURE,
      WEFT_REC_MESSAGE,  WEFT_REC_ADD,       WEFT_REC_TASK,
      WEFT_REC_CONTINUE, WEFT_REC_SERIALIZE, WEFT_REC_GLOBALS};
  static const char *const status_names[] = {"succeeded", "failed",
                                             "unfinished"};
  static const int status_values[] = {WEFT_STATUS_SUCCEEDED, WEFT_STATUS_FAILED,
                                      WEFT_STATUS_UNFINISHED};
  static const char *const ftype_names[] = {
      "i64", "u64", "f64", "bool", "str", "i64_array", "f64_array"};
  static const int ftype_values[] = {
      WEFT_TYPE_I64, WEFT_TYPE_U64,       WEFT_TYPE_F64,      WEFT_TYPE_BOOL,
      WEFT_TYPE_STR, WEFT_TYPE_I64_ARRAY, WEFT_TYPE_F64_ARRAY};
  static const char *const state_names[] = {"writing", "closed"};
  static const int state_values[] = {0, 1};

  *t = (weft__h5types){.kind = -1,
                       .status = -1,
                       .ftype = -1,
                       .state = -1,
                       .rank_row = -1,
                       .committed = -1};
  for (int d = 0; d < WEFT_D_COUNT; d++)
    t->row[d] = -1;

  t->kind = enum_u8(kind_names, kind_values, 9);
  t->status = enum_u8(status_names, status_values, 3);
  t->ftype = enum_u8(ftype_names, ftype_values, 7);
  t->state = enum_u8(state_names, state_values, 2);
  if (t->kind < 0 || t->status < 0 || t->ftype < 0 || t->state < 0)
    return -1;
  if (file >= 0) {
    hid_t g = H5Gcreate2(file, "types", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0)
      return -1;
    int bad = commit(file, g, "kind_t", t->kind) < 0 ||
              commit(file, g, "status_t", t->status) < 0 ||
              commit(file, g, "field_type_t", t->ftype) < 0 ||
              commit(file, g, "state_t", t->state) < 0;
    H5Gclose(g);
    if (bad)
      return -1;
  }
  t->row[WEFT_D_PAYLOAD] = H5Tcopy(H5T_STD_U8LE);
  t->row[WEFT_D_STRINGS] = H5Tcopy(H5T_STD_U8LE);
  t->row[WEFT_D_ORDER] = H5Tcopy(H5T_STD_U8LE);
  t->row[WEFT_D_EVENTS] = record_type();
  t->row[WEFT_D_SEGMENTS] = segment_type();
  t->row[WEFT_D_NAMES] = name_type();
  t->row[WEFT_D_SCHEMAS] = schema_type(t->kind);
  t->row[WEFT_D_SCHEMA_FIELDS] = field_type(t->ftype);
  t->row[WEFT_D_ACTIONS] = action_type(t->status);
  t->row[WEFT_D_FLUSHES] = flush_type();
  t->rank_row = rank_type();
  t->committed = committed_type();
  for (int d = 0; d < WEFT_D_COUNT; d++)
    if (t->row[d] < 0)
      return -1;
  return t->rank_row < 0 || t->committed < 0 ? -1 : 0;
}

void weft__h5types_close(weft__h5types *t) {
  hid_t *all[] = {&t->kind,  &t->status,   &t->ftype,
                  &t->state, &t->rank_row, &t->committed};
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
    if (*all[i] >= 0) {
      H5Tclose(*all[i]);
      *all[i] = -1;
    }
  for (int d = 0; d < WEFT_D_COUNT; d++)
    if (t->row[d] >= 0) {
      H5Tclose(t->row[d]);
      t->row[d] = -1;
    }
}
