/*
 * log_reader.c - see log_reader.h.
 */
#include "log_reader.h"
#include "timeline.h"

#include <hdf5.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(sizeof(lr_record) == 16, "record_t is 16 bytes");
_Static_assert(sizeof(lr_segment) == 88, "segment_t is 88 bytes");
_Static_assert(sizeof(lr_name) == 24, "name_t is 24 bytes");
_Static_assert(sizeof(lr_schema) == 24, "schema_t is 24 bytes");
_Static_assert(sizeof(lr_field) == 8, "schema_field_t is 8 bytes");
_Static_assert(sizeof(lr_action) == 31, "action_t is 31 bytes, packed");
_Static_assert(sizeof(lr_flush) == 64, "flush_t is 64 bytes");
_Static_assert(sizeof(lr_rank) == 336, "rank_t is 336 bytes");
_Static_assert(sizeof(lr_committed) == 96, "committed_t has 12 members");

#define LEAF_BIT (UINT32_C(1) << 31) /* docs/format.md, /events */
#define PAD8(n) (((uint64_t)(n) + 7) & ~(uint64_t)7)
#define NONE UINT64_MAX

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

static int bad(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "log_reader: ");
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "\n");
  va_end(ap);
  return -1;
}

static int by_rank_then_time(const void *a, const void *b) {
  const lr_flush *x = a, *y = b;
  if (x->rank != y->rank)
    return x->rank < y->rank ? -1 : 1;
  return (x->sample_mono_ns > y->sample_mono_ns) -
         (x->sample_mono_ns < y->sample_mono_ns);
}

/* Section 6's samples per rank, sorted by time, with the slope after each. */
static int build_samples(lr_log *log) {
  uint64_t n = log->c.flushes;
  lr_flush *sorted = malloc((n ? n : 1) * sizeof *sorted);
  log->samples = malloc((n ? n : 1) * sizeof *log->samples);
  log->sample_first = calloc((size_t)log->mpi_size + 2, sizeof(uint64_t));
  if (!sorted || !log->samples || !log->sample_first) {
    free(sorted);
    return bad("out of memory");
  }
  if (n)
    memcpy(sorted, log->flushes, n * sizeof *sorted);
  qsort(sorted, n, sizeof *sorted, by_rank_then_time);
  for (uint64_t i = 0; i < n; i++) {
    if (sorted[i].rank >= log->mpi_size) {
      uint32_t rank = sorted[i].rank;
      free(sorted);
      return bad("/flushes row of rank %u (mpi_size %u)", rank, log->mpi_size);
    }
    log->sample_first[sorted[i].rank + 1]++;
    log->samples[i] =
        (lr_sample){sorted[i].sample_mono_ns, sorted[i].offset_ns, 0};
    if (i + 1 < n && sorted[i + 1].rank == sorted[i].rank)
      log->samples[i].slope = weft__offset_slope(
          sorted[i].sample_mono_ns, sorted[i].offset_ns,
          sorted[i + 1].sample_mono_ns, sorted[i + 1].offset_ns);
  }
  for (uint32_t r = 0; r <= log->mpi_size; r++)
    log->sample_first[r + 1] += log->sample_first[r];
  free(sorted);
  return 0;
}

/* What ties the tables together: every segment's rows, bytes and bits lie
 * in the committed part, and each leaf row is listed by one segment of its
 * own rank. */
static int check_segments(lr_log *log) {
  log->leaf_row = calloc(log->c.actions ? log->c.actions : 1, 1);
  if (!log->leaf_row)
    return bad("out of memory");
  for (uint64_t i = 0; i < log->c.segments; i++) {
    const lr_segment *s = &log->segments[i];
    uint64_t items = s->event_count + s->leaf_count;
    if (s->event_start + s->event_count > log->c.events ||
        s->event_start + s->event_count < s->event_start)
      return bad("segment %llu: /events rows outside the committed ones",
                 (unsigned long long)i);
    if (s->payload_start + s->payload_bytes > log->c.payload ||
        s->payload_start + s->payload_bytes < s->payload_start)
      return bad("segment %llu: /payload bytes outside the committed ones",
                 (unsigned long long)i);
    if (items == 0)
      return bad("segment %llu has no items", (unsigned long long)i);
    if (s->rank >= log->mpi_size)
      return bad("segment %llu: rank %u", (unsigned long long)i, s->rank);
    if (s->leaf_count == 0)
      continue;
    if (!log->actions_table)
      return bad("segment %llu: leaf rows with actions_table 0",
                 (unsigned long long)i);
    if (s->leaf_start + s->leaf_count > log->c.actions ||
        s->leaf_start + s->leaf_count < s->leaf_start)
      return bad("segment %llu: leaf rows outside the committed /actions",
                 (unsigned long long)i);
    if (s->order_start + (items + 7) / 8 > log->c.order ||
        s->order_start + (items + 7) / 8 < s->order_start)
      return bad("segment %llu: /order bytes outside the committed ones",
                 (unsigned long long)i);
    for (uint64_t k = s->leaf_start; k < s->leaf_start + s->leaf_count; k++) {
      if (log->leaf_row[k])
        return bad("/actions row %llu is listed by two segments",
                   (unsigned long long)k);
      if (log->actions[k].rank != s->rank)
        return bad("segment %llu (rank %u) lists /actions row %llu of rank %u",
                   (unsigned long long)i, s->rank, (unsigned long long)k,
                   log->actions[k].rank);
      log->leaf_row[k] = 1;
    }
  }
  return 0;
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
  uint8_t state = 0, table = 0;
  if (rc == 0)
    rc = read_attr(f, "mpi_size", H5T_NATIVE_UINT32, &log->mpi_size) |
         read_attr(f, "format_version", H5T_NATIVE_UINT32, log->version) |
         read_attr(f, "state", H5T_NATIVE_UINT8, &state) |
         read_attr(f, "timeline_mono_ns", H5T_NATIVE_INT64,
                   &log->timeline_mono_ns) |
         read_attr(f, "timeline_wall_ns", H5T_NATIVE_INT64,
                   &log->timeline_wall_ns) |
         read_attr(f, "actions_table", H5T_NATIVE_UINT8, &table);
  log->closed = state == 1;
  log->actions_table = table;
  /* Rule 5: a major version this reader does not know is refused. */
  if (rc == 0 && log->version[0] != 2)
    rc = bad("%s: format version %u.%u (this reader knows 2.x)", path,
             log->version[0], log->version[1]);
  if (rc == 0 && H5Aexists(f, "actions_min_ns") > 0)
    rc = bad("%s: attribute actions_min_ns is gone in format 2.0", path);
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
  ROWS(order, "order", log->c.order);
  ROWS(flushes, "flushes", log->c.flushes);
  ROWS(ranks, "ranks", log->mpi_size);
#undef ROWS
  H5Fclose(f);
  if (rc == 0)
    rc = build_samples(log);
  if (rc == 0)
    rc = check_segments(log);
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
  free(log->order);
  free(log->flushes);
  free(log->ranks);
  free(log->leaf_row);
  free(log->samples);
  free(log->sample_first);
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

const char *lr_action_type(const lr_log *log, const lr_action *a) {
  uint32_t rank = a->rank, schema = a->schema;
  for (uint64_t i = 0; i < log->c.schemas; i++) {
    const lr_schema *s = &log->schemas[i];
    if (s->rank == rank && s->id == schema)
      return lr_name_of(log, rank, s->type_name);
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
     * bool (record.h, docs/encoding.md section 2). */
    d->payload_size = 0;
    for (uint16_t k = 0; k < s->nfields; k++)
      d->payload_size += d->types[k] == WEFT_TYPE_BOOL ? 1 : 8;
  }
  log->dict_rank = rank;
  return 0;
}

/* ---- the timeline (section 6) ------------------------------------------ */

int64_t lr_timeline(const lr_log *log, uint32_t rank, int64_t t) {
  if (rank >= log->mpi_size || !log->sample_first)
    return t;
  const lr_sample *s = log->samples + log->sample_first[rank];
  uint64_t n = log->sample_first[rank + 1] - log->sample_first[rank];
  if (n == 0)
    return t;
  if (t < s[0].m)
    return t - s[0].o;
  uint64_t lo = 0, hi = n; /* the last sample with m <= t is in [lo, hi) */
  while (hi - lo > 1) {
    uint64_t mid = lo + (hi - lo) / 2;
    if (s[mid].m <= t)
      lo = mid;
    else
      hi = mid;
  }
  if (lo == n - 1)
    return t - s[lo].o;
  return t - weft__offset_at(s[lo].m, s[lo].o, s[lo].slope, t);
}

typedef struct g_arg {
  const lr_log *log;
  uint32_t rank;
} g_arg;

static int64_t g_of(void *arg, int64_t t) {
  const g_arg *g = arg;
  return lr_timeline(g->log, g->rank, t);
}

/* ---- the items of a segment (section 4, /segments and /order) ----------- */

static int fmt_error(uint64_t seg, uint64_t index, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr,
          "log_reader: segment %llu item %llu: ", (unsigned long long)seg,
          (unsigned long long)index);
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "\n");
  va_end(ap);
  return WEFT_EFORMAT;
}

/* A leaf row's start on the rank's clock (section 5): t_first for the
 * segment's first item, else the inverse of the mapping from lo on; both
 * ends must map exactly to the row's times. */
static int leaf_row_times(lr_log *log, const lr_segment *s, uint64_t seg,
                          uint64_t index, const lr_action *a, int64_t lo,
                          lr_item *it) {
  int64_t origin = log->timeline_mono_ns - log->timeline_wall_ns;
  int64_t want_start = a->start_ns + origin, want_end = a->end_ns + origin;
  int64_t elapsed = a->elapsed_ns;
  g_arg g = {log, s->rank};
  int64_t t = index == 0 ? s->t_first
                         : weft__timeline_invert(g_of, &g, want_start, elapsed,
                                                 want_end, lo);
  if (g_of(&g, t) != want_start || g_of(&g, t + elapsed) != want_end ||
      (index > 0 && t < lo))
    return fmt_error(seg, index,
                     "leaf row %llu (%lld..%lld on the timeline, elapsed "
                     "%lld): no time of rank %u from %lld on maps to both "
                     "ends (best %lld maps to %lld..%lld)",
                     (unsigned long long)(a - log->actions),
                     (long long)a->start_ns, (long long)a->end_ns,
                     (long long)elapsed, s->rank,
                     (long long)(index == 0 ? s->t_first : lo), (long long)t,
                     (long long)(g_of(&g, t) - origin),
                     (long long)(g_of(&g, t + elapsed) - origin));
  /* Both ends where g repeats a value: the later time fits too, and the
   * row's times may be 1 ns early (section 5). */
  it->ambiguous = index > 0 && g_of(&g, t + 1) == want_start &&
                  g_of(&g, t + 1 + elapsed) == want_end;
  log->ambiguous += (uint64_t)it->ambiguous;
  it->t = t;
  return 0;
}

static int walk_segment(lr_log *log, uint64_t seg, lr_item_fn fn, void *arg) {
  const lr_segment *s = &log->segments[seg];
  uint64_t items = s->event_count + s->leaf_count;
  uint64_t ev = s->event_start, leaf = s->leaf_start, pay = s->payload_start;
  uint64_t pay_end = s->payload_start + s->payload_bytes;
  int64_t last = 0;
  for (uint64_t i = 0; i < items; i++) {
    int is_leaf_row =
        s->leaf_count && (log->order[s->order_start + i / 8] >> (i % 8)) & 1;
    lr_item it = {.segment = seg, .index = i};
    if (is_leaf_row) {
      if (leaf == s->leaf_start + s->leaf_count)
        return fmt_error(seg, i, "more /order bits set than its %llu leaf rows",
                         (unsigned long long)s->leaf_count);
      const lr_action *a = &log->actions[leaf];
      const weft__schema *sc = dict_schema(log, a->schema);
      if (!sc || sc->kind != WEFT_REC_START || !sc->fixed_size)
        return fmt_error(seg, i,
                         "leaf row %llu: schema %u is not a fixed-size start",
                         (unsigned long long)leaf, a->schema);
      if (a->status != 1 || a->elapsed_ns < 0)
        return fmt_error(seg, i, "leaf row %llu: status %u, elapsed %lld",
                         (unsigned long long)leaf, a->status,
                         (long long)a->elapsed_ns);
      it.kind = LR_ITEM_LEAF_ROW;
      it.row = leaf++;
      it.schema = a->schema;
      it.size = (uint32_t)sc->payload_size;
      int rc = leaf_row_times(log, s, seg, i, a, last, &it);
      if (rc)
        return rc;
      it.end = it.t + a->elapsed_ns;
    } else {
      if (ev == s->event_start + s->event_count)
        return fmt_error(seg, i, "more /order bits clear than its %llu rows",
                         (unsigned long long)s->event_count);
      const lr_record *r = &log->events[ev];
      it.kind = r->schema & LEAF_BIT ? LR_ITEM_LEAF_RECORD : LR_ITEM_RECORD;
      it.row = ev++;
      it.schema = r->schema;
      it.size = r->size;
      it.t = it.end = r->t;
      if (i == 0 && r->t != s->t_first)
        return fmt_error(seg, i, "t %lld, t_first %lld", (long long)r->t,
                         (long long)s->t_first);
    }
    if (PAD8(it.size) > pay_end - pay)
      return fmt_error(seg, i, "payload of %u bytes past the segment's",
                       it.size);
    it.payload = log->payload + pay;
    pay += PAD8(it.size);
    if (it.kind == LR_ITEM_LEAF_RECORD) {
      if (it.size < 8)
        return fmt_error(seg, i, "leaf record of %u bytes", it.size);
      memcpy(&it.end, it.payload + PAD8(it.size - 8), sizeof it.end);
    }
    /* A thread's records are in program order on a monotonic clock: an
     * item cannot begin before the one before it ended (which is what
     * keeps a leaf row from being moved along the timeline unnoticed). */
    if (i > 0 && it.t < last)
      return fmt_error(seg, i,
                       "begins at %lld, before the item before it "
                       "ended (%lld)",
                       (long long)it.t, (long long)last);
    if (it.end < it.t)
      return fmt_error(seg, i, "ends at %lld, before it began (%lld)",
                       (long long)it.end, (long long)it.t);
    last = it.end;
    log->item = it;
    int rc = fn(arg, &log->item);
    if (rc)
      return rc;
  }
  if (ev != s->event_start + s->event_count ||
      leaf != s->leaf_start + s->leaf_count)
    return fmt_error(
        seg, items, "%llu rows and %llu leaf rows left over",
        (unsigned long long)(s->event_start + s->event_count - ev),
        (unsigned long long)(s->leaf_start + s->leaf_count - leaf));
  if (pay != pay_end)
    return fmt_error(seg, items, "payloads end at %llu, payload_bytes say %llu",
                     (unsigned long long)pay, (unsigned long long)pay_end);
  if (last != s->t_last)
    return fmt_error(seg, items, "the last item ends at %lld, t_last %lld",
                     (long long)last, (long long)s->t_last);
  for (uint64_t i = items; s->leaf_count && i % 8; i++)
    if ((log->order[s->order_start + i / 8] >> (i % 8)) & 1)
      return fmt_error(seg, i, "an /order bit past the last item is set");
  return 0;
}

static int walk_rank(lr_log *log, uint32_t rank, lr_item_fn fn, void *arg) {
  /* Segments are in epoch order in the file, so taking them in file order
   * continues each thread's stream correctly. */
  for (uint64_t i = 0; i < log->c.segments; i++) {
    if (log->segments[i].rank != rank)
      continue;
    int rc = walk_segment(log, i, fn, arg);
    if (rc)
      return rc;
  }
  return 0;
}

int lr_walk_rank(lr_log *log, uint32_t rank, lr_item_fn fn, void *arg) {
  if (dict_build(log, rank) < 0)
    return WEFT_ENOMEM;
  return walk_rank(log, rank, fn, arg);
}

/* ---- decoding (section 5) ---------------------------------------------- */

typedef struct feeder {
  lr_log *log;
  weft__decoder *d;
  weft__event_fn fn;
  void *arg;
  unsigned char *buf;
  size_t cap;
} feeder;

/* One item as the in-memory records it stands for (16-byte headers, as in
 * rows mode): a record as it is, a leaf row as its start and its success.
 * Fed one item at a time, so that log->item names the item of each event. */
static int feed_item(void *arg, const lr_item *it) {
  feeder *f = arg;
  size_t need = 2 * sizeof(lr_record) + PAD8(it->size);
  if (need > f->cap) {
    unsigned char *p = realloc(f->buf, need);
    if (!p)
      return WEFT_ENOMEM;
    f->buf = p;
    f->cap = need;
  }
  lr_record h = {it->t, it->schema, it->size};
  memcpy(f->buf, &h, sizeof h);
  memcpy(f->buf + sizeof h, it->payload, PAD8(it->size));
  size_t len = sizeof h + PAD8(it->size);
  if (it->kind == LR_ITEM_LEAF_ROW) {
    lr_record end = {it->end, WEFT_SCHEMA_SUCCESS, 0};
    memcpy(f->buf + len, &end, sizeof end);
    len += sizeof end;
  }
  uint32_t thread = f->log->segments[it->segment].thread;
  return weft__decoder_feed(f->d, thread, f->buf, len, f->fn, NULL, f->arg);
}

int lr_decode_rank(lr_log *log, uint32_t rank, weft__event_fn fn, void *arg) {
  if (dict_build(log, rank) < 0)
    return WEFT_ENOMEM;
  feeder f = {.log = log, .fn = fn, .arg = arg};
  weft__dict dict = {.schema = dict_schema, .name = dict_name, .arg = log};
  int rc = weft__decoder_new(&f.d, dict);
  if (rc < 0)
    return rc;
  weft__decoder_set_rows(f.d, 1); /* records rebuilt from /events rows */
  rc = walk_rank(log, rank, feed_item, &f);
  free(f.buf);
  weft__decoder_free(f.d);
  return rc;
}

/* ---- /actions against the streams ------------------------------------- */

/* A row as the streams say it must be, or as the file has it. */
typedef struct row_key {
  int64_t start_ns, end_ns, elapsed_ns;
  uint8_t status;
  const char *type;
  uint32_t epoch;
  uint64_t at; /* file row (actual) */
} row_key;

typedef struct open_action {
  int64_t t;
  const char *type;
  uint32_t epoch;
  uint64_t leaf_row; /* NONE unless read from a leaf row */
} open_action;

typedef struct vec {
  void *p;
  size_t n, cap, elem;
} vec;

static void *vec_push(vec *v) {
  if (v->n == v->cap) {
    size_t cap = v->cap ? 2 * v->cap : 64;
    void *p = realloc(v->p, cap * v->elem);
    if (!p)
      return NULL;
    v->p = p;
    v->cap = cap;
  }
  return (char *)v->p + v->elem * v->n++;
}

typedef struct checker {
  lr_log *log;
  uint32_t rank;
  vec open[64];       /* per thread index */
  vec expected;       /* row_key */
  uint64_t leaf_seen; /* leaf rows decoded as a start and its success */
  lr_actions_report *rep;
  int oom;
} checker;

static void mismatch(lr_actions_report *rep, const char *fmt, ...) {
  if (rep->mismatches++ == 0) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rep->first, sizeof rep->first, fmt, ap);
    va_end(ap);
  }
}

static int64_t wall_of(const lr_log *log, uint32_t rank, int64_t t) {
  return lr_timeline(log, rank, t) - log->timeline_mono_ns +
         log->timeline_wall_ns;
}

static int on_check(void *arg, uint64_t stream, const weft_event *e) {
  checker *c = arg;
  const lr_item *it = &c->log->item;
  uint32_t epoch = c->log->segments[it->segment].epoch;
  if (stream >= sizeof c->open / sizeof c->open[0]) {
    mismatch(c->rep, "rank %u: thread %llu (the check follows 64)", c->rank,
             (unsigned long long)stream);
    return 0;
  }
  vec *st = &c->open[stream];
  if (e->kind == WEFT_KIND_START) {
    open_action *o = vec_push(st);
    if (!o)
      return c->oom = WEFT_ENOMEM;
    *o = (open_action){e->t_ns, e->type, epoch,
                       it->kind == LR_ITEM_LEAF_ROW ? it->row : NONE};
    return 0;
  }
  if (e->kind != WEFT_KIND_SUCCESS && e->kind != WEFT_KIND_FAILURE)
    return 0;
  if (st->n == 0) {
    mismatch(c->rep, "rank %u thread %llu: an end with no start", c->rank,
             (unsigned long long)stream);
    return 0;
  }
  open_action o = ((open_action *)st->p)[--st->n];
  if (o.leaf_row != NONE) { /* its row is its record: nothing to compare */
    if (it->kind != LR_ITEM_LEAF_ROW || it->row != o.leaf_row)
      mismatch(c->rep, "rank %u: leaf row %llu does not end with itself",
               c->rank, (unsigned long long)o.leaf_row);
    c->leaf_seen++;
    return 0;
  }
  row_key *k = vec_push(&c->expected);
  if (!k)
    return c->oom = WEFT_ENOMEM;
  *k = (row_key){.start_ns = wall_of(c->log, c->rank, o.t),
                 .end_ns = wall_of(c->log, c->rank, e->t_ns),
                 .elapsed_ns = e->t_ns - o.t,
                 .status = e->kind == WEFT_KIND_SUCCESS ? 1 : 2,
                 .type = o.type,
                 .epoch = epoch};
  if (e->elapsed_ns != k->elapsed_ns)
    mismatch(c->rep, "rank %u: %s: decoder says %lld ns, records %lld", c->rank,
             o.type, (long long)e->elapsed_ns, (long long)k->elapsed_ns);
  return 0;
}

static int key_cmp(const void *a, const void *b) {
  const row_key *x = a, *y = b;
#define CMP(f)                                                                 \
  if (x->f != y->f)                                                            \
  return x->f < y->f ? -1 : 1
  CMP(epoch);
  CMP(start_ns);
  CMP(end_ns);
  CMP(elapsed_ns);
  CMP(status);
#undef CMP
  return strcmp(x->type ? x->type : "", y->type ? y->type : "");
}

static int same_row(const row_key *x, const row_key *y) {
  return x->start_ns == y->start_ns && x->end_ns == y->end_ns &&
         x->elapsed_ns == y->elapsed_ns && x->status == y->status && x->type &&
         y->type && !strcmp(x->type, y->type);
}

static void describe(char *out, size_t n, const row_key *k) {
  snprintf(out, n, "%s %lld..%lld elapsed %lld status %u (epoch %u)",
           k->type ? k->type : "?", (long long)k->start_ns,
           (long long)k->end_ns, (long long)k->elapsed_ns, k->status, k->epoch);
}

/* The actual derived rows (file order) against the expected ones: the
 * same rows, each in the epoch its end says; then the order of the rank's
 * rows in the file: epochs increasing, in each the leaf rows first, the
 * unfinished rows last. */
static void compare_rows(checker *c, row_key *actual, size_t na,
                         const uint32_t *leaf_epoch) {
  lr_actions_report *rep = c->rep;
  row_key *want = c->expected.p;
  size_t nw = c->expected.n;
  /* The epoch of an actual derived row is not in the row: match without
   * it first, then give each actual row its match's epoch. */
  for (size_t i = 0; i < na; i++)
    actual[i].epoch = 0;
  for (size_t i = 0; i < nw; i++) { /* its epoch kept in `at` meanwhile */
    want[i].at = want[i].epoch;
    want[i].epoch = 0;
  }
  if (nw)
    qsort(want, nw, sizeof *want, key_cmp);
  if (na)
    qsort(actual, na, sizeof *actual, key_cmp);
  size_t i = 0, j = 0;
  char a[200], b[200];
  while (i < nw || j < na) {
    int cmp = i == nw ? 1 : j == na ? -1 : key_cmp(&want[i], &actual[j]);
    if (cmp == 0 && same_row(&want[i], &actual[j])) {
      actual[j].epoch = (uint32_t)want[i].at;
      i++, j++;
    } else if (cmp < 0) {
      want[i].epoch = (uint32_t)want[i].at;
      describe(a, sizeof a, &want[i]);
      mismatch(rep, "rank %u: no derived row for %s", c->rank, a);
      i++;
    } else {
      describe(b, sizeof b, &actual[j]);
      mismatch(rep,
               "rank %u: /actions row %llu, %s, is no action of the "
               "streams",
               c->rank, (unsigned long long)actual[j].at, b);
      actual[j].epoch = UINT32_MAX;
      j++;
    }
  }
  /* Back to file order: walk the rank's rows, leaf rows with their
   * segment's epoch, derived rows with their match's. */
  uint32_t *epoch_of =
      calloc(c->log->c.actions ? c->log->c.actions : 1, sizeof *epoch_of);
  uint8_t *unfinished = calloc(c->log->c.actions ? c->log->c.actions : 1, 1);
  if (!epoch_of || !unfinished) {
    free(epoch_of);
    free(unfinished);
    c->oom = WEFT_ENOMEM;
    return;
  }
  for (size_t k = 0; k < na; k++) {
    epoch_of[actual[k].at] = actual[k].epoch;
    unfinished[actual[k].at] = actual[k].status == 3;
  }
  uint32_t cur = 0;
  int phase = 0; /* 0 leaf rows, 1 derived, 2 unfinished */
  for (uint64_t k = 0; k < c->log->c.actions; k++) {
    if (c->log->actions[k].rank != c->rank)
      continue;
    int leaf = c->log->leaf_row[k];
    uint32_t e = leaf ? leaf_epoch[k] : epoch_of[k];
    if (e == UINT32_MAX)
      continue; /* already reported */
    int p = leaf ? 0 : unfinished[k] ? 2 : 1;
    if (e < cur || (e == cur && p < phase))
      mismatch(rep,
               "rank %u: /actions row %llu (%s, epoch %u) comes after rows "
               "of %s epoch %u",
               c->rank, (unsigned long long)k,
               leaf     ? "leaf row"
               : p == 2 ? "unfinished"
                        : "derived",
               e, phase == 0 ? "leaf rows of" : "derived rows of", cur);
    if (e > cur)
      phase = 0;
    cur = e > cur ? e : cur;
    phase = p > phase ? p : phase;
  }
  free(epoch_of);
  free(unfinished);
}

int lr_check_actions(lr_log *log, uint32_t rank, lr_actions_report *rep) {
  memset(rep, 0, sizeof *rep);
  checker c = {.log = log, .rank = rank, .rep = rep};
  for (size_t i = 0; i < sizeof c.open / sizeof c.open[0]; i++)
    c.open[i].elem = sizeof(open_action);
  c.expected.elem = sizeof(row_key);
  int rc = lr_decode_rank(log, rank, on_check, &c);
  if (rc == 0 && c.oom)
    rc = c.oom;
  /* Actions still open: unfinished rows, ended at the final flush's clock
   * sample (the rank's last). */
  uint64_t nsamples = rank < log->mpi_size ? log->sample_first[rank + 1] -
                                                 log->sample_first[rank]
                                           : 0;
  int64_t final =
      nsamples ? log->samples[log->sample_first[rank + 1] - 1].m : 0;
  uint32_t last_epoch = log->c.epochs ? (uint32_t)(log->c.epochs - 1) : 0;
  for (size_t t = 0; rc == 0 && t < sizeof c.open / sizeof c.open[0]; t++) {
    for (size_t k = 0; k < c.open[t].n; k++) {
      const open_action *o = &((open_action *)c.open[t].p)[k];
      row_key *r = vec_push(&c.expected);
      if (!r) {
        rc = WEFT_ENOMEM;
        break;
      }
      *r = (row_key){.start_ns = wall_of(log, rank, o->t),
                     .end_ns = wall_of(log, rank, final),
                     .elapsed_ns = final - o->t,
                     .status = 3,
                     .type = o->type,
                     .epoch = last_epoch};
    }
  }
  /* The rank's rows in the file; the epochs of its leaf rows. */
  vec actual = {.elem = sizeof(row_key)};
  uint32_t *leaf_epoch =
      calloc(log->c.actions ? log->c.actions : 1, sizeof *leaf_epoch);
  if (!leaf_epoch)
    rc = rc ? rc : WEFT_ENOMEM;
  uint64_t leaf_listed = 0;
  for (uint64_t i = 0; rc == 0 && i < log->c.segments; i++) {
    const lr_segment *s = &log->segments[i];
    if (s->rank != rank)
      continue;
    leaf_listed += s->leaf_count;
    for (uint64_t k = s->leaf_start; k < s->leaf_start + s->leaf_count; k++)
      leaf_epoch[k] = s->epoch;
  }
  for (uint64_t k = 0; rc == 0 && k < log->c.actions; k++) {
    lr_action a = log->actions[k];
    if (a.rank != rank)
      continue;
    rep->rows++;
    rep->succeeded += a.status == 1;
    rep->failed += a.status == 2;
    rep->unfinished += a.status == 3;
    if (a.status < 1 || a.status > 3)
      mismatch(rep, "rank %u: /actions row %llu: status %u", rank,
               (unsigned long long)k, a.status);
    if (log->leaf_row[k]) {
      rep->leaf_rows++;
      continue;
    }
    rep->derived_rows++;
    const weft__schema *sc = dict_schema(log, a.schema);
    const char *type =
        sc && sc->kind == WEFT_REC_START ? dict_name(log, sc->type_name) : NULL;
    if (!type)
      mismatch(rep, "rank %u: /actions row %llu: schema %u is no action start",
               rank, (unsigned long long)k, a.schema);
    row_key *r = vec_push(&actual);
    if (!r) {
      rc = WEFT_ENOMEM;
      break;
    }
    *r = (row_key){a.start_ns, a.end_ns, a.elapsed_ns, a.status, type, 0, k};
  }
  if (rc == 0) {
    if (leaf_listed != rep->leaf_rows || c.leaf_seen != rep->leaf_rows)
      mismatch(rep,
               "rank %u: %llu leaf rows in /actions, %llu listed by its "
               "segments, %llu decoded",
               rank, (unsigned long long)rep->leaf_rows,
               (unsigned long long)leaf_listed,
               (unsigned long long)c.leaf_seen);
    if (!log->actions_table && rep->rows)
      mismatch(rep, "rank %u: %llu /actions rows with actions_table 0", rank,
               (unsigned long long)rep->rows);
    if (log->actions_table)
      compare_rows(&c, actual.p, actual.n, leaf_epoch);
    if (c.oom)
      rc = c.oom;
  }
  free(leaf_epoch);
  free(actual.p);
  free(c.expected.p);
  for (size_t i = 0; i < sizeof c.open / sizeof c.open[0]; i++)
    free(c.open[i].p);
  return rc;
}
