/*
 * field_decode.c - payload bytes back into weft_value (record.h has the
 * encoding).
 *
 * The input may come from a file or a crashed process's journal, so it is
 * untrusted: every length is checked against what is left before anything
 * is read, every count against the bytes that would hold it, and any
 * inconsistency is WEFT_EFORMAT naming the payload offset and the field.
 * Strings and kept array elements are copied into the arena, so the decoded
 * values neither alias the payload nor depend on its alignment.
 */
#include "weft_int.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

typedef struct cursor {
  const unsigned char *p;
  size_t len;
  size_t off;
  size_t field;
  const char *const *names;
} cursor;

static int fail(const cursor *c, size_t at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(const cursor *c, size_t at, const char *fmt, ...) {
  char what[160];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  const char *name = c->names != NULL ? c->names[c->field] : NULL;
  return weft__error(WEFT_EFORMAT, "field %zu (%s) at payload byte %zu: %s",
                     c->field, name != NULL ? name : "?", at, what);
}

/* Copy n bytes at the cursor into dst, or fail naming what was expected. */
static int take(cursor *c, void *dst, size_t n, const char *what) {
  if (n > c->len - c->off)
    return fail(c, c->off, "truncated %s: %zu bytes needed, %zu left", what, n,
                c->len - c->off);
  memcpy(dst, c->p + c->off, n);
  c->off += n;
  return WEFT_OK;
}

/* Length of the valid UTF-8 prefix of s (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF); n when all of it is valid. */
static size_t utf8_valid_prefix(const unsigned char *s, size_t n) {
  size_t i = 0;
  while (i < n) {
    unsigned char b = s[i];
    size_t k;
    unsigned char lo = 0x80, hi = 0xBF; /* range of the second byte */
    if (b < 0x80) {
      i++;
      continue;
    } else if (b >= 0xC2 && b <= 0xDF) {
      k = 1;
    } else if (b >= 0xE0 && b <= 0xEF) {
      k = 2;
      if (b == 0xE0)
        lo = 0xA0; /* overlong */
      else if (b == 0xED)
        hi = 0x9F; /* surrogates */
    } else if (b >= 0xF0 && b <= 0xF4) {
      k = 3;
      if (b == 0xF0)
        lo = 0x90; /* overlong */
      else if (b == 0xF4)
        hi = 0x8F; /* above U+10FFFF */
    } else {
      return i;
    }
    if (k > n - i - 1)
      return i;
    if (s[i + 1] < lo || s[i + 1] > hi)
      return i;
    for (size_t j = 2; j <= k; j++)
      if ((s[i + j] & 0xC0) != 0x80)
        return i;
    i += k + 1;
  }
  return n;
}

static int decode_str(cursor *c, weft_value *v, weft__arena *arena) {
  uint32_t len = 0, original_len = 0;
  int rc;
  size_t at = c->off;
  if ((rc = take(c, &len, 4, "string length")) < 0 ||
      (rc = take(c, &original_len, 4, "string original length")) < 0)
    return rc;
  if (len > c->len - c->off)
    return fail(c, at, "string of %" PRIu32 " bytes but %zu bytes left", len,
                c->len - c->off);
  if (original_len < len)
    return fail(c, at,
                "string original length %" PRIu32 " below its length %" PRIu32,
                original_len, len);
  const unsigned char *s = c->p + c->off;
  size_t ok = utf8_valid_prefix(s, len);
  if (ok != len)
    return fail(c, c->off + ok, "invalid UTF-8 in string");
  char *copy = weft__arena_alloc(arena, (size_t)len + 1);
  if (copy == NULL)
    return weft__error(WEFT_ENOMEM, "no memory for a %" PRIu32 "-byte string",
                       len);
  memcpy(copy, s, len);
  copy[len] = '\0';
  c->off += len;
  v->v.str.ptr = copy;
  v->v.str.len = len;
  v->v.str.original_len = original_len;
  return WEFT_OK;
}

static int decode_array(cursor *c, weft_value *v, weft__arena *arena) {
  uint32_t ndim = 0, kept = 0;
  uint64_t count = 0, nan_count = 0, product = 1;
  double mean = 0;
  int rc, zero_extent = 0, overflow = 0;
  size_t at = c->off;
  if ((rc = take(c, &ndim, 4, "array ndim")) < 0 ||
      (rc = take(c, &kept, 4, "array kept count")) < 0)
    return rc;
  if (ndim == 0 || ndim > WEFT_ARRAY_NDIM_MAX)
    return fail(c, at, "array ndim %" PRIu32 " not in 1..%d", ndim,
                WEFT_ARRAY_NDIM_MAX);
  v->v.arr.ndim = ndim;
  for (uint32_t d = 0; d < ndim; d++) {
    uint64_t e = 0;
    if ((rc = take(c, &e, 8, "array shape")) < 0)
      return rc;
    v->v.arr.shape[d] = e;
    if (e == 0)
      zero_extent = 1;
    else if (product > UINT64_MAX / e)
      overflow = 1;
    else
      product *= e;
  }
  if (zero_extent)
    product = 0;
  else if (overflow)
    return fail(c, at, "array shape overflows 64 bits");
  size_t at_count = c->off;
  if ((rc = take(c, &count, 8, "array count")) < 0 ||
      (rc = take(c, &nan_count, 8, "array NaN count")) < 0 ||
      (rc = take(c, &mean, 8, "array mean")) < 0)
    return rc;
  if (count != product)
    return fail(c, at_count,
                "array count %" PRIu64 " is not the product of its shape "
                "(%" PRIu64 ")",
                count, product);
  if (nan_count > count)
    return fail(c, at_count, "array NaN count %" PRIu64 " above count %" PRIu64,
                nan_count, count);
  if (v->type == WEFT_TYPE_I64_ARRAY && nan_count != 0)
    return fail(c, at_count, "int64 array with NaN count %" PRIu64, nan_count);
  if (kept > count)
    return fail(c, at, "array keeps %" PRIu32 " of %" PRIu64 " elements", kept,
                count);
  if (v->type == WEFT_TYPE_I64_ARRAY) {
    int64_t mn = 0, mx = 0;
    if ((rc = take(c, &mn, 8, "array min")) < 0 ||
        (rc = take(c, &mx, 8, "array max")) < 0)
      return rc;
    /* An empty int64 array has no extrema: NaN, like an all-NaN array. */
    v->v.arr.min = count == 0 ? NAN : (double)mn;
    v->v.arr.max = count == 0 ? NAN : (double)mx;
    v->v.arr.mean = count == 0 ? NAN : mean;
  } else {
    if ((rc = take(c, &v->v.arr.min, 8, "array min")) < 0 ||
        (rc = take(c, &v->v.arr.max, 8, "array max")) < 0)
      return rc;
    v->v.arr.mean = mean;
  }
  if (kept > (c->len - c->off) / 8)
    return fail(c, c->off,
                "array keeps %" PRIu32 " elements but %zu bytes are left", kept,
                c->len - c->off);
  void *values = weft__arena_alloc(arena, (size_t)kept * 8);
  if (values == NULL)
    return weft__error(WEFT_ENOMEM, "no memory for %" PRIu32 " array values",
                       kept);
  memcpy(values, c->p + c->off, (size_t)kept * 8);
  c->off += (size_t)kept * 8;
  v->v.arr.count = count;
  v->v.arr.nan_count = nan_count;
  v->v.arr.kept = kept;
  v->v.arr.values = values;
  return WEFT_OK;
}

int weft__fields_decode(const unsigned char *p, size_t len,
                        const uint8_t *types, const char *const *names,
                        size_t nfields, weft_value *out, weft__arena *arena) {
  cursor c = {.p = p, .len = len, .off = 0, .field = 0, .names = names};
  if (p == NULL && len != 0)
    return weft__error(WEFT_EINVAL, "payload is NULL");
  for (c.field = 0; c.field < nfields; c.field++) {
    weft_value *v = &out[c.field];
    int rc = WEFT_OK;
    memset(v, 0, sizeof *v);
    v->name = names != NULL ? names[c.field] : NULL;
    v->type = (weft_type)types[c.field];
    switch (types[c.field]) {
    case WEFT_TYPE_I64:
      rc = take(&c, &v->v.i64, 8, "int64");
      break;
    case WEFT_TYPE_U64:
      rc = take(&c, &v->v.u64, 8, "uint64");
      break;
    case WEFT_TYPE_F64:
      rc = take(&c, &v->v.f64, 8, "double");
      break;
    case WEFT_TYPE_BOOL: {
      unsigned char b = 0;
      size_t at = c.off;
      if ((rc = take(&c, &b, 1, "bool")) == WEFT_OK && b > 1)
        rc = fail(&c, at, "bool byte is %u, not 0 or 1", (unsigned)b);
      v->v.b = b;
      break;
    }
    case WEFT_TYPE_STR:
      rc = decode_str(&c, v, arena);
      break;
    case WEFT_TYPE_I64_ARRAY:
    case WEFT_TYPE_F64_ARRAY:
      rc = decode_array(&c, v, arena);
      break;
    default:
      rc = fail(&c, c.off, "unknown field type %u", (unsigned)types[c.field]);
      break;
    }
    if (rc < 0)
      return rc;
  }
  if (c.off != len)
    return weft__error(WEFT_EFORMAT,
                       "%zu trailing bytes at payload byte %zu after the last "
                       "of %zu fields",
                       len - c.off, c.off, nfields);
  return WEFT_OK;
}
