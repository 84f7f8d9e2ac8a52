/*
 * test_nested_continue.c - a context continued while the thread has its
 * own actions open (every rank of an MPI job has its "main" open when a
 * collective phase of rank 0 is continued on it): the continued action
 * takes its level from the context, not from the action below it, and the
 * action below goes on with its own slots afterwards.
 */
#include "event_assert.h"

static void test_nested_continue_levels(void **state) {
  (void)state;
  char ctx[WEFT_CONTEXT_MAX], inner_ctx[WEFT_CONTEXT_MAX];
  weft_capture *c = capture_begin();
  weft_action root = 0, local = 0, step = 0, inner = 0;
  assert_int_equal(weft_action_start(&root, "root", NULL, 0), WEFT_OK);
  assert_int_equal(weft_context_serialize(0, ctx, sizeof ctx, NULL), WEFT_OK);
  assert_int_equal(weft_action_start(&local, "local", NULL, 0), WEFT_OK);
  assert_int_equal(weft_message_log("before", NULL, 0), WEFT_OK);
  assert_int_equal(weft_context_continue(&step, ctx, "step", NULL, 0), WEFT_OK);
  assert_int_equal(weft_action_start(&inner, "inner", NULL, 0), WEFT_OK);
  /* Serializing inside uses the continued level, not the local one. */
  assert_int_equal(weft_context_serialize(0, inner_ctx, sizeof inner_ctx, NULL),
                   WEFT_OK);
  assert_int_equal(weft_action_succeed(inner), WEFT_OK);
  assert_int_equal(weft_message_log("in_step", NULL, 0), WEFT_OK);
  /* The local action cannot end while the continued one is open. */
  assert_int_equal(weft_action_succeed(local), WEFT_EUNBALANCED);
  assert_int_equal(weft_action_succeed(step), WEFT_OK);
  assert_int_equal(weft_message_log("after", NULL, 0), WEFT_OK);
  assert_int_equal(weft_action_succeed(local), WEFT_OK);
  assert_int_equal(weft_action_succeed(root), WEFT_OK);
  capture_end(c);

  const event_spec want[] = {
      {WEFT_KIND_START, "root", "/1"},
      {WEFT_KIND_START, "local", "/3/1"},
      {WEFT_KIND_MESSAGE, "before", "/3/2"},
      {WEFT_KIND_START, "step", "/2/1"},
      {WEFT_KIND_START, "inner", "/2/2/1"},
      {WEFT_KIND_SUCCESS, "inner", "/2/2/3"},
      {WEFT_KIND_MESSAGE, "in_step", "/2/3"},
      {WEFT_KIND_SUCCESS, "step", "/2/4"},
      {WEFT_KIND_MESSAGE, "after", "/3/3"},
      {WEFT_KIND_SUCCESS, "local", "/3/4"},
      {WEFT_KIND_SUCCESS, "root", "/4"},
  };
  check_events(c, want, sizeof want / sizeof want[0]);
  for (size_t i = 1; i < sizeof want / sizeof want[0]; i++)
    assert_true(same_task(event_at(c, 0), event_at(c, i)));
  const char *at = strchr(inner_ctx, '@');
  assert_non_null(at);
  assert_string_equal(at, "@/2/2/2");
  weft_capture_free(c);
}

/* A context of another task continued inside this thread's action: the
 * continued action and what it holds belong to that task. */
static void test_nested_continue_other_task(void **state) {
  (void)state;
  char ctx[WEFT_CONTEXT_MAX];
  weft_capture *c = capture_begin();
  weft_action a = 0, b = 0, x = 0;
  assert_int_equal(weft_action_start(&a, "origin", NULL, 0), WEFT_OK);
  assert_int_equal(weft_context_serialize(0, ctx, sizeof ctx, NULL), WEFT_OK);
  assert_int_equal(weft_action_succeed(a), WEFT_OK);
  assert_int_equal(weft_action_start(&b, "other_task", NULL, 0), WEFT_OK);
  assert_int_equal(weft_context_continue(&x, ctx, "remote", NULL, 0), WEFT_OK);
  assert_int_equal(weft_message_log("inside", NULL, 0), WEFT_OK);
  assert_int_equal(weft_action_succeed(x), WEFT_OK);
  assert_int_equal(weft_action_succeed(b), WEFT_OK);
  capture_end(c);

  const event_spec want[] = {
      {WEFT_KIND_START, "origin", "/1"},
      {WEFT_KIND_SUCCESS, "origin", "/3"},
      {WEFT_KIND_START, "other_task", "/1"},
      {WEFT_KIND_START, "remote", "/2/1"},
      {WEFT_KIND_MESSAGE, "inside", "/2/2"},
      {WEFT_KIND_SUCCESS, "remote", "/2/3"},
      {WEFT_KIND_SUCCESS, "other_task", "/2"},
  };
  check_events(c, want, sizeof want / sizeof want[0]);
  assert_true(same_task(event_at(c, 0), event_at(c, 3)));
  assert_true(same_task(event_at(c, 0), event_at(c, 4)));
  assert_false(same_task(event_at(c, 0), event_at(c, 2)));
  assert_true(same_task(event_at(c, 2), event_at(c, 6)));
  weft_capture_free(c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      weft_unit_test(test_nested_continue_levels),
      weft_unit_test(test_nested_continue_other_task),
  };
  return cmocka_run_group_tests_name("nested_continue", tests, NULL, NULL);
}
