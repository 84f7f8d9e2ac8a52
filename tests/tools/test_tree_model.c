/*
 * test_tree_model.c - the causal tree model and its rendering, on
 * synthetic events: the talk's example, cross-rank continuations, folding,
 * unfinished actions, selection, and linear time on a 100k-wide action.
 */
#include "synth.h"

#include "outbuf.h"
#include "select.h"
#include "tree_render.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

/* The talk's badmath.py: multiplysum(1, 2, 4) = multiply(add(1, 2), 4). */
static void badmath(weft__model *m) {
  weft__stream *s = weft__model_stream(m, 0, 0, 0);
  weft_value in3[] = {synth_i64("a", 1), synth_i64("b", 2), synth_i64("c", 4)};
  weft_value in2[] = {synth_i64("a", 1), synth_i64("b", 2)};
  weft_value mul[] = {synth_i64("a", 3), synth_i64("b", 4)};
  weft_value r3 = synth_i64("result", 3), r0 = synth_i64("result", 0);
  synth_event(m, s, WEFT_KIND_START, "multiplysum", 1, "/1", 0, in3, 3);
  synth_event(m, s, WEFT_KIND_START, "add", 1, "/2/1", 10, in2, 2);
  synth_event(m, s, WEFT_KIND_SUCCESS, "add", 1, "/2/2", 13, &r3, 1);
  synth_event(m, s, WEFT_KIND_START, "multiply", 1, "/3/1", 20, mul, 2);
  synth_event(m, s, WEFT_KIND_SUCCESS, "multiply", 1, "/3/2", 2520, &r0, 1);
  synth_event(m, s, WEFT_KIND_SUCCESS, "multiplysum", 1, "/4", 2600, &r0, 1);
}

static char *render(weft__model *m, const weft__select *sel,
                    const weft__tree_opts *to) {
  weft__out o;
  assert_int_equal(weft__out_init(&o, NULL), 0);
  assert_int_equal(weft__tree_render(&o, m, sel, to), 0);
  return synth_take(&o);
}

static void test_tree_talk_example_unicode(void **state) {
  (void)state;
  weft__model m;
  assert_int_equal(weft__model_init(&m), 0);
  badmath(&m);
  assert_int_equal(weft__model_finish(&m), 0);
  weft__select sel;
  weft__select_init(&sel);
  weft__tree_opts to;
  weft__tree_opts_init(&to);
  char *got = render(&m, &sel, &to);
  const char *want =
      "00000000-0000-0abc-0000-000000000001\n"
      "└── multiplysum (a: 1, b: 2, c: 4) ⇒ succeeded ⧖ 2.6ms @ 2026-11-26 "
      "14:03:22.000Z\n"
      "    ├── add (a: 1, b: 2) ⇒ succeeded ⧖ 3µs\n"
      "    │   └── result: 3\n"
      "    ├── multiply (a: 3, b: 4) ⇒ succeeded ⧖ 2.5ms\n"
      "    │   └── result: 0\n"
      "    └── result: 0\n\n";
  assert_string_equal(got, want);
  free(got);
  weft__model_release(&m);
}

static void test_tree_talk_example_ascii_raw(void **state) {
  (void)state;
  weft__model m;
  assert_int_equal(weft__model_init(&m), 0);
  badmath(&m);
  assert_int_equal(weft__model_finish(&m), 0);
  weft__select sel;
  weft__select_init(&sel);
  weft__tree_opts to;
  weft__tree_opts_init(&to);
  to.ascii = 1;
  to.raw = 1;
  to.levels = 1;
  char *got = render(&m, &sel, &to);
  const char *want =
      "00000000-0000-0abc-0000-000000000001\n"
      "`-- multiplysum (a: 1, b: 2, c: 4) => succeeded took 0.002600000s @ "
      "1795701802.000000000\n"
      "    |-- add/2 (a: 1, b: 2) => succeeded took 0.000003000s\n"
      "    |   `-- result: 3\n"
      "    |-- multiply/3 (a: 3, b: 4) => succeeded took 0.002500000s\n"
      "    |   `-- result: 0\n"
      "    `-- result: 0\n\n";
  assert_string_equal(got, want);
  free(got);
  weft__model_release(&m);
}

/* Rank 0 runs "step", serializes its slot 2 and every rank continues it;
 * rank 2 is the slowest and rank 3 fails. */
static void spmd(weft__model *m, int nranks) {
  weft__stream *s0 = weft__model_stream(m, 0, 0, 0);
  synth_event(m, s0, WEFT_KIND_START, "step", 7, "/1", 0, NULL, 0);
  for (int r = nranks - 1; r >= 0; r--) { /* arrival order need not help */
    weft__stream *s = r == 0 ? weft__model_stream(m, 0, 0, 1)
                             : weft__model_stream(m, 0, (uint32_t)r, 0);
    weft_value n = synth_i64("n", r * 10);
    int64_t dur = r == 2 ? 900 : 100 + r;
    synth_event(m, s, WEFT_KIND_START, "solve", 7, "/2/1", 10, &n, 1);
    if (r == 3)
      synth_fail(m, s, "solve", 7, "/2/2", 10 + dur, "diverged", 5);
    else
      synth_event(m, s, WEFT_KIND_SUCCESS, "solve", 7, "/2/2", 10 + dur, NULL,
                  0);
  }
  synth_event(m, s0, WEFT_KIND_MESSAGE, "done", 7, "/3", 1000, NULL, 0);
  synth_event(m, s0, WEFT_KIND_SUCCESS, "step", 7, "/4", 1001, NULL, 0);
}

static void test_tree_continuations_nest_under_serializer(void **state) {
  (void)state;
  weft__model m;
  assert_int_equal(weft__model_init(&m), 0);
  spmd(&m, 4);
  assert_int_equal(weft__model_finish(&m), 0);
  /* root, 4 x solve, done */
  const weft__node *root = weft__model_node(&m, m.tasks[0].first_root);
  uint32_t c = root->first_child, ranks[8], k = 0;
  for (; c != WEFT__NONE; c = m.nodes[c].next_sibling)
    ranks[k++] = m.nodes[c].kind == WEFT__NODE_ACTION ? m.nodes[c].rank : 99;
  assert_int_equal(k, 5);
  /* ordered by slot, then rank: 0 1 2 3, then the message */
  assert_int_equal(ranks[0], 0);
  assert_int_equal(ranks[1], 1);
  assert_int_equal(ranks[2], 2);
  assert_int_equal(ranks[3], 3);
  assert_int_equal(ranks[4], 99);
  weft__select sel;
  weft__select_init(&sel);
  weft__tree_opts to;
  weft__tree_opts_init(&to);
  to.ascii = 1;
  to.fold_above = 0;
  char *got = render(&m, &sel, &to);
  const char *want =
      "00000000-0000-0abc-0000-000000000007\n"
      "`-- step [rank 0] => succeeded took 1ms @ 2026-11-26 14:03:22.000Z\n"
      "    |-- solve [rank 0 thread 1] (n: 0) => succeeded took 100us\n"
      "    |-- solve [rank 1] (n: 10) => succeeded took 101us\n"
      "    |-- solve [rank 2] (n: 20) => succeeded took 900us\n"
      "    |-- solve [rank 3] (n: 30) => failed took 103us\n"
      "    |   |-- reason: diverged\n"
      "    |   `-- code: 5\n"
      "    `-- done\n\n";
  assert_string_equal(got, want);
  free(got);
  /* folded: one line with min / median / max and the slowest rank */
  to.fold_above = 3;
  got = render(&m, &sel, &to);
  assert_non_null(strstr(
      got, "|-- solve x4 on 4 ranks => 3 succeeded, 1 failed took min 100us "
           "median 101us max 900us (rank 2)\n"));
  free(got);
  weft__model_release(&m);
}

static void test_tree_unfinished_and_missing_start(void **state) {
  (void)state;
  weft__model m;
  assert_int_equal(weft__model_init(&m), 0);
  weft__stream *s = weft__model_stream(&m, 0, 0, 0);
  synth_event(&m, s, WEFT_KIND_START, "main", 1, "/1", 0, NULL, 0);
  synth_event(&m, s, WEFT_KIND_START, "io", 1, "/2/1", 5, NULL, 0);
  synth_event(&m, s, WEFT_KIND_MESSAGE, "tick", 1, "/2/2", 4000, NULL, 0);
  /* the rank died: neither end was recorded */
  weft__stream *s2 = weft__model_stream(&m, 0, 1, 0);
  synth_event(&m, s2, WEFT_KIND_SUCCESS, "lost", 2, "/3", 50, NULL, 0);
  assert_int_equal(weft__model_finish(&m), 0);
  assert_int_equal(m.nnodes, 4);
  assert_int_equal(m.nodes[0].status, WEFT__ST_UNFINISHED);
  assert_int_equal(weft__model_elapsed(&m, 0), 4000 * 1000);
  assert_int_equal(weft__model_elapsed(&m, 1), 3995 * 1000);
  assert_true(m.nodes[3].flags & WEFT__NF_NO_START);
  weft__select sel;
  weft__select_init(&sel);
  weft__tree_opts to;
  weft__tree_opts_init(&to);
  to.ascii = 1;
  char *got = render(&m, &sel, &to);
  assert_non_null(strstr(got, "`-- main [rank 0] => unfinished took >=4ms"));
  assert_non_null(strstr(
      got, "    `-- io => unfinished took >=4ms, stopped on rank 0 at "));
  assert_non_null(
      strstr(got, "lost [rank 1] => succeeded (start not recorded)"));
  free(got);
  weft__model_release(&m);
}

static void test_tree_selection_shows_ancestors(void **state) {
  (void)state;
  weft__model m;
  assert_int_equal(weft__model_init(&m), 0);
  spmd(&m, 4);
  badmath(&m);
  assert_int_equal(weft__model_finish(&m), 0);
  weft__select sel;
  weft__select_init(&sel);
  assert_int_equal(weft__select_add_where(&sel, "n >= 20"), 0);
  weft__tree_opts to;
  weft__tree_opts_init(&to);
  to.ascii = 1;
  char *got = render(&m, &sel, &to);
  const char *want =
      "00000000-0000-0abc-0000-000000000007\n"
      "`-- step [rank 0] => succeeded took 1ms @ 2026-11-26 14:03:22.000Z\n"
      "    |-- solve [rank 2] (n: 20) => succeeded took 900us\n"
      "    `-- solve [rank 3] (n: 30) => failed took 103us\n"
      "        |-- reason: diverged\n"
      "        `-- code: 5\n\n";
  assert_string_equal(got, want);
  free(got);
  weft__select_release(&sel);
  weft__select_init(&sel);
  sel.types = (const char *[]){"mul*"};
  sel.ntypes = 1;
  got = render(&m, &sel, &to);
  assert_non_null(strstr(got, "`-- multiplysum"));
  assert_non_null(strstr(got, "    |-- multiply (a: 3"));
  assert_null(strstr(got, "add"));
  assert_null(strstr(got, "step"));
  free(got);
  sel.ntypes = 0;
  assert_int_equal(weft__select_add_status(&sel, "failed"), 0);
  assert_int_equal(weft__select_add_ranks(&sel, "3"), 0);
  got = render(&m, &sel, &to);
  assert_non_null(strstr(got, "solve [rank 3]"));
  assert_null(strstr(got, "rank 2"));
  free(got);
  weft__select_release(&sel);
  weft__model_release(&m);
}

static void test_tree_long_values_cut(void **state) {
  (void)state;
  weft__model m;
  assert_int_equal(weft__model_init(&m), 0);
  weft__stream *s = weft__model_stream(&m, 0, 0, 0);
  weft_value v = synth_str("path", "/scratch/a/very/long/path\nsecond line");
  synth_event(&m, s, WEFT_KIND_MESSAGE, "open", 3, "/1", 0, &v, 1);
  assert_int_equal(weft__model_finish(&m), 0);
  weft__select sel;
  weft__select_init(&sel);
  weft__tree_opts to;
  weft__tree_opts_init(&to);
  to.field_limit = 10;
  char *got = render(&m, &sel, &to);
  assert_non_null(strstr(got, "open (path: /scratch/a…) @"));
  free(got);
  to.field_limit = 0;
  to.ascii = 1;
  got = render(&m, &sel, &to);
  assert_non_null(
      strstr(got, "open (path: /scratch/a/very/long/path\\x0asecond line)"));
  free(got);
  weft__model_release(&m);
}

static double build_wide(uint32_t width, int cross_rank) {
  struct timespec a, b;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
  weft__model m;
  assert_int_equal(weft__model_init(&m), 0);
  weft__stream *s = weft__model_stream(&m, 0, 0, 0);
  synth_event(&m, s, WEFT_KIND_START, "wide", 1, "/1", 0, NULL, 0);
  char lv[32], le[32];
  for (uint32_t k = 0; k < width; k++) {
    weft__stream *c = s;
    if (cross_rank) {
      /* one child per rank, all continuing slot 2, arriving in reverse */
      c = weft__model_stream(&m, 0, width - k, 0);
      snprintf(lv, sizeof lv, "/2/1");
      snprintf(le, sizeof le, "/2/2");
    } else {
      snprintf(lv, sizeof lv, "/%u/1", k + 2);
      snprintf(le, sizeof le, "/%u/2", k + 2);
    }
    synth_event(&m, c, WEFT_KIND_START, "child", 1, lv, 1 + k, NULL, 0);
    synth_event(&m, c, WEFT_KIND_SUCCESS, "child", 1, le, 2 + k, NULL, 0);
  }
  snprintf(le, sizeof le, "/%u", cross_rank ? 3 : width + 2);
  synth_event(&m, s, WEFT_KIND_SUCCESS, "wide", 1, le, 10 + width, NULL, 0);
  assert_int_equal(weft__model_finish(&m), 0);
  uint32_t n = 0, prev_rank = 0;
  for (uint32_t c = m.nodes[0].first_child; c != WEFT__NONE;
       c = m.nodes[c].next_sibling) {
    if (cross_rank)
      assert_true(m.nodes[c].rank > prev_rank);
    prev_rank = m.nodes[c].rank;
    n++;
  }
  assert_int_equal(n, width);
  weft__model_release(&m);
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
  return (double)(b.tv_sec - a.tv_sec) + 1e-9 * (double)(b.tv_nsec - a.tv_nsec);
}

static double best_of_3(uint32_t width, int cross_rank) {
  double best = 1e9;
  for (int k = 0; k < 3; k++) {
    double t = build_wide(width, cross_rank);
    if (t < best)
      best = t;
  }
  return best;
}

/* eliot-tree's parser re-sorts an action's children on every insert, so a
 * 100k-wide action costs it O(k^2 log k).  Here doubling the width must
 * roughly double the time (CPU time, best of 3, with slack for noise on a
 * shared machine). */
static void test_tree_wide_action_linear_time(void **state) {
  (void)state;
  for (int cross = 0; cross <= 1; cross++) {
    double t1 = best_of_3(100000, cross);
    double t2 = best_of_3(200000, cross);
    print_message("width 100k: %.3fs, 200k: %.3fs (cross-rank %d)\n", t1, t2,
                  cross);
    assert_true(t1 < 2.0);
    assert_true(t2 < 3.5 * t1 + 0.02);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_tree_talk_example_unicode),
      cmocka_unit_test(test_tree_talk_example_ascii_raw),
      cmocka_unit_test(test_tree_continuations_nest_under_serializer),
      cmocka_unit_test(test_tree_unfinished_and_missing_start),
      cmocka_unit_test(test_tree_selection_shows_ancestors),
      cmocka_unit_test(test_tree_long_values_cut),
      cmocka_unit_test(test_tree_wide_action_linear_time),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
