/*
 * test_regressions.c - bugs found in review, each with the scenario that
 * showed it.
 *
 *   ends_survive_a_spent_budget  long failure reasons and weft:dropped
 *                                reports used the END reserve, so outer
 *                                actions lost their ends (bad nesting)
 *   serialize_inside_a_dropped_action
 *                                serializing a recorded action while an
 *                                inner one was dropped wrote a SERIALIZE
 *                                the reader could not place
 *   logging_after_the_exit_destructor
 *                                a thread logging from another key's
 *                                destructor appended to its sealed block,
 *                                which another thread may own by then
 */
#include "event_assert.h"
#include "weft_int.h"

#include <pthread.h>

static int counts[5];

static int count_event(void *arg, uint64_t stream, const weft_event *e) {
  (void)arg;
  (void)stream;
  counts[e->kind]++;
  return 0;
}

/* Decode everything buffered; returns the decoder's status. */
static int drain(weft__decoder *d, weft__event_fn fn, void *arg) {
  weft__pending p;
  int rc = weft__pending_collect(&p);
  if (rc)
    return rc;
  for (size_t i = 0; rc == WEFT_OK && i < p.n; i++)
    rc = weft__decoder_feed(d, p.spans[i].thread, p.spans[i].data,
                            p.spans[i].len, fn, NULL, arg);
  weft__pending_release(&p);
  return rc;
}

static int setup_one_block(void **state) {
  (void)state;
  weft_options o;
  weft_options_init(&o);
  o.block_size = 64 << 10;
  o.buffer_budget = 64 << 10;
  o.policy = WEFT_FULL_DROP;
  return weft_init(&o) == WEFT_OK ? 0 : -1;
}

static int setup_two_blocks(void **state) {
  (void)state;
  weft_options o;
  weft_options_init(&o);
  o.block_size = 64 << 10;
  o.buffer_budget = 128 << 10;
  o.policy = WEFT_FULL_DROP;
  return weft_init(&o) == WEFT_OK ? 0 : -1;
}

static void fill_budget(void) {
  static char pad[200];
  memset(pad, 'x', sizeof pad - 1);
  weft_field f = fld_str("s", pad);
  while (weft_message_log("fill", &f, 1) == WEFT_OK)
    ;
}

static void ends_survive(int mode) {
  enum { D = 100 };
  weft_action a[D];
  memset(counts, 0, sizeof counts);
  for (int i = 0; i < D; i++)
    assert_int_equal(weft_action_start(&a[i], "nest", NULL, 0), WEFT_OK);
  fill_budget();
  if (mode == 0) {
    static char big[4001];
    memset(big, 'r', 4000);
    assert_int_equal(weft_action_fail(a[D - 1], big, 1), WEFT_OK);
    for (int i = D - 2; i >= 0; i--)
      assert_int_equal(weft_action_succeed(a[i]), WEFT_OK);
  } else {
    weft_field f = fld_str("s", "dropped");
    for (int i = D - 1; i >= 0; i--) {
      weft_message_log("fill", &f, 1); /* dropped: reported before an end */
      assert_int_equal(weft_action_fail(a[i], "timeout after 30 s", 1),
                       WEFT_OK);
    }
  }
  weft__decoder *d;
  assert_int_equal(weft__decoder_new(&d, weft__dict_live()), WEFT_OK);
  int rc = drain(d, count_event, NULL);
  if (rc)
    print_error("decode: %s\n", weft_errmsg());
  assert_int_equal(rc, WEFT_OK);
  assert_int_equal(counts[WEFT_KIND_START], D);
  assert_int_equal(counts[WEFT_KIND_SUCCESS] + counts[WEFT_KIND_FAILURE], D);
  weft__decoder_free(d);
}

static void test_regressions_ends_survive_a_spent_budget(void **state) {
  (void)state;
  ends_survive(0);
}

static void test_regressions_ends_survive_dropped_reports(void **state) {
  (void)state;
  ends_survive(1);
}

static void test_regressions_serialize_inside_a_dropped_action(void **state) {
  (void)state;
  weft__decoder *d;
  assert_int_equal(weft__decoder_new(&d, weft__dict_live()), WEFT_OK);
  weft_action a = 0, b = 0;
  assert_int_equal(weft_action_start(&a, "A", NULL, 0), WEFT_OK);
  fill_budget();
  assert_int_equal(weft_action_start(&b, "B", NULL, 0), WEFT_EFULL);
  assert_int_equal(drain(d, NULL, NULL), WEFT_OK); /* space returns */
  char ctx[WEFT_CONTEXT_MAX];
  assert_int_equal(weft_context_serialize(a, ctx, sizeof ctx, NULL), WEFT_OK);
  assert_int_equal(weft_action_succeed(b), WEFT_OK);
  assert_int_equal(weft_action_succeed(a), WEFT_OK);
  int rc = drain(d, NULL, NULL);
  if (rc)
    print_error("decode: %s\n", weft_errmsg());
  assert_int_equal(rc, WEFT_OK);
  weft__decoder_free(d);
}

static pthread_key_t app_key;

/* Runs after libweft's own destructor (its key was created first). */
static void app_destructor(void *v) {
  (void)v;
  weft_message_log("late", NULL, 0);
}

static void *exiting_thread(void *arg) {
  (void)arg;
  pthread_setspecific(app_key, (void *)1);
  weft_message_log("early", NULL, 0);
  return NULL;
}

typedef struct seen {
  uint32_t early_thread, late_thread;
  int early, late;
} seen;

static int note_thread(void *arg, uint64_t stream, const weft_event *e) {
  seen *s = arg;
  (void)stream;
  if (strcmp(e->type, "early") == 0) {
    s->early++;
    s->early_thread = e->thread;
  } else if (strcmp(e->type, "late") == 0) {
    s->late++;
    s->late_thread = e->thread;
  }
  return 0;
}

static void test_regressions_logging_after_the_exit_destructor(void **state) {
  (void)state;
  assert_int_equal(weft_message_log("main", NULL, 0), WEFT_OK);
  assert_int_equal(pthread_key_create(&app_key, app_destructor), 0);
  pthread_t th;
  assert_int_equal(pthread_create(&th, NULL, exiting_thread, NULL), 0);
  assert_int_equal(pthread_join(th, NULL), 0);
  weft__decoder *d;
  assert_int_equal(weft__decoder_new(&d, weft__dict_live()), WEFT_OK);
  seen s = {0, 0, 0, 0};
  assert_int_equal(drain(d, note_thread, &s), WEFT_OK);
  assert_int_equal(s.early, 1);
  assert_int_equal(s.late, 1);
  /* The late message went to a fresh registration, not the sealed block
   * of the exited thread. */
  assert_int_not_equal(s.early_thread, s.late_thread);
  weft__decoder_free(d);
  pthread_key_delete(app_key);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(
          test_regressions_ends_survive_a_spent_budget, setup_one_block,
          teardown_shutdown),
      cmocka_unit_test_setup_teardown(
          test_regressions_ends_survive_dropped_reports, setup_one_block,
          teardown_shutdown),
      cmocka_unit_test_setup_teardown(
          test_regressions_serialize_inside_a_dropped_action, setup_two_blocks,
          teardown_shutdown),
      weft_unit_test(test_regressions_logging_after_the_exit_destructor),
  };
  return cmocka_run_group_tests_name("regressions", tests, NULL, NULL);
}
