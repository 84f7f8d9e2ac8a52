/*
 * test_options.c - weft_options_init defaults, weft_options_from_env
 * (sizes with K/M/G suffixes, policy, clock, journal directory; a bad
 * value is WEFT_EINVAL naming the variable and changes nothing), and
 * weft_init's checks.
 */
#define _POSIX_C_SOURCE 200809L

#include "event_assert.h"

static const char *const vars[] = {
    "WEFT_BUFFER_BUDGET", "WEFT_BLOCK_SIZE", "WEFT_FULL_POLICY",
    "WEFT_ARRAY_KEEP",    "WEFT_STRING_MAX", "WEFT_CLOCK",
    "WEFT_JOURNAL_DIR",
};

static int clear_env(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
    unsetenv(vars[i]);
  return 0;
}

/* Options unlike every default, so that a field overwritten by mistake
 * shows. */
static weft_options custom(void) {
  weft_options o;
  weft_options_init(&o);
  o.buffer_budget = 3u << 20;
  o.block_size = 128u << 10;
  o.policy = WEFT_FULL_HANDOFF;
  o.array_keep = 3;
  o.string_max = 77;
  o.use_tsc = 0;
  return o;
}

static void test_options_defaults(void **state) {
  (void)state;
  weft_options o;
  memset(&o, 0xa5, sizeof o);
  weft_options_init(&o);
  assert_int_equal(o.buffer_budget, (size_t)64 << 20);
  assert_int_equal(o.block_size, (size_t)1 << 20);
  assert_int_equal(o.policy, WEFT_FULL_DROP);
  assert_int_equal(o.array_keep, 16);
  assert_int_equal(o.string_max, 4096);
  assert_int_equal(o.use_tsc, 1);
  assert_null(o.sink);
  assert_null(o.sink_arg);
  assert_null(o.journal_dir);
}

static void test_options_env_unset_changes_nothing(void **state) {
  (void)state;
  weft_options o = custom(), before = custom();
  assert_int_equal(weft_options_from_env(&o), WEFT_OK);
  assert_memory_equal(&o, &before, sizeof o);
}

typedef struct size_case {
  const char *text;
  size_t value;
} size_case;

static void test_options_env_sizes_with_suffixes(void **state) {
  (void)state;
  static const size_case cases[] = {
      {"131072", 131072},        {"64K", (size_t)64 << 10},
      {"64k", (size_t)64 << 10}, {"32M", (size_t)32 << 20},
      {"2G", (size_t)2 << 30},   {"1m", (size_t)1 << 20},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    weft_options o = custom();
    assert_int_equal(setenv("WEFT_BUFFER_BUDGET", cases[i].text, 1), 0);
    int rc = weft_options_from_env(&o);
    if (rc != WEFT_OK)
      print_error("WEFT_BUFFER_BUDGET=%s: %s\n", cases[i].text, weft_errmsg());
    assert_int_equal(rc, WEFT_OK);
    assert_int_equal(o.buffer_budget, cases[i].value);
    /* The others are untouched. */
    assert_int_equal(o.block_size, custom().block_size);
    assert_int_equal(o.string_max, 77);
  }
  unsetenv("WEFT_BUFFER_BUDGET");

  weft_options o = custom();
  assert_int_equal(setenv("WEFT_BLOCK_SIZE", "256K", 1), 0);
  assert_int_equal(setenv("WEFT_ARRAY_KEEP", "5", 1), 0);
  assert_int_equal(setenv("WEFT_STRING_MAX", "1K", 1), 0);
  assert_int_equal(weft_options_from_env(&o), WEFT_OK);
  assert_int_equal(o.block_size, (size_t)256 << 10);
  assert_int_equal(o.array_keep, 5);
  assert_int_equal(o.string_max, 1024);
  assert_int_equal(o.buffer_budget, custom().buffer_budget);
}

static void test_options_env_policy_and_clock(void **state) {
  (void)state;
  weft_options o = custom();
  assert_int_equal(setenv("WEFT_FULL_POLICY", "drop", 1), 0);
  assert_int_equal(setenv("WEFT_CLOCK", "tsc", 1), 0);
  assert_int_equal(weft_options_from_env(&o), WEFT_OK);
  assert_int_equal(o.policy, WEFT_FULL_DROP);
  assert_int_equal(o.use_tsc, 1);

  assert_int_equal(setenv("WEFT_FULL_POLICY", "handoff", 1), 0);
  assert_int_equal(setenv("WEFT_CLOCK", "monotonic", 1), 0);
  assert_int_equal(weft_options_from_env(&o), WEFT_OK);
  assert_int_equal(o.policy, WEFT_FULL_HANDOFF);
  assert_int_equal(o.use_tsc, 0);
  assert_null(o.journal_dir);

  assert_int_equal(setenv("WEFT_JOURNAL_DIR", "/tmp/weft-journal", 1), 0);
  assert_int_equal(weft_options_from_env(&o), WEFT_OK);
  assert_non_null(o.journal_dir);
  assert_string_equal(o.journal_dir, "/tmp/weft-journal");
}

typedef struct bad_case {
  const char *var;
  const char *value;
} bad_case;

static void test_options_env_bad_values_refused(void **state) {
  (void)state;
  static const bad_case cases[] = {
      {"WEFT_BUFFER_BUDGET", "abc"},
      {"WEFT_BUFFER_BUDGET", ""},
      {"WEFT_BUFFER_BUDGET", "12Q"},
      {"WEFT_BUFFER_BUDGET", "-5"},
      {"WEFT_BUFFER_BUDGET", "1.5M"},
      {"WEFT_BUFFER_BUDGET", "10M junk"},
      {"WEFT_BUFFER_BUDGET", "99999999999999999999999"},
      {"WEFT_BUFFER_BUDGET", "99999999999G"},
      {"WEFT_BLOCK_SIZE", "K"},
      {"WEFT_BLOCK_SIZE", "0x100000"},
      {"WEFT_ARRAY_KEEP", "many"},
      {"WEFT_ARRAY_KEEP", "-1"},
      {"WEFT_STRING_MAX", "4096 bytes"},
      {"WEFT_FULL_POLICY", "sometimes"},
      {"WEFT_FULL_POLICY", ""},
      {"WEFT_CLOCK", "sundial"},
      {"WEFT_CLOCK", ""},
      {"WEFT_JOURNAL_DIR", ""},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    clear_env(NULL);
    /* A good value of another variable must not be applied either. */
    const char *other = strcmp(cases[i].var, "WEFT_STRING_MAX") != 0
                            ? "WEFT_STRING_MAX"
                            : "WEFT_ARRAY_KEEP";
    assert_int_equal(setenv(other, "12", 1), 0);
    assert_int_equal(setenv(cases[i].var, cases[i].value, 1), 0);
    weft_options o = custom(), before = custom();
    int rc = weft_options_from_env(&o);
    if (rc != WEFT_EINVAL || strstr(weft_errmsg(), cases[i].var) == NULL) {
      print_error("%s=\"%s\": %s, weft_errmsg \"%s\"\n", cases[i].var,
                  cases[i].value, weft_err_name(rc), weft_errmsg());
      fail();
    }
    assert_memory_equal(&o, &before, sizeof o);
  }
}

static void test_options_init_refuses_bad_options(void **state) {
  (void)state;
  weft_options o;
  weft_options_init(&o);
  o.block_size = 4096; /* below the 64 KiB minimum */
  assert_int_equal(weft_init(&o), WEFT_EINVAL);
  assert_false(weft_is_initialized());
  weft_options_init(&o);
  o.policy = (weft_full_policy)7;
  assert_int_equal(weft_init(&o), WEFT_EINVAL);
  assert_false(weft_is_initialized());
  weft_options_init(&o);
  o.buffer_budget = o.block_size / 2; /* not even one block */
  assert_int_equal(weft_init(&o), WEFT_EINVAL);
  assert_false(weft_is_initialized());

  /* The options given are the options in force. */
  weft_options_init(&o);
  o.block_size = (size_t)64 << 10;
  o.buffer_budget = (size_t)1 << 20;
  o.string_max = 5;
  assert_int_equal(weft_init(&o), WEFT_OK);
  weft_stats st;
  assert_int_equal(weft_stats_get(&st), WEFT_OK);
  assert_int_equal(st.bytes_budget, (size_t)1 << 20);
  weft_capture *c = capture_begin();
  weft_field f = fld_str("s", "abcdefgh");
  assert_int_equal(weft_message_log("m", &f, 1), WEFT_OK);
  capture_end(c);
  check_str(event_at(c, 0), "s", "abcde");
  weft_capture_free(c);
  assert_int_equal(weft_shutdown(), WEFT_OK);
}

/* weft_init's checks of options against each other name each option as
 * the user set it: the environment variable and its text when
 * weft_options_from_env took it from there, else the field. */
static void test_options_init_names_the_variable_or_field(void **state) {
  (void)state;
  weft_options o;
  /* Set through the API, with nothing taken from the environment. */
  weft_options_init(&o);
  assert_int_equal(weft_options_from_env(&o), WEFT_OK);
  o.block_size = 100001;
  assert_int_equal(weft_init(&o), WEFT_EINVAL);
  assert_non_null(
      strstr(weft_errmsg(), "block_size 100001: not a multiple of 8"));
  assert_null(strstr(weft_errmsg(), "WEFT_"));

  weft_options_init(&o);
  assert_int_equal(setenv("WEFT_BLOCK_SIZE", "100001", 1), 0);
  assert_int_equal(weft_options_from_env(&o), WEFT_OK);
  assert_int_equal(weft_init(&o), WEFT_EINVAL);
  assert_non_null(
      strstr(weft_errmsg(), "WEFT_BLOCK_SIZE=100001: not a multiple of 8"));

  /* The environment's value overwritten in the struct: the field. */
  weft_options_init(&o);
  assert_int_equal(weft_options_from_env(&o), WEFT_OK);
  o.block_size = 100003;
  assert_int_equal(weft_init(&o), WEFT_EINVAL);
  assert_non_null(strstr(weft_errmsg(), "block_size 100003"));

  /* Two variables, written as the user wrote them. */
  clear_env(NULL);
  assert_int_equal(setenv("WEFT_BUFFER_BUDGET", "64K", 1), 0);
  weft_options_init(&o);
  assert_int_equal(weft_options_from_env(&o), WEFT_OK);
  assert_int_equal(weft_init(&o), WEFT_EINVAL);
  assert_non_null(strstr(weft_errmsg(), "WEFT_BUFFER_BUDGET=64K: smaller than "
                                        "one block (block_size 1048576)"));
  assert_int_equal(setenv("WEFT_BLOCK_SIZE", "1M", 1), 0);
  assert_int_equal(setenv("WEFT_STRING_MAX", "16M", 1), 0);
  weft_options_init(&o);
  assert_int_equal(weft_options_from_env(&o), WEFT_OK);
  o.buffer_budget = (size_t)8 << 20;
  assert_int_equal(weft_init(&o), WEFT_EINVAL);
  assert_non_null(
      strstr(weft_errmsg(), "array_keep 16 and WEFT_STRING_MAX=16M"));
  assert_non_null(strstr(weft_errmsg(), "(WEFT_BLOCK_SIZE=1M)"));
  assert_false(weft_is_initialized());
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_options_defaults, clear_env,
                                      clear_env),
      cmocka_unit_test_setup_teardown(test_options_env_unset_changes_nothing,
                                      clear_env, clear_env),
      cmocka_unit_test_setup_teardown(test_options_env_sizes_with_suffixes,
                                      clear_env, clear_env),
      cmocka_unit_test_setup_teardown(test_options_env_policy_and_clock,
                                      clear_env, clear_env),
      cmocka_unit_test_setup_teardown(test_options_env_bad_values_refused,
                                      clear_env, clear_env),
      cmocka_unit_test_setup_teardown(test_options_init_refuses_bad_options,
                                      clear_env, clear_env),
      cmocka_unit_test_setup_teardown(
          test_options_init_names_the_variable_or_field, clear_env, clear_env),
  };
  return cmocka_run_group_tests_name("options", tests, NULL, NULL);
}
