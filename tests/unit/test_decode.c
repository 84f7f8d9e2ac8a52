/*
 * test_decode.c - the stream decoder and the payload decoder, on record
 * streams written byte by byte here (record.h is the reference), with a
 * dictionary of test-local schemas.  Nothing here goes through the encoder,
 * so a decoder bug cannot be hidden by a matching encoder bug.
 *
 * Every malformed stream must give WEFT_EFORMAT naming the byte offset,
 * and never read out of bounds (run under ASan in the sanitizer build).
 */
/* cmocka needs these before its header, in this order. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include "decode.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- a test-local dictionary --------------------------------------------- */

enum {
  N_PARENT = 1,
  N_CHILD,
  N_INFO,
  N_X,
  N_LOAD,
  N_PATH,
  N_FLAG,
  N_ROWS,
  N_RESULT,
  N_DATA,
  N_HOST,
  N_ARR,
  N_BOOLS,
  N_WEIRD,
  N_COUNT
};

static const char *const names[N_COUNT] = {
    [N_PARENT] = "parent", [N_CHILD] = "child", [N_INFO] = "info",
    [N_X] = "x",           [N_LOAD] = "load",   [N_PATH] = "path",
    [N_FLAG] = "flag",     [N_ROWS] = "rows",   [N_RESULT] = "result",
    [N_DATA] = "data",     [N_HOST] = "host",   [N_ARR] = "arr",
    [N_BOOLS] = "bools",   [N_WEIRD] = "weird",
};

enum {
  S_PARENT = 16, /* START parent {} */
  S_INFO,        /* MESSAGE info {x: i64} */
  S_CHILD,       /* START child {} */
  S_LOAD,        /* START load {path: str, flag: bool} */
  S_ADD_ROWS,    /* ADD {rows: i64} */
  S_ADD_BOTH,    /* ADD {result: i64, rows: i64} */
  S_ARR_F64,     /* MESSAGE arr {data: f64 array} */
  S_ARR_I64,     /* MESSAGE arr {data: i64 array} */
  S_GLOBALS,     /* GLOBALS {host: str} */
  S_BOOLS,       /* MESSAGE bools {flag: bool} */
  S_BAD_TYPE,    /* MESSAGE weird {x: type 9} */
  S_BAD_KIND,    /* kind SUCCESS as a user schema */
  S_BAD_NAME,    /* MESSAGE with type name id 999 */
  S_BAD_FIELD,   /* MESSAGE info {name id 999: i64} */
  S_END
};

static const uint32_t nm_x[] = {N_X};
static const uint8_t ty_i64[] = {WEFT_TYPE_I64};
static const uint32_t nm_load[] = {N_PATH, N_FLAG};
static const uint8_t ty_load[] = {WEFT_TYPE_STR, WEFT_TYPE_BOOL};
static const uint32_t nm_rows[] = {N_ROWS};
static const uint32_t nm_both[] = {N_RESULT, N_ROWS};
static const uint8_t ty_both[] = {WEFT_TYPE_I64, WEFT_TYPE_I64};
static const uint32_t nm_data[] = {N_DATA};
static const uint8_t ty_af64[] = {WEFT_TYPE_F64_ARRAY};
static const uint8_t ty_ai64[] = {WEFT_TYPE_I64_ARRAY};
static const uint32_t nm_host[] = {N_HOST};
static const uint8_t ty_str[] = {WEFT_TYPE_STR};
static const uint32_t nm_flag[] = {N_FLAG};
static const uint8_t ty_bool[] = {WEFT_TYPE_BOOL};
static const uint8_t ty_bad[] = {9};
static const uint32_t nm_bad[] = {999};

#define SCHEMA(id_, kind_, fixed_, n_, type_, size_, nm_, ty_)                 \
  [id_] = {.id = id_,                                                          \
           .kind = kind_,                                                      \
           .fixed_size = fixed_,                                               \
           .nfields = n_,                                                      \
           .type_name = type_,                                                 \
           .payload_size = size_,                                              \
           .names = nm_,                                                       \
           .types = ty_}

static const weft__schema schemas[S_END] = {
    SCHEMA(S_PARENT, WEFT_REC_START, 1, 0, N_PARENT, 0, NULL, NULL),
    SCHEMA(S_INFO, WEFT_REC_MESSAGE, 1, 1, N_INFO, 8, nm_x, ty_i64),
    SCHEMA(S_CHILD, WEFT_REC_START, 1, 0, N_CHILD, 0, NULL, NULL),
    SCHEMA(S_LOAD, WEFT_REC_START, 0, 2, N_LOAD, 0, nm_load, ty_load),
    SCHEMA(S_ADD_ROWS, WEFT_REC_ADD, 1, 1, 0, 8, nm_rows, ty_i64),
    SCHEMA(S_ADD_BOTH, WEFT_REC_ADD, 1, 2, 0, 16, nm_both, ty_both),
    SCHEMA(S_ARR_F64, WEFT_REC_MESSAGE, 0, 1, N_ARR, 0, nm_data, ty_af64),
    SCHEMA(S_ARR_I64, WEFT_REC_MESSAGE, 0, 1, N_ARR, 0, nm_data, ty_ai64),
    SCHEMA(S_GLOBALS, WEFT_REC_GLOBALS, 0, 1, 0, 0, nm_host, ty_str),
    SCHEMA(S_BOOLS, WEFT_REC_MESSAGE, 1, 1, N_BOOLS, 1, nm_flag, ty_bool),
    SCHEMA(S_BAD_TYPE, WEFT_REC_MESSAGE, 0, 1, N_WEIRD, 0, nm_x, ty_bad),
    SCHEMA(S_BAD_KIND, WEFT_REC_SUCCESS, 1, 0, 0, 0, NULL, NULL),
    SCHEMA(S_BAD_NAME, WEFT_REC_MESSAGE, 1, 0, 999, 0, NULL, NULL),
    SCHEMA(S_BAD_FIELD, WEFT_REC_MESSAGE, 1, 1, N_INFO, 8, nm_bad, ty_i64),
};

static const weft__schema *test_schema(void *arg, uint32_t id) {
  (void)arg;
  return id >= WEFT_SCHEMA_FIRST_USER && id < S_END ? &schemas[id] : NULL;
}

static const char *test_name(void *arg, uint32_t id) {
  (void)arg;
  return id > 0 && id < N_COUNT ? names[id] : NULL;
}

static const weft__dict dict = {test_schema, test_name, NULL};

/* ---- writing records by hand --------------------------------------------- */

typedef struct buf {
  unsigned char *b;
  size_t n, cap;
  size_t hdr; /* offset of the record being written */
} buf;

static void put(buf *w, const void *p, size_t n) {
  if (n == 0)
    return;
  if (w->n + n > w->cap) {
    w->cap = (w->n + n) * 2 + 256;
    w->b = realloc(w->b, w->cap);
    assert_non_null(w->b);
  }
  memcpy(w->b + w->n, p, n);
  w->n += n;
}

static void put_u8(buf *w, uint8_t v) { put(w, &v, 1); }
static void put_u32(buf *w, uint32_t v) { put(w, &v, 4); }
static void put_u64(buf *w, uint64_t v) { put(w, &v, 8); }
static void put_i64(buf *w, int64_t v) { put(w, &v, 8); }
static void put_f64(buf *w, double v) { put(w, &v, 8); }

static void put_str(buf *w, const char *s, uint32_t len, uint32_t orig) {
  put_u32(w, len);
  put_u32(w, orig);
  put(w, s, len);
}

/* Start a record; rec_end fills in its size and pads it. */
static void rec_begin(buf *w, int64_t t, uint32_t schema) {
  w->hdr = w->n;
  put_i64(w, t);
  put_u32(w, schema);
  put_u32(w, 0);
}

static void rec_end(buf *w) {
  uint32_t size = (uint32_t)(w->n - w->hdr - 16);
  memcpy(w->b + w->hdr + 12, &size, 4);
  while (w->n % 8 != 0)
    put_u8(w, 0);
}

static void r_task(buf *w, int64_t t, uint64_t hi, uint64_t lo) {
  rec_begin(w, t, WEFT_SCHEMA_TASK);
  put_u64(w, hi);
  put_u64(w, lo);
  rec_end(w);
}

static void r_start(buf *w, int64_t t, uint32_t schema) {
  rec_begin(w, t, schema);
  rec_end(w);
}

static void r_info(buf *w, int64_t t, int64_t x) {
  rec_begin(w, t, S_INFO);
  put_i64(w, x);
  rec_end(w);
}

static void r_success(buf *w, int64_t t) {
  rec_begin(w, t, WEFT_SCHEMA_SUCCESS);
  rec_end(w);
}

static void r_failure(buf *w, int64_t t, int64_t code, const char *reason) {
  rec_begin(w, t, WEFT_SCHEMA_FAILURE);
  put_i64(w, code);
  put_str(w, reason, (uint32_t)strlen(reason), (uint32_t)strlen(reason));
  rec_end(w);
}

static void r_serialize(buf *w, int64_t t) {
  rec_begin(w, t, WEFT_SCHEMA_SERIALIZE);
  rec_end(w);
}

static void r_continue(buf *w, int64_t t, uint64_t hi, uint64_t lo,
                       const uint32_t *level, uint32_t n) {
  rec_begin(w, t, WEFT_SCHEMA_CONTINUE);
  put_u64(w, hi);
  put_u64(w, lo);
  put_u32(w, n);
  for (uint32_t i = 0; i < n; i++)
    put_u32(w, level[i]);
  rec_end(w);
}

static void r_add_rows(buf *w, int64_t t, int64_t rows) {
  rec_begin(w, t, S_ADD_ROWS);
  put_i64(w, rows);
  rec_end(w);
}

/* Eliot's worked example, task (7, 9), starting at time 100. */
static void worked_example(buf *w) {
  r_task(w, 100, 7, 9);
  r_start(w, 100, S_PARENT);
  r_info(w, 200, 1);
  r_start(w, 300, S_CHILD);
  r_info(w, 400, 2);
  r_success(w, 550);
  r_failure(w, 1000, 5, "ono");
}

/* ---- collecting events --------------------------------------------------- */

typedef struct seen {
  weft_kind kind;
  char type[32];
  char level[64];
  uint32_t level_path[16];
  size_t level_len;
  uint64_t task_hi, task_lo;
  int64_t t, wall, elapsed;
  uint32_t thread;
  char reason[32];
  int has_reason;
  int64_t code;
  size_t nfields;
  char fields[160]; /* "name=value name=value" */
} seen;

typedef struct sink {
  seen *ev;
  size_t n, cap;
  size_t nglobals;
  char globals[64];
  int stop_at; /* return 42 at this event (1-based); 0: never */
} sink;

static void value_text(const weft_value *v, char *out, size_t cap) {
  switch (v->type) {
  case WEFT_TYPE_I64:
    snprintf(out, cap, "%s=%" PRId64, v->name, v->v.i64);
    break;
  case WEFT_TYPE_U64:
    snprintf(out, cap, "%s=%" PRIu64 "u", v->name, v->v.u64);
    break;
  case WEFT_TYPE_F64:
    snprintf(out, cap, "%s=%g", v->name, v->v.f64);
    break;
  case WEFT_TYPE_BOOL:
    snprintf(out, cap, "%s=%s", v->name, v->v.b ? "true" : "false");
    break;
  case WEFT_TYPE_STR:
    snprintf(out, cap, "%s='%s'/%zu/%zu", v->name, v->v.str.ptr, v->v.str.len,
             v->v.str.original_len);
    break;
  default:
    snprintf(out, cap, "%s=array", v->name);
    break;
  }
}

static int collect(void *arg, uint64_t stream, const weft_event *ev) {
  sink *s = arg;
  if (s->n == s->cap) {
    s->cap = s->cap ? s->cap * 2 : 64;
    s->ev = realloc(s->ev, s->cap * sizeof *s->ev);
    assert_non_null(s->ev);
  }
  seen *e = &s->ev[s->n++];
  memset(e, 0, sizeof *e);
  e->kind = ev->kind;
  snprintf(e->type, sizeof e->type, "%s", ev->type);
  snprintf(e->level, sizeof e->level, "%s", ev->level_str);
  /* level and level_str must agree */
  char again[64] = "";
  for (size_t i = 0; i < ev->level_len; i++) {
    size_t k = strlen(again);
    snprintf(again + k, sizeof again - k, "/%" PRIu32, ev->level[i]);
    if (i < 16)
      e->level_path[i] = ev->level[i];
  }
  assert_string_equal(again, ev->level_str);
  e->level_len = ev->level_len;
  e->task_hi = ev->task_hi;
  e->task_lo = ev->task_lo;
  e->t = ev->t_ns;
  e->wall = ev->wall_ns;
  e->elapsed = ev->elapsed_ns;
  e->thread = ev->thread;
  assert_int_equal(ev->thread, (uint32_t)stream);
  if (ev->reason != NULL) {
    e->has_reason = 1;
    snprintf(e->reason, sizeof e->reason, "%s", ev->reason);
  }
  e->code = ev->code;
  e->nfields = ev->nfields;
  for (size_t i = 0; i < ev->nfields; i++) {
    char one[96];
    value_text(&ev->fields[i], one, sizeof one);
    size_t k = strlen(e->fields);
    snprintf(e->fields + k, sizeof e->fields - k, "%s%s", i ? " " : "", one);
  }
  return s->stop_at != 0 && (size_t)s->stop_at == s->n ? 42 : 0;
}

static int collect_globals(void *arg, uint64_t stream, const weft_value *v,
                           size_t n) {
  sink *s = arg;
  (void)stream;
  s->nglobals += n;
  if (n > 0)
    value_text(&v[0], s->globals, sizeof s->globals);
  return 0;
}

static int feed(weft__decoder *d, uint64_t stream, const buf *w, sink *s) {
  return weft__decoder_feed(d, stream, w->b, w->n, collect, collect_globals, s);
}

static weft__decoder *decoder(void) {
  weft__decoder *d = NULL;
  assert_int_equal(weft__decoder_new(&d, dict), WEFT_OK);
  assert_non_null(d);
  return d;
}

/* Decode w on a fresh decoder as stream 0; returns the result code. */
static int decode_all(const buf *w, sink *s) {
  weft__decoder *d = decoder();
  int rc = feed(d, 0, w, s);
  weft__decoder_free(d);
  return rc;
}

static void sink_free(sink *s) { free(s->ev); }

static void check(const seen *e, weft_kind kind, const char *type,
                  const char *level) {
  if (e->kind != kind || strcmp(e->type, type) != 0 ||
      strcmp(e->level, level) != 0) {
    print_error("got kind %d %s %s, expected kind %d %s %s\n", (int)e->kind,
                e->type, e->level, (int)kind, type, level);
    fail();
  }
}

/* ---- well-formed streams ------------------------------------------------- */

static void test_eliot_worked_example(void **state) {
  (void)state;
  buf w = {0};
  sink s = {0};
  worked_example(&w);
  assert_int_equal(decode_all(&w, &s), WEFT_OK);
  assert_int_equal(s.n, 6);
  check(&s.ev[0], WEFT_KIND_START, "parent", "/1");
  check(&s.ev[1], WEFT_KIND_MESSAGE, "info", "/2");
  check(&s.ev[2], WEFT_KIND_START, "child", "/3/1");
  check(&s.ev[3], WEFT_KIND_MESSAGE, "info", "/3/2");
  check(&s.ev[4], WEFT_KIND_SUCCESS, "child", "/3/3");
  check(&s.ev[5], WEFT_KIND_FAILURE, "parent", "/4");
  assert_int_equal(s.ev[2].level_len, 2);
  assert_int_equal(s.ev[2].level_path[0], 3);
  assert_int_equal(s.ev[2].level_path[1], 1);
  assert_string_equal(s.ev[1].fields, "x=1");
  assert_string_equal(s.ev[3].fields, "x=2");
  for (size_t i = 0; i < 6; i++) {
    assert_int_equal(s.ev[i].task_hi, 7);
    assert_int_equal(s.ev[i].task_lo, 9);
    assert_int_equal(s.ev[i].wall, 0); /* no wall clock for a file dict */
  }
  assert_int_equal(s.ev[4].elapsed, 250);
  assert_int_equal(s.ev[5].elapsed, 900);
  assert_int_equal(s.ev[0].elapsed, 0);
  assert_int_equal(s.ev[5].t, 1000);
  assert_true(s.ev[5].has_reason);
  assert_string_equal(s.ev[5].reason, "ono");
  assert_int_equal(s.ev[5].code, 5);
  assert_false(s.ev[4].has_reason);
  free(w.b);
  sink_free(&s);
}

static void test_standalone_messages(void **state) {
  (void)state;
  buf w = {0};
  sink s = {0};
  r_task(&w, 1, 0, 1);
  r_info(&w, 2, 10);
  r_task(&w, 3, 0, 2);
  r_info(&w, 4, 20);
  assert_int_equal(decode_all(&w, &s), WEFT_OK);
  assert_int_equal(s.n, 2);
  check(&s.ev[0], WEFT_KIND_MESSAGE, "info", "/1");
  check(&s.ev[1], WEFT_KIND_MESSAGE, "info", "/1");
  assert_int_equal(s.ev[0].task_lo, 1);
  assert_int_equal(s.ev[1].task_lo, 2);
  free(w.b);
  sink_free(&s);
}

static void test_string_and_bool_fields(void **state) {
  (void)state;
  buf w = {0};
  sink s = {0};
  r_task(&w, 1, 0, 1);
  rec_begin(&w, 2, S_LOAD);
  put_str(&w, "a/b\xc3\xa9\xe2\x82\xac\xf0\x9d\x84\x9e", 12, 12);
  put_u8(&w, 1);
  rec_end(&w);
  rec_begin(&w, 3, S_BOOLS);
  put_u8(&w, 0);
  rec_end(&w);
  rec_begin(&w, 4, S_LOAD); /* cut string: 3 of 10 bytes kept */
  put_str(&w, "abc", 3, 10);
  put_u8(&w, 0);
  rec_end(&w);
  r_success(&w, 5);
  r_success(&w, 6);
  assert_int_equal(decode_all(&w, &s), WEFT_OK);
  assert_int_equal(s.n, 5);
  check(&s.ev[0], WEFT_KIND_START, "load", "/1");
  assert_string_equal(s.ev[0].fields, "path='a/b\xc3\xa9\xe2\x82\xac\xf0\x9d"
                                      "\x84\x9e'/12/12 flag=true");
  check(&s.ev[1], WEFT_KIND_MESSAGE, "bools", "/2");
  assert_string_equal(s.ev[1].fields, "flag=false");
  check(&s.ev[2], WEFT_KIND_START, "load", "/3/1");
  assert_string_equal(s.ev[2].fields, "path='abc'/3/10 flag=false");
  check(&s.ev[3], WEFT_KIND_SUCCESS, "load", "/3/2");
  check(&s.ev[4], WEFT_KIND_SUCCESS, "load", "/4");
  free(w.b);
  sink_free(&s);
}

/* Write an array message: shape, stats and kept values as given. */
static void r_array(buf *w, uint32_t schema, uint32_t ndim,
                    const uint64_t *shape, uint64_t count, uint64_t nans,
                    double mean, const void *minmax, uint32_t kept,
                    const void *vals) {
  rec_begin(w, 5, schema);
  put_u32(w, ndim);
  put_u32(w, kept);
  for (uint32_t i = 0; i < ndim; i++)
    put_u64(w, shape[i]);
  put_u64(w, count);
  put_u64(w, nans);
  put_f64(w, mean);
  put(w, minmax, 16);
  put(w, vals, (size_t)kept * 8);
  rec_end(w);
}

/* Arrays: shape, count, NaN count, mean, min, max and kept values come back
 * exactly; int64 extrema become doubles; an empty int64 array has NaN
 * extrema. */
static int check_arrays_cb(void *arg, uint64_t stream, const weft_event *ev) {
  int *i = arg;
  (void)stream;
  if (ev->kind != WEFT_KIND_MESSAGE)
    return 0;
  assert_int_equal(ev->nfields, 1);
  const weft_value *v = weft_event_field(ev, "data");
  assert_non_null(v);
  assert_ptr_equal(v, &ev->fields[0]);
  assert_null(weft_event_field(ev, "nope"));
  if (*i == 0) {
    const double *d = v->v.arr.values;
    assert_int_equal(v->type, WEFT_TYPE_F64_ARRAY);
    assert_int_equal(v->v.arr.ndim, 2);
    assert_int_equal(v->v.arr.shape[0], 2);
    assert_int_equal(v->v.arr.shape[1], 3);
    assert_int_equal(v->v.arr.count, 6);
    assert_int_equal(v->v.arr.nan_count, 1);
    assert_int_equal(v->v.arr.kept, 4);
    assert_true(v->v.arr.min == -1.5 && v->v.arr.max == 8.0);
    assert_true(v->v.arr.mean == 2.5);
    assert_true(d[0] == 1.0 && isnan(d[1]) && d[2] == -1.5 && isinf(d[3]));
    assert_int_equal((uintptr_t)d % 8, 0);
  } else if (*i == 1) {
    const int64_t *x = v->v.arr.values;
    assert_int_equal(v->type, WEFT_TYPE_I64_ARRAY);
    assert_int_equal(v->v.arr.ndim, 1);
    assert_int_equal(v->v.arr.count, 3);
    assert_int_equal(v->v.arr.kept, 3);
    assert_true(v->v.arr.min == -7.0 && v->v.arr.max == 9.0);
    assert_true(x[0] == -7 && x[1] == 9 && x[2] == 0);
  } else {
    assert_int_equal(v->type, WEFT_TYPE_I64_ARRAY);
    assert_int_equal(v->v.arr.ndim, 3);
    assert_int_equal(v->v.arr.shape[1], 0);
    assert_int_equal(v->v.arr.count, 0);
    assert_int_equal(v->v.arr.kept, 0);
    assert_true(isnan(v->v.arr.min) && isnan(v->v.arr.max));
  }
  (*i)++;
  return 0;
}

static void test_array_fields(void **state) {
  (void)state;
  buf w = {0};
  uint64_t shape23[] = {2, 3}, shape3[] = {3}, shape_empty[] = {4, 0, 5};
  double mm_f[] = {-1.5, 8.0}, vals_f[] = {1.0, NAN, -1.5, INFINITY};
  int64_t mm_i[] = {-7, 9}, vals_i[] = {-7, 9, 0}, mm_zero[] = {0, 0};
  r_task(&w, 1, 0, 1);
  r_start(&w, 2, S_PARENT);
  r_array(&w, S_ARR_F64, 2, shape23, 6, 1, 2.5, mm_f, 4, vals_f);
  r_array(&w, S_ARR_I64, 1, shape3, 3, 0, 2.0 / 3, mm_i, 3, vals_i);
  r_array(&w, S_ARR_I64, 3, shape_empty, 0, 0, NAN, mm_zero, 0, NULL);
  r_success(&w, 9);
  weft__decoder *d = decoder();
  int seen_arrays = 0;
  assert_int_equal(
      weft__decoder_feed(d, 0, w.b, w.n, check_arrays_cb, NULL, &seen_arrays),
      WEFT_OK);
  assert_int_equal(seen_arrays, 3);
  weft__decoder_free(d);
  free(w.b);
}

static void test_success_fields(void **state) {
  (void)state;
  buf w = {0};
  sink s = {0};
  r_task(&w, 1, 0, 1);
  r_start(&w, 2, S_PARENT);
  r_add_rows(&w, 3, 1);
  r_start(&w, 4, S_CHILD);
  r_add_rows(&w, 5, 99); /* the child's, not the parent's */
  r_success(&w, 6);
  rec_begin(&w, 7, S_ADD_BOTH); /* result=5 rows=2: rows replaced */
  put_i64(&w, 5);
  put_i64(&w, 2);
  rec_end(&w);
  r_start(&w, 8, S_CHILD); /* a child without success fields */
  r_failure(&w, 9, 0, "");
  r_success(&w, 10);
  assert_int_equal(decode_all(&w, &s), WEFT_OK);
  assert_int_equal(s.n, 6);
  check(&s.ev[0], WEFT_KIND_START, "parent", "/1");
  assert_int_equal(s.ev[0].nfields, 0);
  check(&s.ev[2], WEFT_KIND_SUCCESS, "child", "/2/2");
  assert_string_equal(s.ev[2].fields, "rows=99");
  check(&s.ev[4], WEFT_KIND_FAILURE, "child", "/3/2");
  assert_int_equal(s.ev[4].nfields, 0);
  assert_false(s.ev[4].has_reason); /* an empty reason is "no reason" */
  check(&s.ev[5], WEFT_KIND_SUCCESS, "parent", "/4");
  assert_string_equal(s.ev[5].fields, "rows=2 result=5");
  free(w.b);
  sink_free(&s);
}

static void test_serialize_takes_a_slot(void **state) {
  (void)state;
  buf w = {0};
  sink s = {0};
  r_task(&w, 1, 0, 1);
  r_start(&w, 2, S_PARENT);
  r_serialize(&w, 3);
  r_info(&w, 4, 1);
  r_serialize(&w, 5);
  r_serialize(&w, 6);
  r_success(&w, 7);
  assert_int_equal(decode_all(&w, &s), WEFT_OK);
  assert_int_equal(s.n, 3);
  check(&s.ev[0], WEFT_KIND_START, "parent", "/1");
  check(&s.ev[1], WEFT_KIND_MESSAGE, "info", "/3");
  check(&s.ev[2], WEFT_KIND_SUCCESS, "parent", "/6");
  free(w.b);
  sink_free(&s);
}

/* A continued context: the action's level is the serialized one; the same
 * context may be continued more than once. */
static void test_continue(void **state) {
  (void)state;
  buf w = {0};
  sink s = {0};
  const uint32_t at3[] = {3}, deep[] = {2, 5, 1};
  for (int k = 0; k < 2; k++) {
    r_continue(&w, 10, 0xab, 0xcd, at3, 1);
    r_start(&w, 11, S_CHILD);
    r_info(&w, 12, k);
    r_start(&w, 13, S_CHILD);
    r_success(&w, 14);
    r_success(&w, 15);
  }
  r_continue(&w, 20, 1, 2, deep, 3);
  r_start(&w, 21, S_PARENT);
  r_success(&w, 22);
  assert_int_equal(decode_all(&w, &s), WEFT_OK);
  assert_int_equal(s.n, 12);
  for (int k = 0; k < 2; k++) {
    const seen *e = &s.ev[5 * k];
    check(&e[0], WEFT_KIND_START, "child", "/3/1");
    check(&e[1], WEFT_KIND_MESSAGE, "info", "/3/2");
    check(&e[2], WEFT_KIND_START, "child", "/3/3/1");
    check(&e[3], WEFT_KIND_SUCCESS, "child", "/3/3/2");
    check(&e[4], WEFT_KIND_SUCCESS, "child", "/3/4");
    assert_int_equal(e[0].task_hi, 0xab);
    assert_int_equal(e[4].task_lo, 0xcd);
    assert_int_equal(e[4].elapsed, 4);
  }
  check(&s.ev[10], WEFT_KIND_START, "parent", "/2/5/1/1");
  check(&s.ev[11], WEFT_KIND_SUCCESS, "parent", "/2/5/1/2");
  assert_int_equal(s.ev[11].task_lo, 2);
  free(w.b);
  sink_free(&s);
}

/* The same stream fed one record at a time, interleaved with another
 * stream, decodes as if fed at once; streams keep separate states. */
static void test_multi_feed_continuity(void **state) {
  (void)state;
  buf w = {0};
  sink whole = {0}, parts = {0};
  worked_example(&w);
  assert_int_equal(decode_all(&w, &whole), WEFT_OK);

  weft__decoder *d = decoder();
  size_t off = 0;
  while (off < w.n) {
    uint32_t size;
    memcpy(&size, w.b + off + 12, 4);
    size_t n = 16 + ((size + 7u) & ~7u);
    assert_int_equal(
        weft__decoder_feed(d, 5, w.b + off, n, collect, NULL, &parts), WEFT_OK);
    assert_int_equal(
        weft__decoder_feed(d, 6, w.b + off, n, collect, NULL, &parts), WEFT_OK);
    off += n;
  }
  assert_int_equal(weft__decoder_open_count(d, 5), 0);
  assert_int_equal(weft__decoder_open_count(d, 77), 0);
  weft__decoder_free(d);

  assert_int_equal(parts.n, 2 * whole.n);
  for (size_t i = 0; i < whole.n; i++) {
    for (size_t k = 0; k < 2; k++) {
      const seen *p = &parts.ev[2 * i + k];
      assert_int_equal(p->thread, 5 + k);
      check(p, whole.ev[i].kind, whole.ev[i].type, whole.ev[i].level);
      assert_string_equal(p->fields, whole.ev[i].fields);
      assert_int_equal(p->elapsed, whole.ev[i].elapsed);
    }
  }
  free(w.b);
  sink_free(&whole);
  sink_free(&parts);
}

/* Actions left open between feeds (a flush in the middle of an action). */
static void test_open_actions_across_feeds(void **state) {
  (void)state;
  buf a = {0}, b = {0};
  sink s = {0};
  r_task(&a, 1, 0, 1);
  r_start(&a, 2, S_PARENT);
  r_start(&a, 3, S_CHILD);
  r_add_rows(&a, 4, 3);
  r_success(&b, 10);
  r_info(&b, 11, 4);
  r_success(&b, 12);
  weft__decoder *d = decoder();
  assert_int_equal(feed(d, 1, &a, &s), WEFT_OK);
  assert_int_equal(weft__decoder_open_count(d, 1), 2);
  assert_int_equal(feed(d, 1, &b, &s), WEFT_OK);
  assert_int_equal(weft__decoder_open_count(d, 1), 0);
  weft__decoder_free(d);
  assert_int_equal(s.n, 5);
  check(&s.ev[2], WEFT_KIND_SUCCESS, "child", "/2/2");
  assert_string_equal(s.ev[2].fields, "rows=3");
  assert_int_equal(s.ev[2].elapsed, 7);
  check(&s.ev[3], WEFT_KIND_MESSAGE, "info", "/3");
  check(&s.ev[4], WEFT_KIND_SUCCESS, "parent", "/4");
  free(a.b);
  free(b.b);
  sink_free(&s);
}

static int count_wide(void *arg, uint64_t stream, const weft_event *ev) {
  size_t *i = arg;
  (void)stream;
  /* event i (0 = start) is at level [i+1] */
  if (ev->level_len != 1 || ev->level[0] != *i + 1)
    return -1000;
  (*i)++;
  return 0;
}

/* 300,000 children of one action: linear time, levels /1 .. /300002. */
static void test_wide_action(void **state) {
  (void)state;
  enum { WIDE = 300000 };
  buf w = {0};
  r_task(&w, 1, 0, 1);
  r_start(&w, 2, S_PARENT);
  for (int64_t i = 0; i < WIDE; i++)
    r_info(&w, 3 + i, i);
  r_success(&w, 5 + WIDE);
  weft__decoder *d = decoder();
  size_t n = 0;
  assert_int_equal(weft__decoder_feed(d, 0, w.b, w.n, count_wide, NULL, &n),
                   WEFT_OK);
  assert_int_equal(n, WIDE + 2);
  weft__decoder_free(d);
  free(w.b);
}

static void test_globals(void **state) {
  (void)state;
  buf w = {0};
  sink s = {0};
  rec_begin(&w, 1, S_GLOBALS);
  put_str(&w, "node7", 5, 5);
  rec_end(&w);
  worked_example(&w);
  assert_int_equal(decode_all(&w, &s), WEFT_OK);
  assert_int_equal(s.nglobals, 1);
  assert_string_equal(s.globals, "host='node7'/5/5");
  assert_int_equal(s.n, 6);
  free(w.b);
  sink_free(&s);
}

static int64_t wall_plus(void *arg, int64_t t) { return t + *(int64_t *)arg; }

static void test_wall_clock_and_callback_stop(void **state) {
  (void)state;
  buf w = {0};
  sink s = {.stop_at = 2};
  int64_t offset = 1000000;
  worked_example(&w);
  weft__decoder *d = decoder();
  weft__decoder_set_wall(d, wall_plus, &offset);
  assert_int_equal(feed(d, 0, &w, &s), 42); /* the callback's return */
  assert_int_equal(s.n, 2);
  assert_int_equal(s.ev[1].wall, 200 + offset);
  weft__decoder_free(d);
  free(w.b);
  sink_free(&s);
}

/* A stream that starts inside actions opened earlier (in an earlier log of
 * the process, format.md section 5): until its first TASK, strict
 * decoding reads it as lenient decoding does; after, only lenient. */
static void test_lenient_mid_stream(void **state) {
  (void)state;
  buf w = {0};
  sink s = {0};
  r_info(&w, 1, 1); /* inside an unknown action */
  r_start(&w, 2, S_CHILD);
  r_success(&w, 3);
  r_serialize(&w, 4);
  r_success(&w, 5); /* ends the unknown action: no event */
  r_success(&w, 6); /* ends the one around it: no event */
  r_task(&w, 7, 0, 3);
  r_info(&w, 8, 2);
  for (int lenient = 0; lenient < 2; lenient++) {
    weft__decoder *d = decoder();
    weft__decoder_set_lenient(d, lenient);
    assert_int_equal(feed(d, 0, &w, &s), WEFT_OK);
    weft__decoder_free(d);
    assert_int_equal(s.n, 4);
    check(&s.ev[0], WEFT_KIND_MESSAGE, "info", "/1");
    check(&s.ev[1], WEFT_KIND_START, "child", "/2/1");
    check(&s.ev[2], WEFT_KIND_SUCCESS, "child", "/2/2");
    assert_int_equal(s.ev[1].task_lo, 0);
    check(&s.ev[3], WEFT_KIND_MESSAGE, "info", "/1");
    assert_int_equal(s.ev[3].task_lo, 3);
    sink_free(&s);
    memset(&s, 0, sizeof s);
  }
  /* After the task, an end with no action open is damage, unless
   * lenient. */
  r_success(&w, 9);
  assert_int_equal(decode_all(&w, &s), WEFT_EFORMAT);
  sink_free(&s);
  memset(&s, 0, sizeof s);
  weft__decoder *d = decoder();
  weft__decoder_set_lenient(d, 1);
  assert_int_equal(feed(d, 0, &w, &s), WEFT_OK);
  weft__decoder_free(d);
  free(w.b);
  sink_free(&s);
}

/* ---- malformed streams --------------------------------------------------- */

/* The stream in w must fail with WEFT_EFORMAT, the message naming `at`. */
static void expect_eformat(const buf *w, const char *at, const char *what) {
  sink s = {0};
  int rc = decode_all(w, &s);
  const char *msg = weft_errmsg();
  if (rc != WEFT_EFORMAT || strstr(msg, at) == NULL ||
      strstr(msg, what) == NULL) {
    print_error("rc %d (%s), message \"%s\"; expected WEFT_EFORMAT with "
                "\"%s\" and \"%s\"\n",
                rc, weft_err_name(rc), msg, at, what);
    fail();
  }
  sink_free(&s);
}

static void test_bad_headers(void **state) {
  (void)state;
  buf w = {0};
  worked_example(&w);
  put(&w, "0123456789", 10); /* 10 bytes: a truncated header */
  expect_eformat(&w, "byte 168", "truncated header (10 bytes left)");

  w.n = 0;
  r_task(&w, 1, 0, 1);
  w.n -= 4; /* the payload is cut */
  expect_eformat(&w, "byte 0", "16 bytes");

  w.n = 0;
  r_task(&w, 1, 0, 1);
  r_start(&w, 2, S_PARENT);
  rec_begin(&w, 3, S_BOOLS); /* one payload byte, padding missing */
  put_u8(&w, 1);
  rec_end(&w);
  w.n -= 7;
  expect_eformat(&w, "byte 48", "1 bytes (padded to 8) but 1 bytes left");

  w.n = 0;
  r_task(&w, 1, 0, 1);
  rec_begin(&w, 2, 99);
  rec_end(&w);
  expect_eformat(&w, "byte 32 (schema 99)", "unknown schema");
  w.n = 0;
  rec_begin(&w, 2, 7);
  rec_end(&w);
  expect_eformat(&w, "byte 0 (schema 7)", "unknown schema");
  w.n = 0;
  rec_begin(&w, 2, 0);
  rec_end(&w);
  expect_eformat(&w, "byte 0 (schema 0)", "unknown schema");
  free(w.b);
}

static void test_bad_sizes(void **state) {
  (void)state;
  buf w = {0};
  r_task(&w, 1, 0, 1);
  rec_begin(&w, 2, S_INFO); /* fixed 8 bytes, given 4 */
  put_u32(&w, 1);
  rec_end(&w);
  expect_eformat(&w, "byte 32", "schema needs 8");

  w.n = 0;
  rec_begin(&w, 1, WEFT_SCHEMA_TASK);
  put_u64(&w, 1);
  rec_end(&w);
  expect_eformat(&w, "byte 0", "TASK payload of 8");

  w.n = 0;
  worked_example(&w);
  w.n -= 40; /* drop the failure: end the parent oddly */
  rec_begin(&w, 900, WEFT_SCHEMA_SUCCESS);
  put_u32(&w, 0);
  rec_end(&w);
  expect_eformat(&w, "byte 128", "SUCCESS payload of 4");

  w.n = 0;
  r_task(&w, 1, 0, 1);
  r_start(&w, 2, S_PARENT);
  rec_begin(&w, 3, WEFT_SCHEMA_SERIALIZE);
  put_u8(&w, 0);
  rec_end(&w);
  expect_eformat(&w, "byte 48", "SERIALIZE payload of 1");

  w.n = 0;
  r_task(&w, 1, 0, 1);
  r_start(&w, 2, S_PARENT);
  rec_begin(&w, 3, WEFT_SCHEMA_FAILURE);
  put_i64(&w, 1);
  rec_end(&w);
  expect_eformat(&w, "byte 48", "below 16");

  w.n = 0;
  r_task(&w, 1, 0, 1);
  r_start(&w, 2, S_PARENT);
  rec_begin(&w, 3, WEFT_SCHEMA_FAILURE);
  put_i64(&w, 1);
  put_str(&w, "oops", 4, 4);
  put_u8(&w, 0); /* a trailing byte after the reason */
  rec_end(&w);
  expect_eformat(&w, "byte 48", "trailing");
  free(w.b);
}

static void test_bad_strings(void **state) {
  (void)state;
  static const struct {
    const char *bytes;
    uint32_t len;
    const char *at;
  } invalid[] = {
      {"ok\xff", 3, "payload byte 10"},             /* never valid */
      {"\xc0\x80", 2, "payload byte 8"},            /* overlong NUL */
      {"a\xe0\x80\xaf", 4, "payload byte 9"},       /* overlong '/' */
      {"\xed\xa0\x80", 3, "payload byte 8"},        /* surrogate */
      {"ab\xf4\x90\x80\x80", 6, "payload byte 10"}, /* above U+10FFFF */
      {"abc\xe2\x82", 5, "payload byte 11"},        /* cut sequence */
      {"\x80", 1, "payload byte 8"},                /* stray continuation */
      {"\xe2\x28\xa1", 3, "payload byte 8"},        /* bad continuation */
  };
  buf w = {0};
  for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++) {
    w.n = 0;
    r_task(&w, 1, 0, 1);
    rec_begin(&w, 2, S_LOAD);
    put_str(&w, invalid[i].bytes, invalid[i].len, invalid[i].len);
    put_u8(&w, 0);
    rec_end(&w);
    expect_eformat(&w, invalid[i].at, "invalid UTF-8");
    expect_eformat(&w, "byte 32", "field 0 (path)");
  }

  w.n = 0;
  r_task(&w, 1, 0, 1);
  rec_begin(&w, 2, S_LOAD);
  put_str(&w, "\0\0\0\0", 4, 4); /* four NULs, then no bool */
  rec_end(&w);
  expect_eformat(&w, "field 1 (flag)", "truncated bool");

  w.n = 0;
  r_task(&w, 1, 0, 1);
  rec_begin(&w, 2, S_LOAD);
  put_u32(&w, 1000); /* longer than the payload */
  put_u32(&w, 1000);
  put(&w, "abcd", 4);
  rec_end(&w);
  expect_eformat(&w, "field 0 (path) at payload byte 0", "string of 1000");

  w.n = 0;
  r_task(&w, 1, 0, 1);
  rec_begin(&w, 2, S_LOAD);
  put_str(&w, "abcd", 4, 3); /* original length below length */
  put_u8(&w, 0);
  rec_end(&w);
  expect_eformat(&w, "field 0 (path)", "original length 3");

  w.n = 0;
  r_task(&w, 1, 0, 1);
  rec_begin(&w, 2, S_LOAD);
  put_u32(&w, 4); /* header cut after the length */
  rec_end(&w);
  expect_eformat(&w, "field 0 (path)", "truncated string original length");

  w.n = 0;
  r_task(&w, 1, 0, 1);
  rec_begin(&w, 2, S_BOOLS);
  put_u8(&w, 2);
  rec_end(&w);
  expect_eformat(&w, "field 0 (flag) at payload byte 0", "bool byte is 2");

  w.n = 0;
  r_task(&w, 1, 0, 1);
  rec_begin(&w, 2, S_LOAD);
  put_str(&w, "abc", 3, 3);
  put_u8(&w, 1);
  put_u8(&w, 1); /* trailing */
  rec_end(&w);
  expect_eformat(&w, "byte 32", "1 trailing bytes at payload byte 12");
  free(w.b);
}

static void test_bad_arrays(void **state) {
  (void)state;
  buf w = {0};
  uint64_t shape23[] = {2, 3}, huge[] = {1ull << 40, 1ull << 40};
  double mm[] = {0, 1}, vals[] = {1, 2, 3, 4, 5, 6, 7};
  uint64_t shape9[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
  struct {
    uint32_t schema, ndim;
    const uint64_t *shape;
    uint64_t count, nans;
    uint32_t kept;
    const char *what;
  } cases[] = {
      {S_ARR_F64, 2, shape23, 5, 0, 0, "not the product"},
      {S_ARR_F64, 2, shape23, 7, 0, 0, "not the product"},
      {S_ARR_F64, 0, shape23, 1, 0, 0, "ndim 0"},
      {S_ARR_F64, 9, shape9, 1, 0, 0, "ndim 9"},
      {S_ARR_F64, 2, shape23, 6, 7, 0, "NaN count 7 above"},
      {S_ARR_I64, 2, shape23, 6, 1, 0, "int64 array with NaN"},
      {S_ARR_F64, 2, shape23, 6, 0, 7, "keeps 7 of 6"},
      {S_ARR_F64, 2, huge, 0, 0, 0, "overflows"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    w.n = 0;
    r_task(&w, 1, 0, 1);
    r_array(&w, cases[i].schema, cases[i].ndim, cases[i].shape, cases[i].count,
            cases[i].nans, 0.5, mm, cases[i].kept, vals);
    expect_eformat(&w, "field 0 (data)", cases[i].what);
  }

  /* kept within count, but the values are not all there */
  w.n = 0;
  r_task(&w, 1, 0, 1);
  r_array(&w, S_ARR_F64, 2, shape23, 6, 0, 0.5, mm, 3, vals);
  memcpy(w.b + 32 + 16 + 4, &(uint32_t){5}, 4); /* kept 3 -> 5 */
  expect_eformat(&w, "field 0 (data)", "keeps 5 elements but 24 bytes");

  /* cut in the middle of the shape */
  w.n = 0;
  r_task(&w, 1, 0, 1);
  rec_begin(&w, 5, S_ARR_F64);
  put_u32(&w, 2);
  put_u32(&w, 0);
  put_u64(&w, 2);
  rec_end(&w);
  expect_eformat(&w, "field 0 (data) at payload byte 16", "truncated array");
  free(w.b);
}

static void test_bad_schemas(void **state) {
  (void)state;
  buf w = {0};
  r_task(&w, 1, 0, 1);
  rec_begin(&w, 2, S_BAD_TYPE);
  put_u64(&w, 1);
  rec_end(&w);
  expect_eformat(&w, "field 0 (x)", "unknown field type 9");

  w.n = 0;
  r_task(&w, 1, 0, 1);
  r_start(&w, 2, S_PARENT);
  r_start(&w, 3, S_BAD_KIND);
  expect_eformat(&w, "byte 48", "kind 2 cannot be a user schema");

  w.n = 0;
  r_task(&w, 1, 0, 1);
  r_start(&w, 2, S_BAD_NAME);
  expect_eformat(&w, "byte 32", "unknown type name id 999");

  w.n = 0;
  r_task(&w, 1, 0, 1);
  rec_begin(&w, 2, S_BAD_FIELD);
  put_i64(&w, 1);
  rec_end(&w);
  expect_eformat(&w, "byte 32", "unknown name id 999");
  free(w.b);
}

/* The start of load {path, flag}, as its own record or, with end >= 0, as a
 * leaf: the START and its SUCCESS in one record (record.h). */
static void r_load(buf *w, int64_t t, const char *path, int64_t end) {
  rec_begin(w, t, S_LOAD | (end >= 0 ? WEFT_REC_LEAF : 0));
  put_str(w, path, (uint32_t)strlen(path), (uint32_t)strlen(path));
  put_u8(w, 1);
  uint32_t size = (uint32_t)(w->n - w->hdr - 16);
  rec_end(w);
  if (end < 0)
    return;
  put_i64(w, end);
  size += 8;
  memcpy(w->b + w->hdr + 12, &size, 4);
}

static void r_leaf(buf *w, int64_t t, uint32_t schema, int64_t end) {
  rec_begin(w, t, schema | WEFT_REC_LEAF);
  put_i64(w, end);
  rec_end(w);
}

/* A leaf decodes as the START and SUCCESS it replaces, event for event. */
/* Two encodings of the same events (16-byte pairs and leaves, or long
 * and short ends) decode into a and b, event for event the same. */
static void decode_alike(const buf *x, const buf *y, sink *a, sink *b) {
  assert_int_equal(decode_all(x, a), WEFT_OK);
  assert_int_equal(decode_all(y, b), WEFT_OK);
  assert_int_equal(b->n, a->n);
  for (size_t i = 0; i < a->n; i++) {
    assert_int_equal(b->ev[i].kind, a->ev[i].kind);
    assert_string_equal(b->ev[i].type, a->ev[i].type);
    assert_string_equal(b->ev[i].level, a->ev[i].level);
    assert_string_equal(b->ev[i].fields, a->ev[i].fields);
    assert_int_equal(b->ev[i].t, a->ev[i].t);
    assert_int_equal(b->ev[i].elapsed, a->ev[i].elapsed);
  }
}

static void test_leaf_records(void **state) {
  (void)state;
  buf pairs = {0}, leaves = {0};
  r_task(&pairs, 10, 1, 1);
  r_load(&pairs, 10, "in.dat", -1);
  r_success(&pairs, 50);
  r_task(&pairs, 60, 1, 2);
  r_start(&pairs, 60, S_PARENT);
  r_start(&pairs, 70, S_CHILD);
  r_success(&pairs, 75);
  r_info(&pairs, 80, 3);
  r_success(&pairs, 90);

  r_task(&leaves, 10, 1, 1);
  r_load(&leaves, 10, "in.dat", 50);
  r_task(&leaves, 60, 1, 2);
  r_start(&leaves, 60, S_PARENT);
  r_leaf(&leaves, 70, S_CHILD, 75);
  r_info(&leaves, 80, 3);
  r_success(&leaves, 90);

  sink a = {0}, b = {0};
  decode_alike(&pairs, &leaves, &a, &b);
  assert_int_equal(a.n, 7);
  check(&b.ev[1], WEFT_KIND_SUCCESS, "load", "/2");
  assert_int_equal(b.ev[1].elapsed, 40);
  assert_string_equal(b.ev[0].fields, "path='in.dat'/6/6 flag=true");
  sink_free(&a);
  sink_free(&b);
  free(pairs.b);

  /* What a leaf must be. */
  buf w = {0};
  r_task(&w, 1, 0, 1);
  r_leaf(&w, 2, S_INFO, 5);
  expect_eformat(&w, "byte 32", "not an action start");
  w.n = 0;
  r_task(&w, 1, 0, 1);
  r_leaf(&w, 2, WEFT_SCHEMA_SUCCESS, 5);
  expect_eformat(&w, "byte 32", "not an action start");
  w.n = 0;
  r_task(&w, 1, 0, 1);
  rec_begin(&w, 2, S_PARENT | WEFT_REC_LEAF);
  rec_end(&w);
  expect_eformat(&w, "byte 32", "no end time");
  /* An end before the start reads as the pair would: elapsed < 0. */
  w.n = 0;
  r_task(&w, 1, 0, 1);
  r_leaf(&w, 9, S_CHILD, 5);
  sink c = {0};
  assert_int_equal(decode_all(&w, &c), WEFT_OK);
  assert_int_equal(c.n, 2);
  assert_int_equal(c.ev[1].elapsed, -4);
  sink_free(&c);
  free(w.b);
  free(leaves.b);
}

/* weft__decoder_stopped_at: the offset of the record a feed stopped at,
 * whether the record was at fault or a callback stopped it, and the text
 * naming that record as decode.h says (WEFT__DECODE_AT): the tools name
 * file rows instead by that offset. */
static void expect_stopped(weft__decoder *d, size_t at) {
  size_t off = 12345;
  assert_int_equal(weft__decoder_stopped_at(d, &off), 1);
  assert_int_equal(off, at);
}

static void test_stopped_at(void **state) {
  (void)state;
  buf w = {0};
  sink s = {0};
  weft__decoder *d = decoder();
  size_t off = 7;
  assert_int_equal(weft__decoder_stopped_at(d, &off), 0); /* never fed */
  r_task(&w, 1, 0, 1);                                    /* byte 0 */
  r_start(&w, 2, S_PARENT);                               /* byte 32: event 1 */
  r_info(&w, 3, 5);                                       /* byte 48: event 2 */
  r_leaf(&w, 4, S_CHILD, 5); /* byte 72: events 3, 4 */
  r_success(&w, 6);          /* byte 96: event 5 */
  assert_int_equal(feed(d, 0, &w, &s), WEFT_OK);
  assert_int_equal(weft__decoder_stopped_at(d, &off), 0);
  assert_int_equal(off, 7);
  weft__decoder_free(d);

  /* A callback's non-zero answer: the record whose event it was given,
   * the leaf record for either of its two events. */
  const size_t at_event[] = {0, 32, 48, 72, 72, 96};
  for (int k = 1; k <= 5; k++) {
    sink_free(&s);
    s = (sink){.stop_at = k};
    d = decoder();
    assert_int_equal(feed(d, 0, &w, &s), 42);
    expect_stopped(d, at_event[k]);
    weft__decoder_free(d);
  }

  /* A record at fault, in a second feed of the stream: its offset in the
   * data of that feed, as the message says. */
  buf w2 = {0};
  r_start(&w2, 7, S_CHILD);  /* byte 0 */
  r_leaf(&w2, 8, S_INFO, 9); /* byte 16: a leaf of a message schema */
  d = decoder();
  sink_free(&s);
  s = (sink){0};
  w.n -= 16; /* the parent stays open */
  assert_int_equal(feed(d, 0, &w, &s), WEFT_OK);
  assert_int_equal(weft__decoder_feed(d, 0, w2.b, w2.n, collect, NULL, &s),
                   WEFT_EFORMAT);
  expect_stopped(d, 16);
  char head[64];
  snprintf(head, sizeof head, "%s: " WEFT__DECODE_AT " (schema %" PRIu32 ")",
           weft_strerror(WEFT_EFORMAT), (size_t)16,
           (uint32_t)S_INFO | WEFT_REC_LEAF);
  assert_memory_equal(weft_errmsg(), head, strlen(head));
  /* A truncated header; then a good feed forgets where the last stopped. */
  assert_int_equal(weft__decoder_feed(d, 1, w2.b, 10, collect, NULL, &s),
                   WEFT_EFORMAT);
  expect_stopped(d, 0);
  assert_int_equal(weft__decoder_feed(d, 2, w2.b, 16, collect, NULL, &s),
                   WEFT_OK);
  assert_int_equal(weft__decoder_stopped_at(d, &off), 0);
  weft__decoder_free(d);
  sink_free(&s);
  free(w.b);
  free(w2.b);
}

/* A short SUCCESS (record.h WEFT_REC_SHORT: 8 bytes, the end time with
 * bit 63 set), as libweft writes it, reads as the 16-byte record; a
 * stream cut inside it is a truncated header. */
static void r_short_success(buf *w, int64_t t) {
  put_u64(w, (uint64_t)t | WEFT_REC_SHORT);
}

static void test_short_success(void **state) {
  (void)state;
  buf full = {0}, short_ = {0};
  r_task(&full, 60, 1, 2);
  r_start(&full, 60, S_PARENT);
  r_start(&full, 70, S_CHILD);
  r_success(&full, 75);
  r_info(&full, 80, 3);
  r_success(&full, 90);
  r_task(&short_, 60, 1, 2);
  r_start(&short_, 60, S_PARENT);
  r_start(&short_, 70, S_CHILD);
  r_short_success(&short_, 75);
  r_info(&short_, 80, 3);
  r_short_success(&short_, 90);
  assert_int_equal(short_.n, full.n - 16);

  sink a = {0}, b = {0};
  decode_alike(&full, &short_, &a, &b);
  assert_int_equal(a.n, 5);
  check(&b.ev[2], WEFT_KIND_SUCCESS, "child", "/2/2");
  assert_int_equal(b.ev[2].elapsed, 5);
  sink_free(&a);
  sink_free(&b);

  short_.n -= 4; /* the last one cut in half */
  expect_eformat(&short_, "truncated header", "");
  free(full.b);
  free(short_.b);
}

static void test_bad_structure(void **state) {
  (void)state;
  buf w = {0};
  const uint32_t lvl[] = {2, 0};

  /* After the stream's first task: before it, a stream may be inside
   * actions begun in an earlier log (test_lenient_mid_stream). */
  worked_example(&w);
  r_success(&w, 2000); /* one end too many */
  expect_eformat(&w, "byte 168", "no action is open");
  w.n = 0;
  worked_example(&w);
  r_failure(&w, 2000, 3, "x");
  expect_eformat(&w, "byte 168", "no action is open");

  w.n = 0;
  worked_example(&w);
  r_start(&w, 2000, S_PARENT);
  expect_eformat(&w, "byte 168", "without a TASK or CONTINUE");
  w.n = 0;
  worked_example(&w);
  r_info(&w, 2000, 1);
  expect_eformat(&w, "byte 168", "without a TASK");
  w.n = 0;
  worked_example(&w);
  r_serialize(&w, 2000);
  expect_eformat(&w, "byte 168", "no action is open");
  w.n = 0;
  worked_example(&w);
  r_add_rows(&w, 2000, 1);
  expect_eformat(&w, "byte 168", "no action is open");

  w.n = 0;
  r_continue(&w, 1, 1, 2, lvl, 1);
  r_info(&w, 2, 1);
  expect_eformat(&w, "byte 40", "after a CONTINUE");

  w.n = 0;
  r_task(&w, 1, 0, 1);
  r_start(&w, 2, S_PARENT);
  r_task(&w, 3, 0, 2);
  expect_eformat(&w, "byte 48", "TASK record while an action is open");

  w.n = 0;
  r_task(&w, 1, 0, 1);
  r_start(&w, 2, S_PARENT);
  r_continue(&w, 3, 1, 2, lvl, 1);
  r_continue(&w, 4, 1, 2, lvl, 1);
  expect_eformat(&w, "byte 88", "not followed by an action start");

  w.n = 0;
  r_continue(&w, 1, 1, 2, lvl, 2);
  expect_eformat(&w, "byte 0", "element 1 is 0");
  w.n = 0;
  r_continue(&w, 1, 1, 2, lvl, 0);
  expect_eformat(&w, "byte 0", "CONTINUE level of 0 elements");
  w.n = 0;
  r_continue(&w, 1, 1, 2, lvl, 1);
  memcpy(w.b + 16 + 16, &(uint32_t){3}, 4); /* says 3, holds 1 */
  expect_eformat(&w, "byte 0", "CONTINUE level of 3 elements in a 24-byte");
  w.n = 0;
  rec_begin(&w, 1, WEFT_SCHEMA_CONTINUE);
  put_u64(&w, 1);
  rec_end(&w);
  expect_eformat(&w, "byte 0", "below 20");
  free(w.b);
}

/* Every prefix and every single-byte corruption of a valid stream: the
 * decoder returns OK or WEFT_EFORMAT and never reads outside the data (the
 * buffers are exact-size copies, so ASan sees any overrun). */
static void test_mutations_never_crash(void **state) {
  (void)state;
  buf w = {0};
  uint64_t shape23[] = {2, 3};
  double mm[] = {0, 1}, vals[] = {1, 2};
  const uint32_t lvl[] = {3, 1};
  worked_example(&w);
  rec_begin(&w, 1, S_GLOBALS);
  put_str(&w, "h\xc3\xa9", 3, 3);
  rec_end(&w);
  r_task(&w, 1, 0, 1);
  r_array(&w, S_ARR_F64, 2, shape23, 6, 0, 0.5, mm, 2, vals);
  r_continue(&w, 2, 1, 1, lvl, 2);
  rec_begin(&w, 3, S_LOAD);
  put_str(&w, "p", 1, 1);
  put_u8(&w, 1);
  rec_end(&w);
  r_add_rows(&w, 4, 1);
  r_serialize(&w, 5);
  r_failure(&w, 6, 1, "why");

  sink s = {0};
  assert_int_equal(decode_all(&w, &s), WEFT_OK);
  for (size_t len = 0; len < w.n; len++) {
    unsigned char *copy = malloc(len ? len : 1);
    memcpy(copy, w.b, len);
    buf cut = {.b = copy, .n = len};
    s.n = 0;
    int rc = decode_all(&cut, &s);
    assert_true(rc == WEFT_OK || rc == WEFT_EFORMAT);
    free(copy);
  }
  static const unsigned char values[] = {0x00, 0x01, 0x02, 0x07, 0x10,
                                         0x7f, 0x80, 0xc3, 0xff};
  for (size_t at = 0; at < w.n; at++) {
    for (size_t k = 0; k < sizeof values; k++) {
      unsigned char *copy = malloc(w.n);
      memcpy(copy, w.b, w.n);
      copy[at] = values[k];
      buf bad = {.b = copy, .n = w.n};
      s.n = 0;
      int rc = decode_all(&bad, &s);
      assert_true(rc == WEFT_OK || rc == WEFT_EFORMAT);
      free(copy);
    }
  }
  free(w.b);
  sink_free(&s);
}

/* ---- payload decoder and arena directly ---------------------------------- */

static void test_fields_decode_direct(void **state) {
  (void)state;
  weft__arena arena = {0};
  buf w = {0};
  const uint8_t types[] = {WEFT_TYPE_U64, WEFT_TYPE_F64, WEFT_TYPE_STR};
  weft_value out[3];
  put_u64(&w, UINT64_MAX);
  put_f64(&w, -0.0);
  put_str(&w, "", 0, 0);
  assert_int_equal(weft__fields_decode(w.b, w.n, types, NULL, 3, out, &arena),
                   WEFT_OK);
  assert_null(out[0].name);
  assert_true(out[0].v.u64 == UINT64_MAX);
  assert_true(out[1].v.f64 == 0.0 && signbit(out[1].v.f64));
  assert_string_equal(out[2].v.str.ptr, "");
  assert_int_equal(
      weft__fields_decode(w.b, w.n - 1, types, NULL, 3, out, &arena),
      WEFT_EFORMAT);
  assert_non_null(strstr(weft_errmsg(), "field 2 (?) at payload byte 20"));
  assert_int_equal(weft__fields_decode(NULL, 0, types, NULL, 0, out, &arena),
                   WEFT_OK);
  assert_int_equal(weft__fields_decode(w.b, 3, types, NULL, 0, out, &arena),
                   WEFT_EFORMAT);
  weft__arena_free(&arena);
  free(w.b);
}

static void test_arena(void **state) {
  (void)state;
  weft__arena a = {0};
  unsigned char *prev = NULL;
  for (size_t i = 1; i < 3000; i += 7) {
    unsigned char *p = weft__arena_alloc(&a, i);
    assert_non_null(p);
    assert_int_equal((uintptr_t)p % 8, 0);
    memset(p, 0xab, i);
    assert_true(p != prev);
    prev = p;
  }
  unsigned char *big = weft__arena_alloc(&a, 1 << 20);
  assert_non_null(big);
  memset(big, 1, 1 << 20);
  assert_non_null(weft__arena_alloc(&a, 0));
  assert_null(weft__arena_alloc(&a, SIZE_MAX - 8));
  weft__arena_reset(&a);
  assert_int_equal(a.used, 0);
  assert_null(a.chunks);
  assert_non_null(weft__arena_alloc(&a, 100));
  weft__arena_free(&a);
  assert_null(a.base);
  weft__arena_free(&a); /* freeing twice is fine */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_eliot_worked_example),
      cmocka_unit_test(test_standalone_messages),
      cmocka_unit_test(test_string_and_bool_fields),
      cmocka_unit_test(test_array_fields),
      cmocka_unit_test(test_success_fields),
      cmocka_unit_test(test_serialize_takes_a_slot),
      cmocka_unit_test(test_continue),
      cmocka_unit_test(test_multi_feed_continuity),
      cmocka_unit_test(test_open_actions_across_feeds),
      cmocka_unit_test(test_wide_action),
      cmocka_unit_test(test_globals),
      cmocka_unit_test(test_wall_clock_and_callback_stop),
      cmocka_unit_test(test_lenient_mid_stream),
      cmocka_unit_test(test_bad_headers),
      cmocka_unit_test(test_bad_sizes),
      cmocka_unit_test(test_bad_strings),
      cmocka_unit_test(test_bad_arrays),
      cmocka_unit_test(test_bad_schemas),
      cmocka_unit_test(test_bad_structure),
      cmocka_unit_test(test_stopped_at),
      cmocka_unit_test(test_leaf_records),
      cmocka_unit_test(test_short_success),
      cmocka_unit_test(test_mutations_never_crash),
      cmocka_unit_test(test_fields_decode_direct),
      cmocka_unit_test(test_arena),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
