/*
 * event_assert.h - cmocka assertions on events captured with weft_capture_*,
 * shared by the unit tests (header only: each test file is its own
 * executable).
 *
 * Levels are written as Eliot's string form ("/3/2"); check_level compares
 * both the string and the numeric path of an event with it, so a decoder
 * that gets one of them wrong is caught.
 */
#ifndef WEFT_TEST_EVENT_ASSERT_H
#define WEFT_TEST_EVENT_ASSERT_H

/* cmocka needs these before its header. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "weft.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline const char *kind_name(weft_kind k) {
  switch (k) {
  case WEFT_KIND_START:
    return "started";
  case WEFT_KIND_SUCCESS:
    return "succeeded";
  case WEFT_KIND_FAILURE:
    return "failed";
  case WEFT_KIND_MESSAGE:
    return "message";
  }
  return "?";
}

/* Print every captured event; called before failing so that the log of a
 * failed test shows what was captured. */
static inline void capture_dump(const weft_capture *c) {
  size_t n = weft_capture_count(c);
  print_error("captured %zu events:\n", n);
  for (size_t i = 0; i < n; i++) {
    const weft_event *e = weft_capture_event(c, i);
    print_error("  [%zu] thread %" PRIu32 " %-9s %-24s %-12s nfields %zu\n", i,
                e->thread, kind_name(e->kind), e->type ? e->type : "(null)",
                e->level_str ? e->level_str : "(null)", e->nfields);
  }
}

/* Field constructors.  The tests build most fields with these rather than
 * with weft.h's WEFT_I64(...) macros so that they exercise the functions
 * independently of the macros (test_macros.c checks those). */
static inline weft_field fld_i64(const char *name, int64_t v) {
  weft_field f;
  memset(&f, 0, sizeof f);
  f.name = name;
  f.type = WEFT_TYPE_I64;
  f.v.i64 = v;
  return f;
}

static inline weft_field fld_u64(const char *name, uint64_t v) {
  weft_field f;
  memset(&f, 0, sizeof f);
  f.name = name;
  f.type = WEFT_TYPE_U64;
  f.v.u64 = v;
  return f;
}

static inline weft_field fld_f64(const char *name, double v) {
  weft_field f;
  memset(&f, 0, sizeof f);
  f.name = name;
  f.type = WEFT_TYPE_F64;
  f.v.f64 = v;
  return f;
}

static inline weft_field fld_bool(const char *name, int v) {
  weft_field f;
  memset(&f, 0, sizeof f);
  f.name = name;
  f.type = WEFT_TYPE_BOOL;
  f.v.b = v;
  return f;
}

/* len SIZE_MAX: strlen(s). */
static inline weft_field fld_strn(const char *name, const char *s, size_t len) {
  weft_field f;
  memset(&f, 0, sizeof f);
  f.name = name;
  f.type = WEFT_TYPE_STR;
  f.v.str.ptr = s;
  f.v.str.len = len;
  return f;
}

static inline weft_field fld_str(const char *name, const char *s) {
  return fld_strn(name, s, SIZE_MAX);
}

static inline weft_field fld_array(const char *name, weft_type type,
                                   const void *data, uint32_t ndim,
                                   const size_t *shape) {
  weft_field f;
  memset(&f, 0, sizeof f);
  f.name = name;
  f.type = type;
  f.ndim = ndim;
  f.v.arr.data = data;
  f.v.arr.shape = shape;
  return f;
}

/* cmocka setup and teardown: weft_init with the defaults, weft_shutdown. */
static inline int setup_init(void **state) {
  (void)state;
  return weft_init(NULL) == WEFT_OK ? 0 : -1;
}

static inline int teardown_shutdown(void **state) {
  (void)state;
  return weft_shutdown() == WEFT_OK ? 0 : -1;
}

/* A test case run between weft_init (defaults) and weft_shutdown, so that a
 * failing case leaves nothing open for the next one. */
#define weft_unit_test(f)                                                      \
  cmocka_unit_test_setup_teardown(f, setup_init, teardown_shutdown)

static inline weft_capture *capture_begin(void) {
  weft_capture *c = NULL;
  assert_int_equal(weft_capture_start(&c), WEFT_OK);
  assert_non_null(c);
  return c;
}

static inline void capture_end(weft_capture *c) {
  int rc = weft_capture_stop(c);
  if (rc != WEFT_OK)
    print_error("weft_capture_stop: %s (%s)\n", weft_err_name(rc),
                weft_errmsg());
  assert_int_equal(rc, WEFT_OK);
}

static inline const weft_event *event_at(const weft_capture *c, size_t i) {
  const weft_event *e = weft_capture_event(c, i);
  if (e == NULL) {
    print_error("no event %zu\n", i);
    capture_dump(c);
  }
  assert_non_null(e);
  return e;
}

/* Parse "/3/2" into path; returns its length. */
static inline size_t level_parse(const char *s, uint32_t *path, size_t cap) {
  size_t n = 0;
  while (*s == '/') {
    char *end;
    unsigned long v = strtoul(s + 1, &end, 10);
    assert_true(end != s + 1);
    assert_true(n < cap);
    path[n++] = (uint32_t)v;
    s = end;
  }
  assert_int_equal(*s, '\0');
  return n;
}

static inline int level_matches(const weft_event *e, const char *want) {
  uint32_t path[WEFT_DEPTH_MAX + 8];
  size_t n = level_parse(want, path, sizeof path / sizeof path[0]);
  if (e->level_str == NULL || strcmp(e->level_str, want) != 0)
    return 0;
  if (e->level_len != n || e->level == NULL)
    return 0;
  return memcmp(e->level, path, n * sizeof path[0]) == 0;
}

static inline void check_level(const weft_event *e, const char *want) {
  if (!level_matches(e, want)) {
    print_error("event %s %s: level %s (%zu elements), expected %s\n",
                kind_name(e->kind), e->type ? e->type : "(null)",
                e->level_str ? e->level_str : "(null)", e->level_len, want);
    fail();
  }
}

static inline void check_event(const weft_event *e, weft_kind kind,
                               const char *type, const char *level) {
  assert_non_null(e);
  if (e->kind != kind || e->type == NULL || strcmp(e->type, type) != 0) {
    print_error("event %s %s at %s, expected %s %s\n", kind_name(e->kind),
                e->type ? e->type : "(null)",
                e->level_str ? e->level_str : "(null)", kind_name(kind), type);
    fail();
  }
  if (level != NULL)
    check_level(e, level);
}

/* One expected event: kind, type and level ("/3/2"). */
typedef struct event_spec {
  weft_kind kind;
  const char *type;
  const char *level;
} event_spec;

/* The capture holds exactly the events of spec, in order. */
static inline void check_events(const weft_capture *c, const event_spec *spec,
                                size_t n) {
  size_t have = weft_capture_count(c);
  int ok = have == n;
  for (size_t i = 0; ok && i < n; i++) {
    const weft_event *e = weft_capture_event(c, i);
    ok = e != NULL && e->kind == spec[i].kind && e->type != NULL &&
         strcmp(e->type, spec[i].type) == 0 && level_matches(e, spec[i].level);
  }
  if (!ok) {
    print_error("expected %zu events:\n", n);
    for (size_t i = 0; i < n; i++)
      print_error("  [%zu] %-9s %-24s %s\n", i, kind_name(spec[i].kind),
                  spec[i].type, spec[i].level);
    capture_dump(c);
    fail();
  }
}

/* a and b belong to the same task. */
static inline int same_task(const weft_event *a, const weft_event *b) {
  return a->task_hi == b->task_hi && a->task_lo == b->task_lo;
}

/* The named field of e, which must exist with the given type. */
static inline const weft_value *field_typed(const weft_event *e,
                                            const char *name, weft_type type) {
  const weft_value *v = weft_event_field(e, name);
  if (v == NULL) {
    print_error("event %s %s has no field %s\n", kind_name(e->kind), e->type,
                name);
    fail();
  }
  if (v->type != type) {
    print_error("field %s has type %d, expected %d\n", name, (int)v->type,
                (int)type);
    fail();
  }
  assert_non_null(v->name);
  assert_string_equal(v->name, name);
  return v;
}

static inline void check_i64(const weft_event *e, const char *name,
                             int64_t want) {
  const weft_value *v = field_typed(e, name, WEFT_TYPE_I64);
  if (v->v.i64 != want) {
    print_error("field %s = %" PRId64 ", expected %" PRId64 "\n", name,
                v->v.i64, want);
    fail();
  }
}

static inline void check_u64(const weft_event *e, const char *name,
                             uint64_t want) {
  const weft_value *v = field_typed(e, name, WEFT_TYPE_U64);
  if (v->v.u64 != want) {
    print_error("field %s = %" PRIu64 ", expected %" PRIu64 "\n", name,
                v->v.u64, want);
    fail();
  }
}

/* Bit-exact comparison, so NaN, -0.0 and infinities are checked too. */
static inline void check_f64(const weft_event *e, const char *name,
                             double want) {
  const weft_value *v = field_typed(e, name, WEFT_TYPE_F64);
  if (memcmp(&v->v.f64, &want, sizeof want) != 0) {
    print_error("field %s = %.17g, expected %.17g\n", name, v->v.f64, want);
    fail();
  }
}

static inline void check_bool(const weft_event *e, const char *name, int want) {
  const weft_value *v = field_typed(e, name, WEFT_TYPE_BOOL);
  assert_int_equal(v->v.b, want);
}

static inline void check_str(const weft_event *e, const char *name,
                             const char *want) {
  const weft_value *v = field_typed(e, name, WEFT_TYPE_STR);
  assert_non_null(v->v.str.ptr);
  assert_string_equal(v->v.str.ptr, want);
  assert_int_equal(v->v.str.len, strlen(want));
}

/* |a - b| <= eps, with a readable message. */
static inline void check_near(double a, double b, double eps) {
  double d = a > b ? a - b : b - a;
  if (!(d <= eps)) {
    print_error("%.17g is not within %g of %.17g\n", a, eps, b);
    fail();
  }
}

#endif /* WEFT_TEST_EVENT_ASSERT_H */
