/*
 * test_threads.c - eight threads logging at once: each thread's events are
 * complete, in order and well nested, record their thread, and never mix
 * with another thread's tasks.
 */
#ifndef _GNU_SOURCE /* the build defines it for every file */
#define _GNU_SOURCE /* syscall(SYS_gettid) */
#endif

#include "event_assert.h"
#include "weft_int.h"

#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#define NTHREADS 8
#define ITERS 300

typedef struct worker {
  int id;
  pthread_barrier_t *barrier;
  int errors; /* calls that did not return WEFT_OK */
} worker;

static int expected_events(void) {
  int n = 0;
  for (int i = 0; i < ITERS; i++)
    n += 5 + (i % 3 == 0);
  return n;
}

/* One iteration: work{t,i} > step{i} > tick, then maybe a note, then the
 * root succeeds or (every 5th) fails. */
static void *work(void *arg) {
  worker *w = arg;
  pthread_barrier_wait(w->barrier);
  for (int i = 0; i < ITERS; i++) {
    weft_action root = 0, step = 0;
    const weft_field rf[] = {fld_i64("t", w->id), fld_i64("i", i)};
    w->errors += weft_action_start(&root, "work", rf, 2) != WEFT_OK;
    weft_field sf = fld_i64("i", i);
    w->errors += weft_action_start(&step, "step", &sf, 1) != WEFT_OK;
    const weft_field tf[] = {fld_i64("t", w->id), fld_i64("i", i)};
    w->errors += weft_message_log("tick", tf, 2) != WEFT_OK;
    w->errors += weft_action_succeed(step) != WEFT_OK;
    if (i % 3 == 0)
      w->errors += weft_message_log("note", NULL, 0) != WEFT_OK;
    if (i % 5 == 0)
      w->errors += weft_action_fail(root, "fifth", i) != WEFT_OK;
    else
      w->errors += weft_action_succeed(root) != WEFT_OK;
  }
  return NULL;
}

/* Check the events of one thread (in capture order) against what work()
 * logged; returns the logical worker id found in them. */
static int check_worker_stream(const weft_event **ev, size_t n,
                               uint64_t (*task_ids)[2]) {
  assert_int_equal(n, (size_t)expected_events());
  size_t k = 0;
  int id = -1;
  for (int i = 0; i < ITERS; i++) {
    const weft_event *root = ev[k++];
    check_event(root, WEFT_KIND_START, "work", "/1");
    check_i64(root, "i", i);
    int t = (int)field_typed(root, "t", WEFT_TYPE_I64)->v.i64;
    if (id < 0)
      id = t;
    assert_int_equal(t, id);
    task_ids[i][0] = root->task_hi;
    task_ids[i][1] = root->task_lo;

    check_event(ev[k], WEFT_KIND_START, "step", "/2/1");
    check_i64(ev[k++], "i", i);
    check_event(ev[k], WEFT_KIND_MESSAGE, "tick", "/2/2");
    check_i64(ev[k], "t", id);
    check_i64(ev[k++], "i", i);
    check_event(ev[k++], WEFT_KIND_SUCCESS, "step", "/2/3");
    const char *end_level = "/3";
    if (i % 3 == 0) {
      check_event(ev[k++], WEFT_KIND_MESSAGE, "note", "/3");
      end_level = "/4";
    }
    const weft_event *end = ev[k++];
    if (i % 5 == 0) {
      check_event(end, WEFT_KIND_FAILURE, "work", end_level);
      assert_int_equal(end->code, i);
    } else {
      check_event(end, WEFT_KIND_SUCCESS, "work", end_level);
    }
    for (size_t j = k - (5 + (i % 3 == 0)); j < k; j++) {
      assert_true(same_task(root, ev[j]));
      assert_int_equal(ev[j]->thread, root->thread);
    }
    assert_true(end->elapsed_ns >= 0);
  }
  return id;
}

static int cmp_task(const void *a, const void *b) {
  const uint64_t *x = a, *y = b;
  if (x[0] != y[0])
    return x[0] < y[0] ? -1 : 1;
  if (x[1] != y[1])
    return x[1] < y[1] ? -1 : 1;
  return 0;
}

static void test_threads_eight_threads_log_at_once(void **state) {
  (void)state;
  pthread_barrier_t barrier;
  assert_int_equal(pthread_barrier_init(&barrier, NULL, NTHREADS), 0);
  weft_stats before, after;
  assert_int_equal(weft_stats_get(&before), WEFT_OK);

  weft_capture *c = capture_begin();
  assert_int_equal(weft_message_log("main", NULL, 0), WEFT_OK);
  worker w[NTHREADS];
  pthread_t th[NTHREADS];
  for (int i = 0; i < NTHREADS; i++) {
    w[i] = (worker){.id = i, .barrier = &barrier};
    assert_int_equal(pthread_create(&th[i], NULL, work, &w[i]), 0);
  }
  for (int i = 0; i < NTHREADS; i++)
    assert_int_equal(pthread_join(th[i], NULL), 0);
  capture_end(c);
  pthread_barrier_destroy(&barrier);
  assert_int_equal(weft_stats_get(&after), WEFT_OK);

  for (int i = 0; i < NTHREADS; i++)
    assert_int_equal(w[i].errors, 0);
  size_t total = weft_capture_count(c);
  assert_int_equal(total, 1 + (size_t)NTHREADS * (size_t)expected_events());
  assert_int_equal(after.events - before.events, total);
  assert_int_equal(after.dropped, 0);
  assert_true(after.threads >= NTHREADS + 1);

  const weft_event *main_ev =
      event_at(c, (size_t)weft_capture_find(c, 0, WEFT_KIND_MESSAGE, "main"));
  /* Group by thread index, keeping capture order. */
  uint32_t index[NTHREADS];
  size_t nidx = 0;
  const weft_event **ev = malloc(total * sizeof *ev);
  uint64_t(*tasks)[2] = malloc((size_t)NTHREADS * ITERS * sizeof *tasks);
  assert_non_null(ev);
  assert_non_null(tasks);
  for (size_t i = 0; i < total; i++) {
    const weft_event *e = event_at(c, i);
    if (e == main_ev)
      continue;
    assert_int_not_equal(e->thread, main_ev->thread);
    size_t j = 0;
    while (j < nidx && index[j] != e->thread)
      j++;
    if (j == nidx) {
      assert_true(nidx < NTHREADS);
      index[nidx++] = e->thread;
    }
  }
  assert_int_equal(nidx, NTHREADS);
  int seen[NTHREADS] = {0};
  for (size_t j = 0; j < nidx; j++) {
    size_t n = 0;
    for (size_t i = 0; i < total; i++)
      if (event_at(c, i)->thread == index[j] && event_at(c, i) != main_ev)
        ev[n++] = event_at(c, i);
    int id = check_worker_stream(ev, n, tasks + j * ITERS);
    assert_in_range(id, 0, NTHREADS - 1);
    seen[id]++;
  }
  for (int i = 0; i < NTHREADS; i++)
    assert_int_equal(seen[i], 1);

  /* Every root is a task of its own: NTHREADS * ITERS distinct ids. */
  qsort(tasks, (size_t)NTHREADS * ITERS, sizeof *tasks, cmp_task);
  for (size_t i = 1; i < (size_t)NTHREADS * ITERS; i++)
    assert_int_not_equal(cmp_task(tasks[i - 1], tasks[i]), 0);
  free(tasks);
  free(ev);
  weft_capture_free(c);
}

typedef struct probe {
  char errmsg[64]; /* copy of weft_errmsg() on a fresh thread */
  int rc;
} probe;

static void *fail_in_thread(void *arg) {
  probe *p = arg;
  snprintf(p->errmsg, sizeof p->errmsg, "%s", weft_errmsg());
  p->rc = weft_action_succeed(0);
  return NULL;
}

/* weft_errmsg() is per thread: another thread's failure does not show. */
static void test_threads_errmsg_is_per_thread(void **state) {
  (void)state;
  weft_action a = 0;
  assert_int_equal(weft_action_start(&a, "ok", NULL, 0), WEFT_OK);
  assert_int_equal(weft_action_succeed(a), WEFT_OK);
  assert_int_not_equal(weft_action_succeed(a), WEFT_OK);
  char mine[256];
  snprintf(mine, sizeof mine, "%s", weft_errmsg());
  assert_true(mine[0] != '\0');

  probe p = {"x", 0};
  pthread_t th;
  assert_int_equal(pthread_create(&th, NULL, fail_in_thread, &p), 0);
  assert_int_equal(pthread_join(th, NULL), 0);
  assert_string_equal(p.errmsg, "");
  assert_int_not_equal(p.rc, WEFT_OK);
  /* The other thread's failure left this thread's message alone. */
  assert_string_equal(weft_errmsg(), mine);
}

typedef struct exiting {
  uint32_t index; /* the thread's index, from its captured event */
  int64_t tid;
} exiting;

static void *log_and_exit(void *arg) {
  exiting *x = arg;
  x->tid = (int64_t)syscall(SYS_gettid);
  x->index = weft_message_log("bye", NULL, 0) == WEFT_OK ? 0 : UINT32_MAX;
  return NULL;
}

/* The registry behind weft_event.thread (weft_int.h): each thread that
 * logged has an entry with its OS thread id, marked dead once it exits. */
static void test_threads_registry_tracks_exit(void **state) {
  (void)state;
  weft_capture *c = capture_begin();
  assert_int_equal(weft_message_log("hello", NULL, 0), WEFT_OK);
  exiting x = {1, 0};
  pthread_t th;
  assert_int_equal(pthread_create(&th, NULL, log_and_exit, &x), 0);
  assert_int_equal(pthread_join(th, NULL), 0);
  assert_int_equal(x.index, 0);
  capture_end(c);
  const weft_event *mine = event_at(c, 0), *theirs = event_at(c, 1);
  assert_string_equal(mine->type, "hello");
  assert_string_equal(theirs->type, "bye");
  assert_int_not_equal(mine->thread, theirs->thread);
  assert_true(weft__thread_count() >= 2);

  weft__thread_info info;
  assert_int_equal(weft__thread_info_get(mine->thread, &info), WEFT_OK);
  assert_int_equal(info.index, mine->thread);
  assert_int_equal(info.os_tid, (int64_t)syscall(SYS_gettid));
  assert_true(info.alive);
  assert_int_equal(weft__thread_info_get(theirs->thread, &info), WEFT_OK);
  assert_int_equal(info.index, theirs->thread);
  assert_int_equal(info.os_tid, x.tid);
  assert_false(info.alive);
  assert_int_not_equal(weft__thread_info_get(WEFT_THREADS_MAX, &info), WEFT_OK);
  weft_capture_free(c);
}

static void *log_once(void *arg) {
  int *rc = arg;
  *rc = weft_message_log("once", NULL, 0);
  return NULL;
}

static int setup_block_per_thread(void **state) {
  (void)state;
  weft_options o;
  weft_options_init(&o);
  o.block_size = (size_t)64 << 10;
  o.buffer_budget = (size_t)(WEFT_THREADS_MAX + 1) * o.block_size;
  return weft_init(&o) == WEFT_OK ? 0 : -1;
}

/* WEFT_THREADS_MAX threads may log (counting this one); the next one gets
 * an error, not a crash, and the others go on logging.  (Each thread holds
 * a block until a writer drains it: the budget leaves room for all.) */
static void test_threads_limit(void **state) {
  (void)state;
  assert_int_equal(weft_message_log("main", NULL, 0), WEFT_OK);
  int rc = -1000;
  for (int i = 1; i < WEFT_THREADS_MAX; i++) {
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, log_once, &rc), 0);
    assert_int_equal(pthread_join(th, NULL), 0);
    if (rc != WEFT_OK) {
      print_error("thread %d: %s\n", i, weft_err_name(rc));
      fail();
    }
  }
  pthread_t th;
  assert_int_equal(pthread_create(&th, NULL, log_once, &rc), 0);
  assert_int_equal(pthread_join(th, NULL), 0);
  assert_int_equal(rc, WEFT_ELIMIT);
  weft_stats st;
  assert_int_equal(weft_stats_get(&st), WEFT_OK);
  assert_int_equal(st.threads, WEFT_THREADS_MAX);
  assert_int_equal(weft_message_log("main_again", NULL, 0), WEFT_OK);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      weft_unit_test(test_threads_eight_threads_log_at_once),
      weft_unit_test(test_threads_errmsg_is_per_thread),
      weft_unit_test(test_threads_registry_tracks_exit),
      cmocka_unit_test_setup_teardown(
          test_threads_limit, setup_block_per_thread, teardown_shutdown),
  };
  return cmocka_run_group_tests_name("threads", tests, NULL, NULL);
}
