/*
 * synth.c - see synth.h.
 */
#include "synth.h"

#include "outbuf.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static size_t parse_level(const char *s, uint32_t *out) {
  size_t n = 0;
  while (*s == '/') {
    char *end;
    out[n++] = (uint32_t)strtoul(s + 1, &end, 10);
    s = end;
  }
  return n;
}

void synth_event(weft__model *m, weft__stream *s, weft_kind kind,
                 const char *type, uint64_t task, const char *level,
                 int64_t t_us, const weft_value *f, size_t nf) {
  uint32_t lv[64];
  weft_event ev = {0};
  ev.kind = kind;
  ev.type = type;
  ev.task_hi = 0xabc;
  ev.task_lo = task;
  ev.level = lv;
  ev.level_len = parse_level(level, lv);
  ev.level_str = level;
  ev.t_ns = t_us * 1000;
  ev.fields = f;
  ev.nfields = nf;
  const char *why = NULL;
  assert_int_equal(weft__model_add(m, s, &ev, SYNTH_T0 + t_us * 1000, &why), 0);
}

void synth_fail(weft__model *m, weft__stream *s, const char *type,
                uint64_t task, const char *level, int64_t t_us,
                const char *reason, int64_t code) {
  uint32_t lv[64];
  weft_event ev = {0};
  ev.kind = WEFT_KIND_FAILURE;
  ev.type = type;
  ev.task_hi = 0xabc;
  ev.task_lo = task;
  ev.level = lv;
  ev.level_len = parse_level(level, lv);
  ev.reason = reason;
  ev.code = code;
  const char *why = NULL;
  assert_int_equal(weft__model_add(m, s, &ev, SYNTH_T0 + t_us * 1000, &why), 0);
}

weft_value synth_i64(const char *name, int64_t v) {
  weft_value x = {.name = name, .type = WEFT_TYPE_I64};
  x.v.i64 = v;
  return x;
}

weft_value synth_u64(const char *name, uint64_t v) {
  weft_value x = {.name = name, .type = WEFT_TYPE_U64};
  x.v.u64 = v;
  return x;
}

weft_value synth_str(const char *name, const char *v) {
  weft_value x = {.name = name, .type = WEFT_TYPE_STR};
  x.v.str.ptr = v;
  x.v.str.len = x.v.str.original_len = strlen(v);
  return x;
}

weft_value synth_str_cut(const char *name, const char *v, size_t original_len) {
  weft_value x = synth_str(name, v);
  x.v.str.original_len = original_len;
  return x;
}

char *synth_take(void *out) {
  weft__out *o = out;
  char *s = malloc(o->len + 1);
  assert_non_null(s);
  memcpy(s, o->buf, o->len);
  s[o->len] = 0;
  weft__out_close(o);
  return s;
}
