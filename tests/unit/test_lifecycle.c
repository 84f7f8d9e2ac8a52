/*
 * test_lifecycle.c - weft_init and weft_shutdown: every call before init
 * and after shutdown is refused with an error (never a crash), init twice
 * is refused, and a new init starts clean: handles and call-site caches of
 * the previous one do not leak into it.
 *
 * The cases run in order in one process; the first one needs a process in
 * which weft_init was never called.
 */
#include "event_assert.h"

#include <pthread.h>
#include <string.h>

static void test_lifecycle_calls_before_init_refused(void **state) {
  (void)state;
  weft_action a = 0;
  weft_field f = fld_i64("n", 1);
  weft_capture *c = NULL;
  weft_stats st;
  char buf[WEFT_CONTEXT_MAX];
  size_t len;
  assert_false(weft_is_initialized());
  assert_int_equal(weft_action_start(&a, "t", &f, 1), WEFT_ENOTINIT);
  /* A program that only calls weft_mpi_init is told why too. */
  assert_non_null(strstr(weft_errmsg(), "weft_mpi_init"));
  assert_int_equal(a, 0);
  assert_int_equal(weft_message_log("m", &f, 1), WEFT_ENOTINIT);
  assert_int_equal(weft_action_add(1, &f, 1), WEFT_ENOTINIT);
  assert_int_equal(weft_action_succeed(1), WEFT_ENOTINIT);
  assert_int_equal(weft_action_fail(1, "r", 0), WEFT_ENOTINIT);
  assert_int_equal(weft_global_add(&f, 1), WEFT_ENOTINIT);
  assert_int_equal(weft_capture_start(&c), WEFT_ENOTINIT);
  assert_null(c);
  assert_int_equal(weft_stats_get(&st), WEFT_ENOTINIT);
  assert_int_equal(weft_context_serialize(0, buf, sizeof buf, &len),
                   WEFT_ENOTINIT);
  assert_int_equal(weft_context_continue(
                       &a, "0123456789abcdef0123456789abcdef@/2", "t", NULL, 0),
                   WEFT_ENOTINIT);
  assert_int_equal(WEFT_LOG("macro"), WEFT_ENOTINIT);
  assert_int_equal(weft_action_current(), 0);
  assert_false(weft_action_is_open(1));
  assert_int_equal(weft_shutdown(), WEFT_ENOTINIT);
}

static void test_lifecycle_init_twice_refused(void **state) {
  (void)state;
  assert_int_equal(weft_init(NULL), WEFT_OK);
  assert_true(weft_is_initialized());
  assert_int_equal(weft_init(NULL), WEFT_EINIT);
  assert_true(weft_errmsg()[0] != '\0');
  assert_true(weft_is_initialized());
  /* The first init is still in force. */
  assert_int_equal(weft_message_log("m", NULL, 0), WEFT_OK);
  assert_int_equal(weft_shutdown(), WEFT_OK);
  assert_false(weft_is_initialized());
  assert_int_equal(weft_shutdown(), WEFT_ENOTINIT);
}

typedef struct late_thread {
  int rc_start, rc_log;
} late_thread;

static void *log_after_shutdown(void *arg) {
  late_thread *l = arg;
  weft_action a = 0;
  l->rc_start = weft_action_start(&a, "late", NULL, 0);
  l->rc_log = weft_message_log("late", NULL, 0);
  return NULL;
}

static weft_action abandoned; /* left open across a shutdown */

static void test_lifecycle_calls_after_shutdown_refused(void **state) {
  (void)state;
  assert_int_equal(weft_init(NULL), WEFT_OK);
  assert_int_equal(weft_action_start(&abandoned, "abandoned", NULL, 0),
                   WEFT_OK);
  assert_int_equal(weft_message_log("inside", NULL, 0), WEFT_OK);
  /* Open actions do not prevent shutdown. */
  assert_int_equal(weft_shutdown(), WEFT_OK);

  weft_action a = 0;
  weft_field f = fld_i64("n", 1);
  assert_int_equal(weft_action_start(&a, "t", &f, 1), WEFT_ESHUTDOWN);
  assert_true(weft_errmsg()[0] != '\0');
  assert_int_equal(weft_message_log("m", &f, 1), WEFT_ESHUTDOWN);
  assert_int_equal(weft_action_succeed(abandoned), WEFT_ESHUTDOWN);
  assert_int_equal(weft_action_add(abandoned, &f, 1), WEFT_ESHUTDOWN);
  assert_int_equal(weft_global_add(&f, 1), WEFT_ESHUTDOWN);
  assert_int_equal(weft_action_current(), 0);
  assert_false(weft_action_is_open(abandoned));
  weft_capture *c = NULL;
  int rc = weft_capture_start(&c);
  assert_true(rc == WEFT_ESHUTDOWN || rc == WEFT_ENOTINIT);
  assert_null(c);
  weft_stats st;
  rc = weft_stats_get(&st);
  assert_true(rc == WEFT_ESHUTDOWN || rc == WEFT_ENOTINIT);

  /* A thread that never logged is refused too. */
  late_thread l = {0, 0};
  pthread_t th;
  assert_int_equal(pthread_create(&th, NULL, log_after_shutdown, &l), 0);
  assert_int_equal(pthread_join(th, NULL), 0);
  assert_true(l.rc_start == WEFT_ESHUTDOWN || l.rc_start == WEFT_ENOTINIT);
  assert_true(l.rc_log == WEFT_ESHUTDOWN || l.rc_log == WEFT_ENOTINIT);
}

static int macro_site_log(void) { return WEFT_LOG("alpha", fld_i64("a", 1)); }

/* After a new init: the abandoned action of the previous one is unknown
 * (its handle does not finish a new action), and a call site cached in the
 * previous generation interns its schema again. */
static void test_lifecycle_reinit_starts_clean(void **state) {
  (void)state;
  assert_int_equal(weft_init(NULL), WEFT_OK);
  assert_int_equal(macro_site_log(), WEFT_OK); /* cache the site */
  assert_int_equal(weft_shutdown(), WEFT_OK);

  assert_int_equal(weft_init(NULL), WEFT_OK);
  weft_capture *c = capture_begin();
  /* Take the schema ids the old generation gave to the site. */
  weft_field other = fld_str("b", "text");
  assert_int_equal(weft_message_log("beta", &other, 1), WEFT_OK);
  weft_action fresh = 0;
  assert_int_equal(weft_action_start(&fresh, "fresh", NULL, 0), WEFT_OK);
  assert_false(weft_action_is_open(abandoned));
  assert_int_equal(weft_action_succeed(abandoned), WEFT_EFINISHED);
  assert_true(weft_action_is_open(fresh));
  assert_int_equal(weft_action_current(), fresh);
  assert_int_equal(macro_site_log(), WEFT_OK);
  assert_int_equal(weft_action_succeed(fresh), WEFT_OK);
  capture_end(c);

  const event_spec want[] = {
      {WEFT_KIND_MESSAGE, "beta", "/1"},
      {WEFT_KIND_START, "fresh", "/1"},
      {WEFT_KIND_MESSAGE, "alpha", "/2"},
      {WEFT_KIND_SUCCESS, "fresh", "/3"},
  };
  check_events(c, want, 4);
  check_str(event_at(c, 0), "b", "text");
  check_i64(event_at(c, 2), "a", 1);
  weft_capture_free(c);

  /* Nothing of the first generation's open action reached this one. */
  weft_stats st;
  assert_int_equal(weft_stats_get(&st), WEFT_OK);
  assert_int_equal(st.events, 4);
  assert_int_equal(weft_shutdown(), WEFT_OK);
}

/* A capture's events outlive weft_shutdown. */
static void test_lifecycle_capture_outlives_shutdown(void **state) {
  (void)state;
  assert_int_equal(weft_init(NULL), WEFT_OK);
  weft_capture *c = capture_begin();
  weft_field f = fld_str("s", "kept");
  assert_int_equal(weft_message_log("m", &f, 1), WEFT_OK);
  capture_end(c);
  assert_int_equal(weft_shutdown(), WEFT_OK);
  assert_int_equal(weft_capture_count(c), 1);
  check_event(event_at(c, 0), WEFT_KIND_MESSAGE, "m", "/1");
  check_str(event_at(c, 0), "s", "kept");
  weft_capture_free(c);
}

/* A failed case may leave weft initialised; start the next one clean. */
static int setup_shut_down(void **state) {
  (void)state;
  if (weft_is_initialized())
    return weft_shutdown() == WEFT_OK ? 0 : -1;
  return 0;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_lifecycle_calls_before_init_refused),
      cmocka_unit_test_setup(test_lifecycle_init_twice_refused,
                             setup_shut_down),
      cmocka_unit_test_setup(test_lifecycle_calls_after_shutdown_refused,
                             setup_shut_down),
      cmocka_unit_test_setup(test_lifecycle_reinit_starts_clean,
                             setup_shut_down),
      cmocka_unit_test_setup(test_lifecycle_capture_outlives_shutdown,
                             setup_shut_down),
  };
  return cmocka_run_group_tests_name("lifecycle", tests, NULL, NULL);
}
