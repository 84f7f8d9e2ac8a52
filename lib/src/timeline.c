/*
 * timeline.c - the integer clock mapping of docs/format.md section 6.
 */
#include "timeline.h"

typedef weft__wide wide;

static int64_t clamp(wide v) {
  return v > INT64_MAX ? INT64_MAX : v < INT64_MIN ? INT64_MIN : (int64_t)v;
}

/* floor(n / d) for d > 0 (C's division truncates toward zero). */
static wide floor_div(wide n, wide d) {
  wide q = n / d;
  return (n % d != 0 && n < 0) ? q - 1 : q;
}

int64_t weft__offset_slope(int64_t m_a, int64_t o_a, int64_t m_b, int64_t o_b) {
  if (m_b <= m_a)
    return 0;
  wide n = ((wide)o_b - o_a) * ((wide)1 << 48);
  return clamp(floor_div(n, (wide)m_b - m_a));
}

/* Steps of the searches below: where the slope is below 1/2 (any real
 * clock: it is a drift of parts per million) g repeats a value at most
 * twice, so a few steps cover every preimage. */
enum { NEWTON_STEPS = 8, RUN_MAX = 4 };

int64_t weft__timeline_invert(weft__timeline_fn g, void *arg, int64_t start,
                              int64_t elapsed, int64_t end, int64_t lo) {
  /* t - g(t) is the offset, which barely moves between lo and the leaf:
   * start plus the offset at lo is off by how much it moved since
   * (nanoseconds, where rank 0's time itself would be off by the whole
   * offset, seconds between nodes), and t = start + o(t) converges from
   * there in a step or two whatever the clocks. */
  int64_t t = clamp((wide)start + ((wide)lo - g(arg, lo)));
  for (int i = 0; i < NEWTON_STEPS; i++) {
    int64_t v = g(arg, t);
    if (v == start)
      break;
    t = clamp((wide)t + ((wide)start - v));
  }
  if (g(arg, t) != start) /* nothing maps to start: a damaged row */
    return t < lo ? lo : t;
  for (int i = 0; i < RUN_MAX && t > INT64_MIN && g(arg, t - 1) == start; i++)
    t--;
  int64_t first = INT64_MIN;
  for (int i = 0; i < RUN_MAX && g(arg, t) == start; i++) {
    if (t >= lo) {
      if (first == INT64_MIN)
        first = t;
      if (g(arg, clamp((wide)t + elapsed)) == end)
        return t;
    }
    if (t == INT64_MAX)
      break;
    t++;
  }
  return first != INT64_MIN ? first : lo;
}
