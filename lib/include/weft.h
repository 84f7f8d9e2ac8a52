/*
 * weft.h - the public API of libweft, the core of Weft.
 *
 * Weft records what a program did as a tree of *actions* (Eliot's model):
 * an action has a type, typed start fields, success fields or a failure
 * reason, and everything logged while it is open nests under it.  Events are
 * appended to per-thread buffers in memory; libweft-mpi (weft_mpi.h) writes
 * them collectively into one HDF5 file per job, and unit tests can capture
 * them in memory (weft_capture_*).
 *
 * Conventions (libuv's):
 *   - every public name is weft_<noun>_<verb> or WEFT_<NAME>;
 *   - functions that can fail return 0 or a negative WEFT_E* code, named by
 *     weft_strerror() / weft_err_name(); weft_errmsg() gives the detail of
 *     the calling thread's last failure;
 *   - libweft never prints, never exits and never aborts.
 *
 * Compilers: the functions are plain C11.  The convenience macros
 * (WEFT_ACTION_START, WEFT_WITH_ACTION, WEFT_FUNCTION, ...) need GCC >= 7 or
 * Clang >= 6: they use the `cleanup` attribute and `__atomic` builtins.
 *
 * ABI policy: the major version is the shared library's SOVERSION.  Within a
 * major version functions are only added; a changed signature gets a new
 * name (weft_x_v2).  Check header against library with weft_version().
 */
#ifndef WEFT_H
#define WEFT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define WEFT_VERSION_MAJOR 0
#define WEFT_VERSION_MINOR 1
#define WEFT_VERSION_PATCH 0
#define WEFT_VERSION_HEX                                                       \
  ((WEFT_VERSION_MAJOR << 16) | (WEFT_VERSION_MINOR << 8) | WEFT_VERSION_PATCH)

#if defined(WEFT_STATIC)
#define WEFT_API
#elif defined(__GNUC__)
#define WEFT_API __attribute__((visibility("default")))
#else
#define WEFT_API
#endif

/* ------------------------------------------------------------------------ */
/* Errors                                                                   */
/* ------------------------------------------------------------------------ */

/* X(name, value, description).  0 is success; every error is negative. */
#define WEFT_ERRNO_MAP(X)                                                      \
  X(EINVAL, -1, "invalid argument")                                            \
  X(ENOMEM, -2, "out of memory")                                               \
  X(ENOTINIT, -3, "weft is not initialised")                                   \
  X(ESHUTDOWN, -4, "weft has been shut down")                                  \
  X(EINIT, -5, "weft is already initialised")                                  \
  X(EFINISHED, -6, "action already finished or unknown")                       \
  X(ETHREAD, -7, "action belongs to another thread")                           \
  X(EUNBALANCED, -8, "an action opened inside this one is still open")         \
  X(ENAMETOOLONG, -9, "name too long")                                         \
  X(EDEPTH, -10, "actions nested too deeply")                                  \
  X(EFIELDS, -11, "too many fields")                                           \
  X(EFULL, -12, "buffer budget reached: event dropped")                        \
  X(ENOACTION, -13, "no action is open on this thread")                        \
  X(ECONTEXT, -14, "malformed serialized task context")                        \
  X(ENOSPACE, -15, "output buffer too small")                                  \
  X(ETYPE, -16, "field type mismatch")                                         \
  X(ENOTFOUND, -17, "not found")                                               \
  X(EIO, -18, "input/output error")                                            \
  X(EFORMAT, -19, "malformed data")                                            \
  X(ECAPTURE, -20, "a capture is already active")                              \
  X(EMPI, -21, "MPI error")                                                    \
  X(EHDF5, -22, "HDF5 error")                                                  \
  X(EEXIST, -23, "file already exists")                                        \
  X(ENOTSUP, -24, "not supported")                                             \
  X(ELIMIT, -25, "limit reached")

typedef enum weft_errno {
  WEFT_OK = 0,
#define WEFT__ERRNO_ENUM(name, value, text) WEFT_##name = value,
  WEFT_ERRNO_MAP(WEFT__ERRNO_ENUM)
#undef WEFT__ERRNO_ENUM
} weft_errno;

/* Description of an error code ("unknown error" for others).  Static
 * storage; never NULL. */
WEFT_API const char *weft_strerror(int err);
/* Symbolic name of an error code, e.g. "WEFT_EFINISHED".  Static storage. */
WEFT_API const char *weft_err_name(int err);
/* Detail of the calling thread's last failed call (which action, which
 * name, ...).  Owned by the library, valid until the thread's next failing
 * call.  Empty string when nothing failed. */
WEFT_API const char *weft_errmsg(void);

/* Runtime version (WEFT_VERSION_HEX of the library). */
WEFT_API unsigned weft_version(void);
WEFT_API const char *weft_version_string(void);

/* ------------------------------------------------------------------------ */
/* Limits (documented in docs/api.md; hitting one is recorded in the trace) */
/* ------------------------------------------------------------------------ */

#define WEFT_NAME_MAX 255        /* bytes of an action type or field name */
#define WEFT_DEPTH_MAX 128       /* open actions per thread */
#define WEFT_FIELDS_MAX 64       /* fields per event */
#define WEFT_ARRAY_NDIM_MAX 8    /* dimensions of an array field */
#define WEFT_MACRO_FIELDS_MAX 16 /* fields in one convenience macro */
#define WEFT_CONTEXT_MAX 1024    /* bytes of a serialized context, with NUL */
#define WEFT_THREADS_MAX 4096    /* threads that ever logged, per process */

/* ------------------------------------------------------------------------ */
/* Initialisation                                                           */
/* ------------------------------------------------------------------------ */

typedef enum weft_full_policy {
  /* Drop the new event (and, for an action start, the whole action with
   * everything nested in it) and count it; the count is written into the
   * trace as a weft:dropped message once space is available again. */
  WEFT_FULL_DROP = 0,
  /* Hand the full buffer block to the sink (see weft_options.sink) on the
   * logging thread and reuse it.  Without a sink this behaves as DROP. */
  WEFT_FULL_HANDOFF = 1
} weft_full_policy;

/* A sink receives a sealed run of records of one thread (the encoding is in
 * docs/encoding.md).  It must copy what it keeps; returns 0 on success. */
typedef int (*weft_sink_fn)(void *arg, uint32_t thread, const void *records,
                            size_t len);

typedef struct weft_options {
  size_t buffer_budget;    /* data bytes of buffer, all threads (64 MiB) */
  size_t block_size;       /* bytes per buffer block (1 MiB, min 64 KiB) */
  weft_full_policy policy; /* what happens when the budget is reached */
  uint32_t array_keep;     /* leading values kept of an array (16) */
  uint32_t string_max;     /* bytes kept of a string field (4096) */
  int use_tsc;             /* 1: invariant TSC clock when available (1) */
  weft_sink_fn sink;       /* for WEFT_FULL_HANDOFF; may be NULL */
  void *sink_arg;          /* passed to sink */
  const char *journal_dir; /* crash journal directory, or NULL (none);
                              copied by weft_init */
} weft_options;

/* Fill *opts with the defaults shown above. */
WEFT_API void weft_options_init(weft_options *opts);
/* Override *opts from the environment: WEFT_BUFFER_BUDGET, WEFT_BLOCK_SIZE
 * (bytes, with optional K/M/G suffix), WEFT_FULL_POLICY (drop|handoff),
 * WEFT_ARRAY_KEEP, WEFT_STRING_MAX, WEFT_CLOCK (tsc|monotonic),
 * WEFT_JOURNAL_DIR (a directory; the pointer refers to the environment).
 * Returns WEFT_EINVAL, naming the variable in weft_errmsg(), on a bad
 * value; *opts is then unchanged. */
WEFT_API int weft_options_from_env(weft_options *opts);

/* Initialise the library for this process.  opts may be NULL (defaults).
 * Returns WEFT_EINIT if already initialised. */
WEFT_API int weft_init(const weft_options *opts);
/* Release every buffer.  Events not yet written (weft_mpi) or captured are
 * discarded.  Actions still open are abandoned.  Returns WEFT_ENOTINIT when
 * not initialised.  weft_init may be called again afterwards.
 * Call it when no other thread can log: the hot path takes no lock, so a
 * thread logging during weft_shutdown writes into freed buffers (join or
 * quiesce the workers first, as MPI_Finalize requires anyway). */
WEFT_API int weft_shutdown(void);
/* 1 between weft_init and weft_shutdown, else 0. */
WEFT_API int weft_is_initialized(void);

/* ------------------------------------------------------------------------ */
/* Fields                                                                   */
/* ------------------------------------------------------------------------ */

typedef enum weft_type {
  WEFT_TYPE_I64 = 1,
  WEFT_TYPE_U64 = 2,
  WEFT_TYPE_F64 = 3,
  WEFT_TYPE_BOOL = 4,
  WEFT_TYPE_STR = 5,       /* UTF-8; invalid bytes are stored as \xNN */
  WEFT_TYPE_I64_ARRAY = 6, /* N-d, row-major; stored as a summary */
  WEFT_TYPE_F64_ARRAY = 7
} weft_type;

/* One field given to Weft.  Build it with the WEFT_I64(...) etc. macros or
 * by hand.  Nothing is retained after the call returns. */
typedef struct weft_field {
  const char *name; /* field name, <= WEFT_NAME_MAX bytes, not "" */
  uint32_t type;    /* weft_type */
  uint32_t ndim;    /* arrays: number of dimensions, 1..WEFT_ARRAY_NDIM_MAX */
  union {
    int64_t i64;
    uint64_t u64;
    double f64;
    int b;
    struct {
      const char *ptr; /* may be NULL when len is 0 */
      size_t len;      /* bytes; SIZE_MAX means strlen(ptr) */
    } str;
    struct {
      const void *data;    /* int64_t or double elements */
      const size_t *shape; /* ndim extents */
    } arr;
  } v;
} weft_field;

#define WEFT_I64(n_, x_)                                                       \
  ((weft_field){.name = (n_), .type = WEFT_TYPE_I64, .v.i64 = (int64_t)(x_)})
#define WEFT_U64(n_, x_)                                                       \
  ((weft_field){.name = (n_), .type = WEFT_TYPE_U64, .v.u64 = (uint64_t)(x_)})
#define WEFT_F64(n_, x_)                                                       \
  ((weft_field){.name = (n_), .type = WEFT_TYPE_F64, .v.f64 = (double)(x_)})
#define WEFT_BOOL(n_, x_)                                                      \
  ((weft_field){.name = (n_), .type = WEFT_TYPE_BOOL, .v.b = !!(x_)})
#define WEFT_STR(n_, s_)                                                       \
  ((weft_field){                                                               \
      .name = (n_), .type = WEFT_TYPE_STR, .v.str = {(s_), (size_t)-1}})
#define WEFT_STRN(n_, s_, len_)                                                \
  ((weft_field){.name = (n_), .type = WEFT_TYPE_STR, .v.str = {(s_), (len_)}})
/* shape: pointer to nd extents (size_t). */
#define WEFT_I64_ARRAY(n_, data_, nd_, shape_)                                 \
  ((weft_field){.name = (n_),                                                  \
                .type = WEFT_TYPE_I64_ARRAY,                                   \
                .ndim = (uint32_t)(nd_),                                       \
                .v.arr = {(data_), (shape_)}})
#define WEFT_F64_ARRAY(n_, data_, nd_, shape_)                                 \
  ((weft_field){.name = (n_),                                                  \
                .type = WEFT_TYPE_F64_ARRAY,                                   \
                .ndim = (uint32_t)(nd_),                                       \
                .v.arr = {(data_), (shape_)}})

/* Fields of the run, stored once per process (Eliot's add_global_fields).
 * Later calls add to or replace earlier ones by name. */
WEFT_API int weft_global_add(const weft_field *fields, size_t n);

/* ------------------------------------------------------------------------ */
/* Actions and messages                                                     */
/* ------------------------------------------------------------------------ */

/* A handle to an open action.  0 is never a valid handle.  Handles are
 * plain values: copying one is fine; using one after its action finished is
 * detected (WEFT_EFINISHED). */
typedef uint64_t weft_action;

/* Start an action of type `type` with start fields, nested under the
 * calling thread's current action (or as the root of a new task when none
 * is open).  On success *out is the handle and the action is current.
 * Errors: WEFT_EINVAL, WEFT_ENOTINIT, WEFT_ESHUTDOWN, WEFT_ENAMETOOLONG,
 * WEFT_EDEPTH, WEFT_EFIELDS, WEFT_EFULL (the action is still opened and
 * must be finished; only its events are dropped). */
WEFT_API int weft_action_start(weft_action *out, const char *type,
                               const weft_field *fields, size_t n);
/* Add success fields to the calling thread's innermost open action
 * (recorded now, shown with its end).  Records carry no action id, so an
 * outer action cannot take fields while an inner one is open
 * (WEFT_EUNBALANCED): add them before opening the inner action or after
 * finishing it. */
WEFT_API int weft_action_add(weft_action a, const weft_field *fields, size_t n);
/* Finish as succeeded.  `a` must be the calling thread's innermost open
 * action (WEFT_EUNBALANCED otherwise, WEFT_ETHREAD when another thread
 * opened it, WEFT_EFINISHED when already finished). */
WEFT_API int weft_action_succeed(weft_action a);
/* Finish as failed with a reason (may be NULL) and an error code (0 when
 * there is none). */
WEFT_API int weft_action_fail(weft_action a, const char *reason, int64_t code);
/* The calling thread's innermost open action, or 0. */
WEFT_API weft_action weft_action_current(void);
/* 1 when `a` is open (on any thread), else 0. */
WEFT_API int weft_action_is_open(weft_action a);

/* Log a message inside the current action, or as a one-message task of its
 * own when no action is open. */
WEFT_API int weft_message_log(const char *type, const weft_field *fields,
                              size_t n);

/* ------------------------------------------------------------------------ */
/* Task contexts across threads and processes                               */
/* ------------------------------------------------------------------------ */

/* Serialize the context of open action `a` (0: the current action) into
 * buf as a NUL-terminated string "<32 hex task id>@/<level>/<slot>".  It
 * takes the next child slot of `a`.  The string may be continued any number
 * of times, on any thread or process (unlike Eliot, whose ids are single
 * use).  Errors: WEFT_ENOACTION, WEFT_ENOSPACE (cap < needed; *len is then
 * the size needed), WEFT_ETHREAD. */
WEFT_API int weft_context_serialize(weft_action a, char *buf, size_t cap,
                                    size_t *len);
/* Start on this thread an action that continues a serialized context: it
 * becomes a child of the action that serialized it.  Actions may be open
 * on this thread: the continued action is then not their child (its level
 * is the context's; in the tree it hangs under the serializing action),
 * but everything opened inside it is its own child, and it must be
 * finished before the actions below it.  Errors as weft_action_start, plus
 * WEFT_ECONTEXT for a malformed string. */
WEFT_API int weft_context_continue(weft_action *out, const char *context,
                                   const char *type, const weft_field *fields,
                                   size_t n);

/* ------------------------------------------------------------------------ */
/* Clock                                                                    */
/* ------------------------------------------------------------------------ */

/* Monotonic nanoseconds, the timestamps of events (TSC-based when
 * available: see docs/api.md). */
WEFT_API int64_t weft_clock_now(void);
/* Wall-clock (CLOCK_REALTIME) nanoseconds since the epoch corresponding to
 * monotonic time t, using the latest calibration. */
WEFT_API int64_t weft_clock_to_wall(int64_t t);
/* Name of the clock in use: "tsc" or "monotonic". */
WEFT_API const char *weft_clock_name(void);

/* ------------------------------------------------------------------------ */
/* Statistics                                                               */
/* ------------------------------------------------------------------------ */

typedef struct weft_stats {
  uint64_t events;        /* events recorded since weft_init */
  uint64_t dropped;       /* events dropped because of the budget */
  uint64_t handed_off;    /* runs of records handed to the sink */
  uint64_t bytes_pending; /* bytes in buffers, not yet drained */
  uint64_t bytes_budget;  /* the budget */
  uint32_t threads;       /* threads that have logged */
  uint32_t limits;        /* limits hit (depth, fields, names, strings) */
} weft_stats;

WEFT_API int weft_stats_get(weft_stats *st);

/* ------------------------------------------------------------------------ */
/* Decoded events and test capture (Eliot's capture_logging)                */
/* ------------------------------------------------------------------------ */

typedef enum weft_kind {
  WEFT_KIND_START = 1,   /* action started (action_status "started") */
  WEFT_KIND_SUCCESS = 2, /* action succeeded */
  WEFT_KIND_FAILURE = 3, /* action failed */
  WEFT_KIND_MESSAGE = 4  /* message */
} weft_kind;

/* A decoded field value.  Arrays are summaries: shape, count, min, max,
 * mean (of non-NaN values), NaN count, and the first `kept` values. */
typedef struct weft_value {
  const char *name;
  weft_type type;
  union {
    int64_t i64;
    uint64_t u64;
    double f64;
    int b;
    struct {
      const char *ptr; /* NUL-terminated, valid UTF-8 */
      size_t len;
      size_t original_len; /* > len when it was cut to string_max */
    } str;
    struct {
      uint32_t ndim;
      uint64_t shape[WEFT_ARRAY_NDIM_MAX];
      uint64_t count;
      double min, max, mean; /* int64 arrays: exact when |v| < 2^53 */
      uint64_t nan_count;
      uint64_t kept;
      const void *values; /* kept elements, int64_t or double */
    } arr;
  } v;
} weft_value;

/* A decoded event, as an Eliot message.  Pointers are owned by the capture
 * that returned it and live until weft_capture_free. */
typedef struct weft_event {
  weft_kind kind;
  const char *type; /* action_type or message_type */
  uint64_t task_hi; /* 128-bit task id */
  uint64_t task_lo;
  const uint32_t *level; /* task level, e.g. {3,2} */
  size_t level_len;
  const char *level_str; /* "/3/2" */
  int64_t t_ns;          /* monotonic ns */
  int64_t wall_ns;       /* wall clock ns since the epoch */
  int64_t elapsed_ns;    /* SUCCESS/FAILURE: since the start; else 0 */
  uint32_t thread;       /* thread index within the process */
  const char *reason;    /* FAILURE: reason or NULL */
  int64_t code;          /* FAILURE: error code */
  size_t nfields;        /* START: start fields; SUCCESS: success fields */
  const weft_value *fields;
} weft_event;

/* Value of the named field of e, or NULL. */
WEFT_API const weft_value *weft_event_field(const weft_event *e,
                                            const char *name);

typedef struct weft_capture weft_capture;

/* Begin capturing: from now on, events of every thread are kept for the
 * capture instead of being written.  What was buffered before is handed to
 * the sink (weft_options.sink) or, without one, discarded: start captures
 * in unit tests, not between the flushes of a libweft-mpi job.  One
 * capture at a time (WEFT_ECAPTURE).  Free with
 * weft_capture_free. */
WEFT_API int weft_capture_start(weft_capture **out);
/* Stop capturing and decode what was logged since weft_capture_start, in
 * order within each thread.  May be called once. */
WEFT_API int weft_capture_stop(weft_capture *c);
WEFT_API size_t weft_capture_count(const weft_capture *c);
/* The i-th event, or NULL when i is out of range. */
WEFT_API const weft_event *weft_capture_event(const weft_capture *c, size_t i);
/* Index of the first event at or after `from` of the given kind (0: any)
 * and type (NULL: any), or -1. */
WEFT_API long weft_capture_find(const weft_capture *c, size_t from,
                                weft_kind kind, const char *type);
/* Global fields recorded during the capture (count and i-th). */
WEFT_API size_t weft_capture_global_count(const weft_capture *c);
WEFT_API const weft_value *weft_capture_global(const weft_capture *c, size_t i);
/* Events dropped during the capture (weft:dropped messages summed). */
WEFT_API uint64_t weft_capture_dropped(const weft_capture *c);
/* Stops the capture if needed; accepts NULL. */
WEFT_API void weft_capture_free(weft_capture *c);

/* ------------------------------------------------------------------------ */
/* Convenience macros (GCC, Clang)                                          */
/* ------------------------------------------------------------------------ */

/* Call-site cache used by the macros: the schema (type + field names and
 * types) of a call site is interned once, then reused with one load. */
typedef struct weft_site {
  uint32_t schema; /* schema id, valid while gen matches */
  uint32_t gen;    /* weft_init generation that interned it */
} weft_site;

WEFT_API int weft__action_start_site(weft_action *out, weft_site *site,
                                     const char *type, const weft_field *f,
                                     size_t n);
WEFT_API int weft__message_site(weft_site *site, const char *type,
                                const weft_field *f, size_t n);
WEFT_API int weft__action_add_site(weft_action a, weft_site *site,
                                   const weft_field *f, size_t n);
WEFT_API void weft__scope_end(weft_action *a);
WEFT_API int64_t weft__result_i64(weft_action a, int64_t v);
WEFT_API uint64_t weft__result_u64(weft_action a, uint64_t v);
WEFT_API double weft__result_f64(weft_action a, double v);
WEFT_API int weft__result_bool(weft_action a, int v);
WEFT_API const char *weft__result_str(weft_action a, const char *v);

#define WEFT__CAT_(a, b) a##b
#define WEFT__CAT(a, b) WEFT__CAT_(a, b)
#define WEFT__PICK17(_1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, _13,   \
                     _14, _15, _16, _17, x, ...)                               \
  x
/* Expands to 1 for one argument and N for 2..17 arguments. */
#define WEFT__ONE_OR_N(...)                                                    \
  WEFT__PICK17(__VA_ARGS__, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, 1, \
               ~)
#define WEFT__FIELDS(...)                                                      \
  (const weft_field[]) { __VA_ARGS__ }
#define WEFT__NFIELDS(...)                                                     \
  (sizeof((const weft_field[]){__VA_ARGS__}) / sizeof(weft_field))

/* WEFT_ACTION_START(&a, "type", WEFT_I64("n", n), ...): weft_action_start
 * with a call-site cache.  The type and the field names must be string
 * literals. */
#define WEFT_ACTION_START(out, ...)                                            \
  WEFT__CAT(WEFT__START_, WEFT__ONE_OR_N(__VA_ARGS__))(out, __VA_ARGS__)
#define WEFT__START_1(out, type)                                               \
  __extension__({                                                              \
    static weft_site weft__site_;                                              \
    weft__action_start_site((out), &weft__site_, "" type "", NULL, 0);         \
  })
#define WEFT__START_N(out, type, ...)                                          \
  __extension__({                                                              \
    static weft_site weft__site_;                                              \
    weft__action_start_site((out), &weft__site_, "" type "",                   \
                            WEFT__FIELDS(__VA_ARGS__),                         \
                            WEFT__NFIELDS(__VA_ARGS__));                       \
  })

/* WEFT_LOG("type", fields...): weft_message_log with a call-site cache. */
#define WEFT_LOG(...)                                                          \
  WEFT__CAT(WEFT__LOG_, WEFT__ONE_OR_N(__VA_ARGS__))(__VA_ARGS__)
#define WEFT__LOG_1(type)                                                      \
  __extension__({                                                              \
    static weft_site weft__site_;                                              \
    weft__message_site(&weft__site_, "" type "", NULL, 0);                     \
  })
#define WEFT__LOG_N(type, ...)                                                 \
  __extension__({                                                              \
    static weft_site weft__site_;                                              \
    weft__message_site(&weft__site_, "" type "", WEFT__FIELDS(__VA_ARGS__),    \
                       WEFT__NFIELDS(__VA_ARGS__));                            \
  })

/* WEFT_ADD(a, fields...): weft_action_add with a call-site cache. */
#define WEFT_ADD(a, ...)                                                       \
  __extension__({                                                              \
    static weft_site weft__site_;                                              \
    weft__action_add_site((a), &weft__site_, WEFT__FIELDS(__VA_ARGS__),        \
                          WEFT__NFIELDS(__VA_ARGS__));                         \
  })

/* Block form (Eliot's `with start_action(...)`):
 *
 *   WEFT_WITH_ACTION(a, "load", WEFT_STR("path", p)) {
 *     ... WEFT_ADD(a, WEFT_I64("rows", n)); ...
 *   }
 *
 * `a` is a weft_action in scope inside the block.  Leaving the block in any
 * way (end, break, return, goto) finishes the action as succeeded unless it
 * was finished inside (e.g. weft_action_fail(a, ...)). */
#define WEFT_WITH_ACTION(var, ...)                                             \
  for (int WEFT__CAT(weft__once_, __LINE__) = 1;                               \
       WEFT__CAT(weft__once_, __LINE__); WEFT__CAT(weft__once_, __LINE__) = 0) \
    for (weft_action var __attribute__((cleanup(weft__scope_end), unused)) =   \
             weft__with_start(__VA_ARGS__);                                    \
         WEFT__CAT(weft__once_, __LINE__);                                     \
         WEFT__CAT(weft__once_, __LINE__) = 0)
#define weft__with_start(...)                                                  \
  __extension__({                                                              \
    weft_action weft__a_ = 0;                                                  \
    WEFT_ACTION_START(&weft__a_, __VA_ARGS__);                                 \
    weft__a_;                                                                  \
  })

/* One-line function form (Eliot's @log_call), first statement of a
 * function:
 *
 *   int64_t add(int64_t a, int64_t b) {
 *     WEFT_FUNCTION(WEFT_I64("a", a), WEFT_I64("b", b));
 *     return WEFT_RETURN_I64(a + b);
 *   }
 *
 * opens an action whose type is the function's name, with the arguments as
 * start fields, and finishes it (succeeded) on every return path.  The
 * handle is `weft_fn`.  WEFT_RETURN_*(v) records v as the success field
 * `result` and evaluates to v.  Fail with weft_action_fail(weft_fn, ...). */
#define WEFT_FUNCTION(...)                                                     \
  static weft_site WEFT__CAT(weft__fsite_, __LINE__);                          \
  weft_action weft_fn __attribute__((cleanup(weft__scope_end))) = 0;           \
  weft__action_start_site(                                                     \
      &weft_fn, &WEFT__CAT(weft__fsite_, __LINE__), __func__,                  \
      (const weft_field[]){{0}, __VA_ARGS__} + 1,                              \
      sizeof((const weft_field[]){{0}, __VA_ARGS__}) / sizeof(weft_field) - 1)
#define WEFT_RETURN_I64(v) weft__result_i64(weft_fn, (v))
#define WEFT_RETURN_U64(v) weft__result_u64(weft_fn, (v))
#define WEFT_RETURN_F64(v) weft__result_f64(weft_fn, (v))
#define WEFT_RETURN_BOOL(v) weft__result_bool(weft_fn, (v))
#define WEFT_RETURN_STR(v) weft__result_str(weft_fn, (v))

#ifdef __cplusplus
}
#endif

#endif /* WEFT_H */
