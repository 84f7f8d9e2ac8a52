/*
 * hotpath.c - what one event costs on the logging thread.
 *
 * For one thread, in the same run, this measures:
 *   - the floor: two clock_gettime(CLOCK_MONOTONIC) calls, the least any
 *     tracer that timestamps a start and an end has to pay;
 *   - a raw baseline: the floor plus writing the same 40 bytes a Weft action
 *     takes into a preallocated buffer by hand, i.e. a tracer with no API;
 *   - Weft: an action with two int64 start fields (as a child of an open
 *     action, and as the root of a new task), a message with two int64
 *     fields, and an action with a 1,000-element double array field;
 *   - bytes of buffer each of them takes beyond its field values, from
 *     weft_stats_get() bytes_pending deltas.
 *
 * Each figure is the median of REPS timed loops, taken round-robin so that
 * frequency changes and noise from other processes hit all of them alike.
 * Buffers are drained by handing them to a sink that discards them when the
 * budget is reached (WEFT_FULL_HANDOFF), so nothing is dropped and no I/O
 * is timed; the dropped count is printed to prove it.
 *
 * Output: one `name value unit` line per figure.  The WEFT_* environment
 * variables of weft_options_from_env() apply (e.g. WEFT_CLOCK=monotonic);
 * the policy is always handoff.
 */
#define _POSIX_C_SOURCE 200809L

#include <weft.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum {
  REPS = 15,
  N_SCALAR = 200000, /* iterations of a timed loop of scalar events */
  N_ARRAY = 20000,   /* iterations of a timed loop of array actions */
  N_BYTES = 1000,    /* events per bytes_pending measurement */
  ARRAY_LEN = 1000,
  DEFAULT_BUDGET = 16 << 20
};

/* Bytes of the encoded values of two int64 fields (docs/encoding.md). */
#define I64X2_VALUE_BYTES 16.0

static volatile int64_t g_sink; /* keeps timed work from being elided */
static long g_errors;           /* failed weft calls inside timed loops */
static double g_array[ARRAY_LEN];

static int64_t mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int discard_sink(void *arg, uint32_t thread, const void *records,
                        size_t len) {
  (void)arg;
  (void)thread;
  (void)records;
  (void)len;
  return 0;
}

/* ---- the timed loops: each returns ns per iteration ---------------------- */

static double loop_floor(long n) {
  struct timespec a, b;
  int64_t acc = 0;
  int64_t t0 = mono_ns();
  for (long i = 0; i < n; i++) {
    clock_gettime(CLOCK_MONOTONIC, &a);
    clock_gettime(CLOCK_MONOTONIC, &b);
    acc += b.tv_nsec - a.tv_nsec;
  }
  int64_t t1 = mono_ns();
  g_sink += acc;
  return (double)(t1 - t0) / (double)n;
}

static double loop_weft_clock(long n) {
  int64_t acc = 0;
  int64_t t0 = mono_ns();
  for (long i = 0; i < n; i++) {
    int64_t a = weft_clock_now();
    int64_t b = weft_clock_now();
    acc += b - a;
  }
  int64_t t1 = mono_ns();
  g_sink += acc;
  return (double)(t1 - t0) / (double)n;
}

/* The raw baseline: a start record (16-byte header, two int64 values) and
 * an 8-byte end record, timestamped with clock_gettime and copied
 * into a 1 MiB buffer that wraps, as a hand-written tracer would. */
typedef struct raw_header {
  int64_t t;
  uint32_t schema;
  uint32_t size;
} raw_header;

static unsigned char g_raw[1 << 20];

static size_t raw_put(size_t pos, uint32_t schema, const void *payload,
                      uint32_t size) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  if (pos + sizeof(raw_header) + size > sizeof g_raw)
    pos = 0;
  raw_header h = {(int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec, schema, size};
  memcpy(g_raw + pos, &h, sizeof h);
  if (size)
    memcpy(g_raw + pos + sizeof h, payload, size);
  return pos + sizeof h + size;
}

/* An 8-byte end record (its time with bit 63 set), as Weft's SUCCESS. */
static size_t raw_put_end(size_t pos) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  if (pos + 8 > sizeof g_raw)
    pos = 0;
  uint64_t v = (uint64_t)((int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec) |
               (UINT64_C(1) << 63);
  memcpy(g_raw + pos, &v, 8);
  return pos + 8;
}

static double loop_raw_action(long n) {
  size_t pos = 0;
  int64_t t0 = mono_ns();
  for (long i = 0; i < n; i++) {
    int64_t v[2] = {i, 2 * i};
    pos = raw_put(pos, 16, v, sizeof v);
    pos = raw_put_end(pos);
  }
  int64_t t1 = mono_ns();
  g_sink += (int64_t)pos + g_raw[pos / 2];
  return (double)(t1 - t0) / (double)n;
}

static void count_error(int rc) {
  if (rc != 0)
    g_errors++;
}

static void child_actions(long n) {
  for (long i = 0; i < n; i++) {
    weft_action a;
    int rc = WEFT_ACTION_START(&a, "bench:action", WEFT_I64("x", i),
                               WEFT_I64("y", 2 * i));
    rc |= weft_action_succeed(a);
    count_error(rc);
  }
}

/* Actions, messages and array actions run as children of an open action,
 * the common case of a batch job; root_actions start a task each. */
static weft_action g_outer;

static double loop_child_action(long n) {
  int64_t t0 = mono_ns();
  child_actions(n);
  return (double)(mono_ns() - t0) / (double)n;
}

static void root_actions(long n) {
  for (long i = 0; i < n; i++) {
    weft_action a;
    int rc = WEFT_ACTION_START(&a, "bench:root", WEFT_I64("x", i),
                               WEFT_I64("y", 2 * i));
    rc |= weft_action_succeed(a);
    count_error(rc);
  }
}

static void messages(long n) {
  for (long i = 0; i < n; i++)
    count_error(
        WEFT_LOG("bench:message", WEFT_I64("x", i), WEFT_I64("y", 2 * i)));
}

static void array_actions(long n) {
  static const size_t shape[1] = {ARRAY_LEN};
  for (long i = 0; i < n; i++) {
    weft_action a;
    g_array[i % ARRAY_LEN] = (double)i;
    int rc = WEFT_ACTION_START(&a, "bench:array",
                               WEFT_F64_ARRAY("v", g_array, 1, shape));
    rc |= weft_action_succeed(a);
    count_error(rc);
  }
}

static double timed(void (*body)(long), long n) {
  int64_t t0 = mono_ns();
  body(n);
  return (double)(mono_ns() - t0) / (double)n;
}

static double loop_root_action(long n) {
  count_error(weft_action_succeed(g_outer)); /* no action open: roots */
  double ns = timed(root_actions, n);
  count_error(WEFT_ACTION_START(&g_outer, "bench:outer"));
  return ns;
}

static double loop_message(long n) { return timed(messages, n); }
static double loop_array(long n) { return timed(array_actions, n); }

/* ---- buffer bytes -------------------------------------------------------- */

/* Bytes of buffer per event of `body`, from the bytes_pending delta over
 * N_BYTES events.  A block handed off in between would spoil the delta, so
 * such a try is repeated.  Returns -1 when every try was spoiled. */
static double bytes_per_event(void (*body)(long), int roots) {
  for (int attempt = 0; attempt < 20; attempt++) {
    weft_stats before, after;
    if (roots)
      count_error(weft_action_succeed(g_outer));
    int rc = weft_stats_get(&before);
    body(N_BYTES);
    rc |= weft_stats_get(&after);
    if (roots)
      count_error(WEFT_ACTION_START(&g_outer, "bench:outer"));
    if (rc != 0)
      return -1;
    if (after.handed_off == before.handed_off &&
        after.dropped == before.dropped &&
        after.bytes_pending > before.bytes_pending)
      return (double)(after.bytes_pending - before.bytes_pending) / N_BYTES;
  }
  return -1;
}

/* Bytes of the encoded array summary: u32 ndim, u32 kept, u64 shape[ndim],
 * u64 count, u64 nan_count, f64 mean, min, max, kept 8-byte values. */
static double array_value_bytes(uint32_t array_keep) {
  size_t kept = array_keep < ARRAY_LEN ? array_keep : ARRAY_LEN;
  return (double)(4 + 4 + 8 * 1 + 8 + 8 + 8 + 8 + 8 + 8 * kept);
}

/* ---- driver -------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, cmp_double);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

typedef struct bench {
  const char *name;
  double (*loop)(long);
  long n;
  double samples[REPS];
  double median;
} bench;

static void print_line(const char *name, double value, const char *unit) {
  if (value == (double)(int64_t)value)
    printf("%s %.0f %s\n", name, value, unit);
  else if (strcmp(unit, "x") == 0)
    printf("%s %.2f %s\n", name, value, unit);
  else
    printf("%s %.1f %s\n", name, value, unit);
}

static int start_weft(int use_tsc, weft_options *opts) {
  weft_options_init(opts);
  opts->buffer_budget = DEFAULT_BUDGET;
  if (weft_options_from_env(opts) != 0) {
    fprintf(stderr, "hotpath: %s\n", weft_errmsg());
    return -1;
  }
  if (use_tsc >= 0)
    opts->use_tsc = use_tsc;
  opts->policy = WEFT_FULL_HANDOFF;
  opts->sink = discard_sink;
  opts->sink_arg = NULL;
  int rc = weft_init(opts);
  if (rc == 0)
    rc = WEFT_ACTION_START(&g_outer, "bench:outer");
  if (rc != 0) {
    fprintf(stderr, "hotpath: weft_init: %s: %s\n", weft_strerror(rc),
            weft_errmsg());
    return -1;
  }
  return 0;
}

/* Runs every loop once to warm up (caches, buffer blocks, CPU frequency),
 * then REPS times round-robin, and keeps the medians. */
static void run_round_robin(bench *b, int nb) {
  for (int i = 0; i < nb; i++)
    b[i].loop(b[i].n);
  for (int r = 0; r < REPS; r++)
    for (int i = 0; i < nb; i++)
      b[i].samples[r] = b[i].loop(b[i].n);
  for (int i = 0; i < nb; i++)
    b[i].median = median(b[i].samples, REPS);
}

int main(void) {
  for (int i = 0; i < ARRAY_LEN; i++)
    g_array[i] = 0.5 * i;

  weft_options opts;
  if (start_weft(-1, &opts) != 0)
    return 1;

  enum { FLOOR, CLOCK, RAW, ACTION, ROOT, MESSAGE, ARRAY, NB };
  bench b[NB] = {
      [FLOOR] = {"floor_2x_clock_gettime", loop_floor, N_SCALAR, {0}, 0},
      [CLOCK] = {"weft_clock_now_2x", loop_weft_clock, N_SCALAR, {0}, 0},
      [RAW] = {"raw_action_2xi64", loop_raw_action, N_SCALAR, {0}, 0},
      [ACTION] = {"action_2xi64", loop_child_action, N_SCALAR, {0}, 0},
      [ROOT] = {"root_action_2xi64", loop_root_action, N_SCALAR, {0}, 0},
      [MESSAGE] = {"message_2xi64", loop_message, N_SCALAR, {0}, 0},
      [ARRAY] = {"action_f64_array_1000", loop_array, N_ARRAY, {0}, 0},
  };
  run_round_robin(b, NB);

  double bytes_action = bytes_per_event(child_actions, 0);
  double bytes_root = bytes_per_event(root_actions, 1);
  double bytes_message = bytes_per_event(messages, 0);
  double bytes_array = bytes_per_event(array_actions, 0);

  weft_stats st;
  int stats_rc = weft_stats_get(&st);
  const char *clock = weft_clock_name();
  int tsc = strcmp(clock, "tsc") == 0;
  count_error(weft_action_succeed(g_outer));
  weft_shutdown();

  /* The same child action with the clock_gettime clock, for comparison. */
  double mono_action = -1;
  if (tsc) {
    weft_options mono_opts;
    if (start_weft(0, &mono_opts) != 0)
      return 1;
    bench m = {
        "action_2xi64_clock_monotonic", loop_child_action, N_SCALAR, {0}, 0};
    run_round_robin(&m, 1);
    mono_action = m.median;
    weft_stats mst;
    if (weft_stats_get(&mst) != 0 || mst.dropped != 0)
      g_errors++;
    count_error(weft_action_succeed(g_outer));
    weft_shutdown();
  }

  double floor = b[FLOOR].median;
  for (int i = 0; i < NB; i++) {
    print_line(b[i].name, b[i].median, "ns");
    if (i != FLOOR) {
      char name[96];
      snprintf(name, sizeof name, "%s_ratio", b[i].name);
      print_line(name, b[i].median / floor, "x");
    }
  }
  /* Weft's action against the hand-written recorder of the same bytes. */
  print_line("action_2xi64_vs_raw", b[ACTION].median / b[RAW].median, "x");
  if (mono_action >= 0) {
    print_line("action_2xi64_clock_monotonic", mono_action, "ns");
    print_line("action_2xi64_clock_monotonic_ratio", mono_action / floor, "x");
  }
  print_line("buffer_bytes_per_action", bytes_action, "bytes");
  print_line("buffer_bytes_per_action_beyond_fields",
             bytes_action - I64X2_VALUE_BYTES, "bytes");
  print_line("buffer_bytes_per_root_action_beyond_fields",
             bytes_root - I64X2_VALUE_BYTES, "bytes");
  print_line("buffer_bytes_per_message_beyond_fields",
             bytes_message - I64X2_VALUE_BYTES, "bytes");
  print_line("buffer_bytes_per_array_action_beyond_fields",
             bytes_array - array_value_bytes(opts.array_keep), "bytes");
  print_line("clock_is_tsc", tsc, "bool");
  print_line("buffer_budget", (double)opts.buffer_budget, "bytes");
  print_line("events", stats_rc == 0 ? (double)st.events : -1, "events");
  print_line("handed_off", stats_rc == 0 ? (double)st.handed_off : -1, "runs");
  print_line("dropped", stats_rc == 0 ? (double)st.dropped : -1, "events");
  print_line("errors", (double)g_errors, "calls");

  if (stats_rc != 0 || st.dropped != 0 || g_errors != 0 || bytes_action < 0 ||
      bytes_root < 0 || bytes_message < 0 || bytes_array < 0) {
    fprintf(stderr, "hotpath: measurement invalid (errors, drops or "
                    "bytes_pending not measurable)\n");
    return 1;
  }
  return 0;
}
