/*
 * test_misuse.c - misuse gets an error code and a message, never a crash,
 * and leaves the trace well formed: finishing twice, finishing on another
 * thread, finishing an outer action while an inner one is open, NULL and
 * malformed arguments, a second capture.
 */
#include "event_assert.h"

#include <pthread.h>

static void expect_error_at(int rc, int want, int line) {
  if (rc != want) {
    print_error("line %d: got %s (%d), expected %s\n", line, weft_err_name(rc),
                rc, weft_err_name(want));
    fail();
  }
  if (weft_errmsg()[0] == '\0') {
    print_error("line %d: %s without a weft_errmsg()\n", line,
                weft_err_name(rc));
    fail();
  }
}
#define expect_error(rc, want) expect_error_at((rc), (want), __LINE__)

static void test_misuse_finish_twice(void **state) {
  (void)state;
  weft_capture *c = capture_begin();
  weft_action a = 0;
  assert_int_equal(weft_action_start(&a, "once", NULL, 0), WEFT_OK);
  assert_int_equal(weft_action_succeed(a), WEFT_OK);
  expect_error(weft_action_succeed(a), WEFT_EFINISHED);
  expect_error(weft_action_fail(a, "again", 1), WEFT_EFINISHED);
  weft_field f = fld_i64("late", 1);
  expect_error(weft_action_add(a, &f, 1), WEFT_EFINISHED);
  weft_action b = 0;
  assert_int_equal(weft_action_start(&b, "failed_once", NULL, 0), WEFT_OK);
  assert_int_equal(weft_action_fail(b, "first", 1), WEFT_OK);
  expect_error(weft_action_fail(b, "second", 2), WEFT_EFINISHED);
  expect_error(weft_action_succeed(b), WEFT_EFINISHED);
  capture_end(c);

  const event_spec want[] = {
      {WEFT_KIND_START, "once", "/1"},
      {WEFT_KIND_SUCCESS, "once", "/2"},
      {WEFT_KIND_START, "failed_once", "/1"},
      {WEFT_KIND_FAILURE, "failed_once", "/2"},
  };
  check_events(c, want, 4);
  assert_int_equal(event_at(c, 1)->nfields, 0);
  assert_string_equal(event_at(c, 3)->reason, "first");
  weft_capture_free(c);
}

typedef struct foreign {
  weft_action a;
  int rc_succeed, rc_fail, rc_add;
  int errmsg_set;
} foreign;

static void *finish_elsewhere(void *arg) {
  foreign *f = arg;
  weft_field x = fld_i64("x", 1);
  f->rc_succeed = weft_action_succeed(f->a);
  f->rc_fail = weft_action_fail(f->a, "not mine", 1);
  f->rc_add = weft_action_add(f->a, &x, 1);
  f->errmsg_set = weft_errmsg()[0] != '\0';
  return NULL;
}

static void test_misuse_finish_on_another_thread(void **state) {
  (void)state;
  weft_capture *c = capture_begin();
  weft_action a = 0;
  assert_int_equal(weft_action_start(&a, "owned", NULL, 0), WEFT_OK);
  foreign f = {.a = a};
  pthread_t th;
  assert_int_equal(pthread_create(&th, NULL, finish_elsewhere, &f), 0);
  assert_int_equal(pthread_join(th, NULL), 0);
  assert_int_equal(f.rc_succeed, WEFT_ETHREAD);
  assert_int_equal(f.rc_fail, WEFT_ETHREAD);
  assert_int_equal(f.rc_add, WEFT_ETHREAD);
  assert_true(f.errmsg_set);
  /* Still open, and its owner finishes it normally. */
  assert_true(weft_action_is_open(a));
  assert_int_equal(weft_action_current(), a);
  assert_int_equal(weft_action_succeed(a), WEFT_OK);
  capture_end(c);

  const event_spec want[] = {
      {WEFT_KIND_START, "owned", "/1"},
      {WEFT_KIND_SUCCESS, "owned", "/2"},
  };
  check_events(c, want, 2);
  assert_int_equal(event_at(c, 1)->nfields, 0);
  weft_capture_free(c);
}

static void test_misuse_finish_outer_while_inner_open(void **state) {
  (void)state;
  weft_capture *c = capture_begin();
  weft_action outer = 0, inner = 0;
  assert_int_equal(weft_action_start(&outer, "outer", NULL, 0), WEFT_OK);
  assert_int_equal(weft_action_start(&inner, "inner", NULL, 0), WEFT_OK);
  expect_error(weft_action_succeed(outer), WEFT_EUNBALANCED);
  expect_error(weft_action_fail(outer, "x", 1), WEFT_EUNBALANCED);
  /* Nothing changed. */
  assert_true(weft_action_is_open(outer));
  assert_true(weft_action_is_open(inner));
  assert_int_equal(weft_action_current(), inner);
  assert_int_equal(weft_action_succeed(inner), WEFT_OK);
  assert_int_equal(weft_action_succeed(outer), WEFT_OK);
  capture_end(c);

  const event_spec want[] = {
      {WEFT_KIND_START, "outer", "/1"},
      {WEFT_KIND_START, "inner", "/2/1"},
      {WEFT_KIND_SUCCESS, "inner", "/2/2"},
      {WEFT_KIND_SUCCESS, "outer", "/3"},
  };
  check_events(c, want, 4);
  weft_capture_free(c);
}

static void test_misuse_null_and_bad_arguments(void **state) {
  (void)state;
  weft_capture *c = capture_begin();
  weft_action a = 0;
  const weft_field ok = fld_i64("n", 1);
  weft_field noname = fld_i64(NULL, 1);
  weft_field empty = fld_i64("", 1);
  weft_field badtype = fld_i64("t", 1);
  badtype.type = 99;
  weft_field zerotype = fld_i64("t", 1);
  zerotype.type = 0;
  weft_field nullstr = fld_strn("s", NULL, 5);

  expect_error(weft_action_start(NULL, "t", NULL, 0), WEFT_EINVAL);
  expect_error(weft_action_start(&a, NULL, NULL, 0), WEFT_EINVAL);
  expect_error(weft_action_start(&a, "", NULL, 0), WEFT_EINVAL);
  expect_error(weft_action_start(&a, "t", NULL, 2), WEFT_EINVAL);
  expect_error(weft_action_start(&a, "t", &noname, 1), WEFT_EINVAL);
  expect_error(weft_action_start(&a, "t", &empty, 1), WEFT_EINVAL);
  expect_error(weft_action_start(&a, "t", &badtype, 1), WEFT_EINVAL);
  expect_error(weft_action_start(&a, "t", &zerotype, 1), WEFT_EINVAL);
  expect_error(weft_action_start(&a, "t", &nullstr, 1), WEFT_EINVAL);
  assert_int_equal(weft_action_current(), 0);

  expect_error(weft_message_log(NULL, &ok, 1), WEFT_EINVAL);
  expect_error(weft_message_log("", &ok, 1), WEFT_EINVAL);
  expect_error(weft_message_log("m", NULL, 1), WEFT_EINVAL);
  expect_error(weft_message_log("m", &noname, 1), WEFT_EINVAL);
  expect_error(weft_message_log("m", &badtype, 1), WEFT_EINVAL);
  expect_error(weft_message_log("m", &nullstr, 1), WEFT_EINVAL);

  expect_error(weft_action_succeed(0), WEFT_EINVAL);
  expect_error(weft_action_fail(0, "r", 0), WEFT_EINVAL);

  assert_int_equal(weft_action_start(&a, "valid", NULL, 0), WEFT_OK);
  expect_error(weft_action_add(a, NULL, 1), WEFT_EINVAL);
  expect_error(weft_action_add(a, &noname, 1), WEFT_EINVAL);
  expect_error(weft_action_add(0, &ok, 1), WEFT_EINVAL);
  assert_int_equal(weft_action_succeed(a), WEFT_OK);

  expect_error(weft_global_add(NULL, 1), WEFT_EINVAL);
  expect_error(weft_global_add(&noname, 1), WEFT_EINVAL);
  expect_error(weft_stats_get(NULL), WEFT_EINVAL);
  expect_error(weft_capture_start(NULL), WEFT_EINVAL);
  expect_error(weft_capture_stop(NULL), WEFT_EINVAL);
  expect_error(weft_options_from_env(NULL), WEFT_EINVAL);
  capture_end(c);

  /* Only the valid action was recorded; no refused call left a trace. */
  const event_spec want[] = {
      {WEFT_KIND_START, "valid", "/1"},
      {WEFT_KIND_SUCCESS, "valid", "/2"},
  };
  check_events(c, want, 2);
  assert_int_equal(event_at(c, 1)->nfields, 0);
  assert_int_equal(weft_capture_global_count(c), 0);
  weft_capture_free(c);

  /* The NULL-tolerant accessors. */
  assert_int_equal(weft_capture_count(NULL), 0);
  assert_null(weft_capture_event(NULL, 0));
  assert_int_equal(weft_capture_find(NULL, 0, 0, NULL), -1);
  assert_int_equal(weft_capture_global_count(NULL), 0);
  assert_null(weft_capture_global(NULL, 0));
  assert_int_equal(weft_capture_dropped(NULL), 0);
  weft_capture_free(NULL);
}

static void test_misuse_second_capture_refused(void **state) {
  (void)state;
  weft_capture *c = capture_begin();
  weft_capture *d = NULL;
  expect_error(weft_capture_start(&d), WEFT_ECAPTURE);
  assert_null(d);
  assert_int_equal(weft_message_log("m", NULL, 0), WEFT_OK);
  capture_end(c);
  assert_int_not_equal(weft_capture_stop(c), WEFT_OK);
  assert_int_equal(weft_capture_count(c), 1);
  weft_capture_free(c);

  /* Once it is stopped, the next capture may start. */
  c = capture_begin();
  capture_end(c);
  assert_int_equal(weft_capture_count(c), 0);
  assert_null(weft_capture_event(c, 0));
  weft_capture_free(c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      weft_unit_test(test_misuse_finish_twice),
      weft_unit_test(test_misuse_finish_on_another_thread),
      weft_unit_test(test_misuse_finish_outer_while_inner_open),
      weft_unit_test(test_misuse_null_and_bad_arguments),
      weft_unit_test(test_misuse_second_capture_refused),
  };
  return cmocka_run_group_tests_name("misuse", tests, NULL, NULL);
}
