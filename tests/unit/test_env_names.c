/*
 * test_env_names.c - a WEFT_* variable that Weft does not read is named in
 * the trace (lib/src/env_names.c): weft_init logs one
 * weft:unknown_setting {name} per such variable, never its value, and
 * past 32 of them one weft:limit {limit: "unknown_settings", value}.
 * Variables Weft reads and the test suite's WEFT_TEST_* are not reported.
 */
#include "event_assert.h"
#include "weft_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* Every WEFT_* variable of this process's environment that is not known
 * is removed first: the test must see only its own.  (An entry without
 * '=' cannot be removed by name: it is left, and would make the counts
 * below fail, not hang.) */
static void clear_unknown(void) {
  for (char **e = environ; *e;) {
    const char *eq = strchr(*e, '=');
    size_t len = eq ? (size_t)(eq - *e) : strlen(*e);
    if (!eq || strncmp(*e, "WEFT_", 5) || weft__env_name_known(*e, len)) {
      e++;
      continue;
    }
    char *name = strndup(*e, len);
    assert_non_null(name);
    assert_int_equal(unsetenv(name), 0);
    free(name);
    e = environ; /* environ changed under us: from the start again */
  }
}

static int setup(void **state) {
  (void)state;
  clear_unknown();
  return 0;
}

static void test_known_names(void **state) {
  (void)state;
  assert_true(weft__env_name_known("WEFT_FILE", 9));
  assert_true(weft__env_name_known("WEFT_BUFFER_BUDGET", 18));
  assert_true(weft__env_name_known("WEFT_TEST_ANYTHING", 18));
  assert_false(weft__env_name_known("WEFT_BUFER_BUDGET", 17));
  /* a prefix or an extension of a known name is another name */
  assert_false(weft__env_name_known("WEFT_FIL", 8));
  assert_false(weft__env_name_known("WEFT_FILES", 10));
  assert_false(weft__env_name_known("WEFT_", 5));
}

/* The messages of weft_init itself: it is where a job meets them. */
static void test_init_reports_unknown(void **state) {
  (void)state;
  setenv("WEFT_BUFER_BUDGET", "1G", 1);
  setenv("WEFT_TEST_IGNORED", "1", 1);
  setenv("WEFT_FILE", "x.h5", 1);
  weft_options o;
  weft_options_init(&o);
  assert_int_equal(weft_init(&o), WEFT_OK);
  weft_stats st;
  assert_int_equal(weft_stats_get(&st), WEFT_OK);
  assert_int_equal(st.events, 1);
  /* the same, called again under capture: one message, the name only */
  weft_capture *c = capture_begin();
  weft__env_report_unknown();
  capture_end(c);
  assert_int_equal(weft_capture_count(c), 1);
  const weft_event *e = event_at(c, 0);
  check_event(e, WEFT_KIND_MESSAGE, "weft:unknown_setting", "/1");
  check_str(e, "name", "WEFT_BUFER_BUDGET");
  assert_int_equal(e->nfields, 1);
  weft_capture_free(c);
  assert_int_equal(weft_shutdown(), WEFT_OK);
  unsetenv("WEFT_BUFER_BUDGET");
  unsetenv("WEFT_TEST_IGNORED");
  unsetenv("WEFT_FILE");
}

static void test_nothing_unknown(void **state) {
  (void)state;
  setenv("WEFT_IO", "auto", 1);
  assert_int_equal(weft_init(NULL), WEFT_OK);
  weft_stats st;
  assert_int_equal(weft_stats_get(&st), WEFT_OK);
  assert_int_equal(st.events, 0);
  assert_int_equal(weft_shutdown(), WEFT_OK);
  unsetenv("WEFT_IO");
}

static void test_notice_limit(void **state) {
  (void)state;
  char name[32];
  for (int i = 0; i < 40; i++) {
    snprintf(name, sizeof name, "WEFT_TYPO_%02d", i);
    setenv(name, "", 1);
  }
  assert_int_equal(weft_init(NULL), WEFT_OK);
  weft_capture *c = capture_begin();
  weft__env_report_unknown();
  capture_end(c);
  assert_int_equal(weft_capture_count(c), 33);
  size_t unknown = 0;
  for (size_t i = 0; i < 32; i++) {
    const weft_event *e = event_at(c, i);
    unknown += e->type && !strcmp(e->type, "weft:unknown_setting");
  }
  assert_int_equal(unknown, 32);
  const weft_event *e = event_at(c, 32);
  check_event(e, WEFT_KIND_MESSAGE, "weft:limit", "/1");
  check_str(e, "limit", "unknown_settings");
  check_u64(e, "value", 40);
  weft_capture_free(c);
  assert_int_equal(weft_shutdown(), WEFT_OK);
  for (int i = 0; i < 40; i++) {
    snprintf(name, sizeof name, "WEFT_TYPO_%02d", i);
    unsetenv(name);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_known_names),
      cmocka_unit_test(test_init_reports_unknown),
      cmocka_unit_test(test_nothing_unknown),
      cmocka_unit_test(test_notice_limit),
  };
  return cmocka_run_group_tests(tests, setup, NULL);
}
