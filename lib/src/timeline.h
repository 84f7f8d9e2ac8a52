/*
 * timeline.h - one timeline for all ranks (docs/format.md section 6).
 *
 * A rank's clock samples (m_k, o_k) say that at m_k on its own clock it was
 * o_k ns ahead of rank 0.  Between two samples the offset is interpolated
 * linearly, in integers, the same way in the writer (which puts /actions on
 * the timeline) and in every reader, so that a time the writer mapped can
 * be mapped back to the rank's own clock (a leaf row of /actions has no
 * record in /events: its local times come from the timeline).  A slope in
 * floating point would differ by a nanosecond here and there between two
 * programs; this one is exact by definition:
 *
 *   S_k  = floor((o_{k+1} - o_k) * 2^48 / (m_{k+1} - m_k)), within int64
 *   o(t) = o_k + floor((t - m_k) * S_k / 2^48)     for m_k <= t < m_{k+1}
 *
 * With S_k in units of 2^-48 ns per ns, o(t) is below the exact rational
 * interpolation by less than 1 ns, plus 1 ns per 2^48 ns (78 hours) from
 * the sample for the rounding of the slope: a multiplication and a shift
 * per time stamp, where an exact quotient would cost a 128-bit division.
 */
#ifndef WEFT_TIMELINE_H
#define WEFT_TIMELINE_H

#include "weft_int.h"

#include <stdint.h>

/* S_k of the samples (m_a, o_a) and (m_b, o_b), m_b > m_a (0 otherwise). */
WEFT_INTERNAL int64_t weft__offset_slope(int64_t m_a, int64_t o_a, int64_t m_b,
                                         int64_t o_b);

/* o(t) from the sample (m_a, o_a) and the slope after it, saturated to
 * int64 (only a damaged log gets there).  Inline: the writer and the
 * tools call it for every time stamp they put on the timeline. */
__extension__ typedef __int128 weft__wide; /* GCC and Clang, 64-bit */
static inline int64_t weft__offset_at(int64_t m_a, int64_t o_a, int64_t slope,
                                      int64_t t) {
  /* |t - m_a| < 2^64 and |slope| < 2^63: the product fits in 127 bits.
   * The shift of a negative value rounds toward -inf in GCC and Clang
   * (arithmetic shift), which is the floor the format asks for. */
  weft__wide v = (weft__wide)o_a + ((((weft__wide)t - m_a) * slope) >> 48);
  return v > INT64_MAX ? INT64_MAX : v < INT64_MIN ? INT64_MIN : (int64_t)v;
}

/* A rank's clock onto rank 0's: g(t) = t - o(t), given by the caller. */
typedef int64_t (*weft__timeline_fn)(void *arg, int64_t t);

/* The rank's own start time of a leaf row of /actions, from the row:
 * start = g(t), end = g(t + elapsed).  Returns the t >= lo with g(t) ==
 * start and g(t + elapsed) == end.  Where the offset grows by 1 ns, g
 * takes a value twice: if both ends are such values, two t fit and the
 * earlier is returned (1 ns early, elapsed still exact).  lo is the time
 * of the record before the leaf in its stream, which the leaf cannot
 * precede.  A damaged row that no t fits gets the nearest estimate, not
 * before lo. */
WEFT_INTERNAL int64_t weft__timeline_invert(weft__timeline_fn g, void *arg,
                                            int64_t start, int64_t elapsed,
                                            int64_t end, int64_t lo);

#endif /* WEFT_TIMELINE_H */
