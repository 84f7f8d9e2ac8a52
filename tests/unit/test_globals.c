/*
 * test_globals.c - global fields of the run (Eliot's add_global_fields):
 * recorded once, not copied into events, later values replacing earlier
 * ones by name, taking no slot in the current action.
 */
#include "event_assert.h"

#include <pthread.h>

static const weft_value *global_named(const weft_capture *c, const char *name) {
  const weft_value *found = NULL;
  for (size_t i = 0; i < weft_capture_global_count(c); i++) {
    const weft_value *v = weft_capture_global(c, i);
    assert_non_null(v);
    assert_non_null(v->name);
    if (strcmp(v->name, name) == 0) {
      assert_null(found); /* one value per name */
      found = v;
    }
  }
  return found;
}

static void test_globals_recorded_once_not_in_events(void **state) {
  (void)state;
  weft_capture *c = capture_begin();
  const weft_field g[] = {fld_str("host", "node1"), fld_i64("rank", 3)};
  assert_int_equal(weft_global_add(g, 2), WEFT_OK);
  for (int i = 0; i < 3; i++) {
    weft_field f = fld_i64("i", i);
    assert_int_equal(weft_message_log("m", &f, 1), WEFT_OK);
  }
  capture_end(c);

  assert_int_equal(weft_capture_global_count(c), 2);
  const weft_value *host = global_named(c, "host");
  const weft_value *rank = global_named(c, "rank");
  assert_non_null(host);
  assert_non_null(rank);
  assert_int_equal(host->type, WEFT_TYPE_STR);
  assert_string_equal(host->v.str.ptr, "node1");
  assert_int_equal(rank->type, WEFT_TYPE_I64);
  assert_int_equal(rank->v.i64, 3);
  assert_null(weft_capture_global(c, 2));

  /* Not copied into the events, which hold only their own fields. */
  assert_int_equal(weft_capture_count(c), 3);
  for (size_t i = 0; i < 3; i++) {
    const weft_event *e = event_at(c, i);
    check_event(e, WEFT_KIND_MESSAGE, "m", "/1");
    assert_int_equal(e->nfields, 1);
    assert_null(weft_event_field(e, "host"));
    assert_null(weft_event_field(e, "rank"));
  }
  weft_capture_free(c);
}

static void test_globals_later_value_replaces_by_name(void **state) {
  (void)state;
  weft_capture *c = capture_begin();
  const weft_field g1[] = {fld_str("host", "node1"), fld_i64("rank", 3)};
  const weft_field g2[] = {fld_str("host", "node2"), fld_f64("load", 0.5)};
  assert_int_equal(weft_global_add(g1, 2), WEFT_OK);
  assert_int_equal(weft_global_add(g2, 2), WEFT_OK);
  assert_int_equal(weft_global_add(NULL, 0), WEFT_OK);
  capture_end(c);

  assert_int_equal(weft_capture_global_count(c), 3);
  assert_string_equal(global_named(c, "host")->v.str.ptr, "node2");
  assert_int_equal(global_named(c, "rank")->v.i64, 3);
  assert_true(global_named(c, "load")->v.f64 == 0.5);
  assert_int_equal(weft_capture_count(c), 0);
  weft_capture_free(c);
}

/* Adding globals inside an action does not take one of its slots. */
static void test_globals_take_no_slot(void **state) {
  (void)state;
  weft_capture *c = capture_begin();
  weft_action a = 0;
  assert_int_equal(weft_action_start(&a, "job", NULL, 0), WEFT_OK);
  weft_field g = fld_u64("seed", 42);
  assert_int_equal(weft_global_add(&g, 1), WEFT_OK);
  assert_int_equal(weft_message_log("m", NULL, 0), WEFT_OK);
  assert_int_equal(weft_action_succeed(a), WEFT_OK);
  capture_end(c);

  const event_spec want[] = {
      {WEFT_KIND_START, "job", "/1"},
      {WEFT_KIND_MESSAGE, "m", "/2"},
      {WEFT_KIND_SUCCESS, "job", "/3"},
  };
  check_events(c, want, 3);
  assert_int_equal(global_named(c, "seed")->v.u64, 42);
  assert_null(weft_event_field(event_at(c, 2), "seed"));
  weft_capture_free(c);
}

/* Events logged after a large global field cost what they cost without
 * it: the global is not copied into them. */
static void test_globals_do_not_grow_events(void **state) {
  (void)state;
  static char big[2001];
  memset(big, 'g', 2000);
  weft_stats st0, st1, st2;
  assert_int_equal(weft_message_log("warm", NULL, 0), WEFT_OK);
  assert_int_equal(weft_stats_get(&st0), WEFT_OK);
  for (int i = 0; i < 10; i++)
    assert_int_equal(weft_message_log("m", NULL, 0), WEFT_OK);
  assert_int_equal(weft_stats_get(&st1), WEFT_OK);
  weft_field g = fld_str("big", big);
  assert_int_equal(weft_global_add(&g, 1), WEFT_OK);
  assert_int_equal(weft_stats_get(&st2), WEFT_OK);
  /* The global itself is stored once, with all its bytes. */
  assert_true(st2.bytes_pending - st1.bytes_pending >= 2000);
  for (int i = 0; i < 10; i++)
    assert_int_equal(weft_message_log("m", NULL, 0), WEFT_OK);
  weft_stats st3;
  assert_int_equal(weft_stats_get(&st3), WEFT_OK);
  assert_int_equal(st3.bytes_pending - st2.bytes_pending,
                   st1.bytes_pending - st0.bytes_pending);
}

static void *add_from_thread(void *arg) {
  int *rc = arg;
  weft_field g = fld_str("worker", "yes");
  *rc = weft_global_add(&g, 1);
  return NULL;
}

/* Globals are the process's, whichever thread adds them. */
static void test_globals_from_any_thread(void **state) {
  (void)state;
  weft_capture *c = capture_begin();
  int rc = -1;
  pthread_t th;
  assert_int_equal(pthread_create(&th, NULL, add_from_thread, &rc), 0);
  assert_int_equal(pthread_join(th, NULL), 0);
  assert_int_equal(rc, WEFT_OK);
  capture_end(c);
  const weft_value *v = global_named(c, "worker");
  assert_non_null(v);
  assert_string_equal(v->v.str.ptr, "yes");
  weft_capture_free(c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      weft_unit_test(test_globals_recorded_once_not_in_events),
      weft_unit_test(test_globals_later_value_replaces_by_name),
      weft_unit_test(test_globals_take_no_slot),
      weft_unit_test(test_globals_do_not_grow_events),
      weft_unit_test(test_globals_from_any_thread),
  };
  return cmocka_run_group_tests_name("globals", tests, NULL, NULL);
}
