/*
 * test_clock.c - the event clock: monotonic on one thread and across
 * threads, running at the rate of CLOCK_MONOTONIC and close to it, mapped
 * to the wall clock; event timestamps come from it.
 */
#define _POSIX_C_SOURCE 200809L

#include "event_assert.h"

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

static int64_t mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t real_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0)
    ;
}

static void test_clock_never_goes_back(void **state) {
  (void)state;
  int64_t prev = weft_clock_now();
  assert_true(prev > 0);
  for (int i = 0; i < 200000; i++) {
    int64_t t = weft_clock_now();
    if (t < prev) {
      print_error("step %d: %" PRId64 " after %" PRId64 "\n", i, t, prev);
      fail();
    }
    prev = t;
  }
}

/* Close to CLOCK_MONOTONIC and advancing at its rate. */
static void test_clock_tracks_clock_monotonic(void **state) {
  (void)state;
  int64_t m0 = mono_ns(), w0 = weft_clock_now(), m1 = mono_ns();
  check_near((double)w0, (double)(m0 + m1) / 2, 5e6 + (double)(m1 - m0));
  sleep_ms(30);
  int64_t m2 = mono_ns(), w1 = weft_clock_now(), m3 = mono_ns();
  double dm = (double)(m2 + m3) / 2 - (double)(m0 + m1) / 2;
  double dw = (double)(w1 - w0);
  assert_true(dw >= 30e6);
  /* 1% plus the width of the reading windows. */
  check_near(dw, dm, 0.01 * dm + (double)(m1 - m0) + (double)(m3 - m2));
}

static void test_clock_wall_time(void **state) {
  (void)state;
  int64_t r0 = real_ns();
  int64_t wall = weft_clock_to_wall(weft_clock_now());
  int64_t r1 = real_ns();
  check_near((double)wall, (double)(r0 + r1) / 2, 50e6 + (double)(r1 - r0));
  check_near((double)wall, (double)time(NULL) * 1e9, 2e9);
  /* Wall-clock nanoseconds run at the rate of monotonic ones. */
  int64_t t = weft_clock_now();
  check_near(
      (double)(weft_clock_to_wall(t + 1000000000) - weft_clock_to_wall(t)), 1e9,
      1e3);
}

static void test_clock_name(void **state) {
  (void)state;
  const char *name = weft_clock_name();
  assert_non_null(name);
  assert_true(strcmp(name, "tsc") == 0 || strcmp(name, "monotonic") == 0);
}

static int setup_monotonic(void **state) {
  (void)state;
  weft_options o;
  weft_options_init(&o);
  o.use_tsc = 0;
  return weft_init(&o) == WEFT_OK ? 0 : -1;
}

static void test_clock_monotonic_when_asked(void **state) {
  (void)state;
  assert_string_equal(weft_clock_name(), "monotonic");
  int64_t m0 = mono_ns(), w = weft_clock_now(), m1 = mono_ns();
  assert_true(m0 <= w && w <= m1);
}

/* Two threads read the clock and publish the largest reading.  A reading
 * taken after loading a published value (program order: load, then read)
 * must not be smaller than it, whichever core produced it.  A TSC read that
 * the CPU executes ahead of the load (rdtsc without a fence) breaks this by
 * up to hundreds of ns, and with it the order of causally related events
 * of two threads. */
typedef struct race {
  _Atomic int64_t last;
  _Atomic long backwards;
  _Atomic int64_t worst;
} race;

#define READS 500000

static void *read_and_publish(void *arg) {
  race *r = arg;
  for (int i = 0; i < READS; i++) {
    int64_t seen = atomic_load(&r->last);
    int64_t t = weft_clock_now();
    if (t < seen) {
      atomic_fetch_add(&r->backwards, 1);
      if (seen - t > atomic_load(&r->worst))
        atomic_store(&r->worst, seen - t);
    }
    while (seen < t && !atomic_compare_exchange_weak(&r->last, &seen, t))
      ;
  }
  return NULL;
}

static void test_clock_monotonic_across_threads(void **state) {
  (void)state;
  race r;
  atomic_init(&r.last, 0);
  atomic_init(&r.backwards, 0);
  atomic_init(&r.worst, 0);
  pthread_t th;
  assert_int_equal(pthread_create(&th, NULL, read_and_publish, &r), 0);
  read_and_publish(&r);
  assert_int_equal(pthread_join(th, NULL), 0);
  if (atomic_load(&r.backwards) != 0) {
    print_error("%ld readings earlier than one published before them (up to "
                "%" PRId64 " ns), clock %s\n",
                atomic_load(&r.backwards), atomic_load(&r.worst),
                weft_clock_name());
    fail();
  }
}

/* Event timestamps are weft_clock_now() readings; wall_ns is their
 * wall-clock time. */
static void test_clock_event_timestamps(void **state) {
  (void)state;
  weft_capture *c = capture_begin();
  int64_t before = weft_clock_now(), r0 = real_ns();
  assert_int_equal(weft_message_log("now", NULL, 0), WEFT_OK);
  int64_t after = weft_clock_now(), r1 = real_ns();
  capture_end(c);
  const weft_event *e = event_at(c, 0);
  assert_true(before <= e->t_ns && e->t_ns <= after);
  assert_int_equal(e->wall_ns, weft_clock_to_wall(e->t_ns));
  check_near((double)e->wall_ns, (double)(r0 + r1) / 2,
             50e6 + (double)(r1 - r0));
  weft_capture_free(c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      weft_unit_test(test_clock_never_goes_back),
      weft_unit_test(test_clock_tracks_clock_monotonic),
      weft_unit_test(test_clock_wall_time),
      weft_unit_test(test_clock_name),
      cmocka_unit_test_setup_teardown(test_clock_monotonic_when_asked,
                                      setup_monotonic, teardown_shutdown),
      weft_unit_test(test_clock_monotonic_across_threads),
      weft_unit_test(test_clock_event_timestamps),
  };
  return cmocka_run_group_tests_name("clock", tests, NULL, NULL);
}
