/*
 * test_full_errors.c - what weft_errmsg() says when a logging call returns
 * WEFT_EFULL: the budget (with its size), a thread that holds no block, a
 * record larger than a block, a failing sink, or an event inside an
 * action that was dropped.  Never a stale message of an earlier failure,
 * also when the same drop repeats (the message is formatted once per
 * storm of drops, weft__error_repeat).
 */
#define _POSIX_C_SOURCE 200809L

#include "event_assert.h"

#include <pthread.h>

#define BLOCK ((size_t)64 << 10)

static int init_with(size_t budget, size_t block, uint32_t string_max,
                     weft_full_policy policy, weft_sink_fn sink) {
  weft_options o;
  weft_options_init(&o);
  o.buffer_budget = budget;
  o.block_size = block;
  o.string_max = string_max;
  o.policy = policy;
  o.sink = sink;
  return weft_init(&o) == WEFT_OK ? 0 : -1;
}

static int setup_one_block(void **state) {
  (void)state;
  return init_with(BLOCK, BLOCK, 4096, WEFT_FULL_DROP, NULL);
}

static int teardown(void **state) {
  (void)state;
  return weft_shutdown() == WEFT_OK ? 0 : -1;
}

static void expect_errmsg(int rc, const char *want) {
  if (rc != WEFT_EFULL || !strstr(weft_errmsg(), want)) {
    print_error("%s, weft_errmsg \"%s\", expected \"%s\"\n", weft_err_name(rc),
                weft_errmsg(), want);
    fail();
  }
}

/* Some other failure, so that a message left from it would show. */
static void other_failure(void) {
  assert_int_equal(weft_action_succeed(0), WEFT_EINVAL);
  assert_null(strstr(weft_errmsg(), "budget"));
}

/* Log messages until one is dropped; returns its code. */
static int fill(void) {
  weft_field f[2] = {fld_i64("a", 1), fld_i64("b", 2)};
  for (int i = 0; i < 100000; i++) {
    int rc = weft_message_log("fill", f, 2);
    if (rc != WEFT_OK)
      return rc;
  }
  fail_msg("the budget was never reached");
  return WEFT_OK;
}

static void test_full_budget_named_in_every_drop(void **state) {
  (void)state;
  other_failure();
  expect_errmsg(fill(), "buffer budget of 65536 bytes reached");
  /* Each call of a storm says so, whatever failed in between. */
  for (int i = 0; i < 3; i++) {
    other_failure();
    weft_action a = 0;
    expect_errmsg(weft_action_start(&a, "lost", NULL, 0),
                  "buffer budget of 65536 bytes reached");
    /* Inside the dropped action: dropped because the action was. */
    other_failure();
    expect_errmsg(weft_message_log("inside", NULL, 0),
                  "the action this event is in was dropped");
    weft_action b = 0;
    expect_errmsg(weft_action_start(&b, "inner", NULL, 0),
                  "the action this event is in was dropped");
    assert_int_equal(weft_action_succeed(b), WEFT_OK);
    assert_int_equal(weft_action_succeed(a), WEFT_OK);
    expect_errmsg(weft_message_log("after", NULL, 0),
                  "buffer budget of 65536 bytes reached");
  }
}

static void *log_once(void *arg) {
  int *rc = arg;
  *rc = weft_message_log("other_thread", NULL, 0);
  if (*rc == WEFT_EFULL &&
      !strstr(weft_errmsg(), "other threads hold every block"))
    *rc = WEFT_OK; /* the wrong message: fail below */
  return NULL;
}

/* A thread beyond budget / block_size gets no block at all. */
static void test_full_thread_without_block(void **state) {
  (void)state;
  assert_int_equal(weft_message_log("takes_the_block", NULL, 0), WEFT_OK);
  pthread_t th;
  int rc = -100;
  assert_int_equal(pthread_create(&th, NULL, log_once, &rc), 0);
  assert_int_equal(pthread_join(th, NULL), 0);
  assert_int_equal(rc, WEFT_EFULL);
}

static int setup_big_strings(void **state) {
  (void)state;
  return init_with((size_t)4 << 20, (size_t)1 << 20, 400000, WEFT_FULL_DROP,
                   NULL);
}

static void test_full_record_larger_than_block(void **state) {
  (void)state;
  size_t len = 400000;
  char *s = malloc(len + 1);
  assert_non_null(s);
  memset(s, 's', len);
  s[len] = '\0';
  weft_field f[3] = {fld_str("a", s), fld_str("b", s), fld_str("c", s)};
  weft_stats st0, st1;
  assert_int_equal(weft_stats_get(&st0), WEFT_OK);
  weft_capture *c = capture_begin();
  /* TASK record 32 bytes, header 16, 3 strings of 8 + 400000 bytes. */
  for (int i = 0; i < 2; i++) {
    other_failure();
    expect_errmsg(weft_message_log("big", f, 3),
                  "a record of 1200072 bytes is larger than a block of "
                  "1048576 bytes");
  }
  /* One string fits. */
  assert_int_equal(weft_message_log("fits", f, 1), WEFT_OK);
  capture_end(c);
  assert_int_equal(weft_stats_get(&st1), WEFT_OK);
  assert_int_equal(st1.dropped - st0.dropped, 2);
  assert_int_equal(st1.limits - st0.limits, 2);
  /* Each drop is in the trace: weft:limit record_size, then the report. */
  assert_true(weft_capture_find(c, 0, 0, "weft:limit") >= 0);
  assert_int_equal(weft_capture_dropped(c), 2);
  weft_capture_free(c);
  free(s);
}

static int refusing_sink(void *arg, uint32_t thread, const void *records,
                         size_t len) {
  (void)arg;
  (void)thread;
  (void)records;
  (void)len;
  return -1;
}

static int setup_refusing_sink(void **state) {
  (void)state;
  return init_with(BLOCK, BLOCK, 4096, WEFT_FULL_HANDOFF, refusing_sink);
}

static void test_full_sink_failed(void **state) {
  (void)state;
  other_failure();
  expect_errmsg(fill(), "the sink failed");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_full_budget_named_in_every_drop,
                                      setup_one_block, teardown),
      cmocka_unit_test_setup_teardown(test_full_thread_without_block,
                                      setup_one_block, teardown),
      cmocka_unit_test_setup_teardown(test_full_record_larger_than_block,
                                      setup_big_strings, teardown),
      cmocka_unit_test_setup_teardown(test_full_sink_failed,
                                      setup_refusing_sink, teardown),
  };
  return cmocka_run_group_tests_name("full_errors", tests, NULL, NULL);
}
