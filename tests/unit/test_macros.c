/*
 * test_macros.c - weft.h's field constructors (WEFT_I64, ..., WEFT_STR,
 * WEFT_F64_ARRAY) build the field they name, and work inside the other
 * macros exactly as the header's examples use them.
 */
#include "event_assert.h"

static void test_macros_build_the_named_field(void **state) {
  (void)state;
  const int64_t iv[2] = {1, 2};
  const double dv[2] = {0.5, 1.5};
  const size_t shape[1] = {2};

  weft_field f = WEFT_I64("i", -3.9); /* converted like a cast */
  assert_string_equal(f.name, "i");
  assert_int_equal(f.type, WEFT_TYPE_I64);
  assert_int_equal(f.v.i64, -3);

  f = WEFT_U64("u", UINT64_MAX);
  assert_string_equal(f.name, "u");
  assert_int_equal(f.type, WEFT_TYPE_U64);
  assert_true(f.v.u64 == UINT64_MAX);

  f = WEFT_F64("d", 3);
  assert_int_equal(f.type, WEFT_TYPE_F64);
  assert_true(f.v.f64 == 3.0);

  f = WEFT_BOOL("b", 42);
  assert_int_equal(f.type, WEFT_TYPE_BOOL);
  assert_int_equal(f.v.b, 1);
  f = WEFT_BOOL("b", 0);
  assert_int_equal(f.v.b, 0);

  f = WEFT_STR("s", "text");
  assert_int_equal(f.type, WEFT_TYPE_STR);
  assert_string_equal(f.v.str.ptr, "text");
  assert_true(f.v.str.len == SIZE_MAX);

  f = WEFT_STRN("s", "text", 2);
  assert_int_equal(f.v.str.len, 2);

  f = WEFT_I64_ARRAY("ia", iv, 1, shape);
  assert_string_equal(f.name, "ia");
  assert_int_equal(f.type, WEFT_TYPE_I64_ARRAY);
  assert_int_equal(f.ndim, 1);
  assert_ptr_equal(f.v.arr.data, iv);
  assert_ptr_equal(f.v.arr.shape, shape);

  f = WEFT_F64_ARRAY("da", dv, 1, shape);
  assert_int_equal(f.type, WEFT_TYPE_F64_ARRAY);
  assert_ptr_equal(f.v.arr.data, dv);
}

static int64_t scale(int64_t x, double k) {
  WEFT_FUNCTION(WEFT_I64("x", x), WEFT_F64("k", k));
  return WEFT_RETURN_I64((int64_t)((double)x * k));
}

/* The header's own examples, with every constructor. */
static void test_macros_in_scoped_forms(void **state) {
  (void)state;
  const double dv[3] = {1, 2, 3};
  const size_t shape[1] = {3};
  weft_capture *c = capture_begin();
  WEFT_WITH_ACTION(a, "load", WEFT_STR("path", "/p"), WEFT_BOOL("ok", 1)) {
    assert_int_equal(WEFT_ADD(a, WEFT_I64("rows", 12), WEFT_U64("bytes", 7)),
                     WEFT_OK);
    assert_int_equal(WEFT_LOG("arr", WEFT_F64_ARRAY("v", dv, 1, shape),
                              WEFT_STRN("s", "abcdef", 3)),
                     WEFT_OK);
    assert_int_equal(scale(10, 1.5), 15);
  }
  capture_end(c);

  const event_spec want[] = {
      {WEFT_KIND_START, "load", "/1"},    {WEFT_KIND_MESSAGE, "arr", "/2"},
      {WEFT_KIND_START, "scale", "/3/1"}, {WEFT_KIND_SUCCESS, "scale", "/3/2"},
      {WEFT_KIND_SUCCESS, "load", "/4"},
  };
  check_events(c, want, 5);
  check_str(event_at(c, 0), "path", "/p");
  check_bool(event_at(c, 0), "ok", 1);
  const weft_value *v = field_typed(event_at(c, 1), "v", WEFT_TYPE_F64_ARRAY);
  assert_int_equal(v->v.arr.count, 3);
  check_str(event_at(c, 1), "s", "abc");
  check_i64(event_at(c, 2), "x", 10);
  check_f64(event_at(c, 2), "k", 1.5);
  check_i64(event_at(c, 3), "result", 15);
  check_i64(event_at(c, 4), "rows", 12);
  check_u64(event_at(c, 4), "bytes", 7);
  weft_capture_free(c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_macros_build_the_named_field),
      weft_unit_test(test_macros_in_scoped_forms),
  };
  return cmocka_run_group_tests_name("macros", tests, NULL, NULL);
}
