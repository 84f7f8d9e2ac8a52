/*
 * test_limits.c - the documented limits (weft.h): names up to
 * WEFT_NAME_MAX bytes, WEFT_DEPTH_MAX open actions per thread,
 * WEFT_FIELDS_MAX fields per event.  At the limit everything works; past
 * it the call fails with its code, nothing is opened, the hit is counted
 * in weft_stats.limits and recorded as a weft:limit {limit, value}
 * message where it happened.
 */
#include "event_assert.h"

/* The weft:limit message at capture index i: its value and limit name. */
static const char *check_limit_msg(const weft_capture *c, long i,
                                   uint64_t value) {
  assert_true(i >= 0);
  const weft_event *e = event_at(c, (size_t)i);
  check_event(e, WEFT_KIND_MESSAGE, "weft:limit", NULL);
  check_u64(e, "value", value);
  const weft_value *v = field_typed(e, "limit", WEFT_TYPE_STR);
  assert_true(v->v.str.len > 0);
  return v->v.str.ptr;
}

static void test_limits_name_length(void **state) {
  (void)state;
  char max[WEFT_NAME_MAX + 1], over[WEFT_NAME_MAX + 2];
  memset(max, 'n', WEFT_NAME_MAX);
  max[WEFT_NAME_MAX] = '\0';
  memset(over, 'o', WEFT_NAME_MAX + 1);
  over[WEFT_NAME_MAX + 1] = '\0';
  weft_stats st0, st1;
  assert_int_equal(weft_stats_get(&st0), WEFT_OK);

  weft_capture *c = capture_begin();
  weft_action a = 0, b = 0;
  weft_field fmax = fld_i64(max, 1);
  assert_int_equal(weft_action_start(&a, max, &fmax, 1), WEFT_OK);
  assert_int_equal(weft_action_start(&b, over, NULL, 0), WEFT_ENAMETOOLONG);
  assert_true(weft_errmsg()[0] != '\0');
  assert_int_equal(weft_action_current(), a);
  weft_field fover = fld_i64(over, 1);
  assert_int_equal(weft_action_start(&b, "ok", &fover, 1), WEFT_ENAMETOOLONG);
  assert_int_equal(weft_message_log(over, NULL, 0), WEFT_ENAMETOOLONG);
  assert_int_equal(weft_action_add(a, &fover, 1), WEFT_ENAMETOOLONG);
  assert_int_equal(weft_action_current(), a);
  assert_int_equal(weft_action_succeed(a), WEFT_OK);
  capture_end(c);
  assert_int_equal(weft_stats_get(&st1), WEFT_OK);
  assert_int_equal(st1.limits - st0.limits, 4);

  /* start, 4 limit messages at /2../5, end. */
  assert_int_equal(weft_capture_count(c), 6);
  const weft_event *s = event_at(c, 0);
  check_event(s, WEFT_KIND_START, max, "/1");
  check_i64(s, max, 1);
  static const char *const levels[4] = {"/2", "/3", "/4", "/5"};
  for (long i = 1; i <= 4; i++) {
    check_limit_msg(c, i, WEFT_NAME_MAX);
    check_level(event_at(c, (size_t)i), levels[i - 1]);
  }
  check_event(event_at(c, 5), WEFT_KIND_SUCCESS, max, "/6");
  assert_int_equal(event_at(c, 5)->nfields, 0);
  weft_capture_free(c);
}

static void test_limits_depth(void **state) {
  (void)state;
  static weft_action a[WEFT_DEPTH_MAX];
  weft_stats st0, st1;
  assert_int_equal(weft_stats_get(&st0), WEFT_OK);
  weft_capture *c = capture_begin();
  for (int i = 0; i < WEFT_DEPTH_MAX; i++)
    assert_int_equal(weft_action_start(&a[i], "nest", NULL, 0), WEFT_OK);
  weft_action extra = 0;
  assert_int_equal(weft_action_start(&extra, "too_deep", NULL, 0), WEFT_EDEPTH);
  assert_true(weft_errmsg()[0] != '\0');
  assert_int_equal(weft_action_current(), a[WEFT_DEPTH_MAX - 1]);
  assert_int_equal(weft_message_log("at_max", NULL, 0), WEFT_OK);
  for (int i = WEFT_DEPTH_MAX - 1; i >= 0; i--)
    assert_int_equal(weft_action_succeed(a[i]), WEFT_OK);
  assert_int_equal(weft_action_current(), 0);
  capture_end(c);
  assert_int_equal(weft_stats_get(&st1), WEFT_OK);
  assert_int_equal(st1.limits - st0.limits, 1);

  assert_int_equal(weft_capture_count(c), 2 * WEFT_DEPTH_MAX + 2);
  assert_int_equal(weft_capture_find(c, 0, 0, "too_deep"), -1);
  /* The innermost start: 127 slots of 2 then 1. */
  char level[4 * WEFT_DEPTH_MAX + 8] = "";
  for (int i = 0; i < WEFT_DEPTH_MAX - 1; i++)
    strcat(level, "/2");
  size_t inner_len = strlen(level);
  strcat(level, "/1");
  const weft_event *in = event_at(c, WEFT_DEPTH_MAX - 1);
  check_event(in, WEFT_KIND_START, "nest", level);
  assert_int_equal(in->level_len, WEFT_DEPTH_MAX);
  /* The limit message, then the message logged at the maximum depth. */
  level[inner_len] = '\0';
  strcat(level, "/2");
  const char *what = check_limit_msg(c, WEFT_DEPTH_MAX, WEFT_DEPTH_MAX);
  assert_string_equal(what, "depth");
  check_level(event_at(c, WEFT_DEPTH_MAX), level);
  level[inner_len] = '\0';
  strcat(level, "/3");
  check_event(event_at(c, WEFT_DEPTH_MAX + 1), WEFT_KIND_MESSAGE, "at_max",
              level);
  level[inner_len] = '\0';
  strcat(level, "/4");
  check_event(event_at(c, WEFT_DEPTH_MAX + 2), WEFT_KIND_SUCCESS, "nest",
              level);
  check_event(event_at(c, 2 * WEFT_DEPTH_MAX + 1), WEFT_KIND_SUCCESS, "nest",
              "/3");
  weft_capture_free(c);
}

static void test_limits_field_count(void **state) {
  (void)state;
  static char names[WEFT_FIELDS_MAX + 1][16];
  weft_field f[WEFT_FIELDS_MAX + 1];
  for (int i = 0; i <= WEFT_FIELDS_MAX; i++) {
    snprintf(names[i], sizeof names[i], "f%d", i);
    f[i] = fld_i64(names[i], i);
  }
  weft_stats st0, st1;
  assert_int_equal(weft_stats_get(&st0), WEFT_OK);
  weft_capture *c = capture_begin();
  weft_action a = 0, b = 0;
  assert_int_equal(weft_action_start(&a, "wide", f, WEFT_FIELDS_MAX), WEFT_OK);
  assert_int_equal(weft_message_log("wide_msg", f, WEFT_FIELDS_MAX), WEFT_OK);
  assert_int_equal(weft_action_start(&b, "too_wide", f, WEFT_FIELDS_MAX + 1),
                   WEFT_EFIELDS);
  assert_true(weft_errmsg()[0] != '\0');
  assert_int_equal(weft_action_current(), a);
  assert_int_equal(weft_message_log("too_wide_msg", f, WEFT_FIELDS_MAX + 1),
                   WEFT_EFIELDS);
  assert_int_equal(weft_action_succeed(a), WEFT_OK);
  capture_end(c);
  assert_int_equal(weft_stats_get(&st1), WEFT_OK);
  assert_int_equal(st1.limits - st0.limits, 2);

  assert_int_equal(weft_capture_count(c), 5);
  const weft_event *s = event_at(c, 0);
  check_event(s, WEFT_KIND_START, "wide", "/1");
  assert_int_equal(s->nfields, WEFT_FIELDS_MAX);
  const weft_event *m = event_at(c, 1);
  check_event(m, WEFT_KIND_MESSAGE, "wide_msg", "/2");
  for (int i = 0; i < WEFT_FIELDS_MAX; i++) {
    check_i64(s, names[i], i);
    check_i64(m, names[i], i);
  }
  const char *what = check_limit_msg(c, 2, WEFT_FIELDS_MAX);
  check_limit_msg(c, 3, WEFT_FIELDS_MAX);
  check_level(event_at(c, 3), "/4");
  check_event(event_at(c, 4), WEFT_KIND_SUCCESS, "wide", "/5");
  /* Each limit has its own name. */
  assert_string_not_equal(what, "depth");
  weft_capture_free(c);
}

/* A limit hit with no action open is a one-message task of its own. */
static void test_limits_outside_any_action(void **state) {
  (void)state;
  char over[WEFT_NAME_MAX + 2];
  memset(over, 'o', WEFT_NAME_MAX + 1);
  over[WEFT_NAME_MAX + 1] = '\0';
  weft_capture *c = capture_begin();
  assert_int_equal(weft_message_log(over, NULL, 0), WEFT_ENAMETOOLONG);
  capture_end(c);
  assert_int_equal(weft_capture_count(c), 1);
  check_limit_msg(c, 0, WEFT_NAME_MAX);
  check_level(event_at(c, 0), "/1");
  weft_capture_free(c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      weft_unit_test(test_limits_name_length),
      weft_unit_test(test_limits_depth),
      weft_unit_test(test_limits_field_count),
      weft_unit_test(test_limits_outside_any_action),
  };
  return cmocka_run_group_tests_name("limits", tests, NULL, NULL);
}
