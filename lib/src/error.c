/*
 * error.c - error codes, their names and descriptions, and the per-thread
 * detail message behind weft_errmsg().
 */
#include "weft_int.h"

#include <stdio.h>

/* The detail of the last failure on this thread.  Fixed size: formatting an
 * error must not allocate (it can be reporting WEFT_ENOMEM). */
static _Thread_local char errmsg_buf[512];

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

int weft__error(int code, const char *fmt, ...) {
  va_list ap;
  int n = snprintf(errmsg_buf, sizeof errmsg_buf, "%s: ", weft_strerror(code));
  if (n < 0 || (size_t)n >= sizeof errmsg_buf)
    return code;
  va_start(ap, fmt);
  vsnprintf(errmsg_buf + n, sizeof errmsg_buf - (size_t)n, fmt, ap);
  va_end(ap);
  return code;
}
