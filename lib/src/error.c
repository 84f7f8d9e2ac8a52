/*
 * error.c - error codes, their names and descriptions, and the per-thread
 * detail message behind weft_errmsg().
 */
#include "error_repeat.h"

#include <stdio.h>

/* The detail of the last failure on this thread.  Fixed size: formatting an
 * error must not allocate (it can be reporting WEFT_ENOMEM).  Large enough
 * for two paths and their story; only written on errors, and the untouched
 * part of the thread-local costs a thread nothing but address space. */
static _Thread_local char errmsg_buf[WEFT__ERRMSG_MAX];

_Thread_local weft__errmsg_key weft__errmsg_held
    __attribute__((tls_model("initial-exec")));

const char *weft_strerror(int err) {
  switch (err) {
  case WEFT_OK:
    return "success";
#define WEFT__STRERROR_CASE(name, value, text)                                 \
  case WEFT_##name:                                                            \
    return text;
    WEFT_ERRNO_MAP(WEFT__STRERROR_CASE)
#undef WEFT__STRERROR_CASE
  default:
    return "unknown error";
  }
}

const char *weft_err_name(int err) {
  switch (err) {
  case WEFT_OK:
    return "WEFT_OK";
#define WEFT__ERRNAME_CASE(name, value, text)                                  \
  case WEFT_##name:                                                            \
    return "WEFT_" #name;
    WEFT_ERRNO_MAP(WEFT__ERRNAME_CASE)
#undef WEFT__ERRNAME_CASE
  default:
    return "WEFT_UNKNOWN";
  }
}

const char *weft_errmsg(void) { return errmsg_buf; }

void weft__errmsg_restore(const char *msg) {
  if (msg == errmsg_buf)
    return;
  weft__errmsg_held.fmt = NULL; /* the next repeated failure formats anew */
  snprintf(errmsg_buf, sizeof errmsg_buf, "%s", msg);
}

int weft__error(int code, const char *fmt, ...) {
  va_list ap;
  weft__errmsg_held.fmt = NULL;
  int n = snprintf(errmsg_buf, sizeof errmsg_buf, "%s: ", weft_strerror(code));
  if (n < 0 || (size_t)n >= sizeof errmsg_buf)
    return code;
  va_start(ap, fmt);
  vsnprintf(errmsg_buf + n, sizeof errmsg_buf - (size_t)n, fmt, ap);
  va_end(ap);
  return code;
}

int weft__error_repeat_slow(int code, const char *fmt, uint64_t a, uint64_t b) {
  int n = snprintf(errmsg_buf, sizeof errmsg_buf, "%s: ", weft_strerror(code));
  if (n >= 0 && (size_t)n < sizeof errmsg_buf)
    snprintf(errmsg_buf + n, sizeof errmsg_buf - (size_t)n, fmt,
             (unsigned long long)a, (unsigned long long)b);
  weft__errmsg_held = (weft__errmsg_key){fmt, code, a, b};
  return code;
}
