/*
 * test_intern_limits.c - the names and schemas limits (docs/api.md
 * section 11): a process holds at most 2^20 - 1 distinct names and 2^16
 * schemas.  Past them a logging call returns WEFT_ELIMIT naming the limit
 * (not "out of memory"), every refusal counts in weft_stats.limits, and
 * the trace gets one weft:limit {limit, value} per weft_init.
 *
 * The tables are filled through the internal interning calls, which log
 * nothing, so that a million events do not have to be buffered.
 */
#include "event_assert.h"
#include "weft_int.h"

#define NAMES_MAX ((1u << 20) - 1)
#define SCHEMAS_MAX (1u << 16)

static int setup(void **state) {
  (void)state;
  return weft_init(NULL) == WEFT_OK ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  return weft_shutdown() == WEFT_OK ? 0 : -1;
}

/* After a table is full: three refused calls (from the non-macro API and
 * a macro's call site), three limits counted, and one weft:limit message,
 * whose own schema was interned by weft_init. */
static void check_refusals(const char *limit, uint64_t value) {
  weft_stats st0, st1;
  assert_int_equal(weft_stats_get(&st0), WEFT_OK);
  weft_capture *c = capture_begin();
  weft_action a = 0;
  assert_int_equal(weft_action_start(&a, "new_action", NULL, 0), WEFT_ELIMIT);
  const char *m = weft_errmsg();
  if (!strstr(m, limit) || strstr(m, "out of memory")) {
    print_error("weft_errmsg \"%s\" does not name the %s limit\n", m, limit);
    fail();
  }
  assert_int_equal(weft_message_log("new_message", NULL, 0), WEFT_ELIMIT);
  assert_int_equal(WEFT_LOG("new_macro_message"), WEFT_ELIMIT);
  capture_end(c);
  assert_int_equal(weft_stats_get(&st1), WEFT_OK);
  assert_int_equal(st1.limits - st0.limits, 3);
  assert_int_equal(weft_capture_count(c), 1);
  const weft_event *e = event_at(c, 0);
  check_event(e, WEFT_KIND_MESSAGE, "weft:limit", "/1");
  check_str(e, "limit", limit);
  check_u64(e, "value", value);
  weft_capture_free(c);
}

static void test_intern_limits_schemas(void **state) {
  (void)state;
  /* Ids 0..15 are fixed, weft:dropped and weft:limit are Weft's own. */
  assert_int_equal(weft__schema_count(), 18);
  char type[16];
  uint32_t made = 0;
  int64_t id;
  for (;;) {
    snprintf(type, sizeof type, "s%u", made);
    id = weft__schema_intern(WEFT_REC_MESSAGE, type, NULL, 0);
    if (id < 0)
      break;
    made++;
  }
  assert_int_equal(id, WEFT_ELIMIT);
  assert_int_equal(made, SCHEMAS_MAX - 18);
  assert_int_equal(weft__schema_count(), SCHEMAS_MAX);
  /* Refused schemas take no names: the names limit is not hit too. */
  uint32_t names = weft__name_count();
  check_refusals("schemas", SCHEMAS_MAX);
  assert_int_equal(weft__name_count(), names);
  /* A schema interned before the limit is still logged. */
  assert_int_equal(weft_message_log("s0", NULL, 0), WEFT_OK);
}

static void test_intern_limits_names(void **state) {
  (void)state;
  /* weft:dropped, count, weft:limit, limit and value; id 0 is no name. */
  assert_int_equal(weft__name_count(), 6);
  char name[16];
  uint32_t made = 0;
  int64_t id;
  for (;;) {
    snprintf(name, sizeof name, "n%u", made);
    id = weft__name_intern(name, strlen(name));
    if (id < 0)
      break;
    made++;
  }
  assert_int_equal(id, WEFT_ELIMIT);
  assert_int_equal(made, NAMES_MAX - 5);
  check_refusals("names", NAMES_MAX);
  /* Names interned before the limit still make new schemas. */
  weft_field f = fld_i64("n1", 1);
  assert_int_equal(weft_message_log("n0", &f, 1), WEFT_OK);
}

/* After weft_shutdown the tables are empty again, and a new hit is
 * recorded anew (setup and teardown run around each test). */
static void test_intern_limits_names_again(void **state) {
  test_intern_limits_names(state);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_intern_limits_schemas, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_intern_limits_names, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_intern_limits_names_again, setup,
                                      teardown),
  };
  return cmocka_run_group_tests_name("intern_limits", tests, NULL, NULL);
}
