/*
 * clock.h - the event clock, inlined into the hot path.
 *
 * Events are stamped in CLOCK_MONOTONIC nanoseconds.  Where the CPU has an
 * invariant TSC (constant rate, not stopped in idle states, synchronised
 * across cores by the kernel), the stamp is computed from rdtsc, which costs
 * about half of a vDSO clock_gettime here; the calibration maps ticks to
 * monotonic nanoseconds.  Otherwise clock_gettime is called.
 */
#ifndef WEFT_CLOCK_H
#define WEFT_CLOCK_H

#include <stdint.h>
#include <time.h>

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#define WEFT__HAVE_TSC 1
#else
#define WEFT__HAVE_TSC 0
#endif

typedef struct weft__clock {
  int use_tsc;      /* 1: stamps come from the TSC */
  uint64_t tsc0;    /* TSC at calibration */
  int64_t mono0;    /* CLOCK_MONOTONIC ns at tsc0 */
  uint64_t mult;    /* ns per tick, as a 32.32 fixed-point number */
  int64_t wall_off; /* CLOCK_REALTIME - CLOCK_MONOTONIC, ns */
} weft__clock;

extern weft__clock weft__clk;

static inline int64_t weft__mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static inline int64_t weft__now(void) {
#if WEFT__HAVE_TSC
  if (__builtin_expect(weft__clk.use_tsc, 1)) {
    uint64_t d = __rdtsc() - weft__clk.tsc0;
    __extension__ typedef unsigned __int128 u128;
    return weft__clk.mono0 + (int64_t)(((u128)d * weft__clk.mult) >> 32);
  }
#endif
  return weft__mono_ns();
}

/* The same, but not taken before the instructions preceding it complete
 * (lfence): a reading that follows a load of another thread's reading is
 * not earlier than it.  weft__now() skips the fence on the hot path, so
 * two events of different threads may be stamped out of order by the
 * CPU's out-of-order window; causal order comes from task levels. */
static inline int64_t weft__now_ordered(void) {
#if WEFT__HAVE_TSC
  if (__builtin_expect(weft__clk.use_tsc, 1))
    _mm_lfence();
#endif
  return weft__now();
}

/* Calibrate (once per process; cheap afterwards).  use_tsc: whether the
 * TSC may be used. */
void weft__clock_setup(int use_tsc);

#endif /* WEFT_CLOCK_H */
