/*
 * check.h - CHECK for the standalone test programs (those that are not
 * cmocka tests: MPI programs, fault-injection programs).
 *
 *   CHECK(cond, "printf format", ...)
 *
 * A false cond prints "FAIL file:line: message" (the first 20 of them:
 * one broken invariant inside a loop must not bury the rest) and counts
 * it in `failures`, which the program turns into its exit status.  One
 * translation unit per program includes it.
 */
#ifndef WEFT_TEST_CHECK_H
#define WEFT_TEST_CHECK_H

#include <stdarg.h>
#include <stdio.h>

static int failures;

__attribute__((format(printf, 3, 4))) static void
check_failed(const char *file, int line, const char *fmt, ...) {
  if (failures++ >= 20)
    return;
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "FAIL %s:%d: ", file, line);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
}

#define CHECK(cond, ...)                                                       \
  do {                                                                         \
    if (!(cond))                                                               \
      check_failed(__FILE__, __LINE__, __VA_ARGS__);                           \
  } while (0)

#endif /* WEFT_TEST_CHECK_H */
