/*
 * test_timeline.c - the integer clock mapping of docs/format.md section 6
 * (lib/src/timeline.c): slopes and offsets rounded down exactly, and the
 * inverse that gives a leaf row of /actions its local times back.
 */
#include "event_assert.h"
#include "timeline.h"

/* One interval of samples: (0, o0) and (span, o1). */
typedef struct line {
  int64_t o0, span, slope;
} line;

static int64_t g(void *arg, int64_t t) {
  const line *l = arg;
  if (t <= 0)
    return t - l->o0;
  return t - weft__offset_at(0, l->o0, l->slope, t);
}

static void test_timeline_slope_and_offset(void **state) {
  (void)state;
  int64_t s = weft__offset_slope(0, 0, 1000000000, 1000);
  assert_int_equal(s, (int64_t)((1000.0 / 1e9) * 281474976710656.0));
  /* The slope is rounded down (281474976.71 to 281474976), then the
   * offset: 499.9999993 is 499, as every reader computes it. */
  assert_int_equal(weft__offset_at(0, 0, s, 500000000), 499);
  assert_int_equal(weft__offset_at(0, 0, s, 500000002), 500);
  assert_int_equal(weft__offset_at(0, 0, s, 999999999), 999);
  /* Rounded down, negative slopes too: -1/3 ns per ns. */
  int64_t n = weft__offset_slope(0, 0, 3, -1);
  assert_true(n < 0);
  assert_int_equal(weft__offset_at(0, 0, n, 1), -1);
  assert_int_equal(weft__offset_at(0, 0, n, 2), -1);
  assert_int_equal(weft__offset_at(0, 0, n, 3),
                   -2); /* m_b: o_b is used there */
  assert_int_equal(weft__offset_at(0, 0, n, 0), 0);
  /* Samples out of order or at the same time: no slope. */
  assert_int_equal(weft__offset_slope(5, 0, 5, 100), 0);
  assert_int_equal(weft__offset_slope(5, 0, 4, 100), 0);
  /* Damaged values saturate instead of wrapping. */
  assert_int_equal(weft__offset_slope(0, INT64_MIN, 1, INT64_MAX), INT64_MAX);
  assert_int_equal(weft__offset_at(INT64_MIN, 0, INT64_MAX, INT64_MAX),
                   INT64_MAX);
}

/* Every (t, elapsed) of a range round-trips: the inverse maps to the same
 * start, is not before lo, is t itself unless both ends are ambiguous,
 * and is then the earliest candidate. */
static void round_trips(line *l, int64_t from, int64_t to) {
  static const int64_t elapsed[] = {0, 1, 7, 333, 4096};
  for (int64_t t = from; t < to; t++)
    for (size_t k = 0; k < sizeof elapsed / sizeof *elapsed; k++) {
      int64_t e = elapsed[k];
      int64_t start = g(l, t), end = g(l, t + e);
      int64_t got = weft__timeline_invert(g, l, start, e, end, t - 5);
      assert_int_equal(g(l, got), start);
      assert_true(got <= t && got >= t - 5);
      if (got != t) {
        /* both ends repeat: got and t are indistinguishable */
        assert_int_equal(g(l, got + e), end);
        assert_int_equal(got, t - 1);
      }
      /* lo at the true time: never before it */
      assert_int_equal(weft__timeline_invert(g, l, start, e, end, t), t);
    }
}

static void test_timeline_invert(void **state) {
  (void)state;
  /* A growing offset (g repeats values), a shrinking one (g skips
   * values), steep ones, and none. */
  line grow = {123456, 1000000,
               weft__offset_slope(0, 123456, 1000000, 123456 + 2000)};
  line shrink = {-987, 1000000, weft__offset_slope(0, -987, 1000000, -3987)};
  line steep = {0, 1000, weft__offset_slope(0, 0, 1000, 400)};
  line flat = {42, 1000, 0};
  round_trips(&grow, 1, 20000);
  round_trips(&shrink, 1, 20000);
  round_trips(&steep, 1, 600);
  round_trips(&flat, -50, 50);
  /* Nodes seconds apart, drifting by 10 % (the test-only skew allows
   * 100000 ppm): the search must start from the offset at lo, not from
   * rank 0's time, to find the leaf in a few steps. */
  line far = {5000000000, 1000000,
              weft__offset_slope(0, 5000000000, 1000000, 5000100000)};
  round_trips(&far, 1, 5000);
}

static void test_timeline_invert_damaged(void **state) {
  (void)state;
  /* No t maps to a start between two values g skips: never before lo. */
  line shrink = {0, 1000, weft__offset_slope(0, 0, 1000, -400)};
  int64_t skipped = INT64_MIN;
  for (int64_t t = 1; t < 100 && skipped == INT64_MIN; t++)
    if (g(&shrink, t + 1) - g(&shrink, t) == 2)
      skipped = g(&shrink, t) + 1;
  assert_true(skipped != INT64_MIN);
  int64_t got = weft__timeline_invert(g, &shrink, skipped, 0, skipped, 10);
  assert_true(got >= 10);
  /* Extreme values do not overflow. */
  line big = {INT64_MAX / 2, 1000, 0};
  got = weft__timeline_invert(g, &big, INT64_MIN + 5, 3, INT64_MIN + 8, 0);
  assert_true(got >= 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_timeline_slope_and_offset),
      cmocka_unit_test(test_timeline_invert),
      cmocka_unit_test(test_timeline_invert_damaged),
  };
  return cmocka_run_group_tests_name("timeline", tests, NULL, NULL);
}
