/*
 * field_encode.c - field values into record payloads (record.h has the
 * layout).
 *
 * Scalars are copied as 8 (or 1) bytes.  Strings are checked as UTF-8 on
 * the way in: an invalid byte is written as the four characters \xNN, so
 * nothing is dropped and every stored string is valid UTF-8 that JSON
 * exporters can pass through.  Arrays are summarised in one pass (shape,
 * count, NaN count, mean, min, max) and their first `keep` elements kept.
 */
#include "weft_int.h"

#include <math.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at s[0..n), or 0 when s[0] starts no
 * valid sequence (overlong forms, surrogates and > U+10FFFF are invalid). */
static size_t utf8_seq(const unsigned char *s, size_t n) {
  unsigned char c = s[0];
  if (c < 0x80)
    return 1;
  size_t len;
  uint32_t cp;
  if (c >= 0xc2 && c <= 0xdf) {
    len = 2;
    cp = c & 0x1f;
  } else if (c >= 0xe0 && c <= 0xef) {
    len = 3;
    cp = c & 0x0f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    len = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (n < len)
    return 0;
  for (size_t i = 1; i < len; i++) {
    if ((s[i] & 0xc0) != 0x80)
      return 0;
    cp = (cp << 6) | (s[i] & 0x3f);
  }
  if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
      (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
    return 0;
  return len;
}

static size_t str_input_len(const weft_field *f) {
  if (!f->v.str.ptr)
    return 0;
  return f->v.str.len == (size_t)-1 ? strlen(f->v.str.ptr) : f->v.str.len;
}

/* Bytes of the escaped form of s, cut at max (never inside a sequence or an
 * escape).  If out is not NULL, writes them there. */
static size_t str_escape(const unsigned char *s, size_t n, size_t max,
                         unsigned char *out) {
  static const char hex[] = "0123456789ABCDEF";
  size_t o = 0;
  for (size_t i = 0; i < n;) {
    size_t len = utf8_seq(s + i, n - i);
    size_t need = len ? len : 4;
    if (o + need > max)
      break;
    if (out) {
      if (len) {
        memcpy(out + o, s + i, len);
      } else {
        out[o] = '\\';
        out[o + 1] = 'x';
        out[o + 2] = (unsigned char)hex[s[i] >> 4];
        out[o + 3] = (unsigned char)hex[s[i] & 15];
      }
    }
    o += need;
    i += len ? len : 1;
  }
  return o;
}

static uint64_t array_count(const weft_field *f) {
  uint64_t c = 1;
  for (uint32_t d = 0; d < f->ndim; d++)
    c *= f->v.arr.shape[d];
  return c;
}

int weft__fields_check(const weft_field *f, size_t n, uint32_t string_max) {
  int cut = 0;
  for (size_t i = 0; i < n; i++) {
    if (f[i].type == WEFT_TYPE_STR) {
      if (!f[i].v.str.ptr && f[i].v.str.len != 0)
        return weft__error(WEFT_EINVAL,
                           "string field \"%s\" is NULL with length %zu",
                           f[i].name, f[i].v.str.len);
      size_t in = str_input_len(&f[i]);
      if (in > string_max || str_escape((const unsigned char *)f[i].v.str.ptr,
                                        in, (size_t)-1, NULL) > string_max)
        cut++;
    } else if (f[i].type >= WEFT_TYPE_I64_ARRAY) {
      if (f[i].ndim < 1 || f[i].ndim > WEFT_ARRAY_NDIM_MAX || !f[i].v.arr.shape)
        return weft__error(WEFT_EINVAL,
                           "array field \"%s\": %u dimensions (1 to %d) or "
                           "no shape",
                           f[i].name, f[i].ndim, WEFT_ARRAY_NDIM_MAX);
      if (!f[i].v.arr.data && array_count(&f[i]) != 0)
        return weft__error(WEFT_EINVAL,
                           "array field \"%s\" has no data but %llu "
                           "elements",
                           f[i].name, (unsigned long long)array_count(&f[i]));
    }
  }
  return cut;
}

size_t weft__fields_size(const weft_field *f, size_t n, uint32_t keep,
                         uint32_t string_max) {
  size_t size = 0;
  for (size_t i = 0; i < n; i++) {
    switch (f[i].type) {
    case WEFT_TYPE_I64:
    case WEFT_TYPE_U64:
    case WEFT_TYPE_F64:
      size += 8;
      break;
    case WEFT_TYPE_BOOL:
      size += 1;
      break;
    case WEFT_TYPE_STR:
      size += 8 + str_escape((const unsigned char *)f[i].v.str.ptr,
                             str_input_len(&f[i]), string_max, NULL);
      break;
    default: { /* arrays */
      uint64_t count = array_count(&f[i]);
      uint64_t kept = count < keep ? count : keep;
      if (!f[i].v.arr.data)
        kept = 0;
      size += 8 + 8 * (size_t)f[i].ndim + 8 + 8 + 8 + 16 + 8 * (size_t)kept;
    }
    }
  }
  return size;
}

static unsigned char *put(unsigned char *p, const void *v, size_t n) {
  memcpy(p, v, n);
  return p + n;
}

static unsigned char *encode_array(unsigned char *p, const weft_field *f,
                                   uint32_t keep) {
  uint64_t count = array_count(f);
  uint64_t kept = count < keep ? count : keep;
  const void *data = f->v.arr.data;
  if (!data)
    kept = 0;
  uint32_t ndim = f->ndim, kept32 = (uint32_t)kept;
  p = put(p, &ndim, 4);
  p = put(p, &kept32, 4);
  for (uint32_t d = 0; d < ndim; d++) {
    uint64_t ext = f->v.arr.shape[d];
    p = put(p, &ext, 8);
  }
  p = put(p, &count, 8);

  uint64_t nans = 0, valid = 0;
  double sum = 0, mean;
  if (f->type == WEFT_TYPE_F64_ARRAY) {
    const double *x = data;
    double lo = NAN, hi = NAN;
    for (uint64_t i = 0; data && i < count; i++) {
      if (isnan(x[i])) {
        nans++;
        continue;
      }
      if (!valid || x[i] < lo)
        lo = x[i];
      if (!valid || x[i] > hi)
        hi = x[i];
      sum += x[i];
      valid++;
    }
    mean = valid ? sum / (double)valid : NAN;
    p = put(p, &nans, 8);
    p = put(p, &mean, 8);
    p = put(p, &lo, 8);
    p = put(p, &hi, 8);
  } else {
    const int64_t *x = data;
    int64_t lo = 0, hi = 0;
    for (uint64_t i = 0; data && i < count; i++) {
      if (!valid || x[i] < lo)
        lo = x[i];
      if (!valid || x[i] > hi)
        hi = x[i];
      sum += (double)x[i];
      valid++;
    }
    mean = valid ? sum / (double)valid : NAN;
    p = put(p, &nans, 8);
    p = put(p, &mean, 8);
    p = put(p, &lo, 8);
    p = put(p, &hi, 8);
  }
  if (kept)
    p = put(p, data, 8 * (size_t)kept);
  return p;
}

size_t weft__fields_encode(unsigned char *dst, const weft_field *f, size_t n,
                           uint32_t keep, uint32_t string_max) {
  unsigned char *p = dst;
  for (size_t i = 0; i < n; i++) {
    switch (f[i].type) {
    case WEFT_TYPE_I64:
    case WEFT_TYPE_U64:
    case WEFT_TYPE_F64:
      p = put(p, &f[i].v, 8);
      break;
    case WEFT_TYPE_BOOL:
      *p++ = f[i].v.b ? 1 : 0;
      break;
    case WEFT_TYPE_STR: {
      size_t in = str_input_len(&f[i]);
      uint32_t len = (uint32_t)str_escape((const unsigned char *)f[i].v.str.ptr,
                                          in, string_max, p + 8);
      /* original_len is the length of the whole stored form: larger than
       * len exactly when the value was cut. */
      size_t full = str_escape((const unsigned char *)f[i].v.str.ptr, in,
                               (size_t)-1, NULL);
      uint32_t orig = full > UINT32_MAX ? UINT32_MAX : (uint32_t)full;
      memcpy(p, &len, 4);
      memcpy(p + 4, &orig, 4);
      p += 8 + len;
      break;
    }
    default:
      p = encode_array(p, &f[i], keep);
    }
  }
  return (size_t)(p - dst);
}
