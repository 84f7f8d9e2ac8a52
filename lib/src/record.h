/*
 * record.h - the in-memory event encoding, shared by the per-thread buffers,
 * the HDF5 writer (libweft-mpi), the crash journal and the readers.
 *
 * docs/encoding.md is the prose version of this file; keep them in step.
 *
 * A thread's buffer is a sequence of records.  Each record is a 16-byte
 * header followed by `size` payload bytes, then zero padding up to the next
 * multiple of 8, so every header is 8-byte aligned.  All integers are
 * little-endian (the only byte order Weft runs on: x86-64 and aarch64).
 *
 * What a record means is given by its schema: a (kind, type name, field
 * names, field types) tuple interned once per process (schema.c).  Schemas
 * below WEFT_SCHEMA_FIRST_USER are fixed and have no type name or fields;
 * their payloads are described next to their ids.
 *
 * Nesting is implicit: within one thread's stream, records are in program
 * order, START pushes an action and SUCCESS/FAILURE pops the innermost one,
 * so a reader rebuilds Eliot task levels with a stack (see decode.c).  That
 * is what keeps an action at 40 bytes in memory (with a short SUCCESS,
 * below) and 40 in the file (as a leaf): no parent id, no level, no thread
 * id in the record.
 */
#ifndef WEFT_RECORD_H
#define WEFT_RECORD_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct weft_rec {
  int64_t t;       /* monotonic ns (weft_clock_now) */
  uint32_t schema; /* schema id */
  uint32_t size;   /* payload bytes following this header (unpadded) */
} weft_rec;

_Static_assert(sizeof(weft_rec) == 16, "weft_rec must be 16 bytes");

#define WEFT_REC_ALIGN 8
#define WEFT_REC_PAD(n)                                                        \
  (((n) + (WEFT_REC_ALIGN - 1)) & ~(size_t)(WEFT_REC_ALIGN - 1))

/* Kinds of schemas.  The values are part of the file format. */
typedef enum weft_rec_kind {
  WEFT_REC_START = 1,     /* action start: fields are the start fields */
  WEFT_REC_SUCCESS = 2,   /* innermost action succeeded */
  WEFT_REC_FAILURE = 3,   /* innermost action failed */
  WEFT_REC_MESSAGE = 4,   /* message: takes the next slot of the action */
  WEFT_REC_ADD = 5,       /* success fields added to the innermost action */
  WEFT_REC_TASK = 6,      /* the next root START or MESSAGE begins a task */
  WEFT_REC_CONTINUE = 7,  /* the next root START continues a context */
  WEFT_REC_SERIALIZE = 8, /* an open action's next slot was taken */
  WEFT_REC_GLOBALS = 9    /* global fields of the process */
} weft_rec_kind;

/* Fixed schema ids. */
enum {
  WEFT_SCHEMA_NONE = 0,      /* never used: 0 marks "not interned yet" */
  WEFT_SCHEMA_TASK = 1,      /* payload: u64 task_hi, u64 task_lo */
  WEFT_SCHEMA_SUCCESS = 2,   /* payload: none */
  WEFT_SCHEMA_FAILURE = 3,   /* payload: i64 code, then a string (below) */
  WEFT_SCHEMA_SERIALIZE = 4, /* payload: none (the innermost action), or
                                u32 up: the action `up` levels further out */
  WEFT_SCHEMA_CONTINUE = 5,  /* payload: u64 task_hi, u64 task_lo, u32 n,
                                u32 level[n] (the level of the continued
                                action, its last element the taken slot) */
  WEFT_SCHEMA_FIRST_USER = 16
};

/*
 * A leaf: an action START immediately followed by its SUCCESS (nothing
 * logged inside, no success fields), written as one record.  The HDF5
 * writer folds the pair when it writes a flush (the buffers and journals
 * keep the pair): the header's schema is the START's with this bit set,
 * its t the start time, its size the START's size + 8, and its payload
 * the START's payload padded to 8, then the end time (int64).  Readers
 * see the two events.  It saves the SUCCESS header: 8 of the 48 bytes of
 * a short action with two int64 fields.  Schema ids stay below 2^31
 * (schema.c caps them far lower).
 */
#define WEFT_REC_LEAF (UINT32_C(1) << 31)

/*
 * A short SUCCESS: the end of the innermost action when it has no success
 * fields, as the buffers and journals hold it: 8 bytes, the end time with
 * bit 63 set.  A header's t is never negative, so no 16-byte header
 * starts with that bit.  It makes an action with two int64 fields 40
 * bytes in memory instead of 48 (START 16 + 16, SUCCESS 8), which is 1/6
 * less memory to fault in, journal to write back and records to read at
 * a flush.  The HDF5 file never holds it: the writer folds it into a leaf
 * (above) or writes a 16-byte SUCCESS row.
 */
#define WEFT_REC_SHORT (UINT64_C(1) << 63)
#define WEFT_REC_SHORT_SIZE 8

/* The record header at p, with `avail` bytes there: a short SUCCESS reads
 * as {t, WEFT_SCHEMA_SUCCESS, 0}.  Returns the header's bytes in the
 * stream (8 or 16; its payload follows), 0 when `avail` cannot hold it. */
static inline size_t weft__rec_get(const unsigned char *p, size_t avail,
                                   weft_rec *h) {
  uint64_t v;
  if (avail < WEFT_REC_SHORT_SIZE)
    return 0;
  memcpy(&v, p, sizeof v);
  if (v & WEFT_REC_SHORT) {
    h->t = (int64_t)(v & ~WEFT_REC_SHORT);
    h->schema = WEFT_SCHEMA_SUCCESS;
    h->size = 0;
    return WEFT_REC_SHORT_SIZE;
  }
  if (avail < sizeof *h)
    return 0;
  memcpy(h, p, sizeof *h);
  return sizeof *h;
}

/*
 * Field values in a payload, in schema order, unaligned (read with memcpy):
 *   I64, U64, F64   8 bytes
 *   BOOL            1 byte, 0 or 1
 *   STR             u32 len, u32 original_len, len bytes of valid UTF-8
 *                   (invalid input bytes were written as the 4 characters
 *                   \xNN); original_len > len means the value was cut at
 *                   string_max
 *   I64_ARRAY,      u32 ndim, u32 kept, u64 shape[ndim], u64 count,
 *   F64_ARRAY       u64 nan_count, f64 mean, then min and max as 8 bytes
 *                   each in the element type (i64 or f64), then kept
 *                   elements of 8 bytes (the first `kept` in row-major
 *                   order).  count = product of shape; min/max/mean are of
 *                   the non-NaN elements (NaN for none).
 */

#endif /* WEFT_RECORD_H */
