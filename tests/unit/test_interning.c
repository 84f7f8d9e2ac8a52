/*
 * test_interning.c - action types, message types and field names are
 * interned: a (kind, type, field names, field types) schema is created
 * once and reused by every later event of that shape, whatever its
 * values; names are shared between schemas.
 */
#include "event_assert.h"
#include "weft_int.h"

static uint32_t schemas(void) { return weft__schema_count(); }
static uint32_t names(void) { return weft__name_count(); }

static const char *name_of(uint32_t id) {
  const char *s = weft__name_get(id, NULL);
  assert_non_null(s);
  return s;
}

static void test_interning_same_shape_reuses_schema(void **state) {
  (void)state;
  uint32_t s0 = schemas(), n0 = names();
  const weft_field f1[] = {fld_i64("rows", 1), fld_str("path", "/a")};
  assert_int_equal(weft_message_log("loaded", f1, 2), WEFT_OK);
  uint32_t s1 = schemas(), n1 = names();
  assert_int_equal(s1, s0 + 1);
  assert_int_equal(n1, n0 + 3); /* loaded, rows, path */

  /* The schema that was made: kind, type and fields by name id. */
  const weft__schema *sc = weft__schema_get(s1 - 1);
  assert_non_null(sc);
  assert_int_equal(sc->id, s1 - 1);
  assert_true(sc->id >= WEFT_SCHEMA_FIRST_USER);
  assert_int_equal(sc->kind, WEFT_REC_MESSAGE);
  assert_int_equal(sc->nfields, 2);
  assert_string_equal(name_of(sc->type_name), "loaded");
  assert_string_equal(name_of(sc->names[0]), "rows");
  assert_string_equal(name_of(sc->names[1]), "path");
  assert_int_equal(sc->types[0], WEFT_TYPE_I64);
  assert_int_equal(sc->types[1], WEFT_TYPE_STR);

  /* Other values, same shape: nothing new. */
  for (int i = 0; i < 100; i++) {
    const weft_field f[] = {fld_i64("rows", i), fld_str("path", "/other")};
    assert_int_equal(weft_message_log("loaded", f, 2), WEFT_OK);
  }
  assert_int_equal(schemas(), s1);
  assert_int_equal(names(), n1);
  /* Its name table entry is the same one. */
  uint32_t len = 0;
  assert_string_equal(weft__name_get(sc->type_name, &len), "loaded");
  assert_int_equal(len, 6);
}

static void test_interning_new_shape_new_schema(void **state) {
  (void)state;
  const weft_field base[] = {fld_i64("a", 1), fld_i64("b", 2)};
  assert_int_equal(weft_message_log("t", base, 2), WEFT_OK);
  uint32_t s = schemas(), n = names();

  /* Same names, another type for b. */
  const weft_field retyped[] = {fld_i64("a", 1), fld_f64("b", 2)};
  assert_int_equal(weft_message_log("t", retyped, 2), WEFT_OK);
  assert_int_equal(schemas(), s + 1);
  assert_int_equal(names(), n);

  /* Same fields in another order. */
  const weft_field swapped[] = {fld_i64("b", 2), fld_i64("a", 1)};
  assert_int_equal(weft_message_log("t", swapped, 2), WEFT_OK);
  assert_int_equal(schemas(), s + 2);

  /* One field fewer. */
  assert_int_equal(weft_message_log("t", base, 1), WEFT_OK);
  assert_int_equal(schemas(), s + 3);

  /* The same type name as an action: another kind, no new name. */
  weft_action a = 0;
  assert_int_equal(weft_action_start(&a, "t", base, 2), WEFT_OK);
  assert_int_equal(schemas(), s + 4);
  assert_int_equal(names(), n);
  assert_int_equal(weft__schema_get(s + 3)->kind, WEFT_REC_START);
  /* Success fields with the same names: a schema of their own. */
  assert_int_equal(weft_action_add(a, base, 2), WEFT_OK);
  assert_int_equal(schemas(), s + 5);
  assert_int_equal(weft__schema_get(s + 4)->kind, WEFT_REC_ADD);
  assert_int_equal(weft_action_succeed(a), WEFT_OK);

  /* Every one of them again: nothing new. */
  assert_int_equal(weft_message_log("t", retyped, 2), WEFT_OK);
  assert_int_equal(weft_message_log("t", swapped, 2), WEFT_OK);
  assert_int_equal(weft_message_log("t", base, 1), WEFT_OK);
  assert_int_equal(weft_action_start(&a, "t", base, 2), WEFT_OK);
  assert_int_equal(weft_action_add(a, base, 2), WEFT_OK);
  assert_int_equal(weft_action_succeed(a), WEFT_OK);
  assert_int_equal(schemas(), s + 5);
  assert_int_equal(names(), n);
}

/* Interning does not depend on the name's storage: equal text from another
 * buffer is the same name. */
static void test_interning_by_content(void **state) {
  (void)state;
  char type[16], field[16];
  snprintf(type, sizeof type, "%s", "dyn_type");
  snprintf(field, sizeof field, "%s", "dyn_field");
  weft_field f = fld_i64(field, 1);
  assert_int_equal(weft_message_log(type, &f, 1), WEFT_OK);
  uint32_t s = schemas(), n = names();
  char type2[16], field2[16];
  memcpy(type2, type, sizeof type);
  memcpy(field2, field, sizeof field);
  memset(type, 'X', sizeof type - 1); /* the first copy is gone */
  memset(field, 'X', sizeof field - 1);
  weft_field f2 = fld_i64(field2, 2);
  assert_int_equal(weft_message_log(type2, &f2, 1), WEFT_OK);
  assert_int_equal(schemas(), s);
  assert_int_equal(names(), n);
}

/* The macros cache the schema per call site: one interning, then none. */
static int site_log(int i) { return WEFT_LOG("site_msg", fld_i64("i", i)); }

static void test_interning_call_site_cache(void **state) {
  (void)state;
  weft_capture *c = capture_begin();
  assert_int_equal(site_log(0), WEFT_OK);
  uint32_t s = schemas();
  for (int i = 1; i < 50; i++)
    assert_int_equal(site_log(i), WEFT_OK);
  assert_int_equal(schemas(), s);
  capture_end(c);
  assert_int_equal(weft_capture_count(c), 50);
  for (size_t i = 0; i < 50; i++) {
    check_event(event_at(c, i), WEFT_KIND_MESSAGE, "site_msg", "/1");
    check_i64(event_at(c, i), "i", (int64_t)i);
  }
  weft_capture_free(c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      weft_unit_test(test_interning_same_shape_reuses_schema),
      weft_unit_test(test_interning_new_shape_new_schema),
      weft_unit_test(test_interning_by_content),
      weft_unit_test(test_interning_call_site_cache),
  };
  return cmocka_run_group_tests_name("interning", tests, NULL, NULL);
}
