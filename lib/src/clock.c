/*
 * clock.c - calibration of the TSC against CLOCK_MONOTONIC, and the
 * monotonic-to-wall mapping.
 *
 * The TSC is used only when it is invariant: CPUID leaf 0x80000007 says so,
 * or the kernel itself chose it as its clocksource (virtual machines often
 * hide the CPUID bit while the kernel has checked the TSC is stable).
 * Calibration takes ~20 ms once per process; weft_init after a
 * weft_shutdown reuses it.
 */
#include "clock.h"
#include "weft_int.h"

#include <stdio.h>
#include <string.h>

#if WEFT__HAVE_TSC
#include <cpuid.h>
#endif

weft__clock weft__clk;
static int calibrated_tsc = -1; /* -1: never calibrated */

static int64_t wall_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

#if WEFT__HAVE_TSC
static int tsc_invariant(void) {
  unsigned a, b, c, d;
  if (__get_cpuid(0x80000000u, &a, &b, &c, &d) && a >= 0x80000007u &&
      __get_cpuid(0x80000007u, &a, &b, &c, &d) && (d & (1u << 8)))
    return 1;
  FILE *f = fopen(
      "/sys/devices/system/clocksource/clocksource0/current_clocksource", "r");
  if (!f)
    return 0;
  char name[32] = {0};
  int ok = fgets(name, sizeof name, f) && strncmp(name, "tsc", 3) == 0;
  fclose(f);
  return ok;
}

/* A (tsc, mono) pair read as close together as possible: the tightest of a
 * few tries bracketed by two TSC reads. */
static void tsc_pair(uint64_t *tsc, int64_t *mono) {
  uint64_t best = UINT64_MAX;
  *tsc = 0;
  *mono = 0;
  for (int i = 0; i < 16; i++) {
    uint64_t t0 = __rdtsc();
    int64_t m = weft__mono_ns();
    uint64_t t1 = __rdtsc();
    if (t1 - t0 < best) {
      best = t1 - t0;
      *tsc = t0 + (t1 - t0) / 2;
      *mono = m;
    }
  }
}
#endif

void weft__clock_setup(int use_tsc) {
  int want = 0;
#if WEFT__HAVE_TSC
  want = use_tsc && tsc_invariant();
#else
  (void)use_tsc;
#endif
  if (calibrated_tsc != want) {
    memset(&weft__clk, 0, sizeof weft__clk);
#if WEFT__HAVE_TSC
    if (want) {
      uint64_t t0, t1;
      int64_t m0, m1;
      tsc_pair(&t0, &m0);
      struct timespec nap = {0, 20 * 1000 * 1000};
      nanosleep(&nap, NULL);
      tsc_pair(&t1, &m1);
      if (t1 > t0 && m1 > m0) {
        __extension__ typedef unsigned __int128 u128;
        weft__clk.mult =
            (uint64_t)(((u128)(uint64_t)(m1 - m0) << 32) / (t1 - t0));
        weft__clk.tsc0 = t1;
        weft__clk.mono0 = m1;
        weft__clk.use_tsc = 1;
      }
    }
#endif
    calibrated_tsc = want;
  }
  weft__clock_anchor a = weft__clock_anchor_now();
  weft__clk.wall_off = a.wall_ns - a.mono_ns;
}

weft__clock_anchor weft__clock_anchor_now(void) {
  /* Read the wall clock between two event-clock reads and pair it with
   * their midpoint, taking the tightest of a few tries. */
  weft__clock_anchor best = {0, 0};
  int64_t width = INT64_MAX;
  for (int i = 0; i < 8; i++) {
    int64_t a = weft__now();
    int64_t w = wall_ns();
    int64_t b = weft__now();
    if (b - a < width) {
      width = b - a;
      best.mono_ns = a + (b - a) / 2;
      best.wall_ns = w;
    }
  }
  return best;
}

int64_t weft_clock_now(void) { return weft__now_ordered(); }

int64_t weft_clock_to_wall(int64_t t) { return t + weft__clk.wall_off; }

const char *weft_clock_name(void) {
  return weft__clk.use_tsc ? "tsc" : "monotonic";
}
