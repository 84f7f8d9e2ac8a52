/*
 * test_arrays.c - N-d int64 and double arrays are stored as summaries:
 * shape, count, min, max, mean (of the non-NaN values), NaN count and the
 * first K values (K = options.array_keep), however large the array.
 */
#include "event_assert.h"

#include <math.h>

/* Log message "arr" with one array field "a"; returns the decoded value and
 * the capture through *out. */
static const weft_value *log_array(weft_capture **out, weft_type type,
                                   const void *data, uint32_t ndim,
                                   const size_t *shape) {
  weft_capture *c = capture_begin();
  weft_field f = fld_array("a", type, data, ndim, shape);
  int rc = weft_message_log("arr", &f, 1);
  if (rc != WEFT_OK)
    print_error("weft_message_log: %s: %s\n", weft_err_name(rc), weft_errmsg());
  assert_int_equal(rc, WEFT_OK);
  capture_end(c);
  long i = weft_capture_find(c, 0, WEFT_KIND_MESSAGE, "arr");
  assert_true(i >= 0);
  *out = c;
  return field_typed(event_at(c, (size_t)i), "a", type);
}

static void check_shape(const weft_value *v, uint32_t ndim,
                        const size_t *shape) {
  uint64_t count = 1;
  assert_int_equal(v->v.arr.ndim, ndim);
  for (uint32_t d = 0; d < ndim; d++) {
    assert_int_equal(v->v.arr.shape[d], shape[d]);
    count *= shape[d];
  }
  assert_int_equal(v->v.arr.count, count);
}

static void test_arrays_int64_1d_summary(void **state) {
  (void)state;
  const int64_t x[4] = {5, -3, 10, 0};
  const size_t shape[1] = {4};
  weft_capture *c;
  const weft_value *v = log_array(&c, WEFT_TYPE_I64_ARRAY, x, 1, shape);
  check_shape(v, 1, shape);
  assert_true(v->v.arr.min == -3.0);
  assert_true(v->v.arr.max == 10.0);
  assert_true(v->v.arr.mean == 3.0);
  assert_int_equal(v->v.arr.nan_count, 0);
  assert_int_equal(v->v.arr.kept, 4);
  assert_non_null(v->v.arr.values);
  assert_memory_equal(v->v.arr.values, x, sizeof x);
  weft_capture_free(c);
}

/* NaN is counted, excluded from min/max/mean, and kept bit for bit among
 * the leading values. */
static void test_arrays_double_2d_with_nan(void **state) {
  (void)state;
  const double x[6] = {1.0, NAN, 3.0, -2.0, 5.0, 0.5};
  const size_t shape[2] = {2, 3};
  weft_capture *c;
  const weft_value *v = log_array(&c, WEFT_TYPE_F64_ARRAY, x, 2, shape);
  check_shape(v, 2, shape);
  assert_int_equal(v->v.arr.nan_count, 1);
  assert_true(v->v.arr.min == -2.0);
  assert_true(v->v.arr.max == 5.0);
  check_near(v->v.arr.mean, 7.5 / 5, 1e-12);
  assert_int_equal(v->v.arr.kept, 6);
  assert_memory_equal(v->v.arr.values, x, sizeof x);
  weft_capture_free(c);
}

static void test_arrays_double_infinities_are_extrema(void **state) {
  (void)state;
  const double x[4] = {1.0, INFINITY, -4.0, -INFINITY};
  const size_t shape[1] = {4};
  weft_capture *c;
  const weft_value *v = log_array(&c, WEFT_TYPE_F64_ARRAY, x, 1, shape);
  assert_true(isinf(v->v.arr.min) && v->v.arr.min < 0);
  assert_true(isinf(v->v.arr.max) && v->v.arr.max > 0);
  assert_int_equal(v->v.arr.nan_count, 0);
  weft_capture_free(c);
}

static void test_arrays_all_nan_and_empty_have_nan_stats(void **state) {
  (void)state;
  const double nans[3] = {NAN, NAN, NAN};
  const size_t shape3[1] = {3};
  weft_capture *c;
  const weft_value *v = log_array(&c, WEFT_TYPE_F64_ARRAY, nans, 1, shape3);
  assert_int_equal(v->v.arr.count, 3);
  assert_int_equal(v->v.arr.nan_count, 3);
  assert_true(isnan(v->v.arr.min));
  assert_true(isnan(v->v.arr.max));
  assert_true(isnan(v->v.arr.mean));
  weft_capture_free(c);

  /* A 4x0 array: shape kept, nothing else. */
  const double one[1] = {7.0};
  const size_t empty[2] = {4, 0};
  v = log_array(&c, WEFT_TYPE_F64_ARRAY, one, 2, empty);
  check_shape(v, 2, empty);
  assert_int_equal(v->v.arr.kept, 0);
  assert_int_equal(v->v.arr.nan_count, 0);
  assert_true(isnan(v->v.arr.min));
  assert_true(isnan(v->v.arr.max));
  assert_true(isnan(v->v.arr.mean));
  weft_capture_free(c);

  const int64_t ione[1] = {7};
  const size_t empty1[1] = {0};
  v = log_array(&c, WEFT_TYPE_I64_ARRAY, ione, 1, empty1);
  check_shape(v, 1, empty1);
  assert_int_equal(v->v.arr.kept, 0);
  assert_true(isnan(v->v.arr.min));
  assert_true(isnan(v->v.arr.max));
  assert_true(isnan(v->v.arr.mean));
  weft_capture_free(c);
}

/* int64 extremes: min and max are reported as doubles of the exact values,
 * the kept values stay exact. */
static void test_arrays_int64_extremes(void **state) {
  (void)state;
  const int64_t x[3] = {INT64_MAX, 0, INT64_MIN};
  const size_t shape[1] = {3};
  weft_capture *c;
  const weft_value *v = log_array(&c, WEFT_TYPE_I64_ARRAY, x, 1, shape);
  assert_true(v->v.arr.min == (double)INT64_MIN);
  assert_true(v->v.arr.max == (double)INT64_MAX);
  assert_memory_equal(v->v.arr.values, x, sizeof x);
  weft_capture_free(c);
}

static void test_arrays_eight_dimensions(void **state) {
  (void)state;
  int64_t x[256];
  for (int i = 0; i < 256; i++)
    x[i] = i - 100;
  const size_t shape[WEFT_ARRAY_NDIM_MAX] = {2, 2, 2, 2, 2, 2, 2, 2};
  weft_capture *c;
  const weft_value *v =
      log_array(&c, WEFT_TYPE_I64_ARRAY, x, WEFT_ARRAY_NDIM_MAX, shape);
  check_shape(v, WEFT_ARRAY_NDIM_MAX, shape);
  assert_true(v->v.arr.min == -100.0);
  assert_true(v->v.arr.max == 155.0);
  check_near(v->v.arr.mean, 27.5, 1e-9);
  assert_int_equal(v->v.arr.kept, 16); /* the default array_keep */
  assert_memory_equal(v->v.arr.values, x, 16 * sizeof x[0]);
  weft_capture_free(c);
}

/* A million doubles: the summary is exact and only K values are kept. */
static void test_arrays_million_doubles(void **state) {
  (void)state;
  const size_t n = 1000000;
  double *x = malloc(n * sizeof *x);
  assert_non_null(x);
  for (size_t i = 0; i < n; i++)
    x[i] = 0.5 * (double)i;
  x[n - 1] = NAN;
  x[1234] = -1.0;
  const size_t shape[2] = {1000, 1000};
  weft_capture *c;
  const weft_value *v = log_array(&c, WEFT_TYPE_F64_ARRAY, x, 2, shape);
  check_shape(v, 2, shape);
  assert_int_equal(v->v.arr.count, n);
  assert_int_equal(v->v.arr.nan_count, 1);
  assert_true(v->v.arr.min == -1.0);
  assert_true(v->v.arr.max == 0.5 * (double)(n - 2));
  /* Sum of 0.5*i for i < n-1, less 617 + 1 for x[1234]. */
  double sum = 0.25 * (double)(n - 1) * (double)(n - 2) - 617.0 - 1.0;
  check_near(v->v.arr.mean, sum / (double)(n - 1), 1e-6);
  assert_int_equal(v->v.arr.kept, 16);
  assert_memory_equal(v->v.arr.values, x, 16 * sizeof x[0]);
  weft_capture_free(c);
  free(x);
}

static int setup_keep_5(void **state) {
  (void)state;
  weft_options o;
  weft_options_init(&o);
  o.array_keep = 5;
  return weft_init(&o) == WEFT_OK ? 0 : -1;
}

static void test_arrays_keep_is_configurable(void **state) {
  (void)state;
  int64_t x[24];
  for (int i = 0; i < 24; i++)
    x[i] = 23 - i;
  const size_t shape[3] = {2, 3, 4};
  weft_capture *c;
  const weft_value *v = log_array(&c, WEFT_TYPE_I64_ARRAY, x, 3, shape);
  check_shape(v, 3, shape);
  assert_true(v->v.arr.min == 0.0);
  assert_true(v->v.arr.max == 23.0);
  check_near(v->v.arr.mean, 11.5, 1e-12);
  assert_int_equal(v->v.arr.kept, 5);
  assert_memory_equal(v->v.arr.values, x, 5 * sizeof x[0]);
  weft_capture_free(c);

  /* Fewer elements than K: all of them. */
  const double y[3] = {1, 2, 3};
  const size_t shape3[1] = {3};
  v = log_array(&c, WEFT_TYPE_F64_ARRAY, y, 1, shape3);
  assert_int_equal(v->v.arr.kept, 3);
  assert_memory_equal(v->v.arr.values, y, sizeof y);
  weft_capture_free(c);
}

static int setup_keep_0(void **state) {
  (void)state;
  weft_options o;
  weft_options_init(&o);
  o.array_keep = 0;
  return weft_init(&o) == WEFT_OK ? 0 : -1;
}

static void test_arrays_keep_zero_keeps_only_the_summary(void **state) {
  (void)state;
  const double y[3] = {1, 2, 6};
  const size_t shape[1] = {3};
  weft_capture *c;
  const weft_value *v = log_array(&c, WEFT_TYPE_F64_ARRAY, y, 1, shape);
  assert_int_equal(v->v.arr.kept, 0);
  assert_int_equal(v->v.arr.count, 3);
  check_near(v->v.arr.mean, 3.0, 1e-12);
  assert_true(v->v.arr.max == 6.0);
  weft_capture_free(c);
}

/* Bad arrays are refused with WEFT_EINVAL and nothing is logged. */
static void test_arrays_bad_descriptions_rejected(void **state) {
  (void)state;
  const double x[2] = {1, 2};
  const size_t shape[WEFT_ARRAY_NDIM_MAX + 1] = {2, 1, 1, 1, 1, 1, 1, 1, 1};
  const weft_field bad[] = {
      fld_array("a", WEFT_TYPE_F64_ARRAY, x, 0, shape),
      fld_array("a", WEFT_TYPE_F64_ARRAY, x, WEFT_ARRAY_NDIM_MAX + 1, shape),
      fld_array("a", WEFT_TYPE_F64_ARRAY, x, 1, NULL),
      fld_array("a", WEFT_TYPE_F64_ARRAY, NULL, 1, shape), /* 2 elements */
      fld_array("a", WEFT_TYPE_I64_ARRAY, NULL, 1, shape),
  };
  weft_capture *c = capture_begin();
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    int rc = weft_message_log("bad", &bad[i], 1);
    if (rc != WEFT_EINVAL) {
      print_error("case %zu: %s, expected WEFT_EINVAL\n", i, weft_err_name(rc));
      fail();
    }
    assert_true(weft_errmsg()[0] != '\0');
  }
  capture_end(c);
  assert_int_equal(weft_capture_find(c, 0, 0, "bad"), -1);
  weft_capture_free(c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      weft_unit_test(test_arrays_int64_1d_summary),
      weft_unit_test(test_arrays_double_2d_with_nan),
      weft_unit_test(test_arrays_double_infinities_are_extrema),
      weft_unit_test(test_arrays_all_nan_and_empty_have_nan_stats),
      weft_unit_test(test_arrays_int64_extremes),
      weft_unit_test(test_arrays_eight_dimensions),
      weft_unit_test(test_arrays_million_doubles),
      cmocka_unit_test_setup_teardown(test_arrays_keep_is_configurable,
                                      setup_keep_5, teardown_shutdown),
      cmocka_unit_test_setup_teardown(
          test_arrays_keep_zero_keeps_only_the_summary, setup_keep_0,
          teardown_shutdown),
      weft_unit_test(test_arrays_bad_descriptions_rejected),
  };
  return cmocka_run_group_tests_name("arrays", tests, NULL, NULL);
}
