/*
 * test_scoped.c - the convenience macros: the block form WEFT_WITH_ACTION
 * (Eliot's `with start_action`), the function form WEFT_FUNCTION with
 * WEFT_RETURN_* (Eliot's @log_call), WEFT_ACTION_START, WEFT_LOG and
 * WEFT_ADD.  Every way of leaving a scope must finish its action once.
 */
#include "event_assert.h"

/* ---- block form ---------------------------------------------------------- */

static void test_scoped_block_normal_exit_succeeds(void **state) {
  (void)state;
  int runs = 0;
  weft_action seen = 0;
  weft_capture *c = capture_begin();
  WEFT_WITH_ACTION(a, "block", fld_i64("n", 3)) {
    runs++;
    seen = a;
    assert_int_equal(weft_action_current(), a);
    assert_int_equal(WEFT_ADD(a, fld_i64("rows", 9)), WEFT_OK);
    assert_int_equal(WEFT_LOG("inside", fld_str("s", "x")), WEFT_OK);
  }
  assert_int_equal(weft_action_current(), 0);
  capture_end(c);

  assert_int_equal(runs, 1);
  assert_int_not_equal(seen, 0);
  assert_false(weft_action_is_open(seen));
  const event_spec want[] = {
      {WEFT_KIND_START, "block", "/1"},
      {WEFT_KIND_MESSAGE, "inside", "/2"},
      {WEFT_KIND_SUCCESS, "block", "/3"},
  };
  check_events(c, want, 3);
  check_i64(event_at(c, 0), "n", 3);
  check_str(event_at(c, 1), "s", "x");
  check_i64(event_at(c, 2), "rows", 9);
  weft_capture_free(c);
}

static void test_scoped_block_break_and_continue_succeed(void **state) {
  (void)state;
  volatile int leave = 1;
  int reached = 0, loops = 0;
  weft_capture *c = capture_begin();
  WEFT_WITH_ACTION(a, "broken") {
    (void)a;
    if (leave)
      break;
    reached = 1;
  }
  /* break leaves the block, not an enclosing loop. */
  for (int i = 0; i < 2; i++) {
    WEFT_WITH_ACTION(a, "continued", fld_i64("i", i)) {
      (void)a;
      if (leave)
        continue;
      reached = 1;
    }
    loops++;
  }
  assert_int_equal(weft_action_current(), 0);
  capture_end(c);

  assert_int_equal(reached, 0);
  assert_int_equal(loops, 2);
  const event_spec want[] = {
      {WEFT_KIND_START, "broken", "/1"},
      {WEFT_KIND_SUCCESS, "broken", "/2"},
      {WEFT_KIND_START, "continued", "/1"},
      {WEFT_KIND_SUCCESS, "continued", "/2"},
      {WEFT_KIND_START, "continued", "/1"},
      {WEFT_KIND_SUCCESS, "continued", "/2"},
  };
  check_events(c, want, 6);
  check_i64(event_at(c, 4), "i", 1);
  weft_capture_free(c);
}

static int return_from_block(int x) {
  WEFT_WITH_ACTION(a, "returning", fld_i64("x", x)) {
    (void)a;
    WEFT_LOG("before_return");
    if (x > 0)
      return 2 * x;
    WEFT_LOG("not_reached_for_positive");
  }
  return -1;
}

static void test_scoped_block_return_succeeds(void **state) {
  (void)state;
  weft_capture *c = capture_begin();
  assert_int_equal(return_from_block(21), 42);
  assert_int_equal(weft_action_current(), 0);
  capture_end(c);

  const event_spec want[] = {
      {WEFT_KIND_START, "returning", "/1"},
      {WEFT_KIND_MESSAGE, "before_return", "/2"},
      {WEFT_KIND_SUCCESS, "returning", "/3"},
  };
  check_events(c, want, 3);
  weft_capture_free(c);
}

static void test_scoped_block_goto_succeeds(void **state) {
  (void)state;
  volatile int jump = 1;
  weft_capture *c = capture_begin();
  WEFT_WITH_ACTION(a, "jumping") {
    (void)a;
    if (jump)
      goto out;
    WEFT_LOG("skipped");
  }
out:
  assert_int_equal(weft_action_current(), 0);
  capture_end(c);
  const event_spec want[] = {
      {WEFT_KIND_START, "jumping", "/1"},
      {WEFT_KIND_SUCCESS, "jumping", "/2"},
  };
  check_events(c, want, 2);
  weft_capture_free(c);
}

/* Failing inside the block finishes it once: no success afterwards. */
static void test_scoped_block_explicit_fail_is_final(void **state) {
  (void)state;
  int rc = -100;
  weft_capture *c = capture_begin();
  WEFT_WITH_ACTION(a, "failing") { rc = weft_action_fail(a, "bad input", 5); }
  assert_int_equal(weft_action_current(), 0);
  assert_int_equal(weft_message_log("next", NULL, 0), WEFT_OK);
  capture_end(c);

  assert_int_equal(rc, WEFT_OK);
  const event_spec want[] = {
      {WEFT_KIND_START, "failing", "/1"},
      {WEFT_KIND_FAILURE, "failing", "/2"},
      {WEFT_KIND_MESSAGE, "next", "/1"},
  };
  check_events(c, want, 3);
  assert_string_equal(event_at(c, 1)->reason, "bad input");
  assert_int_equal(event_at(c, 1)->code, 5);
  weft_capture_free(c);
}

static void test_scoped_blocks_nest(void **state) {
  (void)state;
  weft_capture *c = capture_begin();
  WEFT_WITH_ACTION(outer, "outer") {
    WEFT_WITH_ACTION(inner, "inner") {
      assert_int_not_equal(inner, outer);
      WEFT_LOG("deep");
    }
    assert_int_equal(weft_action_current(), outer);
  }
  capture_end(c);

  const event_spec want[] = {
      {WEFT_KIND_START, "outer", "/1"},    {WEFT_KIND_START, "inner", "/2/1"},
      {WEFT_KIND_MESSAGE, "deep", "/2/2"}, {WEFT_KIND_SUCCESS, "inner", "/2/3"},
      {WEFT_KIND_SUCCESS, "outer", "/3"},
  };
  check_events(c, want, 5);
  weft_capture_free(c);
}

/* An action opened inside a block and left open is finished before the
 * block's own action, so the trace stays well nested. */
static void test_scoped_block_closes_what_was_left_open(void **state) {
  (void)state;
  weft_action leaked = 0;
  weft_capture *c = capture_begin();
  WEFT_WITH_ACTION(a, "scope") {
    (void)a;
    assert_int_equal(weft_action_start(&leaked, "leaked", NULL, 0), WEFT_OK);
  }
  assert_int_equal(weft_action_current(), 0);
  assert_false(weft_action_is_open(leaked));
  capture_end(c);

  assert_int_equal(weft_capture_count(c), 4);
  check_event(event_at(c, 0), WEFT_KIND_START, "scope", "/1");
  check_event(event_at(c, 1), WEFT_KIND_START, "leaked", "/2/1");
  check_event(event_at(c, 2), WEFT_KIND_FAILURE, "leaked", "/2/2");
  assert_non_null(event_at(c, 2)->reason);
  check_event(event_at(c, 3), WEFT_KIND_SUCCESS, "scope", "/3");
  weft_capture_free(c);
}

/* ---- function form: the talk's badmath example --------------------------- */

static int64_t add(int64_t a, int64_t b) {
  WEFT_FUNCTION(fld_i64("a", a), fld_i64("b", b));
  return WEFT_RETURN_I64(a + b);
}

/* Wrong on purpose, like the talk's: the product starts at 0. */
static int64_t multiply(int64_t a, int64_t b) {
  WEFT_FUNCTION(fld_i64("a", a), fld_i64("b", b));
  int64_t product = 0;
  for (int64_t i = 0; i < b; i++)
    product *= a;
  return WEFT_RETURN_I64(product);
}

static int64_t multiplysum(int64_t a, int64_t b, int64_t c) {
  WEFT_FUNCTION(fld_i64("a", a), fld_i64("b", b), fld_i64("c", c));
  return WEFT_RETURN_I64(multiply(add(a, b), c));
}

static void test_scoped_function_multiplysum_tree(void **state) {
  (void)state;
  weft_capture *c = capture_begin();
  assert_int_equal(multiplysum(1, 2, 4), 0);
  assert_int_equal(weft_action_current(), 0);
  capture_end(c);

  const event_spec want[] = {
      {WEFT_KIND_START, "multiplysum", "/1"},
      {WEFT_KIND_START, "add", "/2/1"},
      {WEFT_KIND_SUCCESS, "add", "/2/2"},
      {WEFT_KIND_START, "multiply", "/3/1"},
      {WEFT_KIND_SUCCESS, "multiply", "/3/2"},
      {WEFT_KIND_SUCCESS, "multiplysum", "/4"},
  };
  check_events(c, want, 6);
  const weft_event *e = event_at(c, 0);
  assert_int_equal(e->nfields, 3);
  check_i64(e, "a", 1);
  check_i64(e, "b", 2);
  check_i64(e, "c", 4);
  e = event_at(c, 1);
  assert_int_equal(e->nfields, 2);
  check_i64(e, "a", 1);
  check_i64(e, "b", 2);
  check_i64(event_at(c, 2), "result", 3);
  check_i64(event_at(c, 3), "a", 3);
  check_i64(event_at(c, 3), "b", 4);
  check_i64(event_at(c, 4), "result", 0);
  assert_int_equal(event_at(c, 5)->nfields, 1);
  check_i64(event_at(c, 5), "result", 0);
  for (size_t i = 1; i < 6; i++)
    assert_true(same_task(event_at(c, 0), event_at(c, i)));
  weft_capture_free(c);
}

static const char *classify(int64_t x) {
  WEFT_FUNCTION(fld_i64("x", x));
  if (x < 0)
    return WEFT_RETURN_STR("negative");
  if (x == 0)
    return WEFT_RETURN_STR("zero");
  return WEFT_RETURN_STR("positive");
}

static int side_effects;

static void maybe_work(int64_t x) {
  WEFT_FUNCTION(fld_i64("x", x));
  if (x == 0)
    return;
  side_effects++;
}

static int64_t checked_div(int64_t a, int64_t b) {
  WEFT_FUNCTION(fld_i64("a", a), fld_i64("b", b));
  if (b == 0) {
    weft_action_fail(weft_fn, "division by zero", 33);
    return 0;
  }
  return WEFT_RETURN_I64(a / b);
}

/* Every return path finishes the action exactly once. */
static void test_scoped_function_every_return_path(void **state) {
  (void)state;
  side_effects = 0;
  weft_capture *c = capture_begin();
  assert_string_equal(classify(-5), "negative");
  assert_string_equal(classify(0), "zero");
  assert_string_equal(classify(7), "positive");
  maybe_work(0);
  maybe_work(1);
  assert_int_equal(checked_div(7, 2), 3);
  assert_int_equal(checked_div(1, 0), 0);
  assert_int_equal(weft_action_current(), 0);
  capture_end(c);

  assert_int_equal(side_effects, 1);
  const event_spec want[] = {
      {WEFT_KIND_START, "classify", "/1"},
      {WEFT_KIND_SUCCESS, "classify", "/2"},
      {WEFT_KIND_START, "classify", "/1"},
      {WEFT_KIND_SUCCESS, "classify", "/2"},
      {WEFT_KIND_START, "classify", "/1"},
      {WEFT_KIND_SUCCESS, "classify", "/2"},
      {WEFT_KIND_START, "maybe_work", "/1"},
      {WEFT_KIND_SUCCESS, "maybe_work", "/2"},
      {WEFT_KIND_START, "maybe_work", "/1"},
      {WEFT_KIND_SUCCESS, "maybe_work", "/2"},
      {WEFT_KIND_START, "checked_div", "/1"},
      {WEFT_KIND_SUCCESS, "checked_div", "/2"},
      {WEFT_KIND_START, "checked_div", "/1"},
      {WEFT_KIND_FAILURE, "checked_div", "/2"},
  };
  check_events(c, want, sizeof want / sizeof want[0]);
  check_i64(event_at(c, 0), "x", -5);
  check_str(event_at(c, 1), "result", "negative");
  check_str(event_at(c, 3), "result", "zero");
  check_str(event_at(c, 5), "result", "positive");
  assert_int_equal(event_at(c, 7)->nfields, 0);
  assert_int_equal(event_at(c, 9)->nfields, 0);
  check_i64(event_at(c, 11), "result", 3);
  const weft_event *f = event_at(c, 13);
  assert_string_equal(f->reason, "division by zero");
  assert_int_equal(f->code, 33);
  assert_null(weft_event_field(f, "result"));
  weft_capture_free(c);
}

static uint64_t ret_u64(void) {
  WEFT_FUNCTION();
  return WEFT_RETURN_U64(UINT64_MAX);
}
static double ret_f64(void) {
  WEFT_FUNCTION();
  return WEFT_RETURN_F64(-2.5);
}
static int ret_bool(void) {
  WEFT_FUNCTION();
  return WEFT_RETURN_BOOL(1);
}

static void test_scoped_function_results_of_each_type(void **state) {
  (void)state;
  weft_capture *c = capture_begin();
  assert_true(ret_u64() == UINT64_MAX);
  assert_true(ret_f64() == -2.5);
  assert_int_equal(ret_bool(), 1);
  capture_end(c);

  assert_int_equal(weft_capture_count(c), 6);
  check_event(event_at(c, 0), WEFT_KIND_START, "ret_u64", "/1");
  assert_int_equal(event_at(c, 0)->nfields, 0);
  check_u64(event_at(c, 1), "result", UINT64_MAX);
  check_event(event_at(c, 2), WEFT_KIND_START, "ret_f64", "/1");
  check_f64(event_at(c, 3), "result", -2.5);
  check_event(event_at(c, 4), WEFT_KIND_START, "ret_bool", "/1");
  check_bool(event_at(c, 5), "result", 1);
  weft_capture_free(c);
}

static int64_t fact(int64_t n) {
  WEFT_FUNCTION(fld_i64("n", n));
  if (n <= 1)
    return WEFT_RETURN_I64(1);
  return WEFT_RETURN_I64(n * fact(n - 1));
}

static void test_scoped_function_recursion_nests(void **state) {
  (void)state;
  weft_capture *c = capture_begin();
  assert_int_equal(fact(3), 6);
  capture_end(c);

  const event_spec want[] = {
      {WEFT_KIND_START, "fact", "/1"},
      {WEFT_KIND_START, "fact", "/2/1"},
      {WEFT_KIND_START, "fact", "/2/2/1"},
      {WEFT_KIND_SUCCESS, "fact", "/2/2/2"},
      {WEFT_KIND_SUCCESS, "fact", "/2/3"},
      {WEFT_KIND_SUCCESS, "fact", "/3"},
  };
  check_events(c, want, 6);
  check_i64(event_at(c, 2), "n", 1);
  check_i64(event_at(c, 3), "result", 1);
  check_i64(event_at(c, 4), "result", 2);
  check_i64(event_at(c, 5), "result", 6);
  weft_capture_free(c);
}

/* ---- statement macros ------------------------------------------------------
 */

static void test_scoped_start_and_log_macros(void **state) {
  (void)state;
  weft_capture *c = capture_begin();
  for (int i = 0; i < 2; i++) {
    weft_action a = 0, b = 0;
    assert_int_equal(
        WEFT_ACTION_START(&a, "site", fld_i64("i", i), fld_str("tag", "t")),
        WEFT_OK);
    assert_int_equal(WEFT_ACTION_START(&b, "bare_site"), WEFT_OK);
    assert_int_equal(WEFT_LOG("tick"), WEFT_OK);
    assert_int_equal(WEFT_LOG("tock", fld_f64("v", i + 0.5)), WEFT_OK);
    assert_int_equal(weft_action_succeed(b), WEFT_OK);
    assert_int_equal(weft_action_succeed(a), WEFT_OK);
  }
  capture_end(c);

  assert_int_equal(weft_capture_count(c), 12);
  for (int i = 0; i < 2; i++) {
    const weft_event *e = event_at(c, (size_t)(6 * i));
    check_event(e, WEFT_KIND_START, "site", "/1");
    check_i64(e, "i", i);
    check_str(e, "tag", "t");
    check_event(event_at(c, (size_t)(6 * i + 1)), WEFT_KIND_START, "bare_site",
                "/2/1");
    check_event(event_at(c, (size_t)(6 * i + 2)), WEFT_KIND_MESSAGE, "tick",
                "/2/2");
    e = event_at(c, (size_t)(6 * i + 3));
    check_event(e, WEFT_KIND_MESSAGE, "tock", "/2/3");
    check_f64(e, "v", i + 0.5);
  }
  weft_capture_free(c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      weft_unit_test(test_scoped_block_normal_exit_succeeds),
      weft_unit_test(test_scoped_block_break_and_continue_succeed),
      weft_unit_test(test_scoped_block_return_succeeds),
      weft_unit_test(test_scoped_block_goto_succeeds),
      weft_unit_test(test_scoped_block_explicit_fail_is_final),
      weft_unit_test(test_scoped_blocks_nest),
      weft_unit_test(test_scoped_block_closes_what_was_left_open),
      weft_unit_test(test_scoped_function_multiplysum_tree),
      weft_unit_test(test_scoped_function_every_return_path),
      weft_unit_test(test_scoped_function_results_of_each_type),
      weft_unit_test(test_scoped_function_recursion_nests),
      weft_unit_test(test_scoped_start_and_log_macros),
  };
  return cmocka_run_group_tests_name("scoped", tests, NULL, NULL);
}
