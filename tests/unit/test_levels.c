/*
 * test_levels.c - Eliot task levels: every event of a task gets the path of
 * child slots from the root, as Eliot's parser expects (start = .../1, each
 * child message or action takes the next slot, the end takes the last).
 */
#include "event_assert.h"

/* Eliot's worked example (docs/source/generating/actions.rst). */
static void test_levels_eliot_worked_example(void **state) {
  (void)state;
  weft_capture *c = capture_begin();
  weft_action parent = 0, child = 0;
  assert_int_equal(weft_action_start(&parent, "parent", NULL, 0), WEFT_OK);
  weft_field x1 = fld_i64("x", 1);
  assert_int_equal(weft_message_log("info", &x1, 1), WEFT_OK);
  assert_int_equal(weft_action_start(&child, "child", NULL, 0), WEFT_OK);
  weft_field x2 = fld_i64("x", 2);
  assert_int_equal(weft_message_log("info", &x2, 1), WEFT_OK);
  assert_int_equal(weft_action_succeed(child), WEFT_OK);
  assert_int_equal(weft_action_fail(parent, "ono", 0), WEFT_OK);
  capture_end(c);

  const event_spec want[] = {
      {WEFT_KIND_START, "parent", "/1"},    {WEFT_KIND_MESSAGE, "info", "/2"},
      {WEFT_KIND_START, "child", "/3/1"},   {WEFT_KIND_MESSAGE, "info", "/3/2"},
      {WEFT_KIND_SUCCESS, "child", "/3/3"}, {WEFT_KIND_FAILURE, "parent", "/4"},
  };
  check_events(c, want, sizeof want / sizeof want[0]);
  check_i64(event_at(c, 1), "x", 1);
  check_i64(event_at(c, 3), "x", 2);
  const weft_event *end = event_at(c, 5);
  assert_non_null(end->reason);
  assert_string_equal(end->reason, "ono");
  for (size_t i = 1; i < 6; i++)
    assert_true(same_task(event_at(c, 0), event_at(c, i)));
  weft_capture_free(c);
}

static void test_levels_standalone_message_is_own_task(void **state) {
  (void)state;
  weft_capture *c = capture_begin();
  assert_int_equal(weft_message_log("alone", NULL, 0), WEFT_OK);
  assert_int_equal(weft_message_log("alone", NULL, 0), WEFT_OK);
  capture_end(c);

  const event_spec want[] = {
      {WEFT_KIND_MESSAGE, "alone", "/1"},
      {WEFT_KIND_MESSAGE, "alone", "/1"},
  };
  check_events(c, want, 2);
  const weft_event *a = event_at(c, 0), *b = event_at(c, 1);
  assert_true(a->task_hi != 0 || a->task_lo != 0);
  assert_false(same_task(a, b));
  weft_capture_free(c);
}

static void test_levels_messages_take_consecutive_slots(void **state) {
  (void)state;
  weft_capture *c = capture_begin();
  weft_action a = 0;
  assert_int_equal(weft_action_start(&a, "root", NULL, 0), WEFT_OK);
  for (int i = 0; i < 3; i++)
    assert_int_equal(weft_message_log("tick", NULL, 0), WEFT_OK);
  assert_int_equal(weft_action_succeed(a), WEFT_OK);
  capture_end(c);

  const event_spec want[] = {
      {WEFT_KIND_START, "root", "/1"},   {WEFT_KIND_MESSAGE, "tick", "/2"},
      {WEFT_KIND_MESSAGE, "tick", "/3"}, {WEFT_KIND_MESSAGE, "tick", "/4"},
      {WEFT_KIND_SUCCESS, "root", "/5"},
  };
  check_events(c, want, 5);
  weft_capture_free(c);
}

static void test_levels_sibling_actions_take_one_slot_each(void **state) {
  (void)state;
  weft_capture *c = capture_begin();
  weft_action root = 0, a = 0, b = 0;
  assert_int_equal(weft_action_start(&root, "root", NULL, 0), WEFT_OK);
  assert_int_equal(weft_action_start(&a, "a", NULL, 0), WEFT_OK);
  assert_int_equal(weft_message_log("in_a", NULL, 0), WEFT_OK);
  assert_int_equal(weft_action_succeed(a), WEFT_OK);
  assert_int_equal(weft_action_start(&b, "b", NULL, 0), WEFT_OK);
  assert_int_equal(weft_action_fail(b, "no", 3), WEFT_OK);
  assert_int_equal(weft_message_log("after", NULL, 0), WEFT_OK);
  assert_int_equal(weft_action_succeed(root), WEFT_OK);
  capture_end(c);

  const event_spec want[] = {
      {WEFT_KIND_START, "root", "/1"},     {WEFT_KIND_START, "a", "/2/1"},
      {WEFT_KIND_MESSAGE, "in_a", "/2/2"}, {WEFT_KIND_SUCCESS, "a", "/2/3"},
      {WEFT_KIND_START, "b", "/3/1"},      {WEFT_KIND_FAILURE, "b", "/3/2"},
      {WEFT_KIND_MESSAGE, "after", "/4"},  {WEFT_KIND_SUCCESS, "root", "/5"},
  };
  check_events(c, want, sizeof want / sizeof want[0]);
  weft_capture_free(c);
}

static void test_levels_deep_nesting_paths(void **state) {
  (void)state;
  weft_capture *c = capture_begin();
  weft_action a[4] = {0};
  static const char *const types[4] = {"l0", "l1", "l2", "l3"};
  for (int i = 0; i < 4; i++)
    assert_int_equal(weft_action_start(&a[i], types[i], NULL, 0), WEFT_OK);
  for (int i = 3; i >= 0; i--)
    assert_int_equal(weft_action_succeed(a[i]), WEFT_OK);
  capture_end(c);

  const event_spec want[] = {
      {WEFT_KIND_START, "l0", "/1"},
      {WEFT_KIND_START, "l1", "/2/1"},
      {WEFT_KIND_START, "l2", "/2/2/1"},
      {WEFT_KIND_START, "l3", "/2/2/2/1"},
      {WEFT_KIND_SUCCESS, "l3", "/2/2/2/2"},
      {WEFT_KIND_SUCCESS, "l2", "/2/2/3"},
      {WEFT_KIND_SUCCESS, "l1", "/2/3"},
      {WEFT_KIND_SUCCESS, "l0", "/3"},
  };
  check_events(c, want, sizeof want / sizeof want[0]);
  weft_capture_free(c);
}

/* Success fields are shown with the end: adding them takes no slot. */
static void test_levels_add_takes_no_slot(void **state) {
  (void)state;
  weft_capture *c = capture_begin();
  weft_action a = 0;
  assert_int_equal(weft_action_start(&a, "root", NULL, 0), WEFT_OK);
  weft_field f = fld_i64("rows", 7);
  assert_int_equal(weft_action_add(a, &f, 1), WEFT_OK);
  assert_int_equal(weft_message_log("m", NULL, 0), WEFT_OK);
  assert_int_equal(weft_action_succeed(a), WEFT_OK);
  capture_end(c);

  const event_spec want[] = {
      {WEFT_KIND_START, "root", "/1"},
      {WEFT_KIND_MESSAGE, "m", "/2"},
      {WEFT_KIND_SUCCESS, "root", "/3"},
  };
  check_events(c, want, 3);
  check_i64(event_at(c, 2), "rows", 7);
  weft_capture_free(c);
}

/* A root that ended does not leak its levels into the next root. */
static void test_levels_restart_at_one_for_each_root(void **state) {
  (void)state;
  weft_capture *c = capture_begin();
  for (int i = 0; i < 2; i++) {
    weft_action a = 0;
    assert_int_equal(weft_action_start(&a, "root", NULL, 0), WEFT_OK);
    assert_int_equal(weft_message_log("m", NULL, 0), WEFT_OK);
    assert_int_equal(weft_action_succeed(a), WEFT_OK);
  }
  assert_int_equal(weft_message_log("alone", NULL, 0), WEFT_OK);
  capture_end(c);

  const event_spec want[] = {
      {WEFT_KIND_START, "root", "/1"},    {WEFT_KIND_MESSAGE, "m", "/2"},
      {WEFT_KIND_SUCCESS, "root", "/3"},  {WEFT_KIND_START, "root", "/1"},
      {WEFT_KIND_MESSAGE, "m", "/2"},     {WEFT_KIND_SUCCESS, "root", "/3"},
      {WEFT_KIND_MESSAGE, "alone", "/1"},
  };
  check_events(c, want, sizeof want / sizeof want[0]);
  assert_false(same_task(event_at(c, 0), event_at(c, 3)));
  assert_false(same_task(event_at(c, 3), event_at(c, 6)));
  weft_capture_free(c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      weft_unit_test(test_levels_eliot_worked_example),
      weft_unit_test(test_levels_standalone_message_is_own_task),
      weft_unit_test(test_levels_messages_take_consecutive_slots),
      weft_unit_test(test_levels_sibling_actions_take_one_slot_each),
      weft_unit_test(test_levels_deep_nesting_paths),
      weft_unit_test(test_levels_add_takes_no_slot),
      weft_unit_test(test_levels_restart_at_one_for_each_root),
  };
  return cmocka_run_group_tests_name("levels", tests, NULL, NULL);
}
