/*
 * test_fields.c - scalar field types round-trip exactly through a capture:
 * extreme integers, NaN and infinities, signed zero, booleans, and a mix of
 * every type in one event.
 */
#include "event_assert.h"

#include <float.h>
#include <math.h>

static void test_fields_integers_keep_extremes(void **state) {
  (void)state;
  weft_capture *c = capture_begin();
  const weft_field f[] = {
      fld_i64("min", INT64_MIN),   fld_i64("max", INT64_MAX),
      fld_i64("zero", 0),          fld_i64("neg", -1),
      fld_u64("umax", UINT64_MAX), fld_u64("uzero", 0),
  };
  assert_int_equal(weft_message_log("ints", f, 6), WEFT_OK);
  capture_end(c);

  assert_int_equal(weft_capture_count(c), 1);
  const weft_event *e = event_at(c, 0);
  assert_int_equal(e->nfields, 6);
  check_i64(e, "min", INT64_MIN);
  check_i64(e, "max", INT64_MAX);
  check_i64(e, "zero", 0);
  check_i64(e, "neg", -1);
  check_u64(e, "umax", UINT64_MAX);
  check_u64(e, "uzero", 0);
  weft_capture_free(c);
}

/* Eliot turns NaN and infinities into null; Weft keeps them. */
static void test_fields_doubles_keep_nan_inf_and_signed_zero(void **state) {
  (void)state;
  weft_capture *c = capture_begin();
  const weft_field f[] = {
      fld_f64("nan", NAN),
      fld_f64("pinf", INFINITY),
      fld_f64("ninf", -INFINITY),
      fld_f64("nzero", -0.0),
      fld_f64("max", DBL_MAX),
      fld_f64("tiny", DBL_TRUE_MIN),
      fld_f64("pi", 3.141592653589793),
  };
  assert_int_equal(weft_message_log("doubles", f, 7), WEFT_OK);
  capture_end(c);

  const weft_event *e = event_at(c, 0);
  assert_int_equal(e->nfields, 7);
  assert_true(isnan(field_typed(e, "nan", WEFT_TYPE_F64)->v.f64));
  check_f64(e, "nan", NAN);
  check_f64(e, "pinf", INFINITY);
  check_f64(e, "ninf", -INFINITY);
  check_f64(e, "nzero", -0.0);
  assert_true(signbit(field_typed(e, "nzero", WEFT_TYPE_F64)->v.f64));
  check_f64(e, "max", DBL_MAX);
  check_f64(e, "tiny", DBL_TRUE_MIN);
  check_f64(e, "pi", 3.141592653589793);
  weft_capture_free(c);
}

static void test_fields_bools_are_zero_or_one(void **state) {
  (void)state;
  weft_capture *c = capture_begin();
  const weft_field f[] = {fld_bool("yes", 1), fld_bool("no", 0),
                          fld_bool("seven", 7)};
  assert_int_equal(weft_message_log("bools", f, 3), WEFT_OK);
  capture_end(c);

  const weft_event *e = event_at(c, 0);
  check_bool(e, "yes", 1);
  check_bool(e, "no", 0);
  check_bool(e, "seven", 1);
  weft_capture_free(c);
}

/* Every type in one event, scalars between variable-size values, so that a
 * wrong size or alignment of any of them shifts the ones after it. */
static void test_fields_mixed_types_in_one_event(void **state) {
  (void)state;
  weft_capture *c = capture_begin();
  const int64_t iv[3] = {4, -5, 6};
  const double dv[2] = {0.5, 1.5};
  const size_t ishape[1] = {3}, dshape[2] = {1, 2};
  const weft_field f[] = {
      fld_bool("b", 1),
      fld_str("s", "abc"),
      fld_i64("i", -7),
      fld_array("ia", WEFT_TYPE_I64_ARRAY, iv, 1, ishape),
      fld_bool("b2", 0),
      fld_f64("d", 2.75),
      fld_array("da", WEFT_TYPE_F64_ARRAY, dv, 2, dshape),
      fld_str("s2", "xyz12"),
      fld_u64("u", 9),
  };
  const size_t n = sizeof f / sizeof f[0];
  weft_action a = 0;
  assert_int_equal(weft_action_start(&a, "mixed", f, n), WEFT_OK);
  assert_int_equal(weft_action_succeed(a), WEFT_OK);
  capture_end(c);

  const weft_event *e = event_at(c, 0);
  check_event(e, WEFT_KIND_START, "mixed", "/1");
  assert_int_equal(e->nfields, n);
  for (size_t i = 0; i < n; i++) {
    assert_string_equal(e->fields[i].name, f[i].name);
    assert_int_equal(e->fields[i].type, f[i].type);
  }
  check_bool(e, "b", 1);
  check_str(e, "s", "abc");
  check_i64(e, "i", -7);
  const weft_value *ia = field_typed(e, "ia", WEFT_TYPE_I64_ARRAY);
  assert_int_equal(ia->v.arr.count, 3);
  assert_int_equal(ia->v.arr.kept, 3);
  assert_memory_equal(ia->v.arr.values, iv, sizeof iv);
  check_bool(e, "b2", 0);
  check_f64(e, "d", 2.75);
  const weft_value *da = field_typed(e, "da", WEFT_TYPE_F64_ARRAY);
  assert_int_equal(da->v.arr.ndim, 2);
  assert_int_equal(da->v.arr.shape[0], 1);
  assert_int_equal(da->v.arr.shape[1], 2);
  assert_memory_equal(da->v.arr.values, dv, sizeof dv);
  check_str(e, "s2", "xyz12");
  check_u64(e, "u", 9);
  weft_capture_free(c);
}

/* The same call site with different values: each event has its own. */
static void test_fields_values_differ_per_event(void **state) {
  (void)state;
  weft_capture *c = capture_begin();
  for (int i = 0; i < 50; i++) {
    const weft_field f[] = {fld_i64("i", i), fld_f64("half", i / 2.0),
                            fld_str("parity", i % 2 ? "odd" : "even")};
    assert_int_equal(weft_message_log("step", f, 3), WEFT_OK);
  }
  capture_end(c);

  assert_int_equal(weft_capture_count(c), 50);
  for (int i = 0; i < 50; i++) {
    const weft_event *e = event_at(c, (size_t)i);
    check_event(e, WEFT_KIND_MESSAGE, "step", "/1");
    check_i64(e, "i", i);
    check_f64(e, "half", i / 2.0);
    check_str(e, "parity", i % 2 ? "odd" : "even");
  }
  weft_capture_free(c);
}

static void test_fields_none_is_fine(void **state) {
  (void)state;
  weft_capture *c = capture_begin();
  weft_action a = 0;
  assert_int_equal(weft_action_start(&a, "bare", NULL, 0), WEFT_OK);
  assert_int_equal(weft_message_log("bare_msg", NULL, 0), WEFT_OK);
  assert_int_equal(weft_action_succeed(a), WEFT_OK);
  capture_end(c);

  assert_int_equal(weft_capture_count(c), 3);
  for (size_t i = 0; i < 3; i++) {
    assert_int_equal(event_at(c, i)->nfields, 0);
    assert_null(weft_event_field(event_at(c, i), "x"));
  }
  weft_capture_free(c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      weft_unit_test(test_fields_integers_keep_extremes),
      weft_unit_test(test_fields_doubles_keep_nan_inf_and_signed_zero),
      weft_unit_test(test_fields_bools_are_zero_or_one),
      weft_unit_test(test_fields_mixed_types_in_one_event),
      weft_unit_test(test_fields_values_differ_per_event),
      weft_unit_test(test_fields_none_is_fine),
  };
  return cmocka_run_group_tests_name("fields", tests, NULL, NULL);
}
