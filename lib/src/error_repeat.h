/*
 * error_repeat.h - weft__error for failures that repeat at the rate of
 * events: every event dropped while the budget is full fails the same way,
 * and a drop must stay cheap (~20 ns), so the message is formatted once
 * per storm and each later drop only checks that it is still the one
 * weft_errmsg() shows.  libweft only (error.c).
 */
#ifndef WEFT_ERROR_REPEAT_H
#define WEFT_ERROR_REPEAT_H

#include "weft_int.h"

/* What weft_errmsg() shows when weft__error_repeat wrote it; fmt is NULL
 * once weft__error wrote something else.  Initial-exec, like weft__tls:
 * the check costs no call. */
typedef struct weft__errmsg_key {
  const char *fmt;
  int code;
  uint64_t a, b;
} weft__errmsg_key;

extern _Thread_local weft__errmsg_key weft__errmsg_held
    __attribute__((tls_model("initial-exec")));

/* Format the message (error.c). */
int weft__error_repeat_slow(int code, const char *fmt, uint64_t a, uint64_t b);

/* Set weft_errmsg() to "<weft_strerror(code)>: " and fmt, which takes two
 * unsigned long long, a and b (or ignores them), unless it already says
 * exactly that.  Returns code. */
static inline int weft__error_repeat(int code, const char *fmt, uint64_t a,
                                     uint64_t b) {
  const weft__errmsg_key *h = &weft__errmsg_held;
  if (__builtin_expect(
          h->fmt == fmt && h->code == code && h->a == a && h->b == b, 1))
    return code;
  return weft__error_repeat_slow(code, fmt, a, b);
}

#endif /* WEFT_ERROR_REPEAT_H */
