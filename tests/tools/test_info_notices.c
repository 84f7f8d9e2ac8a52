/*
 * test_info_notices.c - the `notices:` lines of `weft info`
 * (tools/info_notices.c) on synthetic events: Weft's own messages
 * gathered per kind (and per limit, or per unknown variable) with their
 * ranks and counts, the
 * application's messages left out, and "none" when there is nothing.
 */
#include "synth.h"

#include "info_print.h"
#include "outbuf.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static char *notices(weft__model *m, uint32_t file, uint32_t nranks,
                     uint64_t dropped) {
  weft__out o;
  assert_int_equal(weft__out_init(&o, NULL), 0);
  assert_int_equal(weft__info_notices(&o, m, file, nranks, dropped), 0);
  return synth_take(&o);
}

/* A message of `type` as the root of task `task` on `rank`. */
static void message(weft__model *m, uint32_t file, uint32_t rank,
                    const char *type, uint64_t task, const weft_value *f,
                    size_t nf) {
  weft__stream *s = weft__model_stream(m, file, rank, 0);
  synth_event(m, s, WEFT_KIND_MESSAGE, type, task, "/1", (int64_t)task, f, nf);
}

static void limit(weft__model *m, uint32_t rank, uint64_t task,
                  const char *which, int64_t value) {
  weft_value f[] = {synth_str("limit", which), synth_i64("value", value)};
  message(m, 0, rank, "weft:limit", task, f, 2);
}

static void test_notices_gathered(void **state) {
  (void)state;
  weft__model m;
  assert_int_equal(weft__model_init(&m), 0);
  limit(&m, 0, 1, "depth", 128);
  limit(&m, 1, 2, "depth", 128);
  limit(&m, 1, 3, "depth", 128);
  limit(&m, 3, 4, "depth", 128);
  limit(&m, 5, 5, "depth", 128);
  limit(&m, 2, 6, "fields", 64);
  weft_value nj[] = {synth_str("dir", "/ro/x.journal"),
                     synth_str("reason", "read-only file system")};
  message(&m, 0, 4, "weft:no_journal", 7, nj, 2);
  /* the application's own, and another file's, are not notices */
  weft_value app[] = {synth_str("limit", "depth")};
  message(&m, 0, 0, "webform:limit", 8, app, 1);
  message(&m, 1, 0, "weft:no_journal", 9, nj, 2);
  assert_int_equal(weft__model_finish(&m), 0);
  char *got = notices(&m, 0, 6, 0);
  const char *want =
      "notices:   weft:limit on ranks 0-1,3,5, 5 times; first on rank 0: "
      "limit=depth, value=128\n"
      "           weft:limit on rank 2, 1 time; first on rank 2: "
      "limit=fields, value=64\n"
      "           weft:no_journal on rank 4, 1 time; first on rank 4: "
      "dir=/ro/x.journal, reason=read-only file system\n";
  assert_string_equal(got, want);
  free(got);
  weft__model_release(&m);
}

static void test_notices_none(void **state) {
  (void)state;
  weft__model m;
  assert_int_equal(weft__model_init(&m), 0);
  weft_value f[] = {synth_i64("step", 1)};
  message(&m, 0, 0, "step", 1, f, 1);
  assert_int_equal(weft__model_finish(&m), 0);
  char *got = notices(&m, 0, 1, 0);
  assert_string_equal(got, "notices:   none (no weft:limit, weft:dropped, "
                           "weft:no_journal, weft:no_shield or "
                           "weft:unknown_setting message)\n");
  free(got);
  weft__model_release(&m);
}

/* Drops: the weft:dropped messages count some; the ranks dropped more
 * (/flushes), after their last report. */
static void test_notices_unreported_drops(void **state) {
  (void)state;
  weft__model m;
  assert_int_equal(weft__model_init(&m), 0);
  weft_value c1[] = {synth_u64("count", 1388)};
  weft_value c2[] = {synth_u64("count", 3096)};
  message(&m, 0, 1, "weft:dropped", 1, c1, 1);
  message(&m, 0, 1, "weft:dropped", 2, c2, 1);
  assert_int_equal(weft__model_finish(&m), 0);
  char *got = notices(&m, 0, 3, 7956);
  assert_string_equal(
      got, "notices:   weft:dropped on rank 1, 2 times: 4484 events "
           "reported\n"
           "           3472 dropped events not reported in this log (no room "
           "for a weft:dropped message before its last flush; a later log of "
           "the process may hold the report)\n");
  free(got);
  /* all reported: nothing more to say */
  got = notices(&m, 0, 3, 4484);
  assert_null(strstr(got, "not reported"));
  free(got);
  weft__model_release(&m);
  /* none reported at all */
  assert_int_equal(weft__model_init(&m), 0);
  assert_int_equal(weft__model_finish(&m), 0);
  got = notices(&m, 0, 1, 320);
  assert_string_equal(got, "notices:   320 dropped events not reported in "
                           "this log (no room for a weft:dropped message "
                           "before its last flush; a later log of the process "
                           "may hold the report)\n");
  free(got);
  weft__model_release(&m);
}

/* weft:unknown_setting (lib/src/env_names.c): one line per variable. */
static void test_notices_unknown_settings(void **state) {
  (void)state;
  weft__model m;
  assert_int_equal(weft__model_init(&m), 0);
  weft_value a[] = {synth_str("name", "WEFT_BUFER_BUDGET")};
  weft_value b[] = {synth_str("name", "WEFT_JORNAL")};
  for (uint32_t r = 0; r < 4; r++)
    message(&m, 0, r, "weft:unknown_setting", r + 1, a, 1);
  message(&m, 0, 2, "weft:unknown_setting", 5, b, 1);
  assert_int_equal(weft__model_finish(&m), 0);
  char *got = notices(&m, 0, 4, 0);
  assert_string_equal(got, "notices:   weft:unknown_setting on ranks 0-3, 4 "
                           "times; first on rank 0: name=WEFT_BUFER_BUDGET\n"
                           "           weft:unknown_setting on rank 2, 1 "
                           "time; first on rank 2: name=WEFT_JORNAL\n");
  free(got);
  weft__model_release(&m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_notices_gathered),
      cmocka_unit_test(test_notices_none),
      cmocka_unit_test(test_notices_unreported_drops),
      cmocka_unit_test(test_notices_unknown_settings),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
