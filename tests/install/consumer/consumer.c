/*
 * consumer.c - a program outside Weft using an installed libweft: the
 * header and the library must agree on the version, and an action logged
 * through the public API must come back from a capture.
 */
#include <weft.h>

#include <stdio.h>
#include <string.h>

static int fail(const char *what, int err) {
  fprintf(stderr, "consumer: %s: %s (%s)\n", what, weft_strerror(err),
          weft_errmsg());
  return 1;
}

int main(void) {
  if (weft_version() != WEFT_VERSION_HEX) {
    fprintf(stderr, "consumer: header version %#x, library %#x\n",
            (unsigned)WEFT_VERSION_HEX, weft_version());
    return 1;
  }
  int err = weft_init(NULL);
  if (err < 0)
    return fail("weft_init", err);

  weft_capture *cap = NULL;
  if ((err = weft_capture_start(&cap)) < 0)
    return fail("weft_capture_start", err);
  weft_action a = 0;
  weft_field n42 = {.name = "n", .type = WEFT_TYPE_I64, .v.i64 = 42};
  if ((err = weft_action_start(&a, "consumer:check", &n42, 1)) < 0)
    return fail("weft_action_start", err);
  if ((err = weft_action_succeed(a)) < 0)
    return fail("weft_action_succeed", err);
  if ((err = weft_capture_stop(cap)) < 0)
    return fail("weft_capture_stop", err);

  size_t n = weft_capture_count(cap);
  const weft_event *start = weft_capture_event(cap, 0);
  const weft_value *v = start ? weft_event_field(start, "n") : NULL;
  if (n != 2 || start->kind != WEFT_KIND_START ||
      strcmp(start->type, "consumer:check") != 0 || v == NULL ||
      v->v.i64 != 42) {
    fprintf(stderr, "consumer: unexpected capture (%zu events)\n", n);
    return 1;
  }
  weft_capture_free(cap);
  if ((err = weft_shutdown()) < 0)
    return fail("weft_shutdown", err);
  printf("consumer: libweft %s ok\n", weft_version_string());
  return 0;
}
