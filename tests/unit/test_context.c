/*
 * test_context.c - serialized task contexts: the text form, the slot it
 * takes, continuing it on other threads (and, unlike Eliot, more than
 * once), chains of continuations, and the errors.
 */
#define _POSIX_C_SOURCE 200809L

#include "event_assert.h"

#include <pthread.h>
#include <strings.h>

/* The expected text of a context: the task id of e and a level. */
static void expect_context(const char *got, const weft_event *e,
                           const char *level) {
  char want[WEFT_CONTEXT_MAX];
  snprintf(want, sizeof want, "%016" PRIx64 "%016" PRIx64 "@%s", e->task_hi,
           e->task_lo, level);
  if (strcasecmp(got, want) != 0) {
    print_error("context \"%s\", expected \"%s\"\n", got, want);
    fail();
  }
}

static void serialize(weft_action a, char *buf) {
  size_t len = 0;
  int rc = weft_context_serialize(a, buf, WEFT_CONTEXT_MAX, &len);
  if (rc != WEFT_OK)
    print_error("weft_context_serialize: %s: %s\n", weft_err_name(rc),
                weft_errmsg());
  assert_int_equal(rc, WEFT_OK);
  assert_true(len >= strlen(buf));
}

static void test_context_serialize_text_and_slot(void **state) {
  (void)state;
  char ctx1[WEFT_CONTEXT_MAX], ctx2[WEFT_CONTEXT_MAX];
  weft_capture *c = capture_begin();
  weft_action a = 0, b = 0;
  assert_int_equal(weft_action_start(&a, "parent", NULL, 0), WEFT_OK);
  serialize(0, ctx1); /* takes slot 2 of parent */
  assert_int_equal(weft_action_start(&b, "child", NULL, 0), WEFT_OK);
  serialize(b, ctx2); /* takes slot 2 of child, at /3 */
  assert_int_equal(weft_message_log("in_child", NULL, 0), WEFT_OK);
  assert_int_equal(weft_action_succeed(b), WEFT_OK);
  assert_int_equal(weft_message_log("in_parent", NULL, 0), WEFT_OK);
  assert_int_equal(weft_action_succeed(a), WEFT_OK);
  capture_end(c);

  const event_spec want[] = {
      {WEFT_KIND_START, "parent", "/1"},
      {WEFT_KIND_START, "child", "/3/1"},
      {WEFT_KIND_MESSAGE, "in_child", "/3/3"},
      {WEFT_KIND_SUCCESS, "child", "/3/4"},
      {WEFT_KIND_MESSAGE, "in_parent", "/4"},
      {WEFT_KIND_SUCCESS, "parent", "/5"},
  };
  check_events(c, want, 6);
  expect_context(ctx1, event_at(c, 0), "/2");
  expect_context(ctx2, event_at(c, 0), "/3/2");
  assert_int_equal(strlen(ctx1), 32 + 3);
  weft_capture_free(c);
}

/* An open outer action may be serialized while an inner one is open: it
 * takes the outer action's next slot. */
static void test_context_serialize_outer_action(void **state) {
  (void)state;
  char ctx[WEFT_CONTEXT_MAX];
  weft_capture *c = capture_begin();
  weft_action a = 0, b = 0;
  assert_int_equal(weft_action_start(&a, "outer", NULL, 0), WEFT_OK);
  assert_int_equal(weft_action_start(&b, "inner", NULL, 0), WEFT_OK);
  serialize(a, ctx); /* outer's slot 3 (inner has 2) */
  assert_int_equal(weft_action_succeed(b), WEFT_OK);
  assert_int_equal(weft_message_log("after", NULL, 0), WEFT_OK);
  assert_int_equal(weft_action_succeed(a), WEFT_OK);
  capture_end(c);

  const event_spec want[] = {
      {WEFT_KIND_START, "outer", "/1"},     {WEFT_KIND_START, "inner", "/2/1"},
      {WEFT_KIND_SUCCESS, "inner", "/2/2"}, {WEFT_KIND_MESSAGE, "after", "/4"},
      {WEFT_KIND_SUCCESS, "outer", "/5"},
  };
  check_events(c, want, 5);
  expect_context(ctx, event_at(c, 0), "/3");
  weft_capture_free(c);
}

typedef struct remote {
  const char *ctx;
  pthread_barrier_t *barrier; /* may be NULL */
  int64_t id;
  int rc_continue, rc_log, rc_end;
  weft_action current_after;
} remote;

/* Continue ctx as "remote" {id}, log a message in it, succeed. */
static void *continue_remote(void *arg) {
  remote *r = arg;
  weft_action a = 0;
  if (r->barrier)
    pthread_barrier_wait(r->barrier);
  weft_field f = fld_i64("id", r->id);
  r->rc_continue = weft_context_continue(&a, r->ctx, "remote", &f, 1);
  r->rc_log = weft_message_log("remote_msg", NULL, 0);
  r->rc_end = weft_action_succeed(a);
  r->current_after = weft_action_current();
  return NULL;
}

static void check_remote_ran(const remote *r) {
  assert_int_equal(r->rc_continue, WEFT_OK);
  assert_int_equal(r->rc_log, WEFT_OK);
  assert_int_equal(r->rc_end, WEFT_OK);
  assert_int_equal(r->current_after, 0);
}

static void test_context_continue_on_another_thread(void **state) {
  (void)state;
  char ctx[WEFT_CONTEXT_MAX];
  weft_capture *c = capture_begin();
  weft_action a = 0;
  assert_int_equal(weft_action_start(&a, "parent", NULL, 0), WEFT_OK);
  serialize(0, ctx);
  remote r = {.ctx = ctx, .id = 7};
  pthread_t th;
  assert_int_equal(pthread_create(&th, NULL, continue_remote, &r), 0);
  assert_int_equal(pthread_join(th, NULL), 0);
  check_remote_ran(&r);
  assert_int_equal(weft_message_log("back", NULL, 0), WEFT_OK);
  assert_int_equal(weft_action_succeed(a), WEFT_OK);
  capture_end(c);

  assert_int_equal(weft_capture_count(c), 6);
  const weft_event *ps =
      event_at(c, (size_t)weft_capture_find(c, 0, WEFT_KIND_START, "parent"));
  const weft_event *rs =
      event_at(c, (size_t)weft_capture_find(c, 0, WEFT_KIND_START, "remote"));
  const weft_event *rm = event_at(
      c, (size_t)weft_capture_find(c, 0, WEFT_KIND_MESSAGE, "remote_msg"));
  const weft_event *re =
      event_at(c, (size_t)weft_capture_find(c, 0, WEFT_KIND_SUCCESS, "remote"));
  const weft_event *pm =
      event_at(c, (size_t)weft_capture_find(c, 0, WEFT_KIND_MESSAGE, "back"));
  const weft_event *pe =
      event_at(c, (size_t)weft_capture_find(c, 0, WEFT_KIND_SUCCESS, "parent"));
  check_level(ps, "/1");
  check_level(rs, "/2/1");
  check_level(rm, "/2/2");
  check_level(re, "/2/3");
  check_level(pm, "/3");
  check_level(pe, "/4");
  check_i64(rs, "id", 7);
  assert_true(same_task(ps, rs));
  assert_true(same_task(ps, rm));
  assert_true(same_task(ps, re));
  assert_int_not_equal(ps->thread, rs->thread);
  assert_int_equal(rs->thread, re->thread);
  expect_context(ctx, ps, "/2");
  weft_capture_free(c);
}

/* One context continued by four threads at once: every continuation is a
 * child of the serializing action at the serialized level. */
#define NREMOTE 4

static void test_context_continued_many_times(void **state) {
  (void)state;
  char ctx[WEFT_CONTEXT_MAX];
  pthread_barrier_t barrier;
  assert_int_equal(pthread_barrier_init(&barrier, NULL, NREMOTE), 0);
  weft_capture *c = capture_begin();
  weft_action a = 0;
  assert_int_equal(weft_action_start(&a, "scatter", NULL, 0), WEFT_OK);
  assert_int_equal(weft_message_log("before", NULL, 0), WEFT_OK);
  serialize(0, ctx); /* slot 3 */
  remote r[NREMOTE];
  pthread_t th[NREMOTE];
  for (int i = 0; i < NREMOTE; i++) {
    r[i] = (remote){.ctx = ctx, .barrier = &barrier, .id = i};
    assert_int_equal(pthread_create(&th[i], NULL, continue_remote, &r[i]), 0);
  }
  for (int i = 0; i < NREMOTE; i++) {
    assert_int_equal(pthread_join(th[i], NULL), 0);
    check_remote_ran(&r[i]);
  }
  assert_int_equal(weft_action_succeed(a), WEFT_OK);
  capture_end(c);
  pthread_barrier_destroy(&barrier);

  assert_int_equal(weft_capture_count(c), 3 + 3 * NREMOTE);
  const weft_event *root = event_at(c, 0);
  check_event(root, WEFT_KIND_START, "scatter", "/1");
  expect_context(ctx, root, "/3");
  check_event(event_at(c, (size_t)weft_capture_find(c, 0, WEFT_KIND_SUCCESS,
                                                    "scatter")),
              WEFT_KIND_SUCCESS, "scatter", "/4");
  int seen_id[NREMOTE] = {0};
  uint32_t threads[NREMOTE];
  size_t from = 0;
  for (int k = 0; k < NREMOTE; k++) {
    long i = weft_capture_find(c, from, WEFT_KIND_START, "remote");
    assert_true(i >= 0);
    const weft_event *s = event_at(c, (size_t)i);
    check_level(s, "/3/1");
    assert_true(same_task(root, s));
    const weft_value *id = field_typed(s, "id", WEFT_TYPE_I64);
    assert_in_range(id->v.i64, 0, NREMOTE - 1);
    seen_id[id->v.i64]++;
    threads[k] = s->thread;
    for (int j = 0; j < k; j++)
      assert_int_not_equal(threads[j], s->thread);
    assert_int_not_equal(s->thread, root->thread);
    /* The rest of this continuation, on the same thread. */
    int msgs = 0, ends = 0;
    for (size_t j = 0; j < weft_capture_count(c); j++) {
      const weft_event *e = event_at(c, j);
      if (e->thread != s->thread || e == s)
        continue;
      assert_true(same_task(root, e));
      if (e->kind == WEFT_KIND_MESSAGE) {
        check_event(e, WEFT_KIND_MESSAGE, "remote_msg", "/3/2");
        msgs++;
      } else {
        check_event(e, WEFT_KIND_SUCCESS, "remote", "/3/3");
        ends++;
      }
    }
    assert_int_equal(msgs, 1);
    assert_int_equal(ends, 1);
    from = (size_t)i + 1;
  }
  for (int k = 0; k < NREMOTE; k++)
    assert_int_equal(seen_id[k], 1);
  weft_capture_free(c);
}

static void *continue_and_pass_on(void *arg) {
  char *ctx = arg; /* in: a context; out: one taken inside the remote */
  weft_action a = 0;
  char next[WEFT_CONTEXT_MAX] = "";
  size_t len;
  if (weft_context_continue(&a, ctx, "hop1", NULL, 0) == WEFT_OK &&
      weft_message_log("hop1_msg", NULL, 0) == WEFT_OK &&
      weft_context_serialize(0, next, sizeof next, &len) == WEFT_OK &&
      weft_action_succeed(a) == WEFT_OK)
    memcpy(ctx, next, sizeof next);
  else
    ctx[0] = '\0';
  return NULL;
}

static void *continue_hop2(void *arg) {
  const char *ctx = arg;
  weft_action a = 0, b = 0;
  if (weft_context_continue(&a, ctx, "hop2", NULL, 0) == WEFT_OK &&
      weft_action_start(&b, "hop2_child", NULL, 0) == WEFT_OK &&
      weft_action_fail(b, "nope", 2) == WEFT_OK)
    weft_action_succeed(a);
  return NULL;
}

/* A continuation can itself be serialized and continued further. */
static void test_context_chain_of_continuations(void **state) {
  (void)state;
  char ctx[WEFT_CONTEXT_MAX];
  weft_capture *c = capture_begin();
  weft_action a = 0;
  assert_int_equal(weft_action_start(&a, "origin", NULL, 0), WEFT_OK);
  serialize(0, ctx);
  pthread_t th;
  assert_int_equal(pthread_create(&th, NULL, continue_and_pass_on, ctx), 0);
  assert_int_equal(pthread_join(th, NULL), 0);
  assert_true(ctx[0] != '\0');
  assert_int_equal(pthread_create(&th, NULL, continue_hop2, ctx), 0);
  assert_int_equal(pthread_join(th, NULL), 0);
  assert_int_equal(weft_action_succeed(a), WEFT_OK);
  capture_end(c);

  const weft_event *o = event_at(c, 0);
  check_event(o, WEFT_KIND_START, "origin", "/1");
  expect_context(ctx, o, "/2/3");
  static const struct {
    weft_kind kind;
    const char *type, *level;
  } want[] = {
      {WEFT_KIND_START, "hop1", "/2/1"},
      {WEFT_KIND_MESSAGE, "hop1_msg", "/2/2"},
      {WEFT_KIND_SUCCESS, "hop1", "/2/4"},
      {WEFT_KIND_START, "hop2", "/2/3/1"},
      {WEFT_KIND_START, "hop2_child", "/2/3/2/1"},
      {WEFT_KIND_FAILURE, "hop2_child", "/2/3/2/2"},
      {WEFT_KIND_SUCCESS, "hop2", "/2/3/3"},
      {WEFT_KIND_SUCCESS, "origin", "/3"},
  };
  assert_int_equal(weft_capture_count(c), 1 + sizeof want / sizeof want[0]);
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
    long k = weft_capture_find(c, 0, want[i].kind, want[i].type);
    assert_true(k >= 0);
    const weft_event *e = event_at(c, (size_t)k);
    check_level(e, want[i].level);
    assert_true(same_task(o, e));
  }
  weft_capture_free(c);
}

/* The serializing action may have finished before the continuation runs,
 * and the continuing thread may be the same one. */
static void test_context_continue_after_parent_finished(void **state) {
  (void)state;
  char ctx[WEFT_CONTEXT_MAX];
  weft_capture *c = capture_begin();
  weft_action a = 0, b = 0;
  assert_int_equal(weft_action_start(&a, "parent", NULL, 0), WEFT_OK);
  serialize(a, ctx);
  assert_int_equal(weft_action_succeed(a), WEFT_OK);
  assert_int_equal(weft_context_continue(&b, ctx, "later", NULL, 0), WEFT_OK);
  assert_int_equal(weft_action_current(), b);
  assert_int_equal(weft_action_succeed(b), WEFT_OK);
  assert_int_equal(weft_message_log("standalone", NULL, 0), WEFT_OK);
  capture_end(c);

  const event_spec want[] = {
      {WEFT_KIND_START, "parent", "/1"},
      {WEFT_KIND_SUCCESS, "parent", "/3"},
      {WEFT_KIND_START, "later", "/2/1"},
      {WEFT_KIND_SUCCESS, "later", "/2/2"},
      {WEFT_KIND_MESSAGE, "standalone", "/1"},
  };
  check_events(c, want, 5);
  assert_true(same_task(event_at(c, 0), event_at(c, 2)));
  /* After the continued root ends, the thread starts fresh tasks. */
  assert_false(same_task(event_at(c, 0), event_at(c, 4)));
  weft_capture_free(c);
}

static void test_context_serialize_errors(void **state) {
  (void)state;
  char buf[WEFT_CONTEXT_MAX];
  size_t len = 0;
  assert_int_equal(weft_context_serialize(0, buf, sizeof buf, &len),
                   WEFT_ENOACTION);
  assert_true(weft_errmsg()[0] != '\0');

  weft_capture *c = capture_begin();
  weft_action a = 0;
  assert_int_equal(weft_action_start(&a, "small", NULL, 0), WEFT_OK);
  char tiny[8];
  len = 0;
  assert_int_equal(weft_context_serialize(0, tiny, sizeof tiny, &len),
                   WEFT_ENOSPACE);
  assert_int_equal(len, 32 + 3 + 1); /* "<32 hex>@/2" and its NUL */
  /* The failed call took no slot: the next one still gets /2. */
  assert_int_equal(weft_context_serialize(0, buf, len, &len), WEFT_OK);
  assert_int_equal(weft_action_succeed(a), WEFT_OK);
  /* A finished action, while another one is open. */
  weft_action b = 0;
  assert_int_equal(weft_action_start(&b, "other", NULL, 0), WEFT_OK);
  char buf2[WEFT_CONTEXT_MAX];
  assert_int_equal(weft_context_serialize(a, buf2, sizeof buf2, &len),
                   WEFT_EFINISHED);
  assert_int_equal(weft_action_succeed(b), WEFT_OK);
  capture_end(c);

  expect_context(buf, event_at(c, 0), "/2");
  check_event(event_at(c, 1), WEFT_KIND_SUCCESS, "small", "/3");
  check_event(event_at(c, 3), WEFT_KIND_SUCCESS, "other", "/2");
  weft_capture_free(c);
}

typedef struct foreign {
  weft_action a;
  int rc;
} foreign;

static void *serialize_foreign(void *arg) {
  foreign *f = arg;
  char buf[WEFT_CONTEXT_MAX];
  size_t len;
  f->rc = weft_context_serialize(f->a, buf, sizeof buf, &len);
  return NULL;
}

static void test_context_serialize_other_thread_action(void **state) {
  (void)state;
  weft_action a = 0;
  assert_int_equal(weft_action_start(&a, "mine", NULL, 0), WEFT_OK);
  foreign f = {a, 0};
  pthread_t th;
  assert_int_equal(pthread_create(&th, NULL, serialize_foreign, &f), 0);
  assert_int_equal(pthread_join(th, NULL), 0);
  assert_int_equal(f.rc, WEFT_ETHREAD);
  assert_int_equal(weft_action_succeed(a), WEFT_OK);
}

static void test_context_continue_errors(void **state) {
  (void)state;
  char ctx[WEFT_CONTEXT_MAX];
  weft_action a = 0, b = 0;
  assert_int_equal(weft_action_start(&a, "parent", NULL, 0), WEFT_OK);
  serialize(0, ctx);
  /* Continued while an action is open: the continued action sits on top
   * of this thread's stack, so the one below cannot finish first. */
  assert_int_equal(weft_context_continue(&b, ctx, "x", NULL, 0), WEFT_OK);
  assert_int_equal(weft_action_current(), b);
  assert_int_equal(weft_action_succeed(a), WEFT_EUNBALANCED);
  assert_int_equal(weft_action_succeed(b), WEFT_OK);
  assert_int_equal(weft_action_succeed(a), WEFT_OK);

  static const char hex32[] = "0123456789abcdef0123456789abcdef";
  char bad[12][80];
  int k = 0;
  snprintf(bad[k++], 80, "%s", "");
  snprintf(bad[k++], 80, "%s", "not a context");
  snprintf(bad[k++], 80, "%.31s@/2", hex32);  /* 31 digits */
  snprintf(bad[k++], 80, "%s/2", hex32);      /* no @ */
  snprintf(bad[k++], 80, "%s@2", hex32);      /* no / */
  snprintf(bad[k++], 80, "%s@/", hex32);      /* no level */
  snprintf(bad[k++], 80, "%s@/2x", hex32);    /* junk after */
  snprintf(bad[k++], 80, "%s@/0", hex32);     /* levels are >= 1 */
  snprintf(bad[k++], 80, "%s@/2//3", hex32);  /* empty element */
  snprintf(bad[k++], 80, "%s@/-2", hex32);    /* negative */
  snprintf(bad[k++], 80, "g%.31s@/2", hex32); /* not hex */
  snprintf(bad[k++], 80, "%s0@/2", hex32);    /* 33 digits */
  for (int i = 0; i < k; i++) {
    b = 0;
    int rc = weft_context_continue(&b, bad[i], "x", NULL, 0);
    if (rc != WEFT_ECONTEXT) {
      print_error("\"%s\": %s, expected WEFT_ECONTEXT\n", bad[i],
                  weft_err_name(rc));
      fail();
    }
    assert_true(weft_errmsg()[0] != '\0');
    assert_int_equal(weft_action_current(), 0);
  }
  assert_int_equal(weft_context_continue(&b, NULL, "x", NULL, 0), WEFT_EINVAL);
  assert_int_equal(weft_context_continue(NULL, ctx, "x", NULL, 0), WEFT_EINVAL);
  assert_int_equal(weft_context_continue(&b, ctx, NULL, NULL, 0), WEFT_EINVAL);
  assert_int_equal(weft_action_current(), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      weft_unit_test(test_context_serialize_text_and_slot),
      weft_unit_test(test_context_serialize_outer_action),
      weft_unit_test(test_context_continue_on_another_thread),
      weft_unit_test(test_context_continued_many_times),
      weft_unit_test(test_context_chain_of_continuations),
      weft_unit_test(test_context_continue_after_parent_finished),
      weft_unit_test(test_context_serialize_errors),
      weft_unit_test(test_context_serialize_other_thread_action),
      weft_unit_test(test_context_continue_errors),
  };
  return cmocka_run_group_tests_name("context", tests, NULL, NULL);
}
