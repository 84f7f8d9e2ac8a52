/*
 * journal.c - what the crash journal costs on the logging thread.
 *
 *   bench/journal [DIR]
 *
 * In the same run, alternating, this times the same loop of actions with two
 * int64 start fields (the common case), with libweft's buffers in memory
 * (journal off) and backed by a journal in DIR (default: a directory in
 * /tmp; use the file system the jobs would use, e.g. node-local storage).
 * Each round initialises libweft afresh, so with the journal on the loop
 * pays what a job pays: first touches of the shared file mapping (a page
 * fault and a page of the file per 4 KiB), and the checksum of each block it
 * fills.  Buffers are drained by a sink that discards them (handoff
 * policy), so no flush I/O is timed.  Figures are medians of REPS rounds.
 *
 * Output: `name value unit` lines; journal_overhead_pct is the target
 * (at most 10).
 */
#define _POSIX_C_SOURCE 200809L

#include <weft.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum {
  REPS = 9,
  N_ACTIONS = 400000, /* per round: ~20 MB of records, several passes over
                         the 8 MiB budget */
  BUDGET = 8 << 20
};

static long g_errors;

static int64_t mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int discard(void *arg, uint32_t thread, const void *records,
                   size_t len) {
  (void)arg;
  (void)thread;
  (void)records;
  (void)len;
  return 0;
}

/* One round: ns per action, or a negative value on failure. */
static double round_ns(const char *journal_dir, uint64_t *dropped) {
  weft_options o;
  weft_options_init(&o);
  o.buffer_budget = BUDGET;
  o.policy = WEFT_FULL_HANDOFF;
  o.sink = discard;
  o.journal_dir = journal_dir;
  if (weft_init(&o) != 0) {
    fprintf(stderr, "weft_init: %s\n", weft_errmsg());
    return -1;
  }
  weft_action outer;
  WEFT_ACTION_START(&outer, "bench");
  int64_t t0 = mono_ns();
  for (int64_t i = 0; i < N_ACTIONS; i++) {
    weft_action a;
    if (WEFT_ACTION_START(&a, "step", WEFT_I64("i", i), WEFT_I64("n", 7)) ||
        weft_action_succeed(a))
      g_errors++;
  }
  int64_t t1 = mono_ns();
  weft_action_succeed(outer);
  weft_stats st;
  weft_stats_get(&st);
  *dropped += st.dropped;
  weft_shutdown();
  return (double)(t1 - t0) / N_ACTIONS;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  char dir[256];
  int made = 0;
  if (argc > 1) {
    snprintf(dir, sizeof dir, "%s", argv[1]);
  } else {
    snprintf(dir, sizeof dir, "/tmp/weft-bench-journal-%ld", (long)getpid());
    made = 1;
  }
  double off[REPS], on[REPS];
  uint64_t dropped = 0;
  for (int r = 0; r < REPS; r++) {
    off[r] = round_ns(NULL, &dropped);
    on[r] = round_ns(dir, &dropped);
    if (off[r] < 0 || on[r] < 0)
      return 1;
  }
  if (made)
    rmdir(dir); /* the journals are deleted by weft_shutdown */
  qsort(off, REPS, sizeof *off, cmp);
  qsort(on, REPS, sizeof *on, cmp);
  double m_off = off[REPS / 2], m_on = on[REPS / 2];
  printf("action_journal_off %.2f ns\n", m_off);
  printf("action_journal_on %.2f ns\n", m_on);
  printf("journal_overhead_pct %.1f %%\n", 100.0 * (m_on - m_off) / m_off);
  printf("journal_dir %s path\n", dir);
  printf("dropped %llu events\n", (unsigned long long)dropped);
  printf("errors %ld calls\n", g_errors);
  return 0;
}
