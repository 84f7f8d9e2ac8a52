/*
 * test_strings.c - string fields: valid UTF-8 kept byte for byte, invalid
 * bytes escaped as the four characters \xNN (never dropped), explicit
 * lengths, and values cut at options.string_max with original_len.
 */
#include "event_assert.h"

/* 1 when s[0..n) is valid UTF-8 (RFC 3629), written independently of the
 * library's checker. */
static int utf8_valid(const unsigned char *s, size_t n) {
  size_t i = 0;
  while (i < n) {
    uint32_t cp;
    size_t k;
    if (s[i] < 0x80) {
      i++;
      continue;
    } else if ((s[i] & 0xe0) == 0xc0) {
      k = 1, cp = s[i] & 0x1fu;
    } else if ((s[i] & 0xf0) == 0xe0) {
      k = 2, cp = s[i] & 0x0fu;
    } else if ((s[i] & 0xf8) == 0xf0) {
      k = 3, cp = s[i] & 0x07u;
    } else {
      return 0;
    }
    if (k > n - i - 1)
      return 0;
    for (size_t j = 1; j <= k; j++) {
      if ((s[i + j] & 0xc0) != 0x80)
        return 0;
      cp = (cp << 6) | (s[i + j] & 0x3fu);
    }
    static const uint32_t min_cp[4] = {0, 0x80, 0x800, 0x10000};
    if (cp < min_cp[k] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
      return 0;
    i += k + 1;
  }
  return 1;
}

/* Log one message "s" with field "v" = (s, len); return its decoded value
 * (the capture is returned through *out, to be freed by the caller). */
static const weft_value *log_string(weft_capture **out, const char *s,
                                    size_t len) {
  weft_capture *c = capture_begin();
  weft_field f = fld_strn("v", s, len);
  assert_int_equal(weft_message_log("s", &f, 1), WEFT_OK);
  capture_end(c);
  long i = weft_capture_find(c, 0, WEFT_KIND_MESSAGE, "s");
  assert_true(i >= 0);
  const weft_value *v = field_typed(event_at(c, (size_t)i), "v", WEFT_TYPE_STR);
  assert_non_null(v->v.str.ptr);
  assert_int_equal(strlen(v->v.str.ptr), v->v.str.len);
  assert_true(utf8_valid((const unsigned char *)v->v.str.ptr, v->v.str.len));
  *out = c;
  return v;
}

static void test_strings_valid_utf8_kept_exactly(void **state) {
  (void)state;
  /* 1-, 2-, 3- and 4-byte sequences, and the largest code point. */
  static const char text[] = "h\xc3\xa9llo \xe2\x82\xac \xf0\x9d\x84\x9e "
                             "\xf4\x8f\xbf\xbf \x7f";
  weft_capture *c;
  const weft_value *v = log_string(&c, text, SIZE_MAX);
  assert_string_equal(v->v.str.ptr, text);
  assert_int_equal(v->v.str.len, sizeof text - 1);
  assert_int_equal(v->v.str.original_len, sizeof text - 1);
  weft_capture_free(c);
}

typedef struct escape_case {
  const char *in;
  const char *out;
} escape_case;

static void test_strings_invalid_bytes_escaped_not_dropped(void **state) {
  (void)state;
  static const escape_case cases[] = {
      {"a\xff!", "a\\xFF!"},                        /* never valid */
      {"\x80", "\\x80"},                            /* lone continuation */
      {"ab\xe2\x82", "ab\\xE2\\x82"},               /* truncated at end */
      {"\xe2\x82z", "\\xE2\\x82z"},                 /* truncated inside */
      {"\xc0\xaf", "\\xC0\\xAF"},                   /* overlong '/' */
      {"\xe0\x80\xaf", "\\xE0\\x80\\xAF"},          /* overlong, 3 bytes */
      {"\xed\xa0\x80", "\\xED\\xA0\\x80"},          /* UTF-16 surrogate */
      {"\xf4\x90\x80\x80", "\\xF4\\x90\\x80\\x80"}, /* above U+10FFFF */
      {"\xfe\xff", "\\xFE\\xFF"},                   /* never valid */
      {"\xff\xc3\xa9!", "\\xFF\xc3\xa9!"},          /* valid after bad */
      {"x\xc3", "x\\xC3"},                          /* cut 2-byte seq */
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    weft_capture *c;
    const weft_value *v = log_string(&c, cases[i].in, SIZE_MAX);
    if (strcmp(v->v.str.ptr, cases[i].out) != 0) {
      print_error("case %zu: got \"%s\", expected \"%s\"\n", i, v->v.str.ptr,
                  cases[i].out);
      fail();
    }
    assert_int_equal(v->v.str.len, strlen(cases[i].out));
    /* Escaping is not cutting. */
    assert_false(v->v.str.original_len > v->v.str.len);
    weft_capture_free(c);
  }
}

static void test_strings_explicit_length_used(void **state) {
  (void)state;
  weft_capture *c;
  const weft_value *v = log_string(&c, "abcdef", 3);
  assert_string_equal(v->v.str.ptr, "abc");
  assert_int_equal(v->v.str.len, 3);
  assert_int_equal(v->v.str.original_len, 3);
  weft_capture_free(c);

  /* An embedded byte beyond len must not be read as part of the value. */
  v = log_string(&c, "ab\xff", 2);
  assert_string_equal(v->v.str.ptr, "ab");
  weft_capture_free(c);
}

static void test_strings_empty_and_null(void **state) {
  (void)state;
  weft_capture *c;
  const weft_value *v = log_string(&c, "", SIZE_MAX);
  assert_string_equal(v->v.str.ptr, "");
  assert_int_equal(v->v.str.len, 0);
  assert_int_equal(v->v.str.original_len, 0);
  weft_capture_free(c);

  v = log_string(&c, NULL, 0);
  assert_string_equal(v->v.str.ptr, "");
  assert_int_equal(v->v.str.len, 0);
  weft_capture_free(c);
}

static void test_strings_long_value_cut_at_default_max(void **state) {
  (void)state;
  static char big[5001];
  memset(big, 'x', 5000);
  big[5000] = '\0';
  weft_stats before, after;
  assert_int_equal(weft_stats_get(&before), WEFT_OK);
  weft_capture *c;
  const weft_value *v = log_string(&c, big, SIZE_MAX);
  assert_int_equal(v->v.str.len, 4096);
  assert_int_equal(v->v.str.original_len, 5000);
  assert_memory_equal(v->v.str.ptr, big, 4096);
  assert_int_equal(weft_stats_get(&after), WEFT_OK);
  assert_int_equal(after.limits, before.limits + 1);
  weft_capture_free(c);
}

static int setup_string_max_8(void **state) {
  (void)state;
  weft_options o;
  weft_options_init(&o);
  o.string_max = 8;
  return weft_init(&o) == WEFT_OK ? 0 : -1;
}

typedef struct cut_case {
  const char *in;
  const char *out;
  size_t original_len;
} cut_case;

/* With string_max 8: cut at 8 bytes of the stored (escaped) form, never
 * inside a UTF-8 sequence or an escape, original_len the full length. */
static void test_strings_cut_at_string_max(void **state) {
  (void)state;
  static const cut_case cases[] = {
      {"hello world!", "hello wo", 12},
      {"abcdefgh", "abcdefgh", 8},         /* exactly the max */
      {"abcdefg", "abcdefg", 7},           /* below it */
      {"abcdefg\xc3\xa9", "abcdefg", 9},   /* é would straddle */
      {"abcdef\xe2\x82\xac", "abcdef", 9}, /* € would straddle */
      {"abcde\xff", "abcde", 9},           /* escape would straddle */
      {"\xff\xff", "\\xFF\\xFF", 8},       /* escapes fill it */
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    weft_capture *c;
    const weft_value *v = log_string(&c, cases[i].in, SIZE_MAX);
    if (strcmp(v->v.str.ptr, cases[i].out) != 0 ||
        v->v.str.original_len != cases[i].original_len) {
      print_error("case %zu: got \"%s\" (original_len %zu), expected \"%s\" "
                  "(%zu)\n",
                  i, v->v.str.ptr, v->v.str.original_len, cases[i].out,
                  cases[i].original_len);
      fail();
    }
    assert_true(v->v.str.len <= 8);
    assert_int_equal(v->v.str.original_len > v->v.str.len,
                     cases[i].original_len > strlen(cases[i].out));
    weft_capture_free(c);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      weft_unit_test(test_strings_valid_utf8_kept_exactly),
      weft_unit_test(test_strings_invalid_bytes_escaped_not_dropped),
      weft_unit_test(test_strings_explicit_length_used),
      weft_unit_test(test_strings_empty_and_null),
      weft_unit_test(test_strings_long_value_cut_at_default_max),
      cmocka_unit_test_setup_teardown(test_strings_cut_at_string_max,
                                      setup_string_max_8, teardown_shutdown),
  };
  return cmocka_run_group_tests_name("strings", tests, NULL, NULL);
}
