/*
 * thread.h - the per-thread state behind every call: the stack of open
 * actions and the write cursor into the thread's buffer.
 *
 * Only the owning thread touches a weft__thread, except for the fields
 * marked "shared", which the collector reads under the buffer lock.  The
 * structs are never freed while the process runs: other threads' stale
 * thread-local pointers after weft_shutdown must stay readable so that the
 * generation check can reject them.
 */
#ifndef WEFT_THREAD_H
#define WEFT_THREAD_H

#include "weft_int.h"

struct weft__block;

typedef struct weft__frame {
  uint64_t serial;   /* low bits of the handle; 0 when the slot is free */
  uint32_t next;     /* next child slot (Eliot level element) */
  uint32_t slot;     /* this action's slot in its parent (unused at root) */
  uint8_t dropped;   /* its START was dropped: drop everything inside */
  uint8_t continued; /* started by weft_context_continue; then: */
  uint16_t cont_len; /* its level is conts[cont_off..cont_off+cont_len) */
  uint32_t cont_off;
  uint64_t task_hi; /* and its task is the context's */
  uint64_t task_lo;
} weft__frame;

typedef struct weft__thread {
  /* Hot: the write cursor.  `limit` leaves room for the END records of
   * every open action (see buffer.c). */
  unsigned char *pos;
  unsigned char *limit;      /* end of room for non-END records */
  unsigned char *end;        /* end of the block (END records may go here) */
  unsigned char *data;       /* start of the current block's data */
  uint64_t *usedp;           /* its header's `used` */
  struct weft__block *block; /* current block (shared: list under lock) */
  uint64_t block_seq;        /* sequence number of the next block */
  uint32_t gen;              /* weft_init generation this state is for */
  uint32_t index;            /* thread index in the trace */
  uint32_t depth;            /* open actions */
  uint32_t pad_;
  uint64_t serial; /* last serial handed out */

  uint64_t events;      /* events recorded (read racily by stats) */
  uint64_t dropped;     /* events dropped, not yet reported */
  uint64_t dropped_all; /* events dropped since weft_init */
  uint64_t limits;      /* limits hit since weft_init */
  uint64_t task_hi;     /* task of the root action (when not continued) */
  uint64_t task_lo;
  uint32_t conts_len;                 /* used elements of conts */
  uint32_t conts[4 * WEFT_DEPTH_MAX]; /* levels of continued actions */
  weft__frame frames[WEFT_DEPTH_MAX];

  /* Shared with the collector (under the buffer lock). */
  struct weft__block *head; /* oldest block with unconsumed records */
  int64_t os_tid;
  int alive;
  int retired;                   /* on the retired list: never reused */
  struct weft__thread *next_all; /* registry list */

  /* Cold, at the end so that the hot fields above keep their places:
   * why weft__buf_slow last refused a record, as a format for
   * weft__error_repeat and its two numbers. */
  const char *drop_why;
  uint64_t drop_a, drop_b;
} weft__thread;

extern _Thread_local weft__thread *weft__tls
    __attribute__((tls_model("initial-exec")));
extern uint32_t weft__gen_now; /* generation of the live weft_init, or 0 */

/* The calling thread's state for the current generation, registering the
 * thread on first use.  NULL with *err set when weft is not initialised,
 * shut down, or the thread limit is reached. */
weft__thread *weft__thread_slow(int *err);

static inline weft__thread *weft__thread_get(int *err) {
  weft__thread *t = weft__tls;
  if (__builtin_expect(t != NULL && t->gen == weft__gen_now, 1))
    return t;
  return weft__thread_slow(err);
}

/* Whether thread `index` has an open action with this serial (read while
 * that thread may be logging: an answer about a moment, not a lock). */
int weft__thread_has_open(uint32_t index, uint64_t serial);

/* Forget all threads (weft_shutdown). */
void weft__threads_reset(void);
/* First thread of the registry (buffer.c walks it under its lock). */
weft__thread *weft__threads_first(void);

#endif /* WEFT_THREAD_H */
