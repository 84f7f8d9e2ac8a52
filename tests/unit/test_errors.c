/*
 * test_errors.c - error codes: weft_strerror and weft_err_name for every
 * code of WEFT_ERRNO_MAP and for codes that are not in it, weft_errmsg,
 * and the version functions.
 */
#include "event_assert.h"
#include "error_repeat.h"

#include <limits.h>

typedef struct code {
  int value;
  const char *name;
  const char *text;
} code;

static const code codes[] = {
#define ERR_ENTRY(name, value, text) {value, "WEFT_" #name, text},
    WEFT_ERRNO_MAP(ERR_ENTRY)
#undef ERR_ENTRY
};
#define NCODES (sizeof codes / sizeof codes[0])

static void test_errors_every_code_named_and_described(void **state) {
  (void)state;
  assert_int_equal(NCODES, 25);
  for (size_t i = 0; i < NCODES; i++) {
    const char *name = weft_err_name(codes[i].value);
    const char *text = weft_strerror(codes[i].value);
    assert_non_null(name);
    assert_non_null(text);
    assert_string_equal(name, codes[i].name);
    assert_string_equal(text, codes[i].text);
    assert_true(codes[i].value < 0);
    for (size_t j = 0; j < i; j++) {
      assert_int_not_equal(codes[j].value, codes[i].value);
      assert_string_not_equal(weft_err_name(codes[j].value), name);
      assert_string_not_equal(weft_strerror(codes[j].value), text);
    }
  }
  /* The enum agrees with the map. */
  assert_int_equal(WEFT_EINVAL, -1);
  assert_int_equal(WEFT_ENOTSUP, -24);
  assert_int_equal(WEFT_ELIMIT, -25);
  assert_string_equal(weft_err_name(WEFT_EFINISHED), "WEFT_EFINISHED");
}

static void test_errors_success_and_unknown_codes(void **state) {
  (void)state;
  assert_string_equal(weft_err_name(WEFT_OK), "WEFT_OK");
  assert_non_null(weft_strerror(WEFT_OK));
  assert_string_not_equal(weft_strerror(WEFT_OK), "unknown error");

  static const int unknown[] = {1, 7, -26, -100, -1000, INT_MIN, INT_MAX};
  for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
    const char *text = weft_strerror(unknown[i]);
    const char *name = weft_err_name(unknown[i]);
    assert_non_null(text);
    assert_non_null(name);
    assert_string_equal(text, "unknown error");
    assert_true(name[0] != '\0');
    assert_string_not_equal(name, "WEFT_OK");
    for (size_t j = 0; j < NCODES; j++)
      assert_string_not_equal(name, codes[j].name);
  }
}

static void test_errors_errmsg_tells_the_last_failure(void **state) {
  (void)state;
  /* Nothing has failed on this thread yet. */
  assert_non_null(weft_errmsg());
  assert_string_equal(weft_errmsg(), "");

  assert_int_equal(weft_init(NULL), WEFT_OK);
  char over[WEFT_NAME_MAX + 2];
  memset(over, 'x', sizeof over - 1);
  over[sizeof over - 1] = '\0';
  weft_action a = 0;
  assert_int_equal(weft_action_start(&a, over, NULL, 0), WEFT_ENAMETOOLONG);
  char first[512];
  snprintf(first, sizeof first, "%s", weft_errmsg());
  assert_true(first[0] != '\0');

  /* Successful calls leave it alone. */
  assert_int_equal(weft_action_start(&a, "fine", NULL, 0), WEFT_OK);
  assert_int_equal(weft_action_succeed(a), WEFT_OK);
  assert_string_equal(weft_errmsg(), first);

  /* The next failure replaces it. */
  assert_int_equal(weft_action_succeed(a), WEFT_EFINISHED);
  assert_true(weft_errmsg()[0] != '\0');
  assert_string_not_equal(weft_errmsg(), first);
  assert_int_equal(weft_shutdown(), WEFT_OK);
}

/* A message naming two paths of PATH_MAX keeps what follows them. */
static void test_errors_errmsg_holds_two_long_paths(void **state) {
  (void)state;
  static char from[4096], to[4096];
  memset(from, 'f', sizeof from - 1);
  memset(to, 't', sizeof to - 1);
  from[0] = to[0] = '/';
  assert_int_equal(weft__error(WEFT_EIO, "cannot rename %s to %s: %s", from, to,
                               "Permission denied"),
                   WEFT_EIO);
  const char *m = weft_errmsg();
  assert_int_equal(strlen(m), strlen("input/output error: cannot rename ") +
                                  4095 + strlen(" to ") + 4095 +
                                  strlen(": Permission denied"));
  assert_string_equal(m + strlen(m) - strlen(": Permission denied"),
                      ": Permission denied");
}

/* weft__error_repeat formats once per storm, but never leaves another
 * failure's message in place. */
static void test_errors_repeat_is_never_stale(void **state) {
  (void)state;
  static const char fmt[] = "budget of %llu bytes, block of %llu";
  assert_int_equal(weft__error_repeat(WEFT_EFULL, fmt, 64, 8), WEFT_EFULL);
  char first[128];
  snprintf(first, sizeof first, "%s", weft_errmsg());
  assert_string_equal(first,
                      "buffer budget reached: event dropped: budget of 64 "
                      "bytes, block of 8");
  assert_int_equal(weft__error_repeat(WEFT_EFULL, fmt, 64, 8), WEFT_EFULL);
  assert_string_equal(weft_errmsg(), first);
  assert_int_equal(weft__error(WEFT_EINVAL, "something else"), WEFT_EINVAL);
  assert_int_equal(weft__error_repeat(WEFT_EFULL, fmt, 64, 8), WEFT_EFULL);
  assert_string_equal(weft_errmsg(), first);
  /* Other numbers, another message. */
  weft__error_repeat(WEFT_EFULL, fmt, 128, 8);
  assert_non_null(strstr(weft_errmsg(), "budget of 128 bytes"));
}

static void test_errors_version_matches_header(void **state) {
  (void)state;
  char want[32];
  snprintf(want, sizeof want, "%d.%d.%d", WEFT_VERSION_MAJOR,
           WEFT_VERSION_MINOR, WEFT_VERSION_PATCH);
  assert_int_equal(weft_version(), WEFT_VERSION_HEX);
  assert_non_null(weft_version_string());
  assert_string_equal(weft_version_string(), want);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_errors_every_code_named_and_described),
      cmocka_unit_test(test_errors_success_and_unknown_codes),
      cmocka_unit_test(test_errors_errmsg_tells_the_last_failure),
      cmocka_unit_test(test_errors_errmsg_holds_two_long_paths),
      cmocka_unit_test(test_errors_repeat_is_never_stale),
      cmocka_unit_test(test_errors_version_matches_header),
  };
  return cmocka_run_group_tests_name("errors", tests, NULL, NULL);
}
