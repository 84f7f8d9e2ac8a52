/*
 * reader.c - the Weft HDF5 log reader (docs/format.md, format 2.x).
 *
 * Nothing read from the file is trusted: every count is checked against
 * the committed counters, every committed counter against the dataset's
 * extent and the file size, every offset against its heap, and every id
 * against the tables, before anything is allocated or followed.  HDF5's
 * own error stack printing is turned off; failures become one line.
 */
#include "reader.h"

#include "timeline.h"
#include "tree_model.h"

#include <errno.h>
#include <hdf5.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct weft__rank_dict {
  const char **names; /* by id; NULL when absent */
  uint32_t nnames;
  weft__schema *schemas; /* by id; .id == 0 when absent */
  uint32_t nschemas;
};

/* File row layouts (docs/format.md section 4), as read into memory. */
typedef struct name_row {
  uint64_t off, len;
  uint32_t rank, id;
} name_row;

typedef struct schema_row {
  uint64_t fields_off;
  uint32_t rank, id, type_name;
  uint16_t nfields;
  uint8_t kind, fixed_size;
} schema_row;

typedef struct field_row {
  uint32_t name;
  uint8_t type;
} field_row;

/* /actions rows (action_t): 31 bytes, packed.  They are read into a
 * memory type of the same layout, which HDF5 copies without converting,
 * and their members taken out at these offsets. */
enum {
  ACTION_ROW = 31,
  AR_START = 0,
  AR_END = 8,
  AR_ELAPSED = 16,
  AR_RANK = 24,
  AR_SCHEMA = 28,
  AR_STATUS = 30
};
enum { STATUS_SUCCEEDED = 1 }; /* status_t */

typedef struct rank_file_row {
  int64_t start_wall_ns, start_mono_ns, slurm_job_end_time;
  uint64_t cmdline_off, mpi_library_off, nodelist_off;
  uint32_t rank, pid, threads, cmdline_len, mpi_library_len, nodelist_len;
  char host[64], job_id[32], step_id[32], array_job_id[32], array_task_id[32],
      partition[64];
  uint32_t world_rank, world_size;
} rank_file_row;

/* Everything the open needs to free on failure. */
typedef struct open_state {
  char *strings; /* /strings heap */
  name_row *names;
  schema_row *schemas;
  field_row *fields;
  uint32_t *field_names; /* per-schema-field name ids, for weft__schema */
  uint8_t *field_types;
  char *name_text; /* NUL-terminated copies of the names */
} open_state;

static int fail(char *err, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Whether memory ran out (ours, or HDF5's while it read) since the
 * current weft__trace_open or weft__trace_read_segment began: they then
 * return WEFT__TRACE_ENOMEM rather than -1, so that the tools exit 1 (not
 * the input's fault) and weft recover does not take a log it could not
 * read for want of memory for a damaged one.  Every allocation of this
 * file goes through the wrappers below, and HDF5's failures through
 * on_hdf5_error; per thread, as the calls that reset it are. */
static _Thread_local int ran_out;

static void *rd_malloc(size_t n) {
  void *p = malloc(n);
  ran_out |= !p;
  return p;
}

static void *rd_calloc(size_t n, size_t size) {
  void *p = calloc(n, size);
  ran_out |= !p;
  return p;
}

static void *rd_realloc(void *old, size_t n) {
  void *p = realloc(old, n);
  ran_out |= !p;
  return p;
}

static herr_t find_alloc_failure(unsigned n, const H5E_error2_t *e, void *arg) {
  (void)n;
  if (e->min_num == H5E_CANTALLOC || e->min_num == H5E_NOSPACE)
    *(int *)arg = 1;
  return 0;
}

/* A request the size of a large HDF5 buffer, made when HDF5 says an
 * allocation failed: it fails too when memory has run out.  A damaged
 * length in the file makes HDF5 ask for an absurd size instead, which
 * fails while this succeeds: that is damage, not memory. */
#define PROBE_BYTES ((size_t)1 << 20)

/* HDF5's automatic error handler while weft__trace_open or
 * weft__trace_read_segment runs (hdf5_watch): called as an HDF5 call
 * fails, before a later call clears the stack, it notes a failed
 * allocation.  Some of HDF5's allocation failures say nothing of it on
 * the stack (they surface as an object not found, say); those still read
 * as damage. */
static herr_t on_hdf5_error(hid_t stack, void *arg) {
  (void)arg;
  int found = 0;
  H5Ewalk2(stack, H5E_WALK_UPWARD, find_alloc_failure, &found);
  if (found) {
    void *probe = malloc(PROBE_BYTES);
    ran_out |= !probe;
    free(probe);
  }
  return 0;
}

/* Install on_hdf5_error in place of HDF5's handler (which prints the
 * stack), or put no handler back: one is installed only while Weft reads,
 * since HDF5 prints "infinite loop closing library" at exit while one is
 * (after a failure left an id open).  An install that fails (for want of
 * memory) is a failure of the read. */
static int hdf5_watch(int on) {
  if (H5Eset_auto2(H5E_DEFAULT, on ? on_hdf5_error : NULL, NULL) >= 0)
    return 0;
  ran_out = 1;
  return -1;
}

/* One line into err.  A check that failed after memory ran out says so
 * first: the file is not to blame for it. */
static void vmessage(char *err, size_t cap, const char *prefix, const char *fmt,
                     va_list ap) {
  char m[1024]; /* as long as any err the callers pass */
  vsnprintf(m, sizeof m, fmt, ap);
  if (ran_out && !strstr(m, "out of memory"))
    snprintf(err, cap, "%sout of memory (then: %s)", prefix, m);
  else
    snprintf(err, cap, "%s%s", prefix, m);
}

static int fail(char *err, size_t cap, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vmessage(err, cap, "", fmt, ap);
  va_end(ap);
  return -1;
}

/* Why a read of a table failed, for its message. */
static const char *read_failure(void) {
  return ran_out ? "out of memory" : "truncated or damaged file";
}

int weft__hdf5_works(void) {
  hdf5_watch(0); /* as outside every read: nothing printed */
  hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
  hid_t f = fapl >= 0 && H5Pset_fapl_core(fapl, 1 << 16, 0) >= 0
                ? H5Fcreate("weft-canary", H5F_ACC_TRUNC, H5P_DEFAULT, fapl)
                : -1;
  hsize_t n = 4;
  hid_t sp = f >= 0 ? H5Screate_simple(1, &n, NULL) : -1;
  hid_t d = sp >= 0 ? H5Dcreate2(f, "d", H5T_NATIVE_INT, sp, H5P_DEFAULT,
                                 H5P_DEFAULT, H5P_DEFAULT)
                    : -1;
  int ok = d >= 0;
  if (d >= 0)
    H5Dclose(d);
  if (sp >= 0)
    H5Sclose(sp);
  if (f >= 0 && H5Fclose(f) < 0)
    ok = 0;
  if (fapl >= 0)
    H5Pclose(fapl);
  return ok;
}

/* ---- attributes ---------------------------------------------------------- */

static int attr_raw(hid_t obj, const char *name, hid_t *type, hid_t *space,
                    hid_t *attr) {
  if (H5Aexists(obj, name) <= 0)
    return -1;
  *attr = H5Aopen(obj, name, H5P_DEFAULT);
  if (*attr < 0)
    return -1;
  *type = H5Aget_type(*attr);
  *space = H5Aget_space(*attr);
  return 0;
}

static void attr_close(hid_t type, hid_t space, hid_t attr) {
  if (type >= 0)
    H5Tclose(type);
  if (space >= 0)
    H5Sclose(space);
  if (attr >= 0)
    H5Aclose(attr);
}

/* A fixed-length string attribute into buf (NUL-terminated). */
static int attr_string(hid_t obj, const char *name, char *buf, size_t cap) {
  hid_t type = -1, space = -1, attr = -1, mem = -1;
  int rc = -1;
  buf[0] = 0;
  if (attr_raw(obj, name, &type, &space, &attr))
    goto out;
  if (H5Tget_class(type) != H5T_STRING || H5Tis_variable_str(type) ||
      H5Sget_simple_extent_npoints(space) != 1)
    goto out;
  size_t size = H5Tget_size(type);
  char *tmp = rd_calloc(size + 1, 1);
  if (!tmp)
    goto out;
  mem = H5Tcopy(H5T_C_S1);
  H5Tset_size(mem, size);
  H5Tset_strpad(mem, H5T_STR_NULLPAD);
  if (H5Aread(attr, mem, tmp) >= 0) {
    snprintf(buf, cap, "%s", tmp);
    rc = 0;
  }
  free(tmp);
out:
  if (mem >= 0)
    H5Tclose(mem);
  attr_close(type, space, attr);
  return rc;
}

/* An integer attribute of n elements, converted to `mem`. */
static int attr_ints(hid_t obj, const char *name, hid_t mem, void *out,
                     hssize_t n) {
  hid_t type = -1, space = -1, attr = -1;
  int rc = -1;
  if (attr_raw(obj, name, &type, &space, &attr))
    goto out;
  if (H5Tget_class(type) != H5T_INTEGER ||
      H5Sget_simple_extent_npoints(space) != n)
    goto out;
  rc = H5Aread(attr, mem, out) < 0 ? -1 : 0;
out:
  attr_close(type, space, attr);
  return rc;
}

/* A one-byte enum or integer attribute, as its raw value. */
static int attr_u8(hid_t obj, const char *name, uint8_t *out) {
  hid_t type = -1, space = -1, attr = -1;
  int rc = -1;
  if (attr_raw(obj, name, &type, &space, &attr))
    goto out;
  H5T_class_t cl = H5Tget_class(type);
  if ((cl != H5T_ENUM && cl != H5T_INTEGER) || H5Tget_size(type) != 1 ||
      H5Sget_simple_extent_npoints(space) != 1)
    goto out;
  rc = H5Aread(attr, type, out) < 0 ? -1 : 0;
out:
  attr_close(type, space, attr);
  return rc;
}

/* ---- compound memory types ----------------------------------------------- */

typedef struct member {
  const char *name;
  size_t offset;
  hid_t type;   /* native type, or -1: the file's own 1-byte member type */
  size_t strsz; /* > 0: a fixed string of this size */
} member;

/* A memory compound of `size` bytes with the listed members, taking enum
 * members' types from the file type (HDF5 converts enums only to enums). */
static hid_t make_type(hid_t file_type, size_t size, const member *mb, size_t n,
                       const char **missing) {
  hid_t t = H5Tcreate(H5T_COMPOUND, size);
  if (t < 0)
    return -1;
  for (size_t i = 0; i < n; i++) {
    int idx = H5Tget_member_index(file_type, mb[i].name);
    if (idx < 0) {
      *missing = mb[i].name;
      H5Tclose(t);
      return -1;
    }
    hid_t mt;
    if (mb[i].strsz) {
      mt = H5Tcopy(H5T_C_S1);
      H5Tset_size(mt, mb[i].strsz);
      H5Tset_strpad(mt, H5T_STR_NULLPAD);
    } else if (mb[i].type < 0) {
      mt = H5Tget_member_type(file_type, (unsigned)idx);
      if (mt >= 0 && H5Tget_size(mt) != 1) {
        H5Tclose(mt);
        mt = -1;
      }
    } else {
      mt = H5Tcopy(mb[i].type);
    }
    if (mt < 0 || H5Tinsert(t, mb[i].name, mb[i].offset, mt) < 0) {
      if (mt >= 0)
        H5Tclose(mt);
      *missing = mb[i].name;
      H5Tclose(t);
      return -1;
    }
    H5Tclose(mt);
  }
  return t;
}

#define M(s, f, ty)                                                            \
  { #f, offsetof(s, f), ty, 0 }
#define MS(s, f)                                                               \
  { #f, offsetof(s, f), -1, sizeof(((s *)0)->f) }
#define ME(s, f)                                                               \
  { #f, offsetof(s, f), -1, 0 }

/* ---- datasets ------------------------------------------------------------ */

static int read_rows(hid_t d, hid_t mem, uint64_t start, uint64_t count,
                     void *buf) {
  if (!count)
    return 0;
  hid_t fs = H5Dget_space(d);
  if (fs < 0)
    return -1;
  hsize_t st = start, ct = count;
  hid_t ms = H5Screate_simple(1, &ct, NULL);
  int rc = -1;
  if (ms >= 0 &&
      H5Sselect_hyperslab(fs, H5S_SELECT_SET, &st, NULL, &ct, NULL) >= 0 &&
      H5Dread(d, mem, ms, fs, H5P_DEFAULT, buf) >= 0)
    rc = 0;
  if (ms >= 0)
    H5Sclose(ms);
  H5Sclose(fs);
  return rc;
}

/* Open /name, check it is 1-d with at least `rows` rows of `row_size`
 * bytes that fit in the file.  Returns the dataset or -1 with err set. */
static hid_t open_table(weft__trace *t, const char *name, uint64_t rows,
                        size_t row_size, char *err, size_t cap) {
  if (H5Lexists(t->fid, name, H5P_DEFAULT) <= 0) {
    fail(err, cap, "missing dataset '/%s'", name);
    return -1;
  }
  hid_t d = H5Dopen2(t->fid, name, H5P_DEFAULT);
  if (d < 0) {
    fail(err, cap, "'/%s' is not a dataset", name);
    return -1;
  }
  hid_t s = H5Dget_space(d);
  hsize_t dims[2] = {0, 0};
  int nd = s >= 0 ? H5Sget_simple_extent_dims(s, dims, NULL) : -1;
  if (s >= 0)
    H5Sclose(s);
  if (nd != 1) {
    H5Dclose(d);
    fail(err, cap, "dataset '/%s' is not one-dimensional", name);
    return -1;
  }
  if (dims[0] < rows) {
    H5Dclose(d);
    fail(err, cap,
         "dataset '/%s' has %llu rows but %llu are committed (truncated "
         "file?)",
         name, (unsigned long long)dims[0], (unsigned long long)rows);
    return -1;
  }
  if (row_size && rows > t->file_size / row_size) {
    H5Dclose(d);
    fail(err, cap,
         "dataset '/%s': %llu committed rows cannot fit in a file of %llu "
         "bytes (truncated file?)",
         name, (unsigned long long)rows, (unsigned long long)t->file_size);
    return -1;
  }
  return d;
}

/* Read the first `rows` rows of /name into a new array of elem bytes per
 * row, through the memory type built from mb. */
static void *read_table(weft__trace *t, const char *name, uint64_t rows,
                        size_t file_row, size_t elem, const member *mb,
                        size_t nmb, char *err, size_t cap) {
  hid_t d = open_table(t, name, rows, file_row, err, cap);
  if (d < 0)
    return NULL;
  void *buf = NULL;
  hid_t ft = H5Dget_type(d);
  const char *missing = NULL;
  hid_t mt = -1;
  if (ft < 0 || (nmb && H5Tget_class(ft) != H5T_COMPOUND)) {
    fail(err, cap, "dataset '/%s' does not have the expected type", name);
    goto out;
  }
  mt = nmb ? make_type(ft, elem, mb, nmb, &missing) : H5Tcopy(H5T_NATIVE_UINT8);
  if (mt < 0) {
    fail(err, cap, "dataset '/%s' lacks member '%s'", name,
         missing ? missing : "?");
    goto out;
  }
  buf = rd_calloc(rows ? rows : 1, elem);
  if (!buf) {
    fail(err, cap, "out of memory reading '/%s' (%llu rows)", name,
         (unsigned long long)rows);
    goto out;
  }
  if (read_rows(d, mt, 0, rows, buf)) {
    free(buf);
    buf = NULL;
    fail(err, cap, "cannot read dataset '/%s' (%s)", name, read_failure());
  }
out:
  if (mt >= 0)
    H5Tclose(mt);
  if (ft >= 0)
    H5Tclose(ft);
  H5Dclose(d);
  return buf;
}

/* ---- tables -------------------------------------------------------------- */

static char *heap_text(const char *heap, uint64_t heap_len, uint64_t off,
                       uint64_t len) {
  if (off > heap_len || len > heap_len - off)
    return NULL;
  char *s = rd_malloc(len + 1);
  if (!s)
    return NULL;
  memcpy(s, heap + off, len);
  s[len] = 0;
  return s;
}

static void fixed_copy(char *dst, size_t dcap, const char *src, size_t n) {
  size_t l = strnlen(src, n);
  if (l >= dcap)
    l = dcap - 1;
  memcpy(dst, src, l);
  dst[l] = 0;
}

/* A known world rank and its /ranks row, to find two rows of one world
 * rank by sorting. */
typedef struct world_row {
  uint32_t world_rank, row;
} world_row;

static int world_row_cmp(const void *a, const void *b) {
  const world_row *x = a, *y = b;
  if (x->world_rank != y->world_rank)
    return x->world_rank < y->world_rank ? -1 : 1;
  return (x->row > y->row) - (x->row < y->row);
}

/* The rows' world ranks name processes of one MPI_COMM_WORLD: one size
 * (0 in a row that does not know it) and no world rank twice, or
 * libweft-pmpi's peers (which name world ranks) would be given to the
 * wrong log rank.  Any number of rows may not know their world rank. */
static int check_world(const weft__trace *t, char *err, size_t cap) {
  uint32_t size_row = UINT32_MAX, n = 0;
  for (uint32_t i = 0; i < t->mpi_size; i++) {
    const weft__rank_row *r = &t->ranks[i];
    if (!r->world_size)
      continue;
    if (size_row == UINT32_MAX)
      size_row = i;
    else if (r->world_size != t->ranks[size_row].world_size)
      return fail(err, cap,
                  "'/ranks' row %u: a world of %u ranks, but row %u says %u", i,
                  r->world_size, size_row, t->ranks[size_row].world_size);
  }
  world_row *w = rd_malloc((size_t)t->mpi_size * sizeof *w);
  if (!w)
    return fail(err, cap, "out of memory");
  for (uint32_t i = 0; i < t->mpi_size; i++)
    if (t->ranks[i].world_rank != WEFT__WORLD_UNKNOWN)
      w[n++] = (world_row){t->ranks[i].world_rank, i};
  qsort(w, n, sizeof *w, world_row_cmp);
  int rc = 0;
  for (uint32_t k = 1; k < n && !rc; k++)
    if (w[k].world_rank == w[k - 1].world_rank)
      rc = fail(err, cap, "'/ranks' rows %u and %u both hold world rank %u",
                w[k - 1].row, w[k].row, w[k].world_rank);
  free(w);
  return rc;
}

static int load_ranks(weft__trace *t, const open_state *st, char *err,
                      size_t cap) {
  const member mb[] = {M(rank_file_row, start_wall_ns, H5T_NATIVE_INT64),
                       M(rank_file_row, start_mono_ns, H5T_NATIVE_INT64),
                       M(rank_file_row, slurm_job_end_time, H5T_NATIVE_INT64),
                       M(rank_file_row, cmdline_off, H5T_NATIVE_UINT64),
                       M(rank_file_row, mpi_library_off, H5T_NATIVE_UINT64),
                       M(rank_file_row, nodelist_off, H5T_NATIVE_UINT64),
                       M(rank_file_row, rank, H5T_NATIVE_UINT32),
                       M(rank_file_row, pid, H5T_NATIVE_UINT32),
                       M(rank_file_row, threads, H5T_NATIVE_UINT32),
                       M(rank_file_row, cmdline_len, H5T_NATIVE_UINT32),
                       M(rank_file_row, mpi_library_len, H5T_NATIVE_UINT32),
                       M(rank_file_row, nodelist_len, H5T_NATIVE_UINT32),
                       MS(rank_file_row, host),
                       MS(rank_file_row, job_id),
                       MS(rank_file_row, step_id),
                       MS(rank_file_row, array_job_id),
                       MS(rank_file_row, array_task_id),
                       MS(rank_file_row, partition),
                       M(rank_file_row, world_rank, H5T_NATIVE_UINT32),
                       M(rank_file_row, world_size, H5T_NATIVE_UINT32)};
  /* The field names in the file carry a slurm_ prefix. */
  member m2[sizeof mb / sizeof mb[0]];
  memcpy(m2, mb, sizeof mb);
  for (size_t i = 0; i < sizeof mb / sizeof mb[0]; i++) {
    if (!strcmp(m2[i].name, "job_id"))
      m2[i].name = "slurm_job_id";
    else if (!strcmp(m2[i].name, "step_id"))
      m2[i].name = "slurm_step_id";
    else if (!strcmp(m2[i].name, "array_job_id"))
      m2[i].name = "slurm_array_job_id";
    else if (!strcmp(m2[i].name, "array_task_id"))
      m2[i].name = "slurm_array_task_id";
    else if (!strcmp(m2[i].name, "partition"))
      m2[i].name = "slurm_partition";
  }
  rank_file_row *rows = read_table(t, "ranks", t->mpi_size, 336, sizeof *rows,
                                   m2, sizeof m2 / sizeof m2[0], err, cap);
  if (!rows)
    return -1;
  t->ranks = rd_calloc(t->mpi_size, sizeof *t->ranks);
  if (!t->ranks) {
    free(rows);
    return fail(err, cap, "out of memory");
  }
  int rc = 0;
  for (uint32_t i = 0; i < t->mpi_size && !rc; i++) {
    const rank_file_row *r = &rows[i];
    weft__rank_row *o = &t->ranks[i];
    o->start_wall_ns = r->start_wall_ns;
    o->start_mono_ns = r->start_mono_ns;
    o->slurm_job_end_time = r->slurm_job_end_time;
    o->rank = r->rank;
    o->pid = r->pid;
    o->threads = r->threads;
    o->world_rank = r->world_rank;
    o->world_size = r->world_size;
    fixed_copy(o->host, sizeof o->host, r->host, sizeof r->host);
    fixed_copy(o->job_id, sizeof o->job_id, r->job_id, sizeof r->job_id);
    fixed_copy(o->step_id, sizeof o->step_id, r->step_id, sizeof r->step_id);
    fixed_copy(o->array_job_id, sizeof o->array_job_id, r->array_job_id,
               sizeof r->array_job_id);
    fixed_copy(o->array_task_id, sizeof o->array_task_id, r->array_task_id,
               sizeof r->array_task_id);
    fixed_copy(o->partition, sizeof o->partition, r->partition,
               sizeof r->partition);
    o->cmdline_len = r->cmdline_len;
    if (r->rank != i)
      rc = fail(err, cap, "'/ranks' row %u holds rank %u", i, r->rank);
    else if (r->world_rank != WEFT__WORLD_UNKNOWN &&
             r->world_rank >= r->world_size)
      rc = fail(err, cap,
                "'/ranks' row %u: world rank %u in a world of %u ranks", i,
                r->world_rank, r->world_size);
    else if (!(o->cmdline = heap_text(st->strings, t->c.strings, r->cmdline_off,
                                      r->cmdline_len)) ||
             !(o->mpi_library =
                   heap_text(st->strings, t->c.strings, r->mpi_library_off,
                             r->mpi_library_len)) ||
             !(o->nodelist = heap_text(st->strings, t->c.strings,
                                       r->nodelist_off, r->nodelist_len)))
      rc = fail(err, cap,
                "'/ranks' row %u: a string lies outside '/strings' (%llu "
                "bytes)",
                i, (unsigned long long)t->c.strings);
  }
  free(rows);
  return rc ? rc : check_world(t, err, cap);
}

static int flush_cmp(const void *a, const void *b) {
  const weft__flush_row *x = a, *y = b;
  if (x->rank != y->rank)
    return x->rank < y->rank ? -1 : 1;
  if (x->sample_mono_ns != y->sample_mono_ns)
    return x->sample_mono_ns < y->sample_mono_ns ? -1 : 1;
  return (x->epoch > y->epoch) - (x->epoch < y->epoch);
}

static int load_flushes(weft__trace *t, char *err, size_t cap) {
  const member mb[] = {M(weft__flush_row, sample_mono_ns, H5T_NATIVE_INT64),
                       M(weft__flush_row, offset_ns, H5T_NATIVE_INT64),
                       M(weft__flush_row, error_ns, H5T_NATIVE_INT64),
                       M(weft__flush_row, sample_wall_ns, H5T_NATIVE_INT64),
                       M(weft__flush_row, events, H5T_NATIVE_UINT64),
                       M(weft__flush_row, payload_bytes, H5T_NATIVE_UINT64),
                       M(weft__flush_row, dropped, H5T_NATIVE_UINT64),
                       M(weft__flush_row, epoch, H5T_NATIVE_UINT32),
                       M(weft__flush_row, rank, H5T_NATIVE_UINT32)};
  t->flushes = read_table(t, "flushes", t->c.flushes, 64, sizeof *t->flushes,
                          mb, sizeof mb / sizeof mb[0], err, cap);
  if (!t->flushes)
    return -1;
  for (uint64_t i = 0; i < t->c.flushes; i++)
    if (t->flushes[i].rank >= t->mpi_size)
      return fail(err, cap, "'/flushes' row %llu names rank %u of %u",
                  (unsigned long long)i, t->flushes[i].rank, t->mpi_size);
  qsort(t->flushes, t->c.flushes, sizeof *t->flushes, flush_cmp);
  return 0;
}

static int segment_cmp(const void *a, const void *b) {
  const weft__segment_row *x = a, *y = b;
  if (x->rank != y->rank)
    return x->rank < y->rank ? -1 : 1;
  if (x->thread != y->thread)
    return x->thread < y->thread ? -1 : 1;
  return (x->epoch > y->epoch) - (x->epoch < y->epoch);
}

/* The rows or bytes [start, end) of a table that segment `row` owns. */
typedef struct seg_range {
  uint64_t start, end;
  size_t row;
} seg_range;

static int seg_range_cmp(const void *a, const void *b) {
  const seg_range *x = a, *y = b;
  if (x->start != y->start)
    return x->start < y->start ? -1 : 1;
  return (x->end > y->end) - (x->end < y->end);
}

enum { RANGE_EVENTS, RANGE_PAYLOAD, RANGE_LEAVES, RANGE_ORDER, RANGE_KINDS };

/* Segment s's range of kind `kind` (empty when it has none there). */
static seg_range seg_range_of(const weft__segment_row *s, int kind) {
  uint64_t items = s->event_count + s->leaf_count;
  switch (kind) {
  case RANGE_EVENTS:
    return (seg_range){s->event_start, s->event_start + s->event_count, 0};
  case RANGE_PAYLOAD:
    return (seg_range){s->payload_start, s->payload_start + s->payload_bytes,
                       0};
  case RANGE_LEAVES:
    return (seg_range){s->leaf_start, s->leaf_start + s->leaf_count, 0};
  default: /* its /order bits start on a byte; none without leaf rows */
    return (seg_range){s->order_start,
                       s->order_start + (s->leaf_count ? (items + 7) / 8 : 0),
                       0};
  }
}

/* No two segments share a row of /events or /actions, a byte of /payload
 * or of /order: a damaged pointer would otherwise have two streams decode
 * the same rows or bits, the garbage read as records.  Each table's ranges
 * (checked to lie inside it) are sorted by start: a range that begins
 * before the end of the one sorted just before it overlaps it. */
static int check_disjoint(const weft__trace *t, char *err, size_t cap) {
  static const char *const what[RANGE_KINDS] = {
      "rows of '/events'", "bytes of '/payload'", "leaf rows of '/actions'",
      "bytes of '/order'"};
  seg_range *rg = rd_malloc((t->nsegments ? t->nsegments : 1) * sizeof *rg);
  if (!rg)
    return fail(err, cap, "out of memory");
  int rc = 0;
  for (int kind = 0; kind < RANGE_KINDS && !rc; kind++) {
    size_t n = 0;
    for (size_t i = 0; i < t->nsegments; i++) {
      seg_range r = seg_range_of(&t->segments[i], kind);
      r.row = i;
      if (r.end > r.start)
        rg[n++] = r;
    }
    qsort(rg, n, sizeof *rg, seg_range_cmp);
    for (size_t k = 1; k < n && !rc; k++) {
      const seg_range *x = &rg[k - 1], *y = &rg[k];
      if (y->start >= x->end)
        continue;
      const weft__segment_row *a = &t->segments[x->row],
                              *b = &t->segments[y->row];
      rc = fail(err, cap,
                "'/segments' rows %zu and %zu (rank %u thread %u epoch %u, "
                "rank %u thread %u epoch %u) share %s: %llu..%llu and "
                "%llu..%llu",
                x->row, y->row, a->rank, a->thread, a->epoch, b->rank,
                b->thread, b->epoch, what[kind], (unsigned long long)x->start,
                (unsigned long long)x->end, (unsigned long long)y->start,
                (unsigned long long)y->end);
    }
  }
  free(rg);
  return rc;
}

/* Whether [start, start + n) leaves [0, total), without overflow. */
static int outside(uint64_t start, uint64_t n, uint64_t total) {
  return start > total || n > total - start;
}

static int load_segments(weft__trace *t, char *err, size_t cap) {
  const member mb[] = {M(weft__segment_row, event_start, H5T_NATIVE_UINT64),
                       M(weft__segment_row, event_count, H5T_NATIVE_UINT64),
                       M(weft__segment_row, payload_start, H5T_NATIVE_UINT64),
                       M(weft__segment_row, payload_bytes, H5T_NATIVE_UINT64),
                       M(weft__segment_row, t_first, H5T_NATIVE_INT64),
                       M(weft__segment_row, t_last, H5T_NATIVE_INT64),
                       M(weft__segment_row, epoch, H5T_NATIVE_UINT32),
                       M(weft__segment_row, rank, H5T_NATIVE_UINT32),
                       M(weft__segment_row, thread, H5T_NATIVE_UINT32),
                       M(weft__segment_row, os_tid, H5T_NATIVE_UINT32),
                       M(weft__segment_row, leaf_start, H5T_NATIVE_UINT64),
                       M(weft__segment_row, leaf_count, H5T_NATIVE_UINT64),
                       M(weft__segment_row, order_start, H5T_NATIVE_UINT64)};
  t->segments =
      read_table(t, "segments", t->c.segments, 88, sizeof *t->segments, mb,
                 sizeof mb / sizeof mb[0], err, cap);
  if (!t->segments)
    return -1;
  t->nsegments = t->c.segments;
  for (size_t i = 0; i < t->nsegments; i++) {
    const weft__segment_row *s = &t->segments[i];
    if (s->rank >= t->mpi_size)
      return fail(err, cap, "'/segments' row %zu names rank %u of %u", i,
                  s->rank, t->mpi_size);
    if (s->thread >= WEFT_THREADS_MAX)
      return fail(err, cap,
                  "'/segments' row %zu names thread %u (a process has at "
                  "most %d)",
                  i, s->thread, WEFT_THREADS_MAX);
    if (s->epoch >= t->c.epochs)
      return fail(err, cap,
                  "'/segments' row %zu: epoch %u, but the log committed %llu "
                  "(0..%llu)",
                  i, s->epoch, (unsigned long long)t->c.epochs,
                  (unsigned long long)t->c.epochs - 1);
    if (outside(s->event_start, s->event_count, t->c.events))
      return fail(err, cap,
                  "'/segments' row %zu: events %llu+%llu outside the %llu "
                  "committed",
                  i, (unsigned long long)s->event_start,
                  (unsigned long long)s->event_count,
                  (unsigned long long)t->c.events);
    if (outside(s->payload_start, s->payload_bytes, t->c.payload) ||
        s->payload_bytes % 8)
      return fail(err, cap,
                  "'/segments' row %zu: payload %llu+%llu outside the "
                  "payload heap (%llu bytes)",
                  i, (unsigned long long)s->payload_start,
                  (unsigned long long)s->payload_bytes,
                  (unsigned long long)t->c.payload);
    if (!s->leaf_count)
      continue;
    if (!t->actions_table)
      return fail(err, cap,
                  "'/segments' row %zu lists %llu leaf rows of '/actions', "
                  "but the log has no actions table (actions_table is 0)",
                  i, (unsigned long long)s->leaf_count);
    if (outside(s->leaf_start, s->leaf_count, t->c.actions))
      return fail(err, cap,
                  "'/segments' row %zu: leaf rows %llu+%llu outside the %llu "
                  "committed rows of '/actions'",
                  i, (unsigned long long)s->leaf_start,
                  (unsigned long long)s->leaf_count,
                  (unsigned long long)t->c.actions);
    /* Both counts are below the committed ones, themselves below the file
     * size: the sum does not overflow. */
    uint64_t items = s->event_count + s->leaf_count;
    uint64_t bytes = items / 8 + (items % 8 != 0);
    if (outside(s->order_start, bytes, t->c.order))
      return fail(err, cap,
                  "'/segments' row %zu: its %llu items need '/order' bytes "
                  "%llu+%llu, outside the %llu committed",
                  i, (unsigned long long)items,
                  (unsigned long long)s->order_start, (unsigned long long)bytes,
                  (unsigned long long)t->c.order);
    t->leaf_rows += s->leaf_count;
  }
  if (check_disjoint(t, err, cap))
    return -1;
  qsort(t->segments, t->nsegments, sizeof *t->segments, segment_cmp);
  return 0;
}

/* Names and schemas, per rank (ids are rank-local). */
static int load_dicts(weft__trace *t, open_state *st, char *err, size_t cap) {
  const member nm[] = {
      M(name_row, off, H5T_NATIVE_UINT64), M(name_row, len, H5T_NATIVE_UINT64),
      M(name_row, rank, H5T_NATIVE_UINT32), M(name_row, id, H5T_NATIVE_UINT32)};
  const member sm[] = {M(schema_row, fields_off, H5T_NATIVE_UINT64),
                       M(schema_row, rank, H5T_NATIVE_UINT32),
                       M(schema_row, id, H5T_NATIVE_UINT32),
                       M(schema_row, type_name, H5T_NATIVE_UINT32),
                       M(schema_row, nfields, H5T_NATIVE_UINT16),
                       ME(schema_row, kind),
                       M(schema_row, fixed_size, H5T_NATIVE_UINT8)};
  const member fm[] = {M(field_row, name, H5T_NATIVE_UINT32),
                       ME(field_row, type)};
  uint64_t nn = t->c.names, ns = t->c.schemas, nf = t->c.schema_fields;
  if (!(st->names = read_table(t, "names", nn, 24, sizeof *st->names, nm, 4,
                               err, cap)) ||
      !(st->schemas = read_table(t, "schemas", ns, 24, sizeof *st->schemas, sm,
                                 7, err, cap)) ||
      !(st->fields = read_table(t, "schema_fields", nf, 8, sizeof *st->fields,
                                fm, 2, err, cap)))
    return -1;
  t->dicts = rd_calloc(t->mpi_size, sizeof *t->dicts);
  uint64_t *per_rank = rd_calloc(t->mpi_size, sizeof *per_rank);
  uint64_t text = 0;
  if (!t->dicts || !per_rank) {
    free(per_rank);
    return fail(err, cap, "out of memory");
  }
  for (uint64_t i = 0; i < nn; i++) {
    const name_row *r = &st->names[i];
    if (r->rank >= t->mpi_size || r->id == 0) {
      free(per_rank);
      return fail(err, cap, "'/names' row %llu: rank %u / id %u invalid",
                  (unsigned long long)i, r->rank, r->id);
    }
    if (outside(r->off, r->len, t->c.strings)) {
      free(per_rank);
      return fail(err, cap,
                  "'/names' row %llu: offset %llu+%llu outside '/strings' "
                  "(%llu bytes)",
                  (unsigned long long)i, (unsigned long long)r->off,
                  (unsigned long long)r->len, (unsigned long long)t->c.strings);
    }
    per_rank[r->rank]++;
    text += r->len + 1;
  }
  /* Ids are dense per rank; allow slack, but never let one bad id decide
   * how much memory is allocated. */
  for (uint64_t i = 0; i < nn; i++) {
    const name_row *r = &st->names[i];
    if (r->id > per_rank[r->rank] + 1024) {
      free(per_rank);
      return fail(err, cap, "'/names' row %llu: id %u out of range",
                  (unsigned long long)i, r->id);
    }
    weft__rank_dict *d = &t->dicts[r->rank];
    if (r->id >= d->nnames)
      d->nnames = r->id + 1;
  }
  st->name_text = rd_malloc(text ? text : 1);
  if (!st->name_text) {
    free(per_rank);
    return fail(err, cap, "out of memory");
  }
  for (uint32_t k = 0; k < t->mpi_size; k++)
    if (t->dicts[k].nnames &&
        !(t->dicts[k].names =
              rd_calloc(t->dicts[k].nnames, sizeof *t->dicts[k].names))) {
      free(per_rank);
      return fail(err, cap, "out of memory");
    }
  uint64_t at = 0;
  for (uint64_t i = 0; i < nn; i++) {
    const name_row *r = &st->names[i];
    memcpy(st->name_text + at, st->strings + r->off, r->len);
    st->name_text[at + r->len] = 0;
    t->dicts[r->rank].names[r->id] = st->name_text + at;
    at += r->len + 1;
  }
  memset(per_rank, 0, t->mpi_size * sizeof *per_rank);
  for (uint64_t i = 0; i < ns; i++)
    if (st->schemas[i].rank < t->mpi_size)
      per_rank[st->schemas[i].rank]++;
  st->field_names = rd_malloc((nf ? nf : 1) * sizeof *st->field_names);
  st->field_types = rd_malloc(nf ? nf : 1);
  if (!st->field_names || !st->field_types) {
    free(per_rank);
    return fail(err, cap, "out of memory");
  }
  for (uint64_t i = 0; i < nf; i++) {
    st->field_names[i] = st->fields[i].name;
    st->field_types[i] = st->fields[i].type;
  }
  int rc = 0;
  for (uint64_t i = 0; i < ns && !rc; i++) {
    const schema_row *r = &st->schemas[i];
    if (r->rank >= t->mpi_size || r->id < WEFT_SCHEMA_FIRST_USER ||
        r->id - WEFT_SCHEMA_FIRST_USER > per_rank[r->rank] + 1024) {
      rc = fail(err, cap, "'/schemas' row %llu: rank %u / id %u invalid",
                (unsigned long long)i, r->rank, r->id);
      break;
    }
    if (r->kind != WEFT_REC_START && r->kind != WEFT_REC_MESSAGE &&
        r->kind != WEFT_REC_ADD && r->kind != WEFT_REC_GLOBALS) {
      rc = fail(err, cap, "'/schemas' row %llu: kind %u invalid",
                (unsigned long long)i, r->kind);
      break;
    }
    if (r->fields_off > nf || r->nfields > nf - r->fields_off ||
        r->nfields > WEFT_FIELDS_MAX) {
      rc = fail(err, cap,
                "'/schemas' row %llu: fields %llu+%u outside "
                "'/schema_fields' (%llu rows)",
                (unsigned long long)i, (unsigned long long)r->fields_off,
                r->nfields, (unsigned long long)nf);
      break;
    }
    const weft__rank_dict *names = &t->dicts[r->rank];
    int has_type = r->kind == WEFT_REC_START || r->kind == WEFT_REC_MESSAGE;
    if (has_type &&
        (r->type_name >= names->nnames || !names->names[r->type_name])) {
      rc = fail(err, cap, "'/schemas' row %llu: unknown type name id %u",
                (unsigned long long)i, r->type_name);
      break;
    }
    uint32_t size = 0;
    int fixed = 1;
    for (uint32_t k = 0; k < r->nfields; k++) {
      uint32_t nid = st->field_names[r->fields_off + k];
      uint8_t ty = st->field_types[r->fields_off + k];
      if (nid >= names->nnames || !names->names[nid] || ty < WEFT_TYPE_I64 ||
          ty > WEFT_TYPE_F64_ARRAY) {
        rc = fail(err, cap,
                  "'/schemas' row %llu: field %u has name id %u / type %u "
                  "invalid",
                  (unsigned long long)i, k, nid, ty);
        break;
      }
      if (ty == WEFT_TYPE_BOOL)
        size += 1;
      else if (ty <= WEFT_TYPE_F64)
        size += 8;
      else
        fixed = 0;
    }
    if (rc)
      break;
    weft__rank_dict *d = &t->dicts[r->rank];
    if (r->id >= d->nschemas) {
      uint32_t nc = r->id + 1 > d->nschemas * 2 ? r->id + 1 : d->nschemas * 2;
      weft__schema *p = rd_realloc(d->schemas, (size_t)nc * sizeof *p);
      if (!p) {
        rc = fail(err, cap, "out of memory");
        break;
      }
      memset(p + d->nschemas, 0, (size_t)(nc - d->nschemas) * sizeof *p);
      d->schemas = p;
      d->nschemas = nc;
    }
    d->schemas[r->id] =
        (weft__schema){.id = r->id,
                       .kind = r->kind,
                       .fixed_size = (uint8_t)fixed,
                       .nfields = r->nfields,
                       .type_name = has_type ? r->type_name : 0,
                       .payload_size = fixed ? size : 0,
                       .names = st->field_names + r->fields_off,
                       .types = st->field_types + r->fields_off};
  }
  free(per_rank);
  return rc;
}

static const weft__schema *dict_schema(void *arg, uint32_t id) {
  const weft__rank_dict *d = arg;
  if (id >= d->nschemas || d->schemas[id].id == 0)
    return NULL;
  return &d->schemas[id];
}

static const char *dict_name(void *arg, uint32_t id) {
  const weft__rank_dict *d = arg;
  return id < d->nnames ? d->names[id] : NULL;
}

weft__dict weft__trace_dict(const weft__trace *t, uint32_t rank) {
  return (weft__dict){
      .schema = dict_schema, .name = dict_name, .arg = &t->dicts[rank]};
}

/* o(ns) of `rank` (docs/format.md section 6), through the hint: a search
 * of the rank's samples only when ns leaves the cached interval, then one
 * 128-bit multiplication and a shift (lib/src/timeline.c), as the writer
 * computes it. */
static int64_t offset_hint(const weft__trace *t, uint32_t rank, int64_t ns,
                           weft__wall_hint *h) {
  if (!h->valid || h->rank != rank || ns < h->from || ns >= h->to) {
    /* The rank's samples are contiguous in the sorted flushes table. */
    const weft__flush_row *f = t->flushes;
    size_t n = (size_t)t->c.flushes, lo = 0, hi = n;
    while (lo < hi) { /* first row of this rank */
      size_t mid = lo + (hi - lo) / 2;
      if (f[mid].rank < rank)
        lo = mid + 1;
      else
        hi = mid;
    }
    size_t first = lo, end = first;
    while (end < n && f[end].rank == rank)
      end++;
    lo = first;
    hi = end;
    while (lo < hi) { /* first sample after ns */
      size_t mid = lo + (hi - lo) / 2;
      if (f[mid].sample_mono_ns <= ns)
        lo = mid + 1;
      else
        hi = mid;
    }
    h->valid = 1;
    h->rank = rank;
    h->slope = 0;
    h->m0 = 0;
    h->o0 = 0;
    h->from = lo > first ? f[lo - 1].sample_mono_ns : INT64_MIN;
    h->to = lo < end ? f[lo].sample_mono_ns : INT64_MAX;
    if (end == first) {
      h->o0 = 0;
    } else if (lo == first) { /* before the first sample: o_0 */
      h->o0 = f[first].offset_ns;
    } else if (lo == end) { /* at or after the last sample: its offset */
      h->o0 = f[end - 1].offset_ns;
    } else { /* m_k <= ns < m_k+1: o_k + floor((ns - m_k) S_k / 2^48) */
      const weft__flush_row *a = &f[lo - 1], *b = &f[lo];
      h->m0 = a->sample_mono_ns;
      h->o0 = a->offset_ns;
      h->slope = weft__offset_slope(a->sample_mono_ns, a->offset_ns,
                                    b->sample_mono_ns, b->offset_ns);
    }
  }
  return h->slope ? weft__offset_at(h->m0, h->o0, h->slope, ns) : h->o0;
}

int64_t weft__trace_wall_hint(const weft__trace *t, uint32_t rank, int64_t ns,
                              weft__wall_hint *h) {
  int64_t r = weft__time_diff(ns, offset_hint(t, rank, ns, h));
  r = weft__time_diff(r, t->timeline_mono_ns);
  return weft__time_add(r, t->timeline_wall_ns);
}

int64_t weft__trace_wall(const weft__trace *t, uint32_t rank, int64_t ns) {
  weft__wall_hint h = {0};
  return weft__trace_wall_hint(t, rank, ns, &h);
}

/* ---- open / close -------------------------------------------------------- */

static void state_free(open_state *st, int keep_dict_storage) {
  free(st->strings);
  free(st->names);
  free(st->schemas);
  free(st->fields);
  if (!keep_dict_storage) {
    free(st->field_names);
    free(st->field_types);
    free(st->name_text);
  }
}

/* The dictionary storage outlives the open (trace->dict_storage). */
typedef struct dict_storage {
  uint32_t *field_names;
  uint8_t *field_types;
  char *name_text;
} dict_storage;

int weft__trace_open(weft__trace *t, const char *path, char *err,
                     size_t errcap) {
  memset(t, 0, sizeof *t);
  ran_out = 0;
  t->fid = t->events_dset = t->payload_dset = t->record_type = -1;
  t->actions_dset = t->order_dset = t->action_type = -1;
  open_state st = {0};
  if (hdf5_watch(1)) {
    fail(err, errcap, "out of memory");
    goto bad;
  }
  FILE *probe = fopen(path, "rb");
  if (!probe) {
    ran_out |= errno == ENOMEM;
    fail(err, errcap, "cannot open: %s", strerror(errno));
    goto bad;
  }
  fclose(probe);
  if (H5Fis_hdf5(path) <= 0) {
    fail(err, errcap, "not an HDF5 file");
    goto bad;
  }
  if (!(t->path = rd_malloc(strlen(path) + 1))) {
    fail(err, errcap, "out of memory");
    goto bad;
  }
  memcpy(t->path, path, strlen(path) + 1);
  t->fid = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (t->fid < 0) {
    fail(err, errcap, "HDF5 cannot open it (truncated or damaged HDF5 file)");
    goto bad;
  }
  hsize_t fsize = 0;
  H5Fget_filesize(t->fid, &fsize);
  t->file_size = fsize;
  char format[32];
  if (attr_string(t->fid, "format", format, sizeof format) ||
      strcmp(format, "weft-h5") != 0) {
    fail(err, errcap, "not a Weft log (HDF5 file without format 'weft-h5')");
    goto bad;
  }
  if (attr_ints(t->fid, "format_version", H5T_NATIVE_UINT32, t->version, 2)) {
    fail(err, errcap, "missing or malformed attribute 'format_version'");
    goto bad;
  }
  if (t->version[0] != WEFT__FORMAT_MAJOR) {
    /* 1.x kept every action in /events; 2.0 stores short actions as rows
     * of /actions only, so a 1.x log cannot be read as 2.0. */
    fail(err, errcap,
         "format version %u.%u is not supported (this weft reads %u.x%s)",
         t->version[0], t->version[1], WEFT__FORMAT_MAJOR,
         t->version[0] < WEFT__FORMAT_MAJOR
             ? "; logs of format 1.x, written by Weft before format 2.0, "
               "are not read"
             : "");
    /* Distinct, so that weft recover refuses the log rather than take it
     * for a damaged one; the version outlives the close. */
    uint32_t v[2] = {t->version[0], t->version[1]};
    state_free(&st, 0);
    weft__trace_close(t);
    t->version[0] = v[0];
    t->version[1] = v[1];
    return WEFT__TRACE_EVERSION;
  }
  attr_string(t->fid, "writer", t->writer, sizeof t->writer);
  attr_string(t->fid, "clock", t->clock, sizeof t->clock);
  attr_string(t->fid, "payload_encoding", t->encoding, sizeof t->encoding);
  if (strcmp(t->encoding, "weft-record-1") != 0) {
    fail(err, errcap, "payload encoding '%s' is not supported", t->encoding);
    goto bad;
  }
  uint8_t u8 = 0;
  if (attr_ints(t->fid, "mpi_size", H5T_NATIVE_UINT32, &t->mpi_size, 1) ||
      t->mpi_size == 0 || t->mpi_size > (1u << 24) ||
      attr_ints(t->fid, "timeline_mono_ns", H5T_NATIVE_INT64,
                &t->timeline_mono_ns, 1) ||
      attr_ints(t->fid, "timeline_wall_ns", H5T_NATIVE_INT64,
                &t->timeline_wall_ns, 1)) {
    fail(err, errcap,
         "missing or malformed root attributes (mpi_size, "
         "timeline_mono_ns, timeline_wall_ns)");
    goto bad;
  }
  if (attr_u8(t->fid, "state", &u8) == 0)
    t->closed = u8 == 1;
  int64_t recovered = 0;
  if (attr_ints(t->fid, "recovered", H5T_NATIVE_INT64, &recovered, 1) == 0 &&
      recovered > 0 && recovered <= UINT32_MAX)
    t->recovered = (uint32_t)recovered;
  if (attr_u8(t->fid, "actions_table", &u8) == 0)
    t->actions_table = u8;
  {
    const member cm[] = {M(weft__committed, epochs, H5T_NATIVE_UINT64),
                         M(weft__committed, events, H5T_NATIVE_UINT64),
                         M(weft__committed, payload, H5T_NATIVE_UINT64),
                         M(weft__committed, segments, H5T_NATIVE_UINT64),
                         M(weft__committed, strings, H5T_NATIVE_UINT64),
                         M(weft__committed, names, H5T_NATIVE_UINT64),
                         M(weft__committed, schemas, H5T_NATIVE_UINT64),
                         M(weft__committed, schema_fields, H5T_NATIVE_UINT64),
                         M(weft__committed, actions, H5T_NATIVE_UINT64),
                         M(weft__committed, order, H5T_NATIVE_UINT64),
                         M(weft__committed, flushes, H5T_NATIVE_UINT64),
                         M(weft__committed, failed_flushes, H5T_NATIVE_UINT64)};
    hid_t type = -1, space = -1, attr = -1, mem = -1;
    const char *missing = NULL;
    int ok = attr_raw(t->fid, "committed", &type, &space, &attr) == 0 &&
             H5Tget_class(type) == H5T_COMPOUND &&
             H5Sget_simple_extent_npoints(space) == 1 &&
             (mem = make_type(type, sizeof t->c, cm, sizeof cm / sizeof cm[0],
                              &missing)) >= 0 &&
             H5Aread(attr, mem, &t->c) >= 0;
    if (mem >= 0)
      H5Tclose(mem);
    attr_close(type, space, attr);
    if (!ok) {
      fail(err, errcap, "missing or malformed attribute 'committed'%s%s",
           missing ? ": no member " : "", missing ? missing : "");
      goto bad;
    }
  }
  if (t->c.epochs == 0) {
    fail(err, errcap, "no committed flush yet (the job has not flushed)");
    goto bad;
  }
  if (t->c.flushes != t->c.epochs * t->mpi_size) {
    fail(err, errcap,
         "committed counters disagree: %llu flush rows for %llu epochs of "
         "%u ranks",
         (unsigned long long)t->c.flushes, (unsigned long long)t->c.epochs,
         t->mpi_size);
    goto bad;
  }
  if (!(st.strings = read_table(t, "strings", t->c.strings, 1, 1, NULL, 0, err,
                                errcap)) ||
      load_ranks(t, &st, err, errcap) || load_flushes(t, err, errcap) ||
      load_segments(t, err, errcap) || load_dicts(t, &st, err, errcap))
    goto bad;
  if ((t->events_dset = open_table(t, "events", t->c.events, 16, err, errcap)) <
          0 ||
      (t->payload_dset =
           open_table(t, "payload", t->c.payload, 1, err, errcap)) < 0)
    goto bad;
  {
    const member rm[] = {M(weft_rec, t, H5T_NATIVE_INT64),
                         M(weft_rec, schema, H5T_NATIVE_UINT32),
                         M(weft_rec, size, H5T_NATIVE_UINT32)};
    hid_t ft = H5Dget_type(t->events_dset);
    const char *missing = NULL;
    t->record_type = ft >= 0 && H5Tget_class(ft) == H5T_COMPOUND
                         ? make_type(ft, sizeof(weft_rec), rm, 3, &missing)
                         : -1;
    if (ft >= 0)
      H5Tclose(ft);
    if (t->record_type < 0) {
      fail(err, errcap, "dataset '/events' does not have the record type");
      goto bad;
    }
  }
  /* /actions and /order are read only for the leaf rows (the tools
   * rebuild everything else from the streams). */
  if (t->leaf_rows) {
    if ((t->actions_dset = open_table(t, "actions", t->c.actions, ACTION_ROW,
                                      err, errcap)) < 0 ||
        (t->order_dset = open_table(t, "order", t->c.order, 1, err, errcap)) <
            0)
      goto bad;
    const member am[] = {{"start_ns", AR_START, H5T_NATIVE_INT64, 0},
                         {"end_ns", AR_END, H5T_NATIVE_INT64, 0},
                         {"elapsed_ns", AR_ELAPSED, H5T_NATIVE_INT64, 0},
                         {"rank", AR_RANK, H5T_NATIVE_UINT32, 0},
                         {"schema", AR_SCHEMA, H5T_NATIVE_UINT16, 0},
                         {"status", AR_STATUS, -1, 0}};
    hid_t ft = H5Dget_type(t->actions_dset);
    const char *missing = NULL;
    t->action_type = ft >= 0 && H5Tget_class(ft) == H5T_COMPOUND
                         ? make_type(ft, ACTION_ROW, am, 6, &missing)
                         : -1;
    if (ft >= 0)
      H5Tclose(ft);
    if (t->action_type < 0) {
      fail(err, errcap, "dataset '/actions' lacks member '%s'",
           missing ? missing : "?");
      goto bad;
    }
  }
  /* An allocation that failed on the way without failing the open (an
   * attribute read as absent, say) leaves what was read incomplete. */
  if (ran_out) {
    fail(err, errcap, "out of memory");
    goto bad;
  }
  /* Keep the dictionary storage: the per-rank tables point into it. */
  {
    dict_storage *ds = rd_malloc(sizeof *ds);
    if (!ds) {
      fail(err, errcap, "out of memory");
      goto bad;
    }
    ds->field_names = st.field_names;
    ds->field_types = st.field_types;
    ds->name_text = st.name_text;
    t->dict_storage = ds;
    state_free(&st, 1);
  }
  hdf5_watch(0);
  return 0;
bad:
  state_free(&st, 0);
  weft__trace_close(t);
  hdf5_watch(0);
  return ran_out ? WEFT__TRACE_ENOMEM : -1;
}

void weft__trace_close(weft__trace *t) {
  if (t->ranks)
    for (uint32_t i = 0; i < t->mpi_size; i++) {
      free(t->ranks[i].cmdline);
      free(t->ranks[i].mpi_library);
      free(t->ranks[i].nodelist);
    }
  free(t->ranks);
  free(t->flushes);
  free(t->segments);
  if (t->dicts)
    for (uint32_t i = 0; i < t->mpi_size; i++) {
      free(t->dicts[i].names);
      free(t->dicts[i].schemas);
    }
  dict_storage *ds = t->dict_storage;
  if (ds) {
    free(ds->field_names);
    free(ds->field_types);
    free(ds->name_text);
    free(ds);
  }
  free(t->dicts);
  if (t->record_type >= 0)
    H5Tclose(t->record_type);
  if (t->events_dset >= 0)
    H5Dclose(t->events_dset);
  if (t->payload_dset >= 0)
    H5Dclose(t->payload_dset);
  if (t->action_type >= 0)
    H5Tclose(t->action_type);
  if (t->actions_dset >= 0)
    H5Dclose(t->actions_dset);
  if (t->order_dset >= 0)
    H5Dclose(t->order_dset);
  if (t->fid >= 0)
    H5Fclose(t->fid);
  free(t->path);
  memset(t, 0, sizeof *t);
  t->fid = t->events_dset = t->payload_dset = t->record_type = -1;
  t->actions_dset = t->order_dset = t->action_type = -1;
}

/* ---- event records ------------------------------------------------------- */

/* "segment of rank R thread T epoch E: " and the problem. */
static int seg_fail(char *err, size_t cap, const weft__segment_row *s,
                    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int seg_fail(char *err, size_t cap, const weft__segment_row *s,
                    const char *fmt, ...) {
  char prefix[80];
  snprintf(prefix, sizeof prefix,
           "segment of rank %u thread %u epoch %u: ", s->rank, s->thread,
           s->epoch);
  va_list ap;
  va_start(ap, fmt);
  vmessage(err, cap, prefix, fmt, ap);
  va_end(ap);
  return -1;
}

/* A rank's clock onto rank 0's, g(t) = t - o(t), as weft__timeline_invert
 * calls it, with its own hint (a leaf row's two ends are nearly always in
 * one interval). */
typedef struct rank_clock {
  const weft__trace *t;
  uint32_t rank;
  weft__wall_hint h;
} rank_clock;

static int64_t rank_clock_g(void *arg, int64_t ns) {
  rank_clock *c = arg;
  return weft__time_diff(ns, offset_hint(c->t, c->rank, ns, &c->h));
}

/* A job-timeline time of /actions back on rank 0's clock: the inverse of
 * weft__trace_wall_hint's last two steps. */
static int64_t timeline_mono(const weft__trace *t, int64_t wall_ns) {
  return weft__time_add(weft__time_diff(wall_ns, t->timeline_wall_ns),
                        t->timeline_mono_ns);
}

typedef struct leaf_row {
  int64_t start_ns, end_ns, elapsed_ns;
  uint32_t rank;
  uint16_t schema;
  uint8_t status;
} leaf_row;

static leaf_row leaf_row_at(const unsigned char *p) {
  leaf_row l;
  memcpy(&l.start_ns, p + AR_START, 8);
  memcpy(&l.end_ns, p + AR_END, 8);
  memcpy(&l.elapsed_ns, p + AR_ELAPSED, 8);
  memcpy(&l.rank, p + AR_RANK, 4);
  memcpy(&l.schema, p + AR_SCHEMA, 2);
  l.status = p[AR_STATUS];
  return l;
}

/* One segment being read: the buffers of a chunk of items and what the
 * chunks before consumed. */
typedef struct weft__seg_read seg_read;
struct weft__seg_read {
  weft__trace *t;
  const weft__segment_row *s;
  char *err;
  size_t errcap;
  weft_rec *recs;      /* the chunk's /events rows */
  unsigned char *rows; /* its leaf rows, ACTION_ROW bytes each */
  uint32_t *leaf_size; /* payload bytes of each leaf row (its schema's) */
  unsigned char *bits; /* its /order bytes */
  unsigned char *pay;  /* its payloads */
  unsigned char *out;  /* its records, in memory layout */
  size_t pay_cap, out_cap;
  uint64_t events, leaves, poff; /* rows and payload bytes consumed */
  int64_t last; /* last time of the item before (its end, for a leaf) */
  rank_clock clock;
  /* The chunk of items in the buffers, for weft__chunk_where: its first
   * /events row, leaf row and /payload byte, its items and leaf rows. */
  uint64_t ev0, lf0, pat;
  size_t k, nl;
};

/* The start of leaf row `at`, item `item` of the segment, on the rank's
 * clock (docs/format.md section 5): t_first for the first item, otherwise
 * the s >= the end of the item before that the row's times map back to.
 * Either must give back both of the row's times: weft__timeline_invert
 * answers an estimate when nothing fits, which would put a damaged row at
 * a made-up time, and t_first is a separate column that can disagree. */
static int leaf_start(seg_read *r, const leaf_row *l, uint64_t at,
                      uint64_t item, int64_t *out) {
  int64_t start = timeline_mono(r->t, l->start_ns);
  int64_t end = timeline_mono(r->t, l->end_ns), lo = r->last;
  int64_t s = item == 0 ? r->s->t_first
                        : weft__timeline_invert(rank_clock_g, &r->clock, start,
                                                l->elapsed_ns, end, lo);
  if (s >= lo && rank_clock_g(&r->clock, s) == start &&
      rank_clock_g(&r->clock, weft__time_add(s, l->elapsed_ns)) == end) {
    *out = s;
    return 0;
  }
  if (item == 0)
    return seg_fail(r->err, r->errcap, r->s,
                    "'/actions' leaf row %llu (item 0): start_ns %lld and "
                    "end_ns %lld are not the times of its t_first %lld and "
                    "elapsed_ns %lld on rank %u's clock",
                    (unsigned long long)at, (long long)l->start_ns,
                    (long long)l->end_ns, (long long)r->s->t_first,
                    (long long)l->elapsed_ns, r->s->rank);
  return seg_fail(r->err, r->errcap, r->s,
                  "'/actions' leaf row %llu (item %llu): no time of rank %u "
                  "from %lld on maps to its start_ns %lld and, elapsed_ns "
                  "%lld later, to its end_ns %lld",
                  (unsigned long long)at, (unsigned long long)item, r->s->rank,
                  (long long)lo, (long long)l->start_ns,
                  (long long)l->elapsed_ns, (long long)l->end_ns);
}

/* Grow *buf to hold n bytes. */
static int reserve(unsigned char **buf, size_t *cap, size_t n) {
  if (n <= *cap)
    return 0;
  free(*buf);
  *buf = rd_malloc(n);
  *cap = *buf ? n : 0;
  return *buf ? 0 : -1;
}

/* Check leaf row `i` of the chunk (row `at` of /actions) against the
 * segment and the rank's schemas; its payload size into leaf_size[i]. */
static int check_leaf(seg_read *r, size_t i, uint64_t at) {
  const weft__segment_row *s = r->s;
  leaf_row l = leaf_row_at(r->rows + i * ACTION_ROW);
  const weft__schema *sc = dict_schema(&r->t->dicts[s->rank], l.schema);
  if (l.rank != s->rank)
    return seg_fail(r->err, r->errcap, s,
                    "'/actions' leaf row %llu is of rank %u",
                    (unsigned long long)at, l.rank);
  if (l.status != STATUS_SUCCEEDED)
    return seg_fail(r->err, r->errcap, s,
                    "'/actions' leaf row %llu has status %u (a leaf row is "
                    "an action that succeeded)",
                    (unsigned long long)at, l.status);
  if (!sc)
    return seg_fail(r->err, r->errcap, s,
                    "'/actions' leaf row %llu: schema %u is unknown on rank "
                    "%u",
                    (unsigned long long)at, l.schema, s->rank);
  if (sc->kind != WEFT_REC_START)
    return seg_fail(r->err, r->errcap, s,
                    "'/actions' leaf row %llu: schema %u is not an action "
                    "start",
                    (unsigned long long)at, l.schema);
  if (!sc->fixed_size)
    return seg_fail(r->err, r->errcap, s,
                    "'/actions' leaf row %llu: schema %u has a string or "
                    "array field (a leaf row's start has a fixed size)",
                    (unsigned long long)at, l.schema);
  r->leaf_size[i] = sc->payload_size;
  return 0;
}

/* Copy the n payload bytes at src after the header at dst.  Most payloads
 * are a field or two: copies of a constant size are inlined, which halves
 * the cost of the loop below.  src is NULL when no item of the chunk has a
 * payload. */
static inline void copy_payload(unsigned char *dst, const unsigned char *src,
                                size_t n) {
  if (n == 8)
    memcpy(dst, src, 8);
  else if (n == 16)
    memcpy(dst, src, 16);
  else if (n)
    memcpy(dst, src, n);
}

/* One item of the chunk in the buffers of r, in the order of its /order
 * bits: an /events row or a leaf row of /actions. */
typedef struct chunk_item {
  int leaf;
  uint64_t row;    /* of /events, or of /actions for a leaf row */
  uint32_t schema; /* as its row has it */
  uint32_t size;   /* payload bytes (a leaf row's: its schema's) */
} chunk_item;

/* Item j of the chunk, given the items before it: *ie /events rows and
 * *il leaf rows, which it advances. */
static chunk_item chunk_item_next(const seg_read *r, size_t j, size_t *ie,
                                  size_t *il) {
  chunk_item it = {0};
  it.leaf = r->nl && ((r->bits[j >> 3] >> (j & 7)) & 1);
  if (it.leaf) {
    it.row = r->lf0 + *il;
    it.schema = leaf_row_at(r->rows + *il * ACTION_ROW).schema;
    it.size = r->leaf_size[(*il)++];
  } else {
    it.row = r->ev0 + *ie;
    it.schema = r->recs[*ie].schema;
    it.size = r->recs[(*ie)++].size;
  }
  return it;
}

/* "'/events' row N (schema S, '/payload' bytes A..B)" for an item whose
 * payload starts at '/payload' byte pat. */
static void item_text(const chunk_item *it, uint64_t pat, char *buf,
                      size_t cap) {
  int n = snprintf(buf, cap, "%s row %llu (schema %u, ",
                   it->leaf ? "'/actions' leaf" : "'/events'",
                   (unsigned long long)it->row, it->schema);
  if (n < 0 || (size_t)n >= cap)
    return;
  if (it->size)
    snprintf(buf + n, cap - (size_t)n, "'/payload' bytes %llu..%llu)",
             (unsigned long long)pat, (unsigned long long)(pat + it->size));
  else
    snprintf(buf + n, cap - (size_t)n, "no payload)");
}

/* The chunk's rows ask for more payload bytes than the segment has left:
 * name the first item whose payload runs past them (walked again here, on
 * the error, rather than checked per item on the way). */
static int sizes_exceed(const seg_read *r) {
  const weft__segment_row *s = r->s;
  uint64_t left = s->payload_bytes - r->poff, used = 0;
  size_t ie = 0, il = 0;
  for (size_t j = 0; j < r->k; j++) {
    chunk_item it = chunk_item_next(r, j, &ie, &il);
    uint64_t n = WEFT_REC_PAD((uint64_t)it.size);
    if (n > left - used) {
      char what[160];
      item_text(&it, r->pat + used, what, sizeof what);
      return seg_fail(r->err, r->errcap, s,
                      "record sizes exceed its %llu payload bytes ('/payload' "
                      "bytes %llu..%llu): %s runs past them",
                      (unsigned long long)s->payload_bytes,
                      (unsigned long long)s->payload_start,
                      (unsigned long long)(s->payload_start + s->payload_bytes),
                      what);
    }
    used += n;
  }
  /* not reached: the items' sizes add up to more than left */
  return seg_fail(r->err, r->errcap, s,
                  "record sizes exceed its %llu payload bytes",
                  (unsigned long long)s->payload_bytes);
}

int weft__chunk_where(const weft__chunk *c, size_t off, char *buf, size_t cap) {
  const seg_read *r = c->from;
  const weft__segment_row *s = r->s;
  int n = snprintf(buf, cap, "segment of rank %u thread %u epoch %u: ", s->rank,
                   s->thread, s->epoch);
  if (n < 0 || (size_t)n >= cap)
    return -1;
  buf += n;
  cap -= (size_t)n;
  size_t at = 0, ie = 0, il = 0;
  uint64_t pay = r->pat;
  for (size_t j = 0; j < r->k && at <= off; j++) {
    chunk_item it = chunk_item_next(r, j, &ie, &il);
    if (at == off) {
      item_text(&it, pay, buf, cap);
      return 0;
    }
    size_t p = WEFT_REC_PAD((size_t)it.size);
    at += sizeof(weft_rec) + p + (it.leaf ? 8 : 0); /* a leaf: its end */
    pay += p;
  }
  snprintf(buf, cap,
           "no record at byte %zu of the chunk from '/events' row %llu "
           "and '/actions' leaf row %llu",
           off, (unsigned long long)r->ev0, (unsigned long long)r->lf0);
  return -1;
}

/* Items [done, done + k) of the segment: read their rows, bits and
 * payloads, and hand them to fn as records. */
static int read_items(seg_read *r, uint64_t done, size_t k, weft__chunk_fn fn,
                      void *arg) {
  weft__trace *t = r->t;
  const weft__segment_row *s = r->s;
  size_t nl = 0;
  if (s->leaf_count) {
    /* done is a multiple of 8: the chunk's bits start on a byte */
    size_t nb = (k + 7) / 8;
    uint64_t at = s->order_start + done / 8;
    if (read_rows(t->order_dset, H5T_NATIVE_UINT8, at, nb, r->bits))
      return seg_fail(r->err, r->errcap, s,
                      "cannot read '/order' bytes %llu..%llu (%s)",
                      (unsigned long long)at, (unsigned long long)(at + nb),
                      read_failure());
    if (k % 8 && r->bits[nb - 1] >> (k % 8))
      return seg_fail(r->err, r->errcap, s,
                      "'/order' byte %llu has bits set past the segment's "
                      "%llu items",
                      (unsigned long long)(at + nb - 1),
                      (unsigned long long)(s->event_count + s->leaf_count));
    for (size_t i = 0; i < nb; i++)
      nl += (size_t)__builtin_popcount(r->bits[i]);
  }
  size_t ne = k - nl;
  if (ne > s->event_count - r->events || nl > s->leaf_count - r->leaves)
    return seg_fail(
        r->err, r->errcap, s,
        "its '/order' bits (from byte %llu) mark %llu of its "
        "first %llu items as leaf rows, but it has %llu events "
        "and %llu leaf rows",
        (unsigned long long)s->order_start,
        (unsigned long long)(r->leaves + nl), (unsigned long long)(done + k),
        (unsigned long long)s->event_count, (unsigned long long)s->leaf_count);
  uint64_t ev0 = s->event_start + r->events, lf0 = s->leaf_start + r->leaves;
  if (read_rows(t->events_dset, t->record_type, ev0, ne, r->recs))
    return seg_fail(r->err, r->errcap, s,
                    "cannot read '/events' rows %llu..%llu (%s)",
                    (unsigned long long)ev0, (unsigned long long)(ev0 + ne),
                    read_failure());
  if (nl && read_rows(t->actions_dset, t->action_type, lf0, nl, r->rows))
    return seg_fail(r->err, r->errcap, s,
                    "cannot read '/actions' rows %llu..%llu (%s)",
                    (unsigned long long)lf0, (unsigned long long)(lf0 + nl),
                    read_failure());
  uint64_t need = 0;
  for (size_t i = 0; i < ne; i++)
    need += WEFT_REC_PAD((uint64_t)r->recs[i].size);
  for (size_t i = 0; i < nl; i++) {
    if (check_leaf(r, i, lf0 + i))
      return -1;
    need += WEFT_REC_PAD((uint64_t)r->leaf_size[i]);
  }
  uint64_t pat = s->payload_start + r->poff;
  r->ev0 = ev0;
  r->lf0 = lf0;
  r->pat = pat;
  r->k = k;
  r->nl = nl;
  if (need > s->payload_bytes - r->poff)
    return sizes_exceed(r);
  if (reserve(&r->pay, &r->pay_cap, (size_t)need))
    return seg_fail(r->err, r->errcap, s, "out of memory");
  if (need && read_rows(t->payload_dset, H5T_NATIVE_UINT8, pat, need, r->pay))
    return seg_fail(r->err, r->errcap, s,
                    "cannot read '/payload' bytes %llu..%llu (%s)",
                    (unsigned long long)pat, (unsigned long long)(pat + need),
                    read_failure());
  /* A leaf row becomes a leaf record: 8 more bytes, its end time. */
  size_t total = ne * sizeof(weft_rec) + nl * (sizeof(weft_rec) + 8) + need;
  if (reserve(&r->out, &r->out_cap, total))
    return seg_fail(r->err, r->errcap, s, "out of memory");
  unsigned char *o = r->out;
  const unsigned char *p = r->pay;
  size_t ie = 0, il = 0;
  for (size_t j = 0; j < k; j++) {
    if (!nl || !((r->bits[j >> 3] >> (j & 7)) & 1)) {
      const weft_rec *h = &r->recs[ie++];
      size_t n = WEFT_REC_PAD((size_t)h->size);
      memcpy(o, h, sizeof *h);
      copy_payload(o + sizeof *h, p, n);
      r->last = h->t;
      if ((h->schema & WEFT_REC_LEAF) && h->size >= 8) /* its end time */
        memcpy(&r->last, p + WEFT_REC_PAD((size_t)h->size - 8), 8);
      o += sizeof *h + n;
      p += n;
      continue;
    }
    /* A leaf row: a START at its time on the rank's clock (section 5 of
     * docs/format.md), its payload, and its end elapsed_ns later. */
    leaf_row l = leaf_row_at(r->rows + il * ACTION_ROW);
    int64_t start = 0; /* set by leaf_start when it returns 0 */
    if (leaf_start(r, &l, lf0 + il, done + j, &start))
      return -1;
    size_t ps = r->leaf_size[il++], n = WEFT_REC_PAD(ps);
    int64_t end = weft__time_add(start, l.elapsed_ns);
    weft_rec h = {.t = start,
                  .schema = (uint32_t)l.schema | WEFT_REC_LEAF,
                  .size = (uint32_t)ps + 8};
    memcpy(o, &h, sizeof h);
    copy_payload(o + sizeof h, p, n);
    memcpy(o + sizeof h + n, &end, 8);
    r->last = end;
    o += sizeof h + n + 8;
    p += n;
  }
  r->events += ne;
  r->leaves += nl;
  r->poff += need;
  weft__chunk c = {.data = r->out, .len = total, .from = r};
  return fn(arg, &c);
}

int weft__trace_read_segment(weft__trace *t, const weft__segment_row *s,
                             size_t chunk, weft__chunk_fn fn, void *arg,
                             char *err, size_t errcap) {
  seg_read r = {.t = t,
                .s = s,
                .err = err,
                .errcap = errcap,
                .last = s->t_first,
                .clock = {.t = t, .rank = s->rank}};
  ran_out = 0;
  if (hdf5_watch(1)) {
    fail(err, errcap, "out of memory");
    return WEFT__TRACE_ENOMEM;
  }
  /* Items per chunk: a multiple of 8, so that each chunk's /order bits
   * start on a byte. */
  uint64_t items = s->event_count + s->leaf_count;
  size_t batch = (chunk / 64) & ~(size_t)7;
  if (batch < 8)
    batch = 8;
  size_t n = items < batch ? (size_t)items : batch;
  if (!n)
    n = 1;
  int rc = -1;
  r.recs = rd_malloc(n * sizeof *r.recs);
  if (s->leaf_count) {
    r.rows = rd_malloc(n * ACTION_ROW);
    r.leaf_size = rd_malloc(n * sizeof *r.leaf_size);
    r.bits = rd_malloc((n + 7) / 8);
  }
  if (!r.recs || (s->leaf_count && (!r.rows || !r.leaf_size || !r.bits))) {
    fail(err, errcap, "out of memory");
    goto out;
  }
  for (uint64_t done = 0; done < items;) {
    size_t k = items - done < batch ? (size_t)(items - done) : batch;
    if ((rc = read_items(&r, done, k, fn, arg)) != 0)
      goto out;
    rc = -1;
    done += k;
  }
  if (r.poff != s->payload_bytes) {
    seg_fail(err, errcap, s,
             "records use %llu of its %llu payload bytes ('/payload' bytes "
             "%llu..%llu unused)",
             (unsigned long long)r.poff, (unsigned long long)s->payload_bytes,
             (unsigned long long)(s->payload_start + r.poff),
             (unsigned long long)(s->payload_start + s->payload_bytes));
    goto out;
  }
  rc = 0;
out:
  free(r.recs);
  free(r.rows);
  free(r.leaf_size);
  free(r.bits);
  free(r.pay);
  free(r.out);
  hdf5_watch(0);
  /* Not a callback's own code: fn is called only with memory in hand. */
  return rc == -1 && ran_out ? WEFT__TRACE_ENOMEM : rc;
}
