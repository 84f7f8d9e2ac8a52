/*
 * test_clock_reader.c - the tools' reader puts time stamps on the job
 * timeline as docs/format.md section 6 says.
 *
 *   test_clock_reader LOG.h5 TIMES
 *
 * LOG.h5 and TIMES come from `test_clock LOG.h5 ... --drift PPM --times
 * TIMES`: one line per event, "rank raw_ns linear_ns first_ns", the
 * event's raw time stamp and its Unix-epoch time by test_clock's reader
 * (log_reader.c: section 6's linear interpolation between the rank's clock
 * samples) and by the rank's first sample alone.  Each time mapped by
 * tools/reader.c (weft__trace_wall, and weft__trace_wall_hint as the
 * tools call it, with its per-segment cache) must be the linear one, to
 * the nanosecond.  The drift of the run makes the two mappings differ
 * by far more than that; the test requires it, so that a reader using one
 * offset per rank would fail here.
 */
#include "../check.h"
#include "reader.h"

#include <stdio.h>
#include <stdlib.h>

/* Format 2.0 defines the interpolation in integers (docs/format.md
 * section 6, lib/src/timeline.h): both readers must give the same
 * nanosecond. */
#define ROUNDING_NS 0
/* What the drift must separate the two mappings by, for some event. */
#define DRIFT_SEEN_NS 10000

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: test_clock_reader LOG.h5 TIMES\n");
    return 2;
  }
  weft__trace t;
  char err[512];
  if (weft__trace_open(&t, argv[1], err, sizeof err) != 0) {
    fprintf(stderr, "FAIL: %s: %s\n", argv[1], err);
    return 1;
  }
  FILE *in = fopen(argv[2], "r");
  if (!in) {
    fprintf(stderr, "FAIL: cannot open %s\n", argv[2]);
    weft__trace_close(&t);
    return 1;
  }
  weft__wall_hint hint = {0};
  long lines = 0, matched = 0, drifted = 0;
  int64_t widest = 0;
  unsigned rank;
  long long raw, linear, first;
  while (fscanf(in, "%u %lld %lld %lld", &rank, &raw, &linear, &first) == 4) {
    lines++;
    CHECK(rank < t.mpi_size, "line %ld: rank %u of %u", lines, rank,
          t.mpi_size);
    if (rank >= t.mpi_size)
      continue;
    int64_t plain = weft__trace_wall(&t, rank, raw);
    int64_t hinted = weft__trace_wall_hint(&t, rank, raw, &hint);
    matched += llabs(plain - linear) <= ROUNDING_NS && hinted == plain;
    CHECK(llabs(plain - linear) <= ROUNDING_NS,
          "rank %u time %lld: tools reader %lld, section 6 %lld", rank, raw,
          (long long)plain, linear);
    CHECK(hinted == plain,
          "rank %u time %lld: with the hint %lld, without %lld", rank, raw,
          (long long)hinted, (long long)plain);
    int64_t d = llabs(linear - first);
    drifted += d > DRIFT_SEEN_NS;
    if (d > widest)
      widest = d;
  }
  CHECK(feof(in), "%s: unreadable line after %ld lines", argv[2], lines);
  CHECK(lines > 0, "%s: no events", argv[2]);
  CHECK(drifted > 0,
        "the drift did not show: section 6 and the first sample alone "
        "differ by at most %lld ns",
        (long long)widest);
  fclose(in);
  weft__trace_close(&t);
  printf("clock reader: %ld of %ld events mapped as section 6 says (within "
         "%d ns); %ld of them over %d ns from the first sample's offset "
         "alone (up to %lld ns)\n",
         matched, lines, ROUNDING_NS, drifted, DRIFT_SEEN_NS,
         (long long)widest);
  return failures ? 1 : 0;
}
