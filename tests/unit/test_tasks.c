/*
 * test_tasks.c - task identity: a fresh 128-bit id (UUID version 4 bit
 * pattern) for every root action and every standalone message, shared by
 * every event of the task.
 */
#include "event_assert.h"

#define NROOTS 2000

static int cmp_id(const void *a, const void *b) {
  const uint64_t *x = a, *y = b;
  if (x[0] != y[0])
    return x[0] < y[0] ? -1 : 1;
  if (x[1] != y[1])
    return x[1] < y[1] ? -1 : 1;
  return 0;
}

static void test_tasks_ids_distinct_per_root(void **state) {
  (void)state;
  weft_capture *c = capture_begin();
  for (int i = 0; i < NROOTS; i++) {
    if (i % 2) {
      assert_int_equal(weft_message_log("alone", NULL, 0), WEFT_OK);
    } else {
      weft_action a = 0, b = 0;
      assert_int_equal(weft_action_start(&a, "root", NULL, 0), WEFT_OK);
      assert_int_equal(weft_action_start(&b, "child", NULL, 0), WEFT_OK);
      assert_int_equal(weft_message_log("inner", NULL, 0), WEFT_OK);
      assert_int_equal(weft_action_succeed(b), WEFT_OK);
      assert_int_equal(weft_action_succeed(a), WEFT_OK);
    }
  }
  capture_end(c);

  static uint64_t ids[NROOTS][2];
  size_t n = 0, i = 0, total = weft_capture_count(c);
  assert_int_equal(total, (size_t)NROOTS / 2 * 6);
  while (i < total) {
    const weft_event *first = event_at(c, i);
    size_t len = first->kind == WEFT_KIND_MESSAGE ? 1 : 5;
    for (size_t j = i + 1; j < i + len; j++)
      assert_true(same_task(first, event_at(c, j)));
    assert_true(n < NROOTS);
    ids[n][0] = first->task_hi;
    ids[n][1] = first->task_lo;
    /* UUID version 4, RFC 4122 variant. */
    assert_int_equal((first->task_hi >> 12) & 0xf, 4);
    assert_int_equal(first->task_lo >> 62, 2);
    n++;
    i += len;
  }
  assert_int_equal(n, NROOTS);
  qsort(ids, n, sizeof ids[0], cmp_id);
  for (size_t k = 1; k < n; k++)
    assert_int_not_equal(cmp_id(ids[k - 1], ids[k]), 0);
  weft_capture_free(c);
}

/* The random part varies in every bit position that is not fixed, so the
 * ids are not, say, a counter. */
static void test_tasks_ids_are_random(void **state) {
  (void)state;
  weft_capture *c = capture_begin();
  for (int i = 0; i < 64; i++)
    assert_int_equal(weft_message_log("m", NULL, 0), WEFT_OK);
  capture_end(c);
  uint64_t hi_or = 0, hi_and = ~UINT64_C(0), lo_or = 0, lo_and = ~UINT64_C(0);
  for (size_t i = 0; i < 64; i++) {
    const weft_event *e = event_at(c, i);
    hi_or |= e->task_hi;
    hi_and &= e->task_hi;
    lo_or |= e->task_lo;
    lo_and &= e->task_lo;
  }
  /* Bits that changed at least once: all but the 6 fixed ones. */
  uint64_t hi_fixed = UINT64_C(0xf) << 12, lo_fixed = UINT64_C(3) << 62;
  assert_int_equal((hi_or & ~hi_and) | hi_fixed, ~UINT64_C(0));
  assert_int_equal((lo_or & ~lo_and) | lo_fixed, ~UINT64_C(0));
  weft_capture_free(c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      weft_unit_test(test_tasks_ids_distinct_per_root),
      weft_unit_test(test_tasks_ids_are_random),
  };
  return cmocka_run_group_tests_name("tasks", tests, NULL, NULL);
}
