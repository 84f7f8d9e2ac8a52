/*
 * buffer.h - per-thread buffers: blocks of records from a pool bounded by
 * the budget, the inline append path, and the collector's snapshot.
 *
 * A thread appends whole records to its current block and publishes the
 * new end with a release store; nothing else happens on the hot path.
 * When a block is full the thread takes another from the pool under the
 * buffer lock (once per block, i.e. once per ~10^4 events).  Blocks are
 * recycled only by the collector (weft__pending_release) or by a hand-off
 * to the sink, so the owner never writes where a reader may be reading.
 *
 * The last WEFT__BLOCK_RESERVE bytes of each block are for END records
 * only: every open action can always be finished, so the stream stays
 * well nested even when the budget is exhausted.
 */
#ifndef WEFT_BUFFER_H
#define WEFT_BUFFER_H

#include "error_repeat.h"
#include "thread.h"

/* Room for the END record (SUCCESS, or FAILURE with its reason cut) of
 * every action that can be open at once. */
#define WEFT__END_MAX 32
#define WEFT__BLOCK_RESERVE ((size_t)WEFT__END_MAX * (WEFT_DEPTH_MAX + 1))

/* The header of a block: 64 bytes, in the journal file when there is one
 * (docs/journal.md), so every field is fixed-size. */
typedef struct weft__block_hdr {
  uint32_t magic;    /* WEFT__BLOCK_MAGIC while it holds records, else 0 */
  uint32_t thread;   /* owner's thread index */
  uint64_t seq;      /* owner's block sequence number: 0, 1, ... */
  uint64_t used;     /* published end of whole records */
  uint64_t consumed; /* written to the log up to here */
  uint64_t taken;    /* end of the outstanding snapshot */
  uint64_t epoch;    /* that snapshot's epoch (the writer's flush number) */
  uint32_t sealed;   /* 1: the owner moved to a newer block */
  uint32_t ident;    /* weft__block_ident(thread, seq): a flipped bit in
                        either is caught */
  uint64_t checksum; /* journal: XXH3-64 of data[0, used) once sealed */
} weft__block_hdr;

_Static_assert(sizeof(weft__block_hdr) == 64, "block header is 64 bytes");

typedef struct weft__block {
  weft__block_hdr *h;  /* header (in the journal mapping, or inline) */
  unsigned char *data; /* cap bytes, 8-byte aligned */
  size_t cap;
  struct weft__block *next; /* newer block of the same thread / free list */
  int touched; /* its pages have been faulted in (buffer.c prefault) */
} weft__block;

/* Bytes left for non-END records in the current block. */
static inline size_t weft__buf_room(const weft__thread *t) {
  /* pos passes limit once END records have gone into the reserve. */
  return t->pos < t->limit ? (size_t)(t->limit - t->pos) : 0;
}

/* Slow path: make room for `need` bytes (end: an END record, which may use
 * the reserve).  Returns the write position, or NULL when the event must be
 * dropped (budget exhausted, or a record larger than a block), with the
 * reason left in t->drop_why/drop_a/drop_b for weft__buf_drop_error.  May
 * first write a weft:dropped message. */
unsigned char *weft__buf_slow(weft__thread *t, size_t need, int end);

/* Drop a record of `need` bytes as too large (a block cannot hold it, or
 * its payload exceeds the u32 of its header): records the record_size
 * limit and the reason.  Returns NULL. */
unsigned char *weft__buf_refuse(weft__thread *t, size_t need);

/* WEFT_EFULL for an event that weft__buf_reserve refused, with its reason
 * in weft_errmsg() (formatted once per storm of drops: weft__error_repeat). */
static inline int weft__buf_drop_error(const weft__thread *t) {
  return weft__error_repeat(WEFT_EFULL, t->drop_why, t->drop_a, t->drop_b);
}

/* weft_errmsg() of an event dropped because the action it is in was. */
extern const char weft__drop_inside[];

/* Where `need` bytes of non-END records go, or NULL (drop). */
static inline unsigned char *weft__buf_reserve(weft__thread *t, size_t need) {
  if (__builtin_expect(weft__buf_room(t) >= need && !t->dropped, 1))
    return t->pos;
  return weft__buf_slow(t, need, 0);
}

/* Same for an END record. */
static inline unsigned char *weft__buf_reserve_end(weft__thread *t,
                                                   size_t need) {
  if (__builtin_expect((size_t)(t->end - t->pos) >= need && !t->dropped, 1))
    return t->pos;
  return weft__buf_slow(t, need, 1);
}

/* Publish the records written up to `to`. */
static inline void weft__buf_commit(weft__thread *t, unsigned char *to) {
  t->pos = to;
  __atomic_store_n(t->usedp, (uint64_t)(to - t->data), __ATOMIC_RELEASE);
}

/* Set up / tear down the pool for weft_init / weft_shutdown. */
int weft__buffers_setup(const weft_options *o);
void weft__buffers_teardown(void);
/* Point a new or reset thread at no block (first append takes one). */
void weft__buf_thread_init(weft__thread *t);

/* The thread is exiting: seal its block and mark it dead. */
void weft__buf_thread_exit(weft__thread *t);

/* The buffer lock; also guards the thread registry. */
void weft__buf_lock(void);
void weft__buf_unlock(void);

/* Bytes in blocks not yet released (stats). */
uint64_t weft__buf_pending_bytes(void);
uint64_t weft__buf_handed_off(void);

#endif /* WEFT_BUFFER_H */
