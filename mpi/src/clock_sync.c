/*
 * clock_sync.c - each rank's clock offset to rank 0.
 *
 * Ping-pong along a binomial tree rooted at rank 0: in round k (span
 * s = 2^k) every rank r < s that has a partner r + s measures it, all pairs
 * at once, so P ranks need ceil(log2 P) rounds instead of P - 1 sequential
 * exchanges with rank 0.  A pair does `samples` round trips and keeps the
 * least-delayed direction of each (see measure); the parent then sends its
 * own offset and error so the child composes them.  The error
 * bound of a rank is the sum of the half round trips on its path.
 */
#include "timeline.h"
#include "writer.h"

#include <stdlib.h>
#include <string.h>

#define TAG_PING 0x5746
#define TAG_PONG 0x5747
#define TAG_OFFSET 0x5748

int64_t weft__writer_clock(const weft__writer *w) {
  return weft__skewed(&w->skew, weft_clock_now());
}

/* Drifts beyond 10% would make no clock a test could want; the bound also
 * keeps the skewed clock increasing (rate > -1). */
#define SKEW_PPM_MAX 100000

int weft__clock_skew_from_env(int rank, weft__skew *skew) {
  skew->ns = 0;
  skew->ppm = 0;
  const char *v = getenv("WEFT_TEST_CLOCK_SKEW_NS");
  if (!v || !*v)
    return WEFT_OK;
  const char *p = v;
  while (*p) {
    char *end;
    long r = strtol(p, &end, 10);
    if (end == p || *end != ':')
      return weft__error(WEFT_EINVAL,
                         "WEFT_TEST_CLOCK_SKEW_NS: expected "
                         "rank:ns[:ppm][,rank:ns[:ppm]...] in \"%s\"",
                         v);
    p = end + 1;
    long long ns = strtoll(p, &end, 10);
    if (end == p || (*end && *end != ',' && *end != ':'))
      return weft__error(WEFT_EINVAL,
                         "WEFT_TEST_CLOCK_SKEW_NS: bad ns in "
                         "\"%s\"",
                         v);
    long long ppm = 0;
    if (*end == ':') {
      p = end + 1;
      ppm = strtoll(p, &end, 10);
      if (end == p || (*end && *end != ',') || ppm < -SKEW_PPM_MAX ||
          ppm > SKEW_PPM_MAX)
        return weft__error(WEFT_EINVAL,
                           "WEFT_TEST_CLOCK_SKEW_NS: bad ppm (an integer "
                           "in [%d, %d]) in \"%s\"",
                           -SKEW_PPM_MAX, SKEW_PPM_MAX, v);
    }
    if (r == rank) {
      skew->ns = ns;
      skew->ppm = ppm;
    }
    p = *end ? end + 1 : end;
  }
  return WEFT_OK;
}

/* Child side of one pair: returns our offset to the parent.  With
 * theta = our clock - the parent's, each round trip gives
 *   t2 - t1 = d_fwd - theta   and   t3 - t2 = d_back + theta,
 * so theta = (min(t3 - t2) - min(t2 - t1)) / 2 within
 * +-(min(t2 - t1) + min(t3 - t2)) / 2.  Taking the two minima separately
 * (they may come from different round trips) keeps the least-delayed
 * direction of each, which matters when ranks share cores and a reply
 * often waits for its receiver to be scheduled. */
static int measure(const weft__writer *w, int parent, int64_t *off,
                   int64_t *err) {
  int64_t fwd = INT64_MAX, back = INT64_MAX;
  for (int i = 0; i < w->clock_samples; i++) {
    int64_t t2;
    int64_t t1 = weft__writer_clock(w);
    if (PMPI_Send(&t1, 1, MPI_INT64_T, parent, TAG_PING, w->comm) !=
            MPI_SUCCESS ||
        PMPI_Recv(&t2, 1, MPI_INT64_T, parent, TAG_PONG, w->comm,
                  MPI_STATUS_IGNORE) != MPI_SUCCESS)
      return weft__error(WEFT_EMPI, "clock ping-pong with rank %d failed",
                         parent);
    int64_t t3 = weft__writer_clock(w);
    if (t2 - t1 < fwd)
      fwd = t2 - t1;
    if (t3 - t2 < back)
      back = t3 - t2;
  }
  *off = (back - fwd) / 2;
  *err = (fwd + back + 1) / 2;
  if (*err < 0)
    *err = 0;
  return WEFT_OK;
}

static int serve(const weft__writer *w, int child) {
  for (int i = 0; i < w->clock_samples; i++) {
    int64_t t1;
    if (PMPI_Recv(&t1, 1, MPI_INT64_T, child, TAG_PING, w->comm,
                  MPI_STATUS_IGNORE) != MPI_SUCCESS)
      return weft__error(WEFT_EMPI, "clock ping-pong with rank %d failed",
                         child);
    int64_t t2 = weft__writer_clock(w);
    if (PMPI_Send(&t2, 1, MPI_INT64_T, child, TAG_PONG, w->comm) != MPI_SUCCESS)
      return weft__error(WEFT_EMPI, "clock ping-pong with rank %d failed",
                         child);
  }
  return WEFT_OK;
}

int weft__clock_sync(weft__writer *w, weft__clock_sample *out) {
  int64_t mine[2] = {0, 0}; /* offset to rank 0, error */
  int rc = WEFT_OK, first = WEFT_OK;
  /* Every round is played even after a failed exchange (MPI errors return
   * on Weft's communicator): a rank that stopped would leave its later
   * children waiting for pings that never come.  The first error is what
   * the flush reports (and the ranks agree on it). */
  for (int s = 1; s < w->size; s <<= 1) {
    rc = WEFT_OK;
    if (w->rank < s && w->rank + s < w->size) {
      rc = serve(w, w->rank + s);
      if (rc == WEFT_OK && PMPI_Send(mine, 2, MPI_INT64_T, w->rank + s,
                                     TAG_OFFSET, w->comm) != MPI_SUCCESS)
        rc = weft__error(WEFT_EMPI, "sending the clock offset failed");
    } else if (w->rank >= s && w->rank < 2 * s) {
      int64_t off = 0, err = 0, parent[2] = {0, 0};
      rc = measure(w, w->rank - s, &off, &err);
      if (rc == WEFT_OK &&
          PMPI_Recv(parent, 2, MPI_INT64_T, w->rank - s, TAG_OFFSET, w->comm,
                    MPI_STATUS_IGNORE) != MPI_SUCCESS)
        rc = weft__error(WEFT_EMPI, "receiving the clock offset failed");
      mine[0] = off + parent[0];
      mine[1] = err + parent[1];
    }
    if (rc < 0 && first == WEFT_OK)
      first = rc;
  }
  weft__clock_anchor a = weft__clock_anchor_now();
  out->mono_ns = weft__skewed(&w->skew, a.mono_ns);
  out->wall_ns = a.wall_ns;
  out->offset_ns = mine[0];
  out->error_ns = mine[1];
  return first;
}

void weft__clock_cursor_set(const weft__writer *w,
                            const weft__clock_sample *extra,
                            weft__clock_cursor *c, int64_t t) {
  size_t n = w->nsamples + (extra ? 1 : 0);
  *c = (weft__clock_cursor){.from = INT64_MIN, .to = INT64_MAX};
  if (n == 0)
    return;
#define SAMPLE(i) ((i) < w->nsamples ? &w->samples[i] : extra)
  const weft__clock_sample *first = SAMPLE(0), *last = SAMPLE(n - 1);
  if (t < first->mono_ns) {
    c->to = first->mono_ns;
    c->o = first->offset_ns;
    return;
  }
  if (t >= last->mono_ns) {
    c->from = last->mono_ns;
    c->o = last->offset_ns;
    return;
  }
  /* Binary search for the last sample at or before t. */
  size_t lo = 0, hi = n - 1;
  while (hi - lo > 1) {
    size_t mid = lo + (hi - lo) / 2;
    if (SAMPLE(mid)->mono_ns <= t)
      lo = mid;
    else
      hi = mid;
  }
  const weft__clock_sample *a = SAMPLE(lo), *b = SAMPLE(hi);
#undef SAMPLE
  c->from = c->m = a->mono_ns;
  c->to = b->mono_ns;
  c->o = a->offset_ns;
  c->slope =
      weft__offset_slope(a->mono_ns, a->offset_ns, b->mono_ns, b->offset_ns);
}

int64_t weft__clock_map(const weft__writer *w, const weft__clock_sample *extra,
                        int64_t t) {
  weft__clock_cursor c;
  weft__clock_cursor_set(w, extra, &c, t);
  return weft__clock_cursor_map(&c, t);
}
