/*
 * log_reader.c - see log_reader.h.
 */
#include "log_reader.h"

#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(sizeof(lr_record) == 16, "record_t is 16 bytes");
_Static_assert(sizeof(lr_segment) == 64, "segment_t is 64 bytes");
_Static_assert(sizeof(lr_name) == 24, "name_t is 24 bytes");
_Static_assert(sizeof(lr_schema) == 24, "schema_t is 24 bytes");
_Static_assert(sizeof(lr_field) == 8, "schema_field_t is 8 bytes");
_Static_assert(sizeof(lr_action) == 48, "action_t is 48 bytes");
_Static_assert(sizeof(lr_flush) == 64, "flush_t is 64 bytes");
_Static_assert(sizeof(lr_rank) == 328, "rank_t is 328 bytes");

/* Read the first n rows of a dataset in its own file type (the layout of
 * the spec), checking the element size. */
static void *read_rows(hid_t f, const char *name, uint64_t n, size_t elem) {
  hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
  if (d < 0) {
    fprintf(stderr, "log_reader: no dataset /%s\n", name);
    return NULL;
  }
  hid_t t = H5Dget_type(d);
  hid_t fs = H5Dget_space(d);
  hsize_t extent = 0;
  H5Sget_simple_extent_dims(fs, &extent, NULL);
  void *buf = calloc(n ? n : 1, elem);
  int ok = buf && H5Tget_size(t) == elem && extent >= n;
  if (!ok)
    fprintf(stderr,
            "log_reader: /%s: element %zu bytes (spec %zu), extent %llu < "
            "committed %llu?\n",
            name, (size_t)H5Tget_size(t), elem, (unsigned long long)extent,
            (unsigned long long)n);
  if (ok && n) {
    hsize_t start = 0, count = n;
    hid_t ms = H5Screate_simple(1, &count, NULL);
    H5Sselect_hyperslab(fs, H5S_SELECT_SET, &start, NULL, &count, NULL);
    ok = H5Dread(d, t, ms, fs, H5P_DEFAULT, buf) >= 0;
    H5Sclose(ms);
    if (!ok)
      fprintf(stderr, "log_reader: reading /%s failed\n", name);
  }
  H5Sclose(fs);
  H5Tclose(t);
  H5Dclose(d);
  if (!ok) {
    free(buf);
    return NULL;
  }
  return buf;
}

static int read_attr(hid_t f, const char *name, hid_t memtype, void *out) {
  hid_t a = H5Aopen(f, name, H5P_DEFAULT);
  int ok = a >= 0 && H5Aread(a, memtype, out) >= 0;
  if (a >= 0)
    H5Aclose(a);
  if (!ok)
    fprintf(stderr, "log_reader: attribute %s unreadable\n", name);
  return ok ? 0 : -1;
}

int lr_open(lr_log *log, const char *path) {
  memset(log, 0, sizeof *log);
  hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0) {
    fprintf(stderr, "log_reader: cannot open %s\n", path);
    return -1;
  }
  int rc = 0;
  hid_t a = H5Aopen(f, "committed", H5P_DEFAULT);
  hid_t t = a >= 0 ? H5Aget_type(a) : -1;
  if (a < 0 || H5Tget_size(t) != sizeof log->c || H5Aread(a, t, &log->c) < 0) {
    fprintf(stderr, "log_reader: bad committed attribute\n");
    rc = -1;
  }
  if (t >= 0)
    H5Tclose(t);
  if (a >= 0)
    H5Aclose(a);
  uint8_t state = 0;
  if (rc == 0)
    rc = read_attr(f, "mpi_size", H5T_NATIVE_UINT32, &log->mpi_size) |
         read_attr(f, "format_version", H5T_NATIVE_UINT32, log->version) |
         read_attr(f, "state", H5T_NATIVE_UINT8, &state) |
         read_attr(f, "timeline_mono_ns", H5T_NATIVE_INT64,
                   &log->timeline_mono_ns) |
         read_attr(f, "timeline_wall_ns", H5T_NATIVE_INT64,
                   &log->timeline_wall_ns);
  log->closed = state == 1;
  log->actions_min_ns = 0; /* format 1.0: a row for every action */
  if (rc == 0 && H5Aexists(f, "actions_min_ns") > 0)
    rc = read_attr(f, "actions_min_ns", H5T_NATIVE_INT64, &log->actions_min_ns);
  uint8_t table = 0;
  if (rc == 0)
    rc = read_attr(f, "actions_table", H5T_NATIVE_UINT8, &table);
  log->actions_table = table;
#define ROWS(field, name, n)                                                   \
  if (rc == 0 && !(log->field = read_rows(f, name, n, sizeof *log->field)))    \
  rc = -1
  ROWS(events, "events", log->c.events);
  ROWS(payload, "payload", log->c.payload);
  ROWS(segments, "segments", log->c.segments);
  ROWS(strings, "strings", log->c.strings);
  ROWS(names, "names", log->c.names);
  ROWS(schemas, "schemas", log->c.schemas);
  ROWS(fields, "schema_fields", log->c.schema_fields);
  ROWS(actions, "actions", log->c.actions);
  ROWS(flushes, "flushes", log->c.flushes);
  ROWS(ranks, "ranks", log->mpi_size);
#undef ROWS
  H5Fclose(f);
  if (rc)
    lr_close(log);
  return rc;
}

static void dict_free(lr_log *log) {
  for (uint32_t i = 0; i < log->dict_nnames; i++)
    free((void *)log->dict_names[i]);
  free(log->dict_names);
  free(log->dict_schemas);
  free(log->dict_ids);
  free(log->dict_types);
  log->dict_names = NULL;
  log->dict_schemas = NULL;
  log->dict_ids = NULL;
  log->dict_types = NULL;
  log->dict_nnames = log->dict_nschemas = 0;
}

void lr_close(lr_log *log) {
  dict_free(log);
  free(log->events);
  free(log->payload);
  free(log->segments);
  free(log->strings);
  free(log->names);
  free(log->schemas);
  free(log->fields);
  free(log->actions);
  free(log->flushes);
  free(log->ranks);
  memset(log, 0, sizeof *log);
}

const char *lr_name_of(const lr_log *log, uint32_t rank, uint32_t id) {
  static char buf[WEFT_NAME_MAX + 1];
  for (uint64_t i = 0; i < log->c.names; i++) {
    const lr_name *n = &log->names[i];
    if (n->rank == rank && n->id == id && n->len <= WEFT_NAME_MAX) {
      memcpy(buf, log->strings + n->off, n->len);
      buf[n->len] = '\0';
      return buf;
    }
  }
  return NULL;
}

static const weft__schema *dict_schema(void *arg, uint32_t id) {
  lr_log *log = arg;
  if (id >= log->dict_nschemas || log->dict_schemas[id].id != id)
    return NULL;
  return &log->dict_schemas[id];
}

static const char *dict_name(void *arg, uint32_t id) {
  lr_log *log = arg;
  return id < log->dict_nnames ? log->dict_names[id] : NULL;
}

static int dict_build(lr_log *log, uint32_t rank) {
  dict_free(log);
  uint32_t nn = 0, ns = 0;
  for (uint64_t i = 0; i < log->c.names; i++)
    if (log->names[i].rank == rank && log->names[i].id >= nn)
      nn = log->names[i].id + 1;
  for (uint64_t i = 0; i < log->c.schemas; i++)
    if (log->schemas[i].rank == rank && log->schemas[i].id >= ns)
      ns = log->schemas[i].id + 1;
  log->dict_names = calloc(nn ? nn : 1, sizeof *log->dict_names);
  log->dict_schemas = calloc(ns ? ns : 1, sizeof *log->dict_schemas);
  log->dict_ids = calloc(log->c.schema_fields + 1, sizeof *log->dict_ids);
  log->dict_types = calloc(log->c.schema_fields + 1, 1);
  if (!log->dict_names || !log->dict_schemas || !log->dict_ids ||
      !log->dict_types)
    return -1;
  log->dict_nnames = nn;
  log->dict_nschemas = ns;
  for (uint64_t i = 0; i < log->c.names; i++) {
    const lr_name *n = &log->names[i];
    if (n->rank != rank)
      continue;
    char *s = malloc(n->len + 1);
    if (!s)
      return -1;
    memcpy(s, log->strings + n->off, n->len);
    s[n->len] = '\0';
    log->dict_names[n->id] = s;
  }
  for (uint64_t i = 0; i < log->c.schema_fields; i++) {
    log->dict_ids[i] = log->fields[i].name;
    log->dict_types[i] = log->fields[i].type;
  }
  for (uint64_t i = 0; i < log->c.schemas; i++) {
    const lr_schema *s = &log->schemas[i];
    if (s->rank != rank)
      continue;
    weft__schema *d = &log->dict_schemas[s->id];
    d->id = s->id;
    d->kind = s->kind;
    d->fixed_size = s->fixed_size;
    d->nfields = s->nfields;
    d->type_name = s->type_name;
    d->names = log->dict_ids + s->fields_off;
    d->types = log->dict_types + s->fields_off;
    /* payload_size of a fixed-size schema: 8 bytes per scalar but 1 per
     * bool (record.h). */
    d->payload_size = 0;
    for (uint16_t k = 0; k < s->nfields; k++)
      d->payload_size += d->types[k] == WEFT_TYPE_BOOL ? 1 : 8;
  }
  log->dict_rank = rank;
  return 0;
}

int lr_decode_rank(lr_log *log, uint32_t rank, weft__event_fn fn, void *arg) {
  if (dict_build(log, rank) < 0)
    return WEFT_ENOMEM;
  weft__decoder *d = NULL;
  weft__dict dict = {.schema = dict_schema, .name = dict_name, .arg = log};
  int rc = weft__decoder_new(&d, dict);
  if (rc < 0)
    return rc;
  weft__decoder_set_rows(d, 1); /* records rebuilt from /events rows */
  unsigned char *buf = NULL;
  size_t cap = 0;
  /* Segments are in epoch order in the file, so feeding them in file
   * order continues each thread's stream correctly. */
  for (uint64_t i = 0; rc == 0 && i < log->c.segments; i++) {
    const lr_segment *s = &log->segments[i];
    if (s->rank != rank)
      continue;
    size_t need = s->event_count * sizeof(lr_record) + s->payload_bytes;
    if (need > cap) {
      unsigned char *p = realloc(buf, need);
      if (!p) {
        rc = WEFT_ENOMEM;
        break;
      }
      buf = p;
      cap = need;
    }
    /* Rebuild the in-memory stream: header, payload padded to 8. */
    size_t at = 0;
    uint64_t pay = s->payload_start;
    for (uint64_t k = 0; k < s->event_count; k++) {
      const lr_record *r = &log->events[s->event_start + k];
      size_t padded = (r->size + 7u) & ~(size_t)7;
      memcpy(buf + at, r, sizeof *r);
      memcpy(buf + at + sizeof *r, log->payload + pay, padded);
      at += sizeof *r + padded;
      pay += padded;
    }
    if (pay != s->payload_start + s->payload_bytes) {
      fprintf(stderr, "log_reader: segment %llu: payload sizes disagree\n",
              (unsigned long long)i);
      rc = WEFT_EFORMAT;
      break;
    }
    rc = weft__decoder_feed(d, s->thread, buf, at, fn, NULL, arg);
  }
  free(buf);
  weft__decoder_free(d);
  return rc;
}

int64_t lr_timeline(const lr_log *log, uint32_t rank, int64_t t) {
  const lr_flush *prev = NULL, *next = NULL;
  for (uint64_t i = 0; i < log->c.flushes; i++) {
    const lr_flush *f = &log->flushes[i];
    if (f->rank != rank)
      continue;
    if (f->sample_mono_ns <= t)
      prev = f; /* rows of one rank are in epoch, hence time, order */
    else if (!next)
      next = f;
  }
  if (!prev && !next)
    return t;
  if (!prev)
    return t - next->offset_ns;
  if (!next)
    return t - prev->offset_ns;
  double x = (double)(t - prev->sample_mono_ns) /
             (double)(next->sample_mono_ns - prev->sample_mono_ns);
  return t - (prev->offset_ns +
              (int64_t)(x * (double)(next->offset_ns - prev->offset_ns)));
}

void lr_action_times(const lr_log *log, const lr_action *a, int64_t *start,
                     int64_t *end) {
  int64_t wall = log->timeline_wall_ns - log->timeline_mono_ns;
  int64_t t = log->events[a->start_event].t;
  *start = lr_timeline(log, a->rank, t) + wall;
  *end = lr_timeline(log, a->rank, t + a->elapsed_ns) + wall;
}
