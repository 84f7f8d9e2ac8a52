/*
 * test_capture.c - weft_capture_*: the capture API itself (one at a time,
 * stop once, find, globals, dropped counts, lifetime), and captures that
 * begin inside open actions, span threads, or cross a serialized context.
 */
#include "event_assert.h"

#include <pthread.h>
#include <time.h>

static void test_capture_one_at_a_time(void **state) {
  (void)state;
  weft_capture *c = capture_begin(), *d = NULL;
  assert_int_equal(weft_capture_start(&d), WEFT_ECAPTURE);
  assert_null(d);
  assert_int_equal(weft_capture_start(NULL), WEFT_EINVAL);
  assert_int_equal(weft_capture_count(c), 0); /* nothing before stop */
  capture_end(c);
  assert_int_equal(weft_capture_stop(c), WEFT_EINVAL); /* stop once */
  assert_true(strstr(weft_errmsg(), "already stopped") != NULL);
  weft_capture_free(c);

  /* Freeing an unstopped capture stops it: the next one may start. */
  c = capture_begin();
  weft_capture_free(c);
  c = capture_begin();
  capture_end(c);
  weft_capture_free(c);
}

static void test_capture_null_capture(void **state) {
  (void)state;
  assert_int_equal(weft_capture_count(NULL), 0);
  assert_null(weft_capture_event(NULL, 0));
  assert_int_equal(weft_capture_find(NULL, 0, 0, NULL), -1);
  assert_int_equal(weft_capture_global_count(NULL), 0);
  assert_null(weft_capture_global(NULL, 0));
  assert_int_equal(weft_capture_dropped(NULL), 0);
  assert_int_equal(weft_capture_stop(NULL), WEFT_EINVAL);
  weft_capture_free(NULL);
}

static void test_capture_needs_init(void **state) {
  (void)state;
  weft_capture *c = NULL;
  assert_int_equal(weft_capture_start(&c), WEFT_ENOTINIT);
  assert_null(c);
}

/* Only what is logged between start and stop is captured. */
static void test_capture_sees_only_its_events(void **state) {
  (void)state;
  assert_int_equal(weft_message_log("before", NULL, 0), WEFT_OK);
  weft_capture *c = capture_begin();
  assert_int_equal(weft_message_log("during", NULL, 0), WEFT_OK);
  capture_end(c);
  assert_int_equal(weft_message_log("after", NULL, 0), WEFT_OK);
  const event_spec want[] = {{WEFT_KIND_MESSAGE, "during", "/1"}};
  check_events(c, want, 1);
  weft_capture_free(c);
}

static void test_capture_find(void **state) {
  (void)state;
  weft_capture *c = capture_begin();
  weft_action a = 0, b = 0;
  assert_int_equal(weft_action_start(&a, "outer", NULL, 0), WEFT_OK);
  assert_int_equal(weft_message_log("note", NULL, 0), WEFT_OK);
  assert_int_equal(weft_action_start(&b, "inner", NULL, 0), WEFT_OK);
  assert_int_equal(weft_message_log("note", NULL, 0), WEFT_OK);
  assert_int_equal(weft_action_succeed(b), WEFT_OK);
  assert_int_equal(weft_action_fail(a, "no", 3), WEFT_OK);
  capture_end(c);
  assert_int_equal(weft_capture_count(c), 6);
  assert_int_equal(weft_capture_find(c, 0, 0, NULL), 0);
  assert_int_equal(weft_capture_find(c, 0, WEFT_KIND_MESSAGE, NULL), 1);
  assert_int_equal(weft_capture_find(c, 2, WEFT_KIND_MESSAGE, "note"), 3);
  assert_int_equal(weft_capture_find(c, 4, WEFT_KIND_MESSAGE, NULL), -1);
  assert_int_equal(weft_capture_find(c, 0, WEFT_KIND_SUCCESS, "inner"), 4);
  assert_int_equal(weft_capture_find(c, 0, WEFT_KIND_SUCCESS, "outer"), -1);
  assert_int_equal(weft_capture_find(c, 0, WEFT_KIND_FAILURE, "outer"), 5);
  assert_int_equal(weft_capture_find(c, 0, 0, "inner"), 2);
  assert_int_equal(weft_capture_find(c, 6, 0, NULL), -1);
  assert_int_equal(weft_capture_find(c, 1000, 0, NULL), -1);
  assert_null(weft_capture_event(c, 6));
  const weft_event *f = event_at(c, 5);
  assert_int_equal(f->code, 3);
  assert_string_equal(f->reason, "no");
  assert_true(f->elapsed_ns >= event_at(c, 4)->elapsed_ns);
  assert_true(f->elapsed_ns == f->t_ns - event_at(c, 0)->t_ns);
  weft_capture_free(c);
}

static void test_capture_globals(void **state) {
  (void)state;
  weft_capture *c = capture_begin();
  weft_field g1[] = {fld_str("host", "n1"), fld_i64("rank", 0)};
  weft_field g2[] = {fld_i64("rank", 7)};
  assert_int_equal(weft_global_add(g1, 2), WEFT_OK);
  assert_int_equal(weft_message_log("m", NULL, 0), WEFT_OK);
  assert_int_equal(weft_global_add(g2, 1), WEFT_OK);
  capture_end(c);
  assert_int_equal(weft_capture_global_count(c), 2);
  const weft_value *host = weft_capture_global(c, 0);
  const weft_value *rank = weft_capture_global(c, 1);
  assert_string_equal(host->name, "host");
  assert_string_equal(host->v.str.ptr, "n1");
  assert_string_equal(rank->name, "rank");
  assert_int_equal(rank->v.i64, 7); /* the later value wins */
  assert_null(weft_capture_global(c, 2));
  /* globals are not events */
  const event_spec want[] = {{WEFT_KIND_MESSAGE, "m", "/1"}};
  check_events(c, want, 1);
  weft_capture_free(c);
}

/* The events are the capture's: they outlive weft_shutdown. */
static void test_capture_outlives_shutdown(void **state) {
  (void)state;
  assert_int_equal(weft_init(NULL), WEFT_OK);
  weft_capture *c = capture_begin();
  weft_action a = 0;
  weft_field f[] = {fld_str("path", "/data/in.h5"), fld_i64("n", 42)};
  assert_int_equal(weft_action_start(&a, "load", f, 2), WEFT_OK);
  weft_field r = fld_i64("rows", 9);
  assert_int_equal(weft_action_add(a, &r, 1), WEFT_OK);
  assert_int_equal(weft_action_succeed(a), WEFT_OK);
  capture_end(c);
  assert_int_equal(weft_shutdown(), WEFT_OK);

  const event_spec want[] = {
      {WEFT_KIND_START, "load", "/1"},
      {WEFT_KIND_SUCCESS, "load", "/2"},
  };
  check_events(c, want, 2);
  check_str(event_at(c, 0), "path", "/data/in.h5");
  check_i64(event_at(c, 0), "n", 42);
  check_i64(event_at(c, 1), "rows", 9);
  assert_int_equal(event_at(c, 1)->nfields, 1);
  weft_capture_free(c);
}

/* Code under test may run inside an action opened before the capture: its
 * events are captured, under a stand-in for the unseen action (task 0). */
static void test_capture_inside_open_action(void **state) {
  (void)state;
  weft_action outer = 0, inner = 0;
  assert_int_equal(weft_action_start(&outer, "outer", NULL, 0), WEFT_OK);
  weft_capture *c = capture_begin();
  assert_int_equal(weft_message_log("note", NULL, 0), WEFT_OK);
  assert_int_equal(weft_action_start(&inner, "inner", NULL, 0), WEFT_OK);
  assert_int_equal(weft_action_succeed(inner), WEFT_OK);
  assert_int_equal(weft_action_succeed(outer), WEFT_OK);
  assert_int_equal(weft_message_log("alone", NULL, 0), WEFT_OK);
  capture_end(c);
  const event_spec want[] = {
      {WEFT_KIND_MESSAGE, "note", "/1"},
      {WEFT_KIND_START, "inner", "/2/1"},
      {WEFT_KIND_SUCCESS, "inner", "/2/2"},
      {WEFT_KIND_MESSAGE, "alone", "/1"},
  };
  check_events(c, want, 4);
  assert_int_equal(event_at(c, 1)->task_hi | event_at(c, 1)->task_lo, 0);
  assert_true((event_at(c, 3)->task_hi | event_at(c, 3)->task_lo) != 0);
  weft_capture_free(c);
}

enum { THREADS = 4, PER_THREAD = 50 };

static void *log_some(void *arg) {
  (void)arg;
  weft_action a = 0;
  if (weft_action_start(&a, "worker", NULL, 0) != WEFT_OK)
    return (void *)1;
  for (int i = 0; i < PER_THREAD; i++) {
    weft_field f = fld_i64("i", i);
    if (weft_message_log("step", &f, 1) != WEFT_OK)
      return (void *)1;
  }
  return weft_action_succeed(a) == WEFT_OK ? NULL : (void *)1;
}

/* Each thread's events are in order with their own levels and task. */
static void test_capture_threads(void **state) {
  (void)state;
  weft_capture *c = capture_begin();
  pthread_t th[THREADS];
  for (int i = 0; i < THREADS; i++)
    assert_int_equal(pthread_create(&th[i], NULL, log_some, NULL), 0);
  for (int i = 0; i < THREADS; i++) {
    void *rc;
    assert_int_equal(pthread_join(th[i], &rc), 0);
    assert_null(rc);
  }
  capture_end(c);
  assert_int_equal(weft_capture_count(c), THREADS * (PER_THREAD + 2));
  uint32_t threads[THREADS];
  size_t nthreads = 0;
  for (size_t i = 0; i < weft_capture_count(c); i++) {
    const weft_event *e = event_at(c, i);
    if (e->kind != WEFT_KIND_START)
      continue;
    assert_true(nthreads < THREADS);
    threads[nthreads++] = e->thread;
    /* the next events of that thread, in order */
    size_t k = 0;
    for (size_t j = i + 1; j < weft_capture_count(c); j++) {
      const weft_event *x = event_at(c, j);
      if (x->thread != e->thread)
        continue;
      char level[16];
      snprintf(level, sizeof level, "/%zu", k + 2);
      assert_true(same_task(e, x));
      if (k < PER_THREAD) {
        check_event(x, WEFT_KIND_MESSAGE, "step", level);
        check_i64(x, "i", (int64_t)k);
      } else {
        check_event(x, WEFT_KIND_SUCCESS, "worker", level);
      }
      k++;
    }
    assert_int_equal(k, PER_THREAD + 1);
  }
  assert_int_equal(nthreads, THREADS);
  for (size_t i = 0; i < THREADS; i++)
    for (size_t j = i + 1; j < THREADS; j++)
      assert_true(threads[i] != threads[j]);
  weft_capture_free(c);
}

typedef struct remote {
  char context[WEFT_CONTEXT_MAX];
  int rc;
} remote;

static void *continue_it(void *arg) {
  remote *r = arg;
  weft_action a = 0;
  r->rc = weft_context_continue(&a, r->context, "remote", NULL, 0);
  if (r->rc == WEFT_OK)
    r->rc = weft_message_log("there", NULL, 0);
  if (r->rc == WEFT_OK)
    r->rc = weft_action_succeed(a);
  return NULL;
}

/* The serialized context string and the decoded levels agree: the remote
 * action sits in the slot the context took, in the same task. */
static void test_capture_serialized_context(void **state) {
  (void)state;
  weft_capture *c = capture_begin();
  weft_action a = 0;
  remote r = {0};
  size_t len = 0;
  assert_int_equal(weft_action_start(&a, "local", NULL, 0), WEFT_OK);
  assert_int_equal(weft_message_log("here", NULL, 0), WEFT_OK);
  assert_int_equal(weft_context_serialize(0, r.context, sizeof r.context, &len),
                   WEFT_OK);
  pthread_t th;
  assert_int_equal(pthread_create(&th, NULL, continue_it, &r), 0);
  assert_int_equal(pthread_join(th, NULL), 0);
  assert_int_equal(r.rc, WEFT_OK);
  assert_int_equal(weft_message_log("here", NULL, 0), WEFT_OK);
  assert_int_equal(weft_action_succeed(a), WEFT_OK);
  capture_end(c);

  const weft_event *start = event_at(c, weft_capture_find(c, 0, 0, "local"));
  char want_ctx[64];
  snprintf(want_ctx, sizeof want_ctx, "%016" PRIx64 "%016" PRIx64 "@/3",
           start->task_hi, start->task_lo);
  assert_string_equal(r.context, want_ctx);
  assert_int_equal(len, strlen(want_ctx) + 1);

  long i = weft_capture_find(c, 0, WEFT_KIND_START, "remote");
  assert_true(i >= 0);
  check_event(event_at(c, (size_t)i), WEFT_KIND_START, "remote", "/3/1");
  assert_true(same_task(start, event_at(c, (size_t)i)));
  assert_true(event_at(c, (size_t)i)->thread != start->thread);
  i = weft_capture_find(c, 0, WEFT_KIND_MESSAGE, "there");
  check_event(event_at(c, (size_t)i), WEFT_KIND_MESSAGE, "there", "/3/2");
  i = weft_capture_find(c, 0, WEFT_KIND_SUCCESS, "remote");
  check_event(event_at(c, (size_t)i), WEFT_KIND_SUCCESS, "remote", "/3/3");
  i = weft_capture_find(c, 2, WEFT_KIND_MESSAGE, "here");
  check_event(event_at(c, (size_t)i), WEFT_KIND_MESSAGE, "here", "/4");
  i = weft_capture_find(c, 0, WEFT_KIND_SUCCESS, "local");
  check_event(event_at(c, (size_t)i), WEFT_KIND_SUCCESS, "local", "/5");
  weft_capture_free(c);
}

/* Wall-clock time is the epoch time of the event, near now. */
static void test_capture_wall_clock(void **state) {
  (void)state;
  struct timespec ts;
  weft_capture *c = capture_begin();
  assert_int_equal(weft_message_log("tick", NULL, 0), WEFT_OK);
  capture_end(c);
  clock_gettime(CLOCK_REALTIME, &ts);
  int64_t now = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
  const weft_event *e = event_at(c, 0);
  assert_true(e->wall_ns <= now + 50000000);
  assert_true(e->wall_ns > now - 60 * (int64_t)1000000000);
  weft_capture_free(c);
}

/* With a one-block budget, events beyond it are dropped, and the
 * weft:dropped message written before the action's end tells how many. */
static int setup_one_block(void **state) {
  weft_options o;
  (void)state;
  weft_options_init(&o);
  o.block_size = (size_t)64 << 10;
  o.buffer_budget = (size_t)128 << 10; /* one block and its header */
  o.policy = WEFT_FULL_DROP;
  return weft_init(&o) == WEFT_OK ? 0 : -1;
}

static void test_capture_counts_dropped(void **state) {
  (void)state;
  weft_capture *c = capture_begin();
  weft_action a = 0;
  assert_int_equal(weft_action_start(&a, "flood", NULL, 0), WEFT_OK);
  uint64_t full = 0;
  for (int i = 0; i < 10000; i++) {
    weft_field f = fld_i64("i", i);
    int rc = weft_message_log("m", &f, 1);
    assert_true(rc == WEFT_OK || rc == WEFT_EFULL);
    full += rc == WEFT_EFULL;
  }
  assert_true(full > 0);
  assert_int_equal(weft_action_succeed(a), WEFT_OK);
  capture_end(c);
  assert_int_equal(weft_capture_dropped(c), full);
  long d = weft_capture_find(c, 0, WEFT_KIND_MESSAGE, "weft:dropped");
  assert_true(d >= 0);
  check_u64(event_at(c, (size_t)d), "count", full);
  /* still well nested: the action's end is there, after the report */
  long end = weft_capture_find(c, 0, WEFT_KIND_SUCCESS, "flood");
  assert_true(end > d);
  assert_int_equal((size_t)end + 1, weft_capture_count(c));
  weft_capture_free(c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      weft_unit_test(test_capture_one_at_a_time),
      cmocka_unit_test(test_capture_null_capture),
      cmocka_unit_test(test_capture_needs_init),
      weft_unit_test(test_capture_sees_only_its_events),
      weft_unit_test(test_capture_find),
      weft_unit_test(test_capture_globals),
      cmocka_unit_test(test_capture_outlives_shutdown),
      weft_unit_test(test_capture_inside_open_action),
      weft_unit_test(test_capture_threads),
      weft_unit_test(test_capture_serialized_context),
      weft_unit_test(test_capture_wall_clock),
      cmocka_unit_test_setup_teardown(test_capture_counts_dropped,
                                      setup_one_block, teardown_shutdown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
