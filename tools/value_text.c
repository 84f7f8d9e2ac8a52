/*
 * value_text.c - printing field values.
 */
#include "value_text.h"

#include <string.h>

/* Bytes in the UTF-8 sequence that starts with c (1 for stray bytes). */
static size_t utf8_len(unsigned char c) {
  if (c < 0xc0)
    return 1;
  if (c < 0xe0)
    return 2;
  if (c < 0xf0)
    return 3;
  return 4;
}

static void human_str(weft__out *o, const char *s, size_t n, size_t limit,
                      int ascii, int cut_at_source) {
  size_t chars = 0, i = 0, run = 0;
  int cut = 0;
  while (i < n) {
    unsigned char c = (unsigned char)s[i];
    if (limit && chars == limit) {
      cut = 1;
      break;
    }
    if (limit && c == '\n') {
      cut = 1;
      break;
    }
    size_t l = utf8_len(c);
    if (i + l > n)
      l = n - i;
    if (c < 0x20 || c == 0x7f) {
      weft__out_mem(o, s + run, i - run);
      if (ascii) {
        weft__out_fmt(o, "\\x%02x", c);
      } else {
        /* U+2400 + c: the "control pictures" block (eliot-tree #44) */
        unsigned cp = c == 0x7f ? 0x2421 : 0x2400u + c;
        char pic[3] = {(char)(0xe0 | (cp >> 12)),
                       (char)(0x80 | ((cp >> 6) & 0x3f)),
                       (char)(0x80 | (cp & 0x3f))};
        weft__out_mem(o, pic, 3);
      }
      run = i + 1;
    }
    i += l;
    chars++;
  }
  weft__out_mem(o, s + run, i - run);
  if (cut || cut_at_source)
    weft__out_str(o, ascii ? "..." : "\xe2\x80\xa6");
}

void weft__value_human(weft__out *o, const weft__model *m,
                       const weft__mvalue *v, size_t limit, int raw,
                       int ascii) {
  switch (v->type) {
  case WEFT_TYPE_I64:
    weft__out_i64(o, v->v.i64);
    break;
  case WEFT_TYPE_U64:
    weft__out_u64(o, v->v.u64);
    break;
  case WEFT_TYPE_F64:
    if (raw)
      weft__out_f64(o, v->v.f64);
    else
      weft__out_fmt(o, "%.6g", v->v.f64);
    break;
  case WEFT_TYPE_BOOL:
    weft__out_str(o, v->v.i64 ? "true" : "false");
    break;
  default: {
    uint32_t len;
    const char *s = weft__model_str(m, v, &len);
    human_str(o, s, len, limit, ascii, (v->flags & WEFT__MV_CUT) != 0);
  }
  }
}

void weft__value_json(weft__out *o, const weft__model *m,
                      const weft__mvalue *v) {
  uint32_t len;
  switch (v->type) {
  case WEFT_TYPE_I64:
    weft__out_i64(o, v->v.i64);
    break;
  case WEFT_TYPE_U64:
    weft__out_u64(o, v->v.u64);
    break;
  case WEFT_TYPE_F64:
    weft__out_f64(o, v->v.f64);
    break;
  case WEFT_TYPE_BOOL:
    weft__out_str(o, v->v.i64 ? "true" : "false");
    break;
  case WEFT_TYPE_STR: {
    const char *s = weft__model_str(m, v, &len);
    weft__out_json_str(o, s, len);
    break;
  }
  default: {
    const char *s = weft__model_str(m, v, &len);
    weft__out_mem(o, s, len);
  }
  }
}

void weft__value_csv(weft__out *o, const weft__model *m,
                     const weft__mvalue *v) {
  if (v->type == WEFT_TYPE_STR || v->type == WEFT_TYPE_I64_ARRAY ||
      v->type == WEFT_TYPE_F64_ARRAY) {
    uint32_t len;
    const char *s = weft__model_str(m, v, &len);
    weft__out_csv_str(o, s, len);
  } else {
    weft__value_json(o, m, v);
  }
}
