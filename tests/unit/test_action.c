/*
 * test_action.c - actions: typed start fields, success fields, failure with
 * reason and code, the current action, per-thread nesting and elapsed time.
 */
#define _POSIX_C_SOURCE 200809L

#include "event_assert.h"

#include <pthread.h>
#include <time.h>

static void sleep_ns(long ns) {
  struct timespec ts = {ns / 1000000000L, ns % 1000000000L};
  while (nanosleep(&ts, &ts) != 0)
    ;
}

static void test_action_start_fields_keep_types_and_order(void **state) {
  (void)state;
  weft_capture *c = capture_begin();
  const weft_field f[] = {
      fld_i64("n", -42),        fld_u64("bytes", UINT64_C(1) << 40),
      fld_f64("ratio", 0.25),   fld_bool("dry_run", 1),
      fld_str("path", "/data"),
  };
  weft_action a = 0;
  assert_int_equal(weft_action_start(&a, "load", f, 5), WEFT_OK);
  assert_int_equal(weft_action_succeed(a), WEFT_OK);
  capture_end(c);

  const event_spec want[] = {
      {WEFT_KIND_START, "load", "/1"},
      {WEFT_KIND_SUCCESS, "load", "/2"},
  };
  check_events(c, want, 2);
  const weft_event *s = event_at(c, 0);
  assert_int_equal(s->nfields, 5);
  static const char *const names[] = {"n", "bytes", "ratio", "dry_run", "path"};
  for (size_t i = 0; i < 5; i++) {
    assert_string_equal(s->fields[i].name, names[i]);
    assert_int_equal(s->fields[i].type, f[i].type);
  }
  check_i64(s, "n", -42);
  check_u64(s, "bytes", UINT64_C(1) << 40);
  check_f64(s, "ratio", 0.25);
  check_bool(s, "dry_run", 1);
  check_str(s, "path", "/data");
  assert_null(weft_event_field(s, "missing"));
  /* Start fields are not repeated at the end (as in Eliot). */
  assert_int_equal(event_at(c, 1)->nfields, 0);
  assert_null(weft_event_field(event_at(c, 1), "n"));
  weft_capture_free(c);
}

static void test_action_success_fields_accumulate(void **state) {
  (void)state;
  weft_capture *c = capture_begin();
  weft_action a = 0;
  weft_field start = fld_i64("in", 1);
  assert_int_equal(weft_action_start(&a, "work", &start, 1), WEFT_OK);
  weft_field rows = fld_i64("rows", 1000);
  assert_int_equal(weft_action_add(a, &rows, 1), WEFT_OK);
  const weft_field more[] = {fld_f64("rate", 2.5), fld_str("unit", "row/s")};
  assert_int_equal(weft_action_add(a, more, 2), WEFT_OK);
  assert_int_equal(weft_action_succeed(a), WEFT_OK);
  capture_end(c);

  assert_int_equal(weft_capture_count(c), 2);
  const weft_event *s = event_at(c, 0), *e = event_at(c, 1);
  check_event(e, WEFT_KIND_SUCCESS, "work", "/2");
  assert_int_equal(s->nfields, 1);
  assert_null(weft_event_field(s, "rows"));
  assert_int_equal(e->nfields, 3);
  check_i64(e, "rows", 1000);
  check_f64(e, "rate", 2.5);
  check_str(e, "unit", "row/s");
  assert_null(weft_event_field(e, "in"));
  weft_capture_free(c);
}

static void test_action_fail_records_reason_and_code(void **state) {
  (void)state;
  weft_capture *c = capture_begin();
  weft_action a = 0, b = 0;
  assert_int_equal(weft_action_start(&a, "write", NULL, 0), WEFT_OK);
  assert_int_equal(weft_action_fail(a, "disk full", -28), WEFT_OK);
  assert_int_equal(weft_action_start(&b, "read", NULL, 0), WEFT_OK);
  assert_int_equal(weft_action_fail(b, NULL, 0), WEFT_OK);
  capture_end(c);

  const event_spec want[] = {
      {WEFT_KIND_START, "write", "/1"},
      {WEFT_KIND_FAILURE, "write", "/2"},
      {WEFT_KIND_START, "read", "/1"},
      {WEFT_KIND_FAILURE, "read", "/2"},
  };
  check_events(c, want, 4);
  const weft_event *f1 = event_at(c, 1), *f2 = event_at(c, 3);
  assert_non_null(f1->reason);
  assert_string_equal(f1->reason, "disk full");
  assert_int_equal(f1->code, -28);
  assert_null(f2->reason);
  assert_int_equal(f2->code, 0);
  assert_true(same_task(event_at(c, 0), f1));
  assert_false(same_task(f1, f2));
  weft_capture_free(c);
}

static void test_action_current_is_innermost_open(void **state) {
  (void)state;
  weft_action a = 0, b = 0;
  assert_int_equal(weft_action_current(), 0);
  assert_int_equal(weft_action_start(&a, "outer", NULL, 0), WEFT_OK);
  assert_int_not_equal(a, 0);
  assert_int_equal(weft_action_current(), a);
  assert_int_equal(weft_action_start(&b, "inner", NULL, 0), WEFT_OK);
  assert_int_not_equal(b, 0);
  assert_int_not_equal(a, b);
  assert_int_equal(weft_action_current(), b);
  assert_true(weft_action_is_open(a));
  assert_true(weft_action_is_open(b));
  assert_int_equal(weft_action_succeed(b), WEFT_OK);
  assert_false(weft_action_is_open(b));
  assert_true(weft_action_is_open(a));
  assert_int_equal(weft_action_current(), a);
  assert_int_equal(weft_action_succeed(a), WEFT_OK);
  assert_false(weft_action_is_open(a));
  assert_int_equal(weft_action_current(), 0);
}

/* A handle is not reused by the next action at the same depth, so a stale
 * copy cannot finish somebody else's action. */
static void test_action_handles_are_not_reused(void **state) {
  (void)state;
  weft_action a = 0, b = 0;
  assert_int_equal(weft_action_start(&a, "first", NULL, 0), WEFT_OK);
  assert_int_equal(weft_action_succeed(a), WEFT_OK);
  assert_int_equal(weft_action_start(&b, "second", NULL, 0), WEFT_OK);
  assert_int_not_equal(a, b);
  assert_false(weft_action_is_open(a));
  assert_int_equal(weft_action_succeed(a), WEFT_EFINISHED);
  assert_true(weft_action_is_open(b));
  assert_int_equal(weft_action_succeed(b), WEFT_OK);
}

typedef struct thread_probe {
  weft_action current_at_start; /* weft_action_current() in the thread */
  int rc_start, rc_end;
} thread_probe;

static void *open_in_thread(void *arg) {
  thread_probe *p = arg;
  weft_action b = 0;
  p->current_at_start = weft_action_current();
  p->rc_start = weft_action_start(&b, "in_thread", NULL, 0);
  p->rc_end = weft_action_succeed(b);
  return NULL;
}

/* Nesting is per thread: an action started on another thread while this
 * one has an open action is the root of a task of its own. */
static void test_action_nesting_is_per_thread(void **state) {
  (void)state;
  weft_capture *c = capture_begin();
  weft_action a = 0;
  assert_int_equal(weft_action_start(&a, "main_action", NULL, 0), WEFT_OK);
  thread_probe p = {1, 1, 1};
  pthread_t th;
  assert_int_equal(pthread_create(&th, NULL, open_in_thread, &p), 0);
  assert_int_equal(pthread_join(th, NULL), 0);
  assert_int_equal(weft_message_log("after_join", NULL, 0), WEFT_OK);
  assert_int_equal(weft_action_succeed(a), WEFT_OK);
  capture_end(c);

  assert_int_equal(p.current_at_start, 0);
  assert_int_equal(p.rc_start, WEFT_OK);
  assert_int_equal(p.rc_end, WEFT_OK);
  long ms = weft_capture_find(c, 0, WEFT_KIND_START, "main_action");
  long ts = weft_capture_find(c, 0, WEFT_KIND_START, "in_thread");
  long te = weft_capture_find(c, 0, WEFT_KIND_SUCCESS, "in_thread");
  long mm = weft_capture_find(c, 0, WEFT_KIND_MESSAGE, "after_join");
  long me = weft_capture_find(c, 0, WEFT_KIND_SUCCESS, "main_action");
  assert_true(ms >= 0 && ts >= 0 && te >= 0 && mm >= 0 && me >= 0);
  assert_int_equal(weft_capture_count(c), 5);
  const weft_event *main_start = event_at(c, (size_t)ms);
  const weft_event *th_start = event_at(c, (size_t)ts);
  check_level(main_start, "/1");
  check_level(th_start, "/1");
  check_level(event_at(c, (size_t)te), "/2");
  /* The thread's action took no slot of main_action. */
  check_level(event_at(c, (size_t)mm), "/2");
  check_level(event_at(c, (size_t)me), "/3");
  assert_false(same_task(main_start, th_start));
  assert_true(same_task(th_start, event_at(c, (size_t)te)));
  assert_int_not_equal(main_start->thread, th_start->thread);
  assert_int_equal(th_start->thread, event_at(c, (size_t)te)->thread);
  weft_capture_free(c);
}

static void *ask_is_open(void *arg) {
  weft_action *a = arg;
  *a = (weft_action)weft_action_is_open(*a);
  return NULL;
}

/* weft_action_is_open answers for an action of any thread. */
static void test_action_is_open_from_another_thread(void **state) {
  (void)state;
  weft_action a = 0;
  assert_int_equal(weft_action_start(&a, "watched", NULL, 0), WEFT_OK);
  weft_action q = a;
  pthread_t th;
  assert_int_equal(pthread_create(&th, NULL, ask_is_open, &q), 0);
  assert_int_equal(pthread_join(th, NULL), 0);
  assert_int_equal(q, 1);
  assert_int_equal(weft_action_succeed(a), WEFT_OK);
  q = a;
  assert_int_equal(pthread_create(&th, NULL, ask_is_open, &q), 0);
  assert_int_equal(pthread_join(th, NULL), 0);
  assert_int_equal(q, 0);
}

/* Success fields may be added to any open action of the thread, as with
 * Eliot's add_success_fields: they show with that action's end. */
/* Success fields go to the innermost open action: records carry no action
 * id (that is what keeps an action at 48 bytes), so adding to an outer one
 * while an inner one is open is refused rather than misattributed. */
static void test_action_add_to_outer_action(void **state) {
  (void)state;
  weft_capture *c = capture_begin();
  weft_action outer = 0, inner = 0;
  assert_int_equal(weft_action_start(&outer, "outer", NULL, 0), WEFT_OK);
  assert_int_equal(weft_action_start(&inner, "inner", NULL, 0), WEFT_OK);
  weft_field f = fld_i64("total", 5);
  assert_int_equal(weft_action_add(outer, &f, 1), WEFT_EUNBALANCED);
  assert_true(weft_errmsg()[0] != '\0');
  weft_field g = fld_i64("part", 2);
  assert_int_equal(weft_action_add(inner, &g, 1), WEFT_OK);
  assert_int_equal(weft_action_succeed(inner), WEFT_OK);
  /* Once the inner action is finished the outer one is innermost. */
  assert_int_equal(weft_action_add(outer, &f, 1), WEFT_OK);
  assert_int_equal(weft_action_succeed(outer), WEFT_OK);
  capture_end(c);

  const event_spec want[] = {
      {WEFT_KIND_START, "outer", "/1"},
      {WEFT_KIND_START, "inner", "/2/1"},
      {WEFT_KIND_SUCCESS, "inner", "/2/2"},
      {WEFT_KIND_SUCCESS, "outer", "/3"},
  };
  check_events(c, want, 4);
  const weft_event *ie = event_at(c, 2), *oe = event_at(c, 3);
  assert_int_equal(ie->nfields, 1);
  check_i64(ie, "part", 2);
  assert_null(weft_event_field(ie, "total"));
  assert_int_equal(oe->nfields, 1);
  check_i64(oe, "total", 5);
  weft_capture_free(c);
}

static void test_action_elapsed_covers_the_work(void **state) {
  (void)state;
  weft_capture *c = capture_begin();
  weft_action a = 0, b = 0;
  assert_int_equal(weft_action_start(&a, "slow", NULL, 0), WEFT_OK);
  sleep_ns(2000000);
  assert_int_equal(weft_action_succeed(a), WEFT_OK);
  assert_int_equal(weft_action_start(&b, "quick", NULL, 0), WEFT_OK);
  assert_int_equal(weft_action_fail(b, "x", 1), WEFT_OK);
  capture_end(c);

  assert_int_equal(weft_capture_count(c), 4);
  const weft_event *s = event_at(c, 0), *e = event_at(c, 1);
  check_event(e, WEFT_KIND_SUCCESS, "slow", "/2");
  assert_int_equal(s->elapsed_ns, 0);
  assert_true(e->elapsed_ns >= 2000000);
  assert_true(e->elapsed_ns < INT64_C(2000000000));
  assert_int_equal(e->elapsed_ns, e->t_ns - s->t_ns);

  const weft_event *qs = event_at(c, 2), *qe = event_at(c, 3);
  check_event(qe, WEFT_KIND_FAILURE, "quick", "/2");
  assert_true(qe->elapsed_ns >= 0);
  assert_true(qe->elapsed_ns < INT64_C(1000000000));
  assert_int_equal(qe->elapsed_ns, qe->t_ns - qs->t_ns);
  /* Events of one thread are stamped in program order. */
  for (size_t i = 1; i < 4; i++)
    assert_true(event_at(c, i)->t_ns >= event_at(c, i - 1)->t_ns);
  weft_capture_free(c);
}

static void test_action_message_inside_carries_fields(void **state) {
  (void)state;
  weft_capture *c = capture_begin();
  weft_action a = 0;
  assert_int_equal(weft_action_start(&a, "job", NULL, 0), WEFT_OK);
  const weft_field f[] = {fld_str("phase", "read"), fld_u64("n", 3)};
  assert_int_equal(weft_message_log("progress", f, 2), WEFT_OK);
  assert_int_equal(weft_action_succeed(a), WEFT_OK);
  capture_end(c);

  assert_int_equal(weft_capture_count(c), 3);
  const weft_event *m = event_at(c, 1);
  check_event(m, WEFT_KIND_MESSAGE, "progress", "/2");
  assert_int_equal(m->nfields, 2);
  check_str(m, "phase", "read");
  check_u64(m, "n", 3);
  assert_int_equal(m->elapsed_ns, 0);
  assert_true(same_task(m, event_at(c, 0)));
  weft_capture_free(c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      weft_unit_test(test_action_start_fields_keep_types_and_order),
      weft_unit_test(test_action_success_fields_accumulate),
      weft_unit_test(test_action_fail_records_reason_and_code),
      weft_unit_test(test_action_current_is_innermost_open),
      weft_unit_test(test_action_handles_are_not_reused),
      weft_unit_test(test_action_nesting_is_per_thread),
      weft_unit_test(test_action_is_open_from_another_thread),
      weft_unit_test(test_action_add_to_outer_action),
      weft_unit_test(test_action_elapsed_covers_the_work),
      weft_unit_test(test_action_message_inside_carries_fields),
  };
  return cmocka_run_group_tests_name("action", tests, NULL, NULL);
}
