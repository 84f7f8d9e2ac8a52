/*
 * stats.c - quickselect (Hoare partition, median of three) and Spearman's
 * rho as Pearson's correlation of average ranks.
 */
#include "stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void swap64(int64_t *a, int64_t *b) {
  int64_t t = *a;
  *a = *b;
  *b = t;
}

static int64_t select_kth(int64_t *v, size_t n, size_t k) {
  size_t lo = 0, hi = n - 1;
  while (hi > lo) {
    size_t mid = lo + (hi - lo) / 2;
    if (v[mid] < v[lo])
      swap64(&v[mid], &v[lo]);
    if (v[hi] < v[lo])
      swap64(&v[hi], &v[lo]);
    if (v[hi] < v[mid])
      swap64(&v[hi], &v[mid]);
    int64_t pivot = v[mid];
    size_t i = lo, j = hi;
    while (i <= j) {
      while (v[i] < pivot)
        i++;
      while (v[j] > pivot)
        j--;
      if (i <= j) {
        swap64(&v[i], &v[j]);
        i++;
        if (j == 0)
          break;
        j--;
      }
    }
    if (k <= j)
      hi = j;
    else if (k >= i)
      lo = i;
    else
      return v[k];
  }
  return v[k];
}

static size_t quantile_rank(size_t n, double q) {
  double r = ceil(q * (double)n);
  size_t k = r < 1 ? 0 : (size_t)r - 1;
  return k >= n ? n - 1 : k;
}

int64_t weft__quantile(int64_t *v, size_t n, double q) {
  return select_kth(v, n, quantile_rank(n, q));
}

void weft__quantile2(int64_t *v, size_t n, double q1, double q2, int64_t *out1,
                     int64_t *out2) {
  size_t k1 = quantile_rank(n, q1), k2 = quantile_rank(n, q2);
  *out1 = select_kth(v, n, k1);
  /* v[k1] is in place with nothing larger before it: the second rank is
   * selected among v[k1..n) only */
  *out2 = select_kth(v + k1, n - k1, k2 - k1);
}

/* x as an unsigned key in the same order (x is not NaN; -0 and +0 are one
 * key, as they compare equal). */
static uint64_t order_key(double x) {
  uint64_t b;
  if (x == 0)
    x = 0; /* -0 */
  memcpy(&b, &x, sizeof b);
  return b >> 63 ? ~b : b | (1ull << 63);
}

/* Radix digits: 11 bits keeps the counters and the scatter's write
 * positions in cache. */
#define DIGIT_BITS 11
#define DIGITS ((64 + DIGIT_BITS - 1) / DIGIT_BITS)
#define DIGIT(k, d) (((k) >> (DIGIT_BITS * (d))) & ((1u << DIGIT_BITS) - 1))

/* Average ranks (1-based, ties share their mean rank) of x[0..n).  The
 * values are put in order by a stable LSD radix sort of their keys,
 * skipping digits all values share: a comparison sort of millions of
 * instances was most of `weft profile`. */
static int ranks_of(const double *x, size_t n, double *r, uint64_t *key,
                    uint32_t *idx) {
  uint32_t(*count)[1u << DIGIT_BITS] = calloc(DIGITS, sizeof *count);
  if (!count)
    return -1;
  for (size_t i = 0; i < n; i++) {
    key[i] = order_key(x[i]);
    idx[i] = (uint32_t)i;
    for (int d = 0; d < DIGITS; d++)
      count[d][DIGIT(key[i], d)]++;
  }
  uint64_t *k0 = key, *k1 = key + n;
  uint32_t *i0 = idx, *i1 = idx + n;
  for (int d = 0; d < DIGITS && n; d++) {
    if (count[d][DIGIT(k0[0], d)] == n)
      continue;
    uint32_t sum = 0;
    for (uint32_t v = 0; v < (1u << DIGIT_BITS); v++) {
      uint32_t c = count[d][v];
      count[d][v] = sum;
      sum += c;
    }
    for (size_t i = 0; i < n; i++) {
      uint32_t at = count[d][DIGIT(k0[i], d)]++;
      k1[at] = k0[i];
      i1[at] = i0[i];
    }
    uint64_t *kt = k0;
    k0 = k1;
    k1 = kt;
    uint32_t *it = i0;
    i0 = i1;
    i1 = it;
  }
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j + 1 < n && k0[j + 1] == k0[i])
      j++;
    double avg = ((double)i + (double)j) / 2 + 1;
    for (size_t t = i; t <= j; t++)
      r[i0[t]] = avg;
    i = j + 1;
  }
  free(count);
  return 0;
}

int weft__spearman(const double *x, const double *y, size_t n, double *rho) {
  if (n < 3 || n > UINT32_MAX)
    return -1;
  double *rx = malloc(2 * n * sizeof *rx);
  /* the radix sort's buffers, shared by both rankings: fresh memory costs
   * a page fault per 4 KiB */
  uint64_t *key = malloc(2 * n * sizeof *key);
  uint32_t *idx = malloc(2 * n * sizeof *idx);
  double *ry = rx + n;
  int rc = WEFT__STATS_NOMEM; /* ranks_of fails only for want of memory */
  if (!rx || !key || !idx || ranks_of(x, n, rx, key, idx) ||
      ranks_of(y, n, ry, key, idx))
    goto out;
  rc = -1;
  double mx = 0, my = 0;
  for (size_t i = 0; i < n; i++) {
    mx += rx[i];
    my += ry[i];
  }
  mx /= (double)n;
  my /= (double)n;
  double sxy = 0, sxx = 0, syy = 0;
  for (size_t i = 0; i < n; i++) {
    sxy += (rx[i] - mx) * (ry[i] - my);
    sxx += (rx[i] - mx) * (rx[i] - mx);
    syy += (ry[i] - my) * (ry[i] - my);
  }
  if (sxx <= 0 || syy <= 0)
    goto out;
  *rho = sxy / sqrt(sxx * syy);
  rc = 0;
out:
  free(rx);
  free(key);
  free(idx);
  return rc;
}
