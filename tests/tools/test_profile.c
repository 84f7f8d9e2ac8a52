/*
 * test_profile.c - `weft profile` numbers on known data, and the exports
 * of a known tree: Eliot JSON lines (checked by Eliot's own parser when
 * WEFT_CHECK_ELIOT names check_eliot.py), Chrome trace JSON and CSV, and
 * how the Eliot and CSV exports mark strings cut when they were logged.
 */
#include "synth.h"

#include "export.h"
#include "outbuf.h"
#include "profile.h"
#include "select.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

/* 100 root actions "calc" {arg = i+1} taking i+1 ms, on rank i % 4, and
 * one "io" on rank 0 only. */
static void known(weft__model *m) {
  for (int i = 0; i < 100; i++) {
    weft__stream *s = weft__model_stream(m, 0, (uint32_t)(i % 4), 0);
    weft_value a = synth_i64("arg", i + 1);
    int64_t t = i * 1000000;
    synth_event(m, s, WEFT_KIND_START, "calc", (uint64_t)i + 10, "/1", t, &a,
                1);
    synth_event(m, s, WEFT_KIND_SUCCESS, "calc", (uint64_t)i + 10, "/2",
                t + (i + 1) * 1000, NULL, 0);
  }
  weft__stream *s = weft__model_stream(m, 0, 0, 0);
  synth_event(m, s, WEFT_KIND_START, "io", 1, "/1", 0, NULL, 0);
  synth_event(m, s, WEFT_KIND_SUCCESS, "io", 1, "/2", 7, NULL, 0);
}

static char *profile(weft__model *m, int format) {
  weft__select sel;
  weft__select_init(&sel);
  weft__profile_opts po = {.format = format, .top = 3, .ascii = 1};
  weft__out o;
  assert_int_equal(weft__out_init(&o, NULL), 0);
  assert_int_equal(weft__profile_write(&o, m, &sel, &po), 0);
  return synth_take(&o);
}

static void test_profile_known_numbers(void **state) {
  (void)state;
  weft__model m;
  assert_int_equal(weft__model_init(&m), 0);
  known(&m);
  assert_int_equal(weft__model_finish(&m), 0);
  char *json = profile(&m, WEFT__PROFILE_JSON);
  /* 1..100 ms: total 5050 ms, mean 50.5, nearest-rank p50 50, p95 95 */
  assert_non_null(strstr(json, "{\"type\":\"calc\",\"count\":100,"
                               "\"total_ns\":5050000000,\"mean_ns\":50500000,"
                               "\"p50_ns\":50000000,\"p95_ns\":95000000,"
                               "\"max_ns\":100000000"));
  /* rank 3 ran 4, 8, ..., 100 ms: 25 runs, 1300 ms */
  assert_non_null(strstr(json, "{\"rank\":3,\"count\":25,"
                               "\"total_ns\":1300000000,\"mean_ns\":52000000,"
                               "\"p50_ns\":52000000,\"p95_ns\":96000000,"
                               "\"max_ns\":100000000}"));
  assert_non_null(strstr(json, "\"slowest\":[{\"elapsed_ns\":100000000,"
                               "\"rank\":3,\"thread\":0,\"inputs\":{\"arg\":"
                               "100}},{\"elapsed_ns\":99000000,\"rank\":2"));
  assert_non_null(strstr(
      json,
      "\"correlation\":[{\"field\":\"arg\",\"n\":100,\"spearman\":1.0}]"));
  /* per-rank totals 1225, 1250, 1275, 1300 ms: max/mean = 1300/1262.5 */
  assert_non_null(strstr(json, "\"imbalance\":{\"max_over_mean\":"
                               "1.0297029702970297,\"straggler_rank\":3,"
                               "\"straggler_total_ns\":1300000000,"
                               "\"mean_rank_total_ns\":1262500000}"));
  /* io ran on rank 0 only: no imbalance */
  assert_non_null(strstr(json, "{\"type\":\"io\",\"count\":1,"));
  assert_non_null(strstr(json, "\"imbalance\":null}"));
  free(json);
  char *text = profile(&m, WEFT__PROFILE_TEXT);
  assert_non_null(strstr(text, "calc             100       5.05s      50.5ms"
                               "        50ms        95ms       100ms\n"));
  assert_non_null(strstr(text, "       100ms  rank 3 (arg: 100)\n"));
  assert_non_null(strstr(text, "inputs vs elapsed (Spearman): arg +1.00"));
  assert_non_null(strstr(text, "calc       max/mean 1.03  straggler rank 3"));
  free(text);
  char *csv = profile(&m, WEFT__PROFILE_CSV);
  assert_non_null(strstr(csv, "type,calc,,100,5050000000,50500000,50000000,"
                              "95000000,100000000,,,\n"));
  assert_non_null(strstr(csv, "correlation,calc,,100,0,0,0,0,0,arg,1.000000,"));
  free(csv);
  weft__model_release(&m);
}

/* One root action of `type` on `rank`, taking `ms` milliseconds. */
static void work(weft__model *m, uint32_t rank, const char *type, int ms) {
  static uint64_t task = 1000;
  weft__stream *s = weft__model_stream(m, 0, rank, 0);
  task++;
  synth_event(m, s, WEFT_KIND_START, type, task, "/1", 0, NULL, 0);
  synth_event(m, s, WEFT_KIND_SUCCESS, type, task, "/2", ms * 1000, NULL, 0);
}

/* The profile of m for a job of job_ranks ranks, with --rank `ranks` and
 * --type `type` when not NULL. */
static char *profile_typed(weft__model *m, int format, uint32_t job_ranks,
                           const char *ranks, const char *type) {
  weft__select sel;
  weft__select_init(&sel);
  if (ranks)
    assert_int_equal(weft__select_add_ranks(&sel, ranks), 0);
  const char *types[1] = {type};
  if (type) { /* --type: borrowed */
    sel.types = types;
    sel.ntypes = 1;
  }
  weft__profile_opts po = {
      .format = format, .top = 3, .ascii = 1, .job_ranks = job_ranks};
  weft__out o;
  assert_int_equal(weft__out_init(&o, NULL), 0);
  assert_int_equal(weft__profile_write(&o, m, &sel, &po), 0);
  sel.types = NULL;
  sel.ntypes = 0;
  weft__select_release(&sel);
  return synth_take(&o);
}

static char *profile_of(weft__model *m, int format, uint32_t job_ranks,
                        const char *ranks) {
  return profile_typed(m, format, job_ranks, ranks, NULL);
}

/* A rank that logged nothing is named, not averaged in: the imbalance is
 * over the ranks that logged events. */
static void test_profile_idle_ranks(void **state) {
  (void)state;
  weft__model m;
  assert_int_equal(weft__model_init(&m), 0);
  /* 4 ranks; "work" takes 1, 2, 3 ms on ranks 0-2; rank 3 logs nothing */
  for (uint32_t r = 0; r < 3; r++)
    work(&m, r, "work", (int)r + 1);
  assert_int_equal(weft__model_finish(&m), 0);
  char *text = profile_of(&m, WEFT__PROFILE_TEXT, 4, NULL);
  assert_non_null(strstr(text, "\nload imbalance (types run on every rank "
                               "that logged events):\n"
                               "  no events from rank 3 (left out below)\n"
                               "  work       max/mean 1.50  straggler rank 2 "
                               "(3ms vs mean 2ms)\n"));
  free(text);
  char *json = profile_of(&m, WEFT__PROFILE_JSON, 4, NULL);
  assert_non_null(strstr(json, "\"imbalance\":{\"max_over_mean\":1.5,"
                               "\"straggler_rank\":2,"
                               "\"straggler_total_ns\":3000000,"
                               "\"mean_rank_total_ns\":2000000}"));
  assert_non_null(strstr(json, "],\"ranks_without_events\":[3]}\n"));
  free(json);
  char *csv = profile_of(&m, WEFT__PROFILE_CSV, 4, NULL);
  assert_non_null(strstr(csv, "\nno_events,,3,0,0,0,0,0,0,,,\n"));
  assert_non_null(strstr(csv, "\nimbalance,work,2,0,3000000,2000000,"));
  free(csv);
  /* --rank 0-1: rank 3 is out of the selection, the mean over ranks 0-1 */
  text = profile_of(&m, WEFT__PROFILE_TEXT, 4, "0-1");
  assert_null(strstr(text, "no events"));
  assert_non_null(strstr(text, "work       max/mean 1.33  straggler rank 1 "
                               "(2ms vs mean 1.5ms)\n"));
  free(text);
  /* ranks 3-7 of 8 idle: one range */
  text = profile_of(&m, WEFT__PROFILE_TEXT, 8, NULL);
  assert_non_null(strstr(text, "  no events from ranks 3-7 (left out"));
  free(text);
  /* job size unknown (0): the ranks up to the highest seen, all busy */
  text = profile_of(&m, WEFT__PROFILE_TEXT, 0, NULL);
  assert_null(strstr(text, "no events"));
  assert_non_null(strstr(text, "work       max/mean 1.50"));
  free(text);
  weft__model_release(&m);

  /* With a selection (here --type work), a rank whose events all fall
   * outside it counts as one with none: rank 2 only ran "io" */
  assert_int_equal(weft__model_init(&m), 0);
  work(&m, 0, "work", 1);
  work(&m, 1, "work", 3);
  work(&m, 2, "io", 5);
  assert_int_equal(weft__model_finish(&m), 0);
  text = profile_typed(&m, WEFT__PROFILE_TEXT, 3, NULL, "work");
  assert_non_null(strstr(text, "  no events from rank 2 (left out below)\n"
                               "  work       max/mean 1.50  straggler rank 1 "
                               "(3ms vs mean 2ms)\n"));
  free(text);
  weft__model_release(&m);

  /* 2 ranks, rank 1 idle: no imbalance over one rank, but the section
   * says that rank 1 did nothing */
  assert_int_equal(weft__model_init(&m), 0);
  work(&m, 0, "work", 5);
  assert_int_equal(weft__model_finish(&m), 0);
  text = profile_of(&m, WEFT__PROFILE_TEXT, 2, NULL);
  assert_non_null(strstr(text, "events):\n  no events from rank 1 (left "
                               "out below)\n"));
  assert_null(strstr(text, "max/mean"));
  free(text);
  json = profile_of(&m, WEFT__PROFILE_JSON, 2, NULL);
  assert_non_null(strstr(json, "\"imbalance\":null}\n],"
                               "\"ranks_without_events\":[1]}\n"));
  free(json);
  weft__model_release(&m);

  /* ranks 0, 2 and 3 busy, rank 1 idle (seen without the job size); "io"
   * runs on ranks 0 and 2 only, beside rank 3's "work": not on every rank
   * that logged events */
  assert_int_equal(weft__model_init(&m), 0);
  work(&m, 0, "work", 1);
  work(&m, 2, "work", 3);
  work(&m, 3, "work", 2);
  work(&m, 0, "io", 1);
  work(&m, 2, "io", 9);
  assert_int_equal(weft__model_finish(&m), 0);
  text = profile_of(&m, WEFT__PROFILE_TEXT, 0, NULL);
  assert_non_null(strstr(text, "  no events from rank 1 (left out below)\n"
                               "  work       max/mean 1.50  straggler rank 2 "
                               "(3ms vs mean 2ms)\n"));
  assert_null(strstr(text, "  io         max/mean"));
  free(text);
  weft__model_release(&m);
}

static void spmd(weft__model *m) {
  weft__stream *s0 = weft__model_stream(m, 0, 0, 0);
  synth_event(m, s0, WEFT_KIND_START, "step", 7, "/1", 0, NULL, 0);
  for (int r = 3; r >= 0; r--) {
    weft__stream *s = r == 0 ? weft__model_stream(m, 0, 0, 1)
                             : weft__model_stream(m, 0, (uint32_t)r, 0);
    weft_value n = synth_i64("n", r * 10);
    synth_event(m, s, WEFT_KIND_START, "solve", 7, "/2/1", 10, &n, 1);
    if (r == 2)
      synth_fail(m, s, "solve", 7, "/2/2", 110, "diverged", 5);
    else
      synth_event(m, s, WEFT_KIND_SUCCESS, "solve", 7, "/2/2", 110, NULL, 0);
  }
  synth_event(m, s0, WEFT_KIND_MESSAGE, "done", 7, "/3", 1000, NULL, 0);
  synth_event(m, s0, WEFT_KIND_SUCCESS, "step", 7, "/4", 1001, NULL, 0);
}

static char *export(weft__model *m, int (*fn)(const weft__export *)) {
  weft__select sel;
  weft__select_init(&sel);
  weft__out o;
  assert_int_equal(weft__out_init(&o, NULL), 0);
  weft__export x = {.o = &o, .m = m, .sel = &sel};
  assert_int_equal(fn(&x), 0);
  return synth_take(&o);
}

/* Run check_eliot.py (path `check`) in `mode` on the export `got`. */
static void check_with_eliot(const char *check, const char *got,
                             const char *mode) {
  char path[] = "/tmp/weft_eliot_XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, got, strlen(got)), (ssize_t)strlen(got));
  close(fd);
  char cmd[1024];
  snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s %s %s", check, path, mode);
  int rc = system(cmd);
  unlink(path);
  assert_int_equal(rc, 0);
}

static void test_export_eliot_parsed_by_eliot(void **state) {
  (void)state;
  weft__model m;
  assert_int_equal(weft__model_init(&m), 0);
  spmd(&m);
  assert_int_equal(weft__model_finish(&m), 0);
  char *got = export(&m, weft__export_eliot);
  /* the context continued 4 times gets levels 2..5; done and the end
   * follow */
  const char *levels[] = {"[1],",   "[2,1],", "[2,2],", "[3,1],",
                          "[3,2],", "[4,1],", "[4,2],", "[5,1],",
                          "[5,2],", "[6],",   "[7],"};
  const char *p = got;
  for (size_t k = 0; k < sizeof levels / sizeof levels[0]; k++) {
    p = strstr(p, "\"task_level\":");
    assert_non_null(p);
    p += strlen("\"task_level\":");
    assert_memory_equal(p, levels[k], strlen(levels[k]));
  }
  assert_null(strstr(p, "\"task_level\":"));
  assert_non_null(strstr(got, "\"action_type\":\"solve\",\"action_status\":"
                              "\"failed\",\"exception\":\"weft.Failure\","
                              "\"reason\":\"diverged\",\"code\":5"));
  assert_non_null(strstr(got, "\"timestamp\":1795701802.000010000,"));
  const char *check = getenv("WEFT_CHECK_ELIOT");
  if (check)
    check_with_eliot(check, got, "spmd");
  free(got);
  weft__model_release(&m);
}

static void test_export_chrome_and_csv(void **state) {
  (void)state;
  weft__model m;
  assert_int_equal(weft__model_init(&m), 0);
  spmd(&m);
  assert_int_equal(weft__model_finish(&m), 0);
  char *got = export(&m, weft__export_chrome);
  assert_non_null(strstr(got, "{\"ph\":\"X\",\"name\":\"solve\",\"cat\":"
                              "\"weft\",\"ts\":10.000,\"dur\":100.000,"
                              "\"pid\":2,\"tid\":0,\"args\":{\"n\":20,"
                              "\"status\":\"failed\",\"reason\":"
                              "\"diverged\"}}"));
  /* a flow from step (rank 0) to each solve on another rank or thread */
  size_t flows = 0;
  for (const char *p = got; (p = strstr(p, "\"ph\":\"f\"")); p++)
    flows++;
  assert_int_equal(flows, 4);
  free(got);
  got = export(&m, weft__export_csv);
  assert_non_null(strstr(got, "task_uuid,task_level,type,status,rank,thread,"
                              "host,start,end,elapsed,reason,code,in.n\n"));
  /* task_level is the action's own level: empty for the root action
   * (its start message is /1), /2 for the actions continuing its context */
  assert_non_null(strstr(got, "0abc-0000-000000000007,,step,succeeded,0,0,"
                              ",1795701802.000000000,1795701802.001001000,"));
  assert_non_null(strstr(got, ",/2,solve,failed,2,0,,1795701802.000010000,"
                              "1795701802.000110000,0.000100000,diverged,5,"
                              "20\n"));
  free(got);
  weft__model_release(&m);
}

/* Strings cut when they were logged: task 20's "read" has a cut input
 * "path" and a cut result "head"; task 21's "read" has a whole "path".
 * Task 20 also has an array that kept 2 of its 5 values, a field named
 * like the Eliot export's own weft_cut, and one whose name needs CSV
 * quoting. */
static void cut_values(weft__model *m) {
  weft__stream *s = weft__model_stream(m, 0, 0, 0);
  weft_value in[] = {synth_str_cut("path", "/scratch/run1/aaaa", 9000),
                     synth_str("mode", "r"), synth_i64("weft_cut", 1),
                     synth_i64("a,b", 2)};
  int64_t kept[2] = {7, 8};
  weft_value out[] = {synth_str_cut("head", "partial", 5000),
                      {.name = "counts", .type = WEFT_TYPE_I64_ARRAY}};
  out[1].v.arr.ndim = 1;
  out[1].v.arr.shape[0] = out[1].v.arr.count = 5;
  out[1].v.arr.min = 7;
  out[1].v.arr.max = 11;
  out[1].v.arr.mean = 9;
  out[1].v.arr.kept = 2;
  out[1].v.arr.values = kept;
  synth_event(m, s, WEFT_KIND_START, "read", 20, "/1", 0, in, 4);
  synth_event(m, s, WEFT_KIND_SUCCESS, "read", 20, "/2", 5, out, 2);
  weft_value whole = synth_str("path", "/etc/hosts");
  synth_event(m, s, WEFT_KIND_START, "read", 21, "/1", 10, &whole, 1);
  synth_event(m, s, WEFT_KIND_SUCCESS, "read", 21, "/2", 12, NULL, 0);
}

static void test_export_cut_values(void **state) {
  (void)state;
  weft__model m;
  assert_int_equal(weft__model_init(&m), 0);
  cut_values(&m);
  assert_int_equal(weft__model_finish(&m), 0);

  /* CSV: the kept text as it is, and cut.<column> after each column that
   * has a cut value: true where cut, false where whole, empty where the
   * action lacks the field */
  char *got = export(&m, weft__export_csv);
  assert_non_null(strstr(got, ",reason,code,in.path,cut.in.path,in.mode,"
                              "in.weft_cut,\"in.a,b\",out.head,cut.out.head,"
                              "out.counts\n"));
  assert_non_null(strstr(got, ",/scratch/run1/aaaa,true,r,1,2,partial,true,"
                              "\"{\"\"dtype\"\":\"\"int64\"\",\"\"shape\"\":"
                              "[5],\"\"count\"\":5,"));
  assert_non_null(strstr(got, "\"\"head\"\":[7,8]}\"\n"));
  assert_non_null(strstr(got, ",/etc/hosts,false,,,,,,\n"));
  free(got);

  /* Eliot: the kept text as it is, and the message's cut fields listed in
   * weft_cut; a user field of that name is renamed */
  got = export(&m, weft__export_eliot);
  assert_non_null(strstr(got, "\"action_status\":\"started\","
                              "\"path\":\"/scratch/run1/aaaa\",\"mode\":\"r\","
                              "\"weft_user_weft_cut\":1,\"a,b\":2,"
                              "\"weft_cut\":[\"path\"]}\n"));
  assert_non_null(strstr(got, "\"action_status\":\"succeeded\","
                              "\"head\":\"partial\",\"counts\":{"));
  assert_non_null(strstr(got, "\"head\":[7,8]},\"weft_cut\":[\"head\"]}\n"));
  assert_non_null(strstr(got, "\"path\":\"/etc/hosts\"}\n"));
  /* and no other message has weft_cut */
  const char *p = strstr(got, "\"weft_cut\":[");
  assert_non_null(p);
  p = strstr(p + 1, "\"weft_cut\":[");
  assert_non_null(p);
  assert_null(strstr(p + 1, "\"weft_cut\":["));
  const char *check = getenv("WEFT_CHECK_ELIOT");
  if (check)
    check_with_eliot(check, got, "cut");
  free(got);
  weft__model_release(&m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_profile_known_numbers),
      cmocka_unit_test(test_profile_idle_ranks),
      cmocka_unit_test(test_export_eliot_parsed_by_eliot),
      cmocka_unit_test(test_export_chrome_and_csv),
      cmocka_unit_test(test_export_cut_values),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
