/*
 * stats.h - order statistics and rank correlation for `weft profile` and
 * folded tree lines.
 */
#ifndef WEFT_TOOLS_STATS_H
#define WEFT_TOOLS_STATS_H

#include <stddef.h>
#include <stdint.h>

/* Nearest-rank quantile q in [0,1] of v[0..n) (n >= 1): the smallest value
 * with at least q*n values at or below it.  Reorders v; expected O(n). */
int64_t weft__quantile(int64_t *v, size_t n, double q);
/* Quantiles q1 <= q2 of v[0..n) (n >= 1) into *out1 and *out2, the second
 * selected among what the first left above it. */
void weft__quantile2(int64_t *v, size_t n, double q1, double q2, int64_t *out1,
                     int64_t *out2);
/* Spearman rank correlation of (x[i], y[i]), ties given average ranks.
 * Returns 0 with *rho set, -1 when n < 3 or a variable is constant (no
 * correlation to show), or WEFT__STATS_NOMEM when memory ran out (the
 * caller must fail: a missing correlation would look like the first). */
#define WEFT__STATS_NOMEM (-2)
int weft__spearman(const double *x, const double *y, size_t n, double *rho);

#endif
