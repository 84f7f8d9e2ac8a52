/*
 * weft_int.h - libweft's internal interface, shared with libweft-mpi, the
 * weft tools and the tests.  Not installed; not part of the ABI.
 *
 * Names with the weft__ prefix are internal.  Those marked WEFT_INTERNAL
 * have default visibility so that libweft-mpi and the tools, which link the
 * shared libweft, can call them.
 */
#ifndef WEFT_INT_H
#define WEFT_INT_H

#include "weft.h"
#include "record.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define WEFT_INTERNAL WEFT_API

/* ---- errors (error.c) ---------------------------------------------------- */

/* Set the calling thread's weft_errmsg() to the formatted detail and return
 * code, so call sites read `return weft__error(WEFT_EINVAL, "...", ...)`. */
WEFT_INTERNAL int weft__error(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Bytes of weft_errmsg(), NUL included: room for two paths of PATH_MAX
 * (4096 on Linux; spelled out so that every file agrees whatever feature
 * macros it sets) and the rest of the message.  A copy of a message
 * (libweft-mpi's agreement) needs as much. */
#define WEFT__ERRMSG_MAX (2 * 4096 + 512)

/* Put back a weft_errmsg() copied earlier: after housekeeping that the
 * application did not ask for (libweft-pmpi's, inside its MPI calls),
 * whose failure is reported otherwise, the message the application's
 * last failed call left must still be there. */
WEFT_INTERNAL void weft__errmsg_restore(const char *msg);

/* The detail of WEFT_ENOTINIT, the same everywhere: a program that only
 * calls weft_mpi_init must learn that its failure is why. */
#define WEFT__NOT_INIT                                                         \
  "weft_init has not been called (weft_mpi_init calls it, and a "              \
  "weft_mpi_init that failed leaves libweft uninitialised)"

/* ---- names and schemas (schema.c) ---------------------------------------- */

/* A schema: what a record means.  Published schemas never change or move,
 * so a pointer returned by weft__schema_get stays valid until
 * weft_shutdown. */
typedef struct weft__schema {
  uint32_t id;
  uint8_t kind;       /* weft_rec_kind */
  uint8_t fixed_size; /* 1 when every field is a scalar */
  uint16_t nfields;
  uint32_t type_name;    /* name id of the action/message type; 0: none */
  uint32_t payload_size; /* when fixed_size: bytes of the payload */
  const uint32_t *names; /* nfields name ids */
  const uint8_t *types;  /* nfields weft_type values */
} weft__schema;

/* Intern a name; returns its id (>= 1) or a negative error
 * (WEFT_ENAMETOOLONG, WEFT_EINVAL for "" or NULL, WEFT_ENOMEM, WEFT_ELIMIT
 * when the process holds the most names it can). */
WEFT_INTERNAL int64_t weft__name_intern(const char *s, size_t len);
/* Name with id `id` and its length, or NULL.  Lock-free. */
WEFT_INTERNAL const char *weft__name_get(uint32_t id, uint32_t *len);
/* Ids below this are published. */
WEFT_INTERNAL uint32_t weft__name_count(void);

/* Intern the schema of (kind, type, fields); returns its id or a negative
 * error.  Checks names (length, NUL), field count and field types. */
WEFT_INTERNAL int64_t weft__schema_intern(weft_rec_kind kind, const char *type,
                                          const weft_field *f, size_t n);
WEFT_INTERNAL const weft__schema *weft__schema_get(uint32_t id);
WEFT_INTERNAL uint32_t weft__schema_count(void);

/* ---- clock (clock.c) ----------------------------------------------------- */

/* One calibration point: monotonic ns (weft_clock_now) and the wall clock
 * read at the same moment. */
typedef struct weft__clock_anchor {
  int64_t mono_ns;
  int64_t wall_ns;
} weft__clock_anchor;

WEFT_INTERNAL weft__clock_anchor weft__clock_anchor_now(void);

/* ---- pending data (buffer.c) --------------------------------------------- */

/* A run of whole records of one thread, in program order. */
typedef struct weft__span {
  uint32_t thread;
  const unsigned char *data;
  size_t len;
} weft__span;

/* A snapshot of everything buffered and not yet consumed, all threads.
 * Spans of one thread appear in order.  The memory stays valid until
 * weft__pending_release or weft__pending_abandon. */
typedef struct weft__pending {
  weft__span *spans;
  size_t n;
  size_t bytes;
  void *priv_; /* buffer.c's bookkeeping */
} weft__pending;

/* Take the snapshot.  Threads keep logging meanwhile; what they log after
 * the snapshot is not in it.  WEFT_ECAPTURE while a capture is active
 * (unless called by the capture). */
WEFT_INTERNAL int weft__pending_collect(weft__pending *p);
/* Same, recording in the journal (when there is one) that the snapshot is
 * about to be written as flush number `epoch`, so that recovery can tell
 * whether it reached the log. */
WEFT_INTERNAL int weft__pending_collect_epoch(weft__pending *p, uint64_t epoch);
/* The snapshot was written: free its blocks for reuse. */
WEFT_INTERNAL void weft__pending_release(weft__pending *p);
/* The snapshot could not be written: keep it for the next collect. */
WEFT_INTERNAL void weft__pending_abandon(weft__pending *p);
/* Whether the snapshot reached the log is unknown (its commit's metadata
 * was written in part): keep it buffered, as abandon does, but leave the
 * journal's marks of its epoch as they are, so that recovery goes by the
 * epochs the log shows committed.  No later collect may follow (it would
 * move the marks). */
WEFT_INTERNAL void weft__pending_keep(weft__pending *p);

/* ---- journal (journal.c) ------------------------------------------------ */

/* Record in the journal header which rank, job and log it belongs to
 * (libweft-mpi calls it after MPI_Init).  WEFT_ENOTFOUND without journal. */
WEFT_INTERNAL int weft__journal_set_meta(int rank, const char *job,
                                         const char *log);
/* Path of this process's journal file, or NULL. */
WEFT_INTERNAL const char *weft__journal_path(void);

/* ---- threads (thread.c) -------------------------------------------------- */

typedef struct weft__thread_info {
  uint32_t index; /* weft_event.thread */
  int64_t os_tid; /* gettid() */
  int alive;      /* 0 once the thread has exited */
} weft__thread_info;

WEFT_INTERNAL uint32_t weft__thread_count(void);
WEFT_INTERNAL int weft__thread_info_get(uint32_t index, weft__thread_info *out);

/* ---- payload encoding (field_encode.c, field_decode.c) ------------------- */

/* Check what the schema cannot: string pointers, array shapes and data
 * (these may change from call to call).  Returns WEFT_EINVAL with detail,
 * or the number of strings that will be cut at string_max (a limit). */
WEFT_INTERNAL int weft__fields_check(const weft_field *f, size_t n,
                                     uint32_t string_max);
/* Bytes that weft__fields_encode will write for these fields. */
WEFT_INTERNAL size_t weft__fields_size(const weft_field *f, size_t n,
                                       uint32_t array_keep,
                                       uint32_t string_max);
/* Encode fields (already checked by weft__schema_intern) at dst; returns
 * bytes written (== weft__fields_size). */
WEFT_INTERNAL size_t weft__fields_encode(unsigned char *dst,
                                         const weft_field *f, size_t n,
                                         uint32_t array_keep,
                                         uint32_t string_max);

/* An arena for decoded values (strings, kept array values).  Decoded
 * pointers live until the arena is reset or freed. */
typedef struct weft__arena {
  unsigned char *base;
  size_t used, cap;
  struct weft__arena_chunk *chunks; /* older chunks, freed with the arena */
} weft__arena;

WEFT_INTERNAL void *weft__arena_alloc(weft__arena *a, size_t n);
WEFT_INTERNAL void weft__arena_reset(weft__arena *a);
WEFT_INTERNAL void weft__arena_free(weft__arena *a);

/* Decode the payload of a record with nfields fields of the given types.
 * out[i].name is set from names[i] (may be NULL).  Returns WEFT_OK or
 * WEFT_EFORMAT with a weft_errmsg() naming the offset and the field. */
WEFT_INTERNAL int weft__fields_decode(const unsigned char *p, size_t len,
                                      const uint8_t *types,
                                      const char *const *names, size_t nfields,
                                      weft_value *out, weft__arena *arena);

/* ---- stream decoding (decode.c) ------------------------------------------ */

/* Where a decoder finds names and schemas: the live tables of this process
 * (weft__dict_live) or tables read from a file. */
typedef struct weft__dict {
  const weft__schema *(*schema)(void *arg, uint32_t id);
  const char *(*name)(void *arg, uint32_t id);
  void *arg;
} weft__dict;

WEFT_INTERNAL weft__dict weft__dict_live(void);

/* Called for each decoded event; `ev` and what it points to live until the
 * callback returns (copy what you keep).  `stream` is the caller's stream
 * key.  A non-zero return stops decoding and is returned by feed. */
typedef int (*weft__event_fn)(void *arg, uint64_t stream, const weft_event *ev);
/* Called for GLOBALS records. */
typedef int (*weft__globals_fn)(void *arg, uint64_t stream, const weft_value *v,
                                size_t n);

typedef struct weft__decoder weft__decoder;

WEFT_INTERNAL int weft__decoder_new(weft__decoder **out, weft__dict dict);
/* Decode whole records of one stream (a thread of a process), continuing
 * that stream's state (open actions, task) from earlier feeds.  Errors:
 * WEFT_EFORMAT with weft_errmsg() naming the offset within `data`. */
WEFT_INTERNAL int weft__decoder_feed(weft__decoder *d, uint64_t stream,
                                     const unsigned char *data, size_t len,
                                     weft__event_fn on_event,
                                     weft__globals_fn on_globals, void *arg);
WEFT_INTERNAL void weft__decoder_free(weft__decoder *d);
/* Rows mode, for records rebuilt from the HDF5 log's /events rows, which
 * never hold a short SUCCESS (record.h): every record has a 16-byte
 * header, whatever bit 63 of its t (a negative time reads as one).  Off
 * by default (buffers, sinks, journals). */
WEFT_INTERNAL void weft__decoder_set_rows(weft__decoder *d, int on);

/* ---- task ids (task_id.c) ------------------------------------------------ */

/* Fresh random 128-bit id (a UUID version 4 bit pattern), from a per-thread
 * generator seeded once from getrandom(): no system call per id. */
WEFT_INTERNAL void weft__task_id_new(uint64_t *hi, uint64_t *lo);

/* ---- library state (init.c) ---------------------------------------------- */

/* The options weft_init checks against each other (weft__option_name). */
typedef enum weft__option {
  WEFT__OPT_BUFFER_BUDGET,
  WEFT__OPT_BLOCK_SIZE,
  WEFT__OPT_ARRAY_KEEP,
  WEFT__OPT_STRING_MAX,
  WEFT__OPT_COUNT
} weft__option;

/* How an error message names option o, whose value is v: as the user set
 * it, "WEFT_BLOCK_SIZE=100001" when weft_options_from_env took v from that
 * variable, else the field, "block_size 100001".  Written to buf (cap
 * bytes), which is returned. */
const char *weft__option_name(weft__option o, uint64_t v, char *buf,
                              size_t cap);

/* The options in force (valid between weft_init and weft_shutdown). */
WEFT_INTERNAL const weft_options *weft__options(void);
/* Generation of the current weft_init (1, 2, ...); 0 when not initialised. */
WEFT_INTERNAL uint32_t weft__generation(void);

/* ---- environment names (env_names.c) ------------------------------------- */

/* 1 if `name` (len bytes, no '=') is a WEFT_* variable Weft reads. */
WEFT_INTERNAL int weft__env_name_known(const char *name, size_t len);
/* Log weft:unknown_setting {name} for each WEFT_* variable of the
 * environment that Weft does not read (weft_init, once logging works). */
void weft__env_report_unknown(void);

#endif /* WEFT_INT_H */
