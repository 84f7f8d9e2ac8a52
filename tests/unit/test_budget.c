/*
 * test_budget.c - the buffer budget.  Small budgets (four 64 KiB blocks)
 * are filled on purpose:
 *   - drop policy: the newest events are dropped (an action start with its
 *     whole subtree and its end), counted in weft_stats.dropped, and
 *     reported as a weft:dropped {count} message once space returns, so
 *     the stream still decodes and its levels stay consistent;
 *   - an open action can always be finished, even with the budget spent;
 *   - hand-off policy: full blocks go to the sink and nothing is lost.
 * Space is returned the way the writer does it (weft__pending_collect and
 * _release), and the writer's view is decoded with the stream decoder.
 */
#include "event_assert.h"
#include "weft_int.h"

#include "decode.h"

#include <pthread.h>

#define BLOCK ((size_t)64 << 10)
#define BUDGET ((size_t)256 << 10) /* four blocks */

/* ---- decoding what the writer would see -----------------------------------
 */

typedef struct seen_event {
  weft_kind kind;
  char type[32];
  char level[48];
  int64_t i;      /* field "i" when present, else -1 */
  uint64_t count; /* field "count" of weft:dropped */
  uint32_t thread;
} seen_event;

typedef struct seen {
  seen_event *ev;
  size_t n, cap;
} seen;

static int keep(void *arg, uint64_t stream, const weft_event *e) {
  seen *s = arg;
  if (s->n == s->cap) {
    s->cap = s->cap ? 2 * s->cap : 1024;
    s->ev = realloc(s->ev, s->cap * sizeof *s->ev);
    if (s->ev == NULL)
      return WEFT_ENOMEM;
  }
  seen_event *x = &s->ev[s->n++];
  memset(x, 0, sizeof *x);
  x->kind = e->kind;
  snprintf(x->type, sizeof x->type, "%s", e->type);
  snprintf(x->level, sizeof x->level, "%s", e->level_str);
  const weft_value *v = weft_event_field(e, "i");
  x->i = v != NULL && v->type == WEFT_TYPE_I64 ? v->v.i64 : -1;
  v = weft_event_field(e, "count");
  x->count = v != NULL && v->type == WEFT_TYPE_U64 ? v->v.u64 : 0;
  x->thread = (uint32_t)stream;
  return WEFT_OK;
}

/* Collect everything buffered, decode it into s, release it. */
static void drain(weft__decoder *d, seen *s) {
  weft__pending p;
  int rc = weft__pending_collect(&p);
  if (rc != WEFT_OK)
    print_error("weft__pending_collect: %s\n", weft_errmsg());
  assert_int_equal(rc, WEFT_OK);
  for (size_t i = 0; i < p.n; i++) {
    rc = weft__decoder_feed(d, p.spans[i].thread, p.spans[i].data,
                            p.spans[i].len, keep, NULL, s);
    if (rc != WEFT_OK)
      print_error("weft__decoder_feed: %s\n", weft_errmsg());
    assert_int_equal(rc, WEFT_OK);
  }
  weft__pending_release(&p);
}

static void check_seen(const seen_event *e, weft_kind kind, const char *type,
                       const char *level) {
  if (e->kind != kind || strcmp(e->type, type) != 0 ||
      strcmp(e->level, level) != 0) {
    print_error("decoded %s %s %s, expected %s %s %s\n", kind_name(e->kind),
                e->type, e->level, kind_name(kind), type, level);
    fail();
  }
}

static int setup_small_drop(void **state) {
  (void)state;
  weft_options o;
  weft_options_init(&o);
  o.buffer_budget = BUDGET;
  o.block_size = BLOCK;
  o.policy = WEFT_FULL_DROP;
  return weft_init(&o) == WEFT_OK ? 0 : -1;
}

/* Log messages "fill" {i} until one is dropped; returns how many fit. */
static int64_t fill(void) {
  for (int64_t i = 0; i < 1000000; i++) {
    weft_field f = fld_i64("i", i);
    int rc = weft_message_log("fill", &f, 1);
    if (rc == WEFT_EFULL)
      return i;
    assert_int_equal(rc, WEFT_OK);
  }
  fail_msg("the budget was never reached");
  return -1;
}

/* Drops inside an open action: the decoded stream keeps consecutive levels,
 * with the report in the slot after the last kept event. */
static void test_budget_drop_inside_action_reported_in_place(void **state) {
  (void)state;
  weft__decoder *d;
  assert_int_equal(weft__decoder_new(&d, weft__dict_live()), WEFT_OK);
  seen s = {0};
  weft_action job = 0, lost = 0, inner = 0;

  assert_int_equal(weft_action_start(&job, "job", NULL, 0), WEFT_OK);
  int64_t kept = fill(); /* 1 dropped */
  assert_true(kept > 1000);
  /* An action started now is dropped with everything inside it. */
  assert_int_equal(weft_action_start(&lost, "lost", NULL, 0), WEFT_EFULL);
  assert_int_not_equal(lost, 0);
  assert_int_equal(weft_action_current(), lost);
  assert_int_equal(weft_message_log("lost_msg", NULL, 0), WEFT_EFULL);
  assert_int_equal(weft_action_start(&inner, "lost_inner", NULL, 0),
                   WEFT_EFULL);
  drain(d, &s); /* space returns while "lost" is open */
  /* Still inside the dropped action: still dropped. */
  weft_field f = fld_i64("i", -5);
  assert_int_equal(weft_message_log("lost_msg2", &f, 1), WEFT_EFULL);
  assert_int_equal(weft_action_succeed(inner), WEFT_OK);
  assert_int_equal(weft_action_fail(lost, "x", 1), WEFT_OK);
  assert_int_equal(weft_action_current(), job);

  weft_stats st;
  assert_int_equal(weft_stats_get(&st), WEFT_OK);
  /* fill, lost start, lost_msg, lost_inner start, lost_msg2, lost_inner
   * end, lost end. */
  assert_int_equal(st.dropped, 7);

  assert_int_equal(weft_message_log("after", NULL, 0), WEFT_OK);
  assert_int_equal(weft_action_succeed(job), WEFT_OK);
  drain(d, &s);
  assert_int_equal(weft__decoder_open_count(d, s.ev[0].thread), 0);

  assert_int_equal(s.n, (size_t)kept + 4);
  check_seen(&s.ev[0], WEFT_KIND_START, "job", "/1");
  char level[48];
  for (int64_t i = 0; i < kept; i++) {
    snprintf(level, sizeof level, "/%" PRId64, i + 2);
    check_seen(&s.ev[i + 1], WEFT_KIND_MESSAGE, "fill", level);
    assert_int_equal(s.ev[i + 1].i, i);
  }
  snprintf(level, sizeof level, "/%" PRId64, kept + 2);
  check_seen(&s.ev[kept + 1], WEFT_KIND_MESSAGE, "weft:dropped", level);
  assert_int_equal(s.ev[kept + 1].count, 7);
  snprintf(level, sizeof level, "/%" PRId64, kept + 3);
  check_seen(&s.ev[kept + 2], WEFT_KIND_MESSAGE, "after", level);
  snprintf(level, sizeof level, "/%" PRId64, kept + 4);
  check_seen(&s.ev[kept + 3], WEFT_KIND_SUCCESS, "job", level);
  for (size_t i = 0; i < s.n; i++)
    assert_null(strstr(s.ev[i].type, "lost"));
  free(s.ev);
  weft__decoder_free(d);
}

/* With the budget spent, every open action can still be finished: the
 * ends use the block's reserve, so the stream stays well nested. */
static void test_budget_open_actions_can_always_finish(void **state) {
  (void)state;
  weft__decoder *d;
  assert_int_equal(weft__decoder_new(&d, weft__dict_live()), WEFT_OK);
  seen s = {0};
  weft_action a[3] = {0};
  static const char *const types[3] = {"a0", "a1", "a2"};
  for (int i = 0; i < 3; i++)
    assert_int_equal(weft_action_start(&a[i], types[i], NULL, 0), WEFT_OK);
  int64_t kept = fill();
  assert_int_equal(weft_message_log("fill", NULL, 0), WEFT_EFULL);
  assert_int_equal(weft_action_fail(a[2], "out of budget", 3), WEFT_OK);
  assert_int_equal(weft_action_succeed(a[1]), WEFT_OK);
  assert_int_equal(weft_action_succeed(a[0]), WEFT_OK);
  drain(d, &s);
  assert_int_equal(weft__decoder_open_count(d, s.ev[0].thread), 0);

  check_seen(&s.ev[0], WEFT_KIND_START, "a0", "/1");
  check_seen(&s.ev[1], WEFT_KIND_START, "a1", "/2/1");
  check_seen(&s.ev[2], WEFT_KIND_START, "a2", "/2/2/1");
  /* The ends are the last three events; a report of the 2 drops may come
   * right before them, in a2. */
  assert_true(s.n == (size_t)kept + 6 || s.n == (size_t)kept + 7);
  size_t e = s.n - 3;
  char level[48];
  snprintf(level, sizeof level, "/2/2/%zu", e - 1);
  check_seen(&s.ev[e], WEFT_KIND_FAILURE, "a2", level);
  check_seen(&s.ev[e + 1], WEFT_KIND_SUCCESS, "a1", "/2/3");
  check_seen(&s.ev[e + 2], WEFT_KIND_SUCCESS, "a0", "/3");
  if (s.n == (size_t)kept + 7) {
    snprintf(level, sizeof level, "/2/2/%zu", e - 2);
    check_seen(&s.ev[e - 1], WEFT_KIND_MESSAGE, "weft:dropped", level);
    assert_int_equal(s.ev[e - 1].count, 2);
  }
  free(s.ev);
  weft__decoder_free(d);
}

/* Through test capture: a capture that filled the budget, then a second
 * one, which sees the report once space has returned. */
static void test_budget_drop_reported_after_space_returns(void **state) {
  (void)state;
  weft_capture *c1 = capture_begin();
  int64_t kept = fill(); /* 1 dropped */
  for (int i = 0; i < 9; i++)
    assert_int_equal(weft_message_log("fill", NULL, 0), WEFT_EFULL);
  weft_action lost = 0, child = 0;
  assert_int_equal(weft_action_start(&lost, "lost", NULL, 0), WEFT_EFULL);
  assert_int_equal(weft_message_log("lost_msg", NULL, 0), WEFT_EFULL);
  assert_int_equal(weft_action_start(&child, "lost_child", NULL, 0),
                   WEFT_EFULL);
  assert_int_equal(weft_action_succeed(child), WEFT_OK);
  assert_int_equal(weft_action_succeed(lost), WEFT_OK);
  capture_end(c1);

  /* 10 fills, then lost: start, message, child start and end, end. */
  weft_stats st;
  assert_int_equal(weft_stats_get(&st), WEFT_OK);
  assert_int_equal(st.dropped, 15);
  assert_int_equal(weft_capture_count(c1), (size_t)kept);
  assert_int_equal(weft_capture_find(c1, 0, 0, "lost"), -1);
  assert_int_equal(weft_capture_find(c1, 0, 0, "lost_msg"), -1);
  assert_int_equal(weft_capture_find(c1, 0, 0, "lost_child"), -1);
  for (size_t i = 0; i < (size_t)kept; i++) {
    check_event(event_at(c1, i), WEFT_KIND_MESSAGE, "fill", "/1");
    check_i64(event_at(c1, i), "i", (int64_t)i);
  }
  weft_capture_free(c1);

  weft_capture *c2 = capture_begin();
  assert_int_equal(weft_message_log("after", NULL, 0), WEFT_OK);
  capture_end(c2);
  const event_spec want[] = {
      {WEFT_KIND_MESSAGE, "weft:dropped", "/1"},
      {WEFT_KIND_MESSAGE, "after", "/1"},
  };
  check_events(c2, want, 2);
  check_u64(event_at(c2, 0), "count", 15);
  assert_int_equal(weft_capture_dropped(c2), 15);
  assert_int_equal(weft_stats_get(&st), WEFT_OK);
  assert_int_equal(st.dropped, 15);
  weft_capture_free(c2);
}

/* A capture must not hide drops: events dropped while it was active are
 * counted by weft_capture_dropped even if no space returned before it
 * stopped. */
static void test_budget_capture_counts_its_drops(void **state) {
  (void)state;
  weft_capture *c = capture_begin();
  (void)fill();
  for (int i = 0; i < 4; i++)
    assert_int_equal(weft_message_log("fill", NULL, 0), WEFT_EFULL);
  capture_end(c);
  weft_stats st;
  assert_int_equal(weft_stats_get(&st), WEFT_OK);
  assert_int_equal(st.dropped, 5);
  assert_int_equal(weft_capture_dropped(c), 5);
  weft_capture_free(c);
}

static void test_budget_stats_track_pending_bytes(void **state) {
  (void)state;
  weft_stats st;
  assert_int_equal(weft_stats_get(&st), WEFT_OK);
  assert_int_equal(st.bytes_budget, BUDGET);
  assert_int_equal(st.bytes_pending, 0);
  for (int i = 0; i < 10; i++)
    assert_int_equal(weft_message_log("m", NULL, 0), WEFT_OK);
  assert_int_equal(weft_stats_get(&st), WEFT_OK);
  /* Each standalone message: TASK record (32) + header (16). */
  assert_int_equal(st.bytes_pending, 10 * 48);
  assert_int_equal(st.events, 10);
  weft__decoder *d;
  assert_int_equal(weft__decoder_new(&d, weft__dict_live()), WEFT_OK);
  seen s = {0};
  drain(d, &s);
  assert_int_equal(s.n, 10);
  assert_int_equal(weft_stats_get(&st), WEFT_OK);
  assert_int_equal(st.bytes_pending, 0);
  free(s.ev);
  weft__decoder_free(d);
}

static void *log_once(void *arg) {
  int *rc = arg;
  weft_field f = fld_i64("i", *rc);
  *rc = weft_message_log("from_thread", &f, 1);
  return NULL;
}

/* Short-lived threads: once a writer has drained what an exited thread
 * logged, its block returns to the pool, so threads can keep coming and
 * going within a budget of four blocks. */
static void test_budget_exited_threads_give_back_their_blocks(void **state) {
  (void)state;
  weft__decoder *d;
  assert_int_equal(weft__decoder_new(&d, weft__dict_live()), WEFT_OK);
  seen s = {0};
  assert_int_equal(weft_message_log("main", NULL, 0), WEFT_OK);
  for (int i = 0; i < 12; i++) {
    int rc = i;
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, log_once, &rc), 0);
    assert_int_equal(pthread_join(th, NULL), 0);
    if (rc != WEFT_OK) {
      print_error("thread %d: %s\n", i, weft_err_name(rc));
      fail();
    }
    drain(d, &s);
  }
  weft_stats st;
  assert_int_equal(weft_stats_get(&st), WEFT_OK);
  assert_int_equal(st.dropped, 0);
  assert_int_equal(s.n, 13);
  for (int i = 0; i < 12; i++) {
    check_seen(&s.ev[i + 1], WEFT_KIND_MESSAGE, "from_thread", "/1");
    assert_int_equal(s.ev[i + 1].i, i);
  }
  free(s.ev);
  weft__decoder_free(d);
}

/* ---- hand-off -------------------------------------------------------------
 */

typedef struct sink_state {
  unsigned char *data;
  size_t len, cap;
  size_t calls;
  uint32_t thread;
  int mixed_threads;
} sink_state;

static int sink(void *arg, uint32_t thread, const void *records, size_t len) {
  sink_state *s = arg;
  if (s->calls && thread != s->thread)
    s->mixed_threads = 1;
  s->thread = thread;
  s->calls++;
  if (s->len + len > s->cap) {
    size_t cap = s->cap ? s->cap : 1 << 20;
    while (cap < s->len + len)
      cap *= 2;
    unsigned char *p = realloc(s->data, cap);
    if (p == NULL)
      return -1;
    s->data = p;
    s->cap = cap;
  }
  memcpy(s->data + s->len, records, len);
  s->len += len;
  return 0;
}

static sink_state the_sink;

static int setup_small_handoff(void **state) {
  (void)state;
  weft_options o;
  weft_options_init(&o);
  o.buffer_budget = BUDGET;
  o.block_size = BLOCK;
  o.policy = WEFT_FULL_HANDOFF;
  memset(&the_sink, 0, sizeof the_sink);
  o.sink = sink;
  o.sink_arg = &the_sink;
  return weft_init(&o) == WEFT_OK ? 0 : -1;
}

static int teardown_handoff(void **state) {
  free(the_sink.data);
  memset(&the_sink, 0, sizeof the_sink);
  return teardown_shutdown(state);
}

/* 20,000 messages in one action (about 1 MB) through 256 KiB of buffer:
 * nothing is dropped, the sink gets every run of records, in order, and
 * the action still decodes whole across the hand-offs. */
static void test_budget_handoff_loses_nothing(void **state) {
  (void)state;
  const int64_t n = 20000;
  weft_action job = 0;
  assert_int_equal(weft_action_start(&job, "job", NULL, 0), WEFT_OK);
  for (int64_t i = 0; i < n; i++) {
    const weft_field f[] = {fld_i64("i", i), fld_str("pad", "0123456789")};
    assert_int_equal(weft_message_log("m", f, 2), WEFT_OK);
  }
  assert_int_equal(weft_action_succeed(job), WEFT_OK);

  weft_stats st;
  assert_int_equal(weft_stats_get(&st), WEFT_OK);
  assert_int_equal(st.dropped, 0);
  assert_true(the_sink.calls >= 3);
  assert_false(the_sink.mixed_threads);
  /* handed_off counts the runs of records the sink received. */
  assert_int_equal(st.handed_off, the_sink.calls);

  weft__decoder *d;
  assert_int_equal(weft__decoder_new(&d, weft__dict_live()), WEFT_OK);
  seen s = {0};
  assert_int_equal(weft__decoder_feed(d, the_sink.thread, the_sink.data,
                                      the_sink.len, keep, NULL, &s),
                   WEFT_OK);
  drain(d, &s);
  assert_int_equal(weft__decoder_open_count(d, the_sink.thread), 0);
  assert_int_equal(s.n, (size_t)n + 2);
  check_seen(&s.ev[0], WEFT_KIND_START, "job", "/1");
  char level[48];
  for (int64_t i = 0; i < n; i++) {
    if (s.ev[i + 1].i != i || strcmp(s.ev[i + 1].type, "m") != 0) {
      print_error("event %" PRId64 ": %s i=%" PRId64 "\n", i + 1,
                  s.ev[i + 1].type, s.ev[i + 1].i);
      fail();
    }
    snprintf(level, sizeof level, "/%" PRId64, i + 2);
    check_seen(&s.ev[i + 1], WEFT_KIND_MESSAGE, "m", level);
  }
  snprintf(level, sizeof level, "/%" PRId64, n + 2);
  check_seen(&s.ev[n + 1], WEFT_KIND_SUCCESS, "job", level);
  free(s.ev);
  weft__decoder_free(d);
}

static int setup_handoff_without_sink(void **state) {
  (void)state;
  weft_options o;
  weft_options_init(&o);
  o.buffer_budget = BUDGET;
  o.block_size = BLOCK;
  o.policy = WEFT_FULL_HANDOFF;
  return weft_init(&o) == WEFT_OK ? 0 : -1;
}

static void test_budget_handoff_without_sink_drops(void **state) {
  (void)state;
  (void)fill();
  weft_stats st;
  assert_int_equal(weft_stats_get(&st), WEFT_OK);
  assert_int_equal(st.dropped, 1);
  assert_int_equal(st.handed_off, 0);
}

static int setup_one_block(void **state) {
  (void)state;
  weft_options o;
  weft_options_init(&o);
  o.buffer_budget = BLOCK; /* the thread's block is the only one */
  o.block_size = BLOCK;
  o.policy = WEFT_FULL_DROP;
  return weft_init(&o) == WEFT_OK ? 0 : -1;
}

/* A thread whose block is full when no other block is free drops; once a
 * flush has written the block out, the block starts over and the thread
 * logs again, reporting the drops first (it used to drop for good). */
static void test_budget_full_only_block_starts_over(void **state) {
  (void)state;
  weft__decoder *d;
  assert_int_equal(weft__decoder_new(&d, weft__dict_live()), WEFT_OK);
  seen s = {0};
  for (int round = 0; round < 3; round++) {
    int64_t kept = fill(); /* one dropped */
    assert_true(kept > 100);
    assert_int_equal(weft_message_log("fill", NULL, 0), WEFT_EFULL);
    size_t before = s.n;
    drain(d, &s);
    /* the report of the previous round's drops, then this round's fills */
    size_t report = round > 0;
    assert_int_equal(s.n - before, (size_t)kept + report);
    if (report) {
      check_seen(&s.ev[before], WEFT_KIND_MESSAGE, "weft:dropped", "/1");
      assert_int_equal(s.ev[before].count, 2);
    }
    for (int64_t i = 0; i < kept; i++)
      assert_int_equal(s.ev[before + report + (size_t)i].i, i);
  }
  weft_stats st;
  assert_int_equal(weft_stats_get(&st), WEFT_OK);
  assert_int_equal(st.dropped, 6);
  free(s.ev);
  weft__decoder_free(d);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_budget_full_only_block_starts_over,
                                      setup_one_block, teardown_shutdown),
      cmocka_unit_test_setup_teardown(
          test_budget_drop_inside_action_reported_in_place, setup_small_drop,
          teardown_shutdown),
      cmocka_unit_test_setup_teardown(
          test_budget_open_actions_can_always_finish, setup_small_drop,
          teardown_shutdown),
      cmocka_unit_test_setup_teardown(
          test_budget_drop_reported_after_space_returns, setup_small_drop,
          teardown_shutdown),
      cmocka_unit_test_setup_teardown(test_budget_capture_counts_its_drops,
                                      setup_small_drop, teardown_shutdown),
      cmocka_unit_test_setup_teardown(test_budget_stats_track_pending_bytes,
                                      setup_small_drop, teardown_shutdown),
      cmocka_unit_test_setup_teardown(
          test_budget_exited_threads_give_back_their_blocks, setup_small_drop,
          teardown_shutdown),
      cmocka_unit_test_setup_teardown(test_budget_handoff_loses_nothing,
                                      setup_small_handoff, teardown_handoff),
      cmocka_unit_test_setup_teardown(test_budget_handoff_without_sink_drops,
                                      setup_handoff_without_sink,
                                      teardown_shutdown),
  };
  return cmocka_run_group_tests_name("budget", tests, NULL, NULL);
}
