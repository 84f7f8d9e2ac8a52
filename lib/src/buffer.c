/*
 * buffer.c - the block pool, the budget, the slow append path, and the
 * snapshots taken by the writer (weft__pending_*) and by test capture.
 *
 * One mutex guards the pool, every thread's list of blocks and the thread
 * registry.  It is taken once per block filled (~1 MiB of events), at
 * registration of a thread, and by collectors; never per event.
 *
 * Blocks come from malloc, bounded by the budget, or, when a journal is
 * configured, are the slots of the journal's file mapping (journal.c): the
 * same code then leaves every record in a file the kernel keeps.
 */
#include "buffer.h"
#include "capture_hook.h"
#include "emit.h"
#include "journal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static struct {
  size_t block_size;       /* data bytes per block */
  size_t budget;           /* data bytes of blocks allowed */
  size_t allocated;        /* data bytes of blocks malloc'd (in use or free) */
  weft__block *free;       /* blocks ready for reuse */
  weft__block *slots;      /* journal: one descriptor per slot, else NULL */
  weft__block *free_first; /* journal: free slots for threads' first blocks */
  size_t first_slots;      /* journal: slots [0, first_slots) are those */
  weft_full_policy policy;
  weft_sink_fn sink;
  void *sink_arg;
  int snapshot;        /* a snapshot is outstanding: no hand-off */
  int capture;         /* a capture is active */
  uint64_t handed_off; /* runs of records handed to the sink */
} pool;

/* Why an event was dropped, for weft_errmsg() (weft__buf_drop_error): each
 * takes two numbers, which the constant ones ignore. */
const char weft__drop_inside[] =
    "the action this event is in was dropped, and everything inside it is";
static const char budget_full[] =
    "buffer budget of %llu bytes reached (blocks of %llu bytes)";
static const char budget_no_block[] =
    "buffer budget of %llu bytes reached: other threads hold every block "
    "of %llu bytes, this thread none";
static const char record_too_big[] =
    "a record of %llu bytes is larger than a block of %llu bytes holds "
    "beside its reserve for ends";
static const char sink_failed[] =
    "the sink failed to take this thread's records (WEFT_FULL_HANDOFF)";

static void drop_why(weft__thread *t, const char *why, uint64_t a, uint64_t b) {
  t->drop_why = why;
  t->drop_a = a;
  t->drop_b = b;
}

/* Pointed at by threads that hold no block, so pos/limit compare sanely. */
static unsigned char no_block[8];
static uint64_t no_used;

void weft__buf_lock(void) { pthread_mutex_lock(&lock); }
void weft__buf_unlock(void) { pthread_mutex_unlock(&lock); }

/* The free list a block returns to (journal.c: the slot's region). */
static weft__block **home_list(const weft__block *b) {
  if (pool.slots && (size_t)(b - pool.slots) < pool.first_slots)
    return &pool.free_first;
  return &pool.free;
}

static void block_put(weft__block *b) {
  b->h->magic = 0; /* free: a journal reader skips it */
  weft__block **list = home_list(b);
  b->next = *list;
  *list = b;
}

/* Transparent huge pages for the journal, but not everywhere.  On a file
 * system whose page cache has large folios (ext4 since Linux 6.16, XFS),
 * a journal advised for them is faulted in and dirtied 2 MiB at a time:
 * a 4 KiB fault costs ~1.5 us on the development VM, and bench/flush
 * measured a job ~6 % cheaper end to end (bench/flush, 4 ranks).
 * But the kernel writes a dirty folio back whole, so a thread that logs an
 * event now and then would have 2 MiB written back each time instead of
 * 4 KiB.  So the journal's first slots (1/8 of them, at least one, and
 * up to the next 2 MiB of the file) keep small pages (journal.c) and
 * serve threads' first blocks; a thread that
 * fills its first block gets its next ones from the other slots, and a
 * thread that logs little never leaves its first block. */
static size_t first_slots_of(size_t nslots) {
  return nslots / 8 ? nslots / 8 : 1;
}

/* Carve the journal mapping into blocks, all free. */
static int journal_setup(const weft_options *o) {
  size_t slot_size, nslots = o->buffer_budget / o->block_size;
  unsigned char *slots;
  pool.first_slots = first_slots_of(nslots);
  int rc = weft__journal_open(o->journal_dir, o->block_size, nslots,
                              &pool.first_slots, &slots, &slot_size);
  if (rc)
    return rc;
  pool.slots = calloc(nslots, sizeof *pool.slots);
  if (!pool.slots) {
    weft__journal_close(1);
    return weft__error(WEFT_ENOMEM, "journal block descriptors");
  }
  /* The file is new and reads as zeros: every slot already says "free"
   * (magic 0) to a journal reader.  Writing that 0 (block_put) would fault
   * in every slot now, and the kernel would read ahead around each. */
  for (size_t i = nslots; i-- > 0;) {
    weft__block *b = &pool.slots[i];
    b->h = (weft__block_hdr *)(slots + i * slot_size);
    b->data = (unsigned char *)(b->h + 1);
    b->cap = o->block_size;
    weft__block **list = home_list(b);
    b->next = *list;
    *list = b;
  }
  pool.allocated = nslots * o->block_size;
  return WEFT_OK;
}

int weft__buffers_setup(const weft_options *o) {
  pthread_mutex_lock(&lock);
  memset(&pool, 0, sizeof pool);
  pool.block_size = o->block_size;
  pool.budget = o->buffer_budget;
  pool.policy = o->policy;
  pool.sink = o->sink;
  pool.sink_arg = o->sink_arg;
  int rc = o->journal_dir ? journal_setup(o) : WEFT_OK;
  pthread_mutex_unlock(&lock);
  return rc;
}

static void free_list(weft__block *b) {
  while (b) {
    weft__block *n = b->next;
    if (!pool.slots)
      free(b);
    b = n;
  }
}

void weft__buffers_teardown(void) {
  pthread_mutex_lock(&lock);
  int unwritten = 0;
  for (weft__thread *t = weft__threads_first(); t; t = t->next_all) {
    for (weft__block *b = t->head; b; b = b->next)
      if (b->h->used > b->h->consumed)
        unwritten = 1;
    free_list(t->head);
    t->head = NULL;
    weft__buf_thread_init(t);
  }
  free_list(pool.free);
  pool.free = NULL;
  pool.free_first = NULL; /* journal slots: nothing to free */
  if (pool.slots) {
    /* A journal holding records that were never written to a log is kept
     * for `weft recover`; otherwise it has served its purpose. */
    weft__journal_close(!unwritten);
    free(pool.slots);
    pool.slots = NULL;
  }
  pool.allocated = 0;
  pthread_mutex_unlock(&lock);
}

void weft__buf_thread_init(weft__thread *t) {
  t->block = NULL;
  t->pos = t->limit = t->end = t->data = no_block;
  t->usedp = &no_used;
}

/* A block from the free list or, within the budget, a new one, set up for
 * thread t.  Lock held. */
static weft__block *block_get(weft__thread *t) {
  /* A thread's first block from the journal's first slots, its next ones
   * from the others (first_slots_of); either when the other is empty. */
  weft__block **list = &pool.free;
  if ((!t->block && pool.free_first) || !pool.free)
    list = &pool.free_first;
  weft__block *b = *list;
  if (b) {
    *list = b->next;
  } else {
    /* The budget counts data bytes: a block's 96 bytes of bookkeeping are
     * 0.01% of it. */
    if (pool.slots || pool.allocated + pool.block_size > pool.budget)
      return NULL;
    b = malloc(sizeof *b + sizeof *b->h + pool.block_size);
    if (!b)
      return NULL;
    pool.allocated += pool.block_size;
    b->h = (weft__block_hdr *)(b + 1);
    b->data = (unsigned char *)(b->h + 1);
    b->cap = pool.block_size;
    b->touched = 0;
  }
  b->next = NULL;
  memset(b->h, 0, sizeof *b->h);
  b->h->thread = t->index;
  b->h->seq = t->block_seq++;
  b->h->ident = weft__block_ident(b->h->thread, b->h->seq);
  __atomic_store_n(&b->h->magic, WEFT__BLOCK_MAGIC, __ATOMIC_RELEASE);
  return b;
}

/* Free the thread's leading blocks that are sealed and fully released.
 * Lock held. */
static void thread_trim(weft__thread *t) {
  while (t->head && t->head->h->sealed &&
         t->head->h->consumed == t->head->h->used) {
    weft__block *b = t->head;
    t->head = b->next;
    block_put(b);
  }
}

static void point_at(weft__thread *t, weft__block *b) {
  t->block = b;
  t->data = t->pos = b->data;
  t->limit = b->data + b->cap - WEFT__BLOCK_RESERVE;
  t->end = b->data + b->cap;
  t->usedp = &b->h->used;
}

/* Start thread t's current block over, empty, as its only block, under a
 * new sequence number (its records are all written out or handed off; a
 * journal's recovery then finds nothing in it).  Lock held. */
static void renew(weft__thread *t) {
  weft__block *cur = t->block;
  uint32_t thread = cur->h->thread;
  memset(cur->h, 0, sizeof *cur->h);
  cur->h->thread = thread;
  cur->h->seq = t->block_seq++;
  cur->h->ident = weft__block_ident(thread, cur->h->seq);
  __atomic_store_n(&cur->h->magic, WEFT__BLOCK_MAGIC, __ATOMIC_RELEASE);
  cur->next = NULL;
  t->head = cur;
  point_at(t, cur);
}

/* Whether thread t's current block may start over when the pool has no
 * other: everything in it, and so in the thread's earlier blocks, has
 * been written to the log, and no snapshot or capture may be reading it.
 * Without this a thread that filled its block when no other was free
 * would drop everything for good, however empty flushes left the
 * buffers.  Lock held. */
static int spent(const weft__thread *t) {
  const weft__block *b = t->block;
  return b && !pool.snapshot && !pool.capture &&
         b->h->consumed == __atomic_load_n(&b->h->used, __ATOMIC_ACQUIRE);
}

/* Give back thread t's blocks before its current one, the newest (all
 * written out: spent() held, or hand_off passed them to the sink), and
 * start the current one over.  Lock held. */
static void recycle(weft__thread *t) {
  for (weft__block *b = t->head; b && b != t->block;) {
    weft__block *n = b->next;
    block_put(b);
    b = n;
  }
  renew(t);
}

/* Hand everything unreleased of thread t to the sink and recycle its
 * blocks, keeping the current one (emptied) for the caller.  Lock held;
 * no snapshot outstanding. */
static int hand_off(weft__thread *t) {
  for (weft__block *b = t->head; b; b = b->next) {
    uint64_t used = __atomic_load_n(&b->h->used, __ATOMIC_ACQUIRE);
    if (used > b->h->consumed) {
      if (pool.sink(pool.sink_arg, t->index, b->data + b->h->consumed,
                    used - b->h->consumed) != 0)
        return -1;
      pool.handed_off++;
    }
    b->h->consumed = used;
  }
  recycle(t); /* all written out now: the current block is the last */
  return 0;
}

/* Seal the current block: no more appends; in a journal, sum it. */
static void seal(weft__block *b) {
  if (pool.slots)
    b->h->checksum = weft__journal_checksum(b->data, b->h->used);
  __atomic_store_n(&b->h->sealed, 1, __ATOMIC_RELEASE);
}

void weft__buf_thread_exit(weft__thread *t) {
  pthread_mutex_lock(&lock);
  if (t->gen == weft__gen_now && t->block && !t->block->h->sealed)
    seal(t->block);
  t->alive = 0;
  pthread_mutex_unlock(&lock);
}

/* Fault the pages of block b in with one call instead of one trap per
 * 4 KiB page as the thread's writes reach them: a trap costs ~1.3 us on
 * the development VM, 15 ns per 48-byte action (bench/flush).  Only for a
 * thread's second and later blocks, whose predecessor it filled: a thread
 * that logs a few events must not dirty a whole block of the journal,
 * which the kernel then writes back (zeros) to the log's file system.
 * Only on a block's first use: a recycled block's pages are in already.
 * Outside the lock; it changes no byte, so a collector may read b
 * meanwhile.  Kernels before 5.14 refuse the advice, and the pages fault
 * in as before. */
static void prefault(weft__block *b) {
  if (b->touched) /* a block used before: its pages are in */
    return;
  b->touched = 1;
#ifdef MADV_POPULATE_WRITE
  uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
  uintptr_t from = ((uintptr_t)b->data + page - 1) & ~(page - 1);
  uintptr_t to = ((uintptr_t)b->data + b->cap) & ~(page - 1);
  if (to > from)
    madvise((void *)from, to - from, MADV_POPULATE_WRITE);
#else
  (void)b;
#endif
}

/* Move thread t to a fresh block. */
static int next_block(weft__thread *t) {
  pthread_mutex_lock(&lock);
  weft__block *b = block_get(t);
  int rc = 0;
  if (!b) {
    if (spent(t)) {
      recycle(t);
    } else if (pool.policy != WEFT_FULL_HANDOFF || !pool.sink || !t->block ||
               pool.snapshot || pool.capture) {
      rc = -1;
      drop_why(t, t->block ? budget_full : budget_no_block, pool.budget,
               pool.block_size);
    } else if ((rc = hand_off(t))) {
      drop_why(t, sink_failed, 0, 0);
    }
    pthread_mutex_unlock(&lock);
    return rc;
  }
  if (t->block) {
    seal(t->block);
    t->block->next = b;
  } else {
    t->head = b;
  }
  point_at(t, b);
  int more = t->block_seq > 1; /* seq 0 was the thread's first block */
  pthread_mutex_unlock(&lock);
  if (more)
    prefault(b);
  return 0;
}

unsigned char *weft__buf_slow(weft__thread *t, size_t need, int end) {
  size_t report = t->dropped ? weft__emit_dropped_size(t) : 0;
  size_t room = end ? (size_t)(t->end - t->pos) : weft__buf_room(t);
  /* In the reserve, a report must leave room for the other open ENDs. */
  size_t keep = end ? (size_t)WEFT__END_MAX * (t->depth - 1) : 0;
  if (room >= need + report + keep && t->block) {
    if (report)
      weft__emit_dropped(t);
    return t->pos;
  }
  if (end && room >= need && t->block)
    return t->pos; /* report later */
  if (need > pool.block_size - WEFT__BLOCK_RESERVE)
    return weft__buf_refuse(t, need);
  if (need + report > pool.block_size - WEFT__BLOCK_RESERVE) {
    /* Too big to go with the report, even in a new block: report later. */
    if (room >= need && t->block)
      return t->pos;
    report = 0;
  }
  if (next_block(t)) {
    /* No new block.  An END record may still use the reserve. */
    if (end && (size_t)(t->end - t->pos) >= need && t->block)
      return t->pos;
    return NULL;
  }
  if (report)
    weft__emit_dropped(t);
  return t->pos;
}

unsigned char *weft__buf_refuse(weft__thread *t, size_t need) {
  weft__emit_limit(t, "record_size", need);
  /* After the weft:limit message, whose own drop may have set a reason. */
  drop_why(t, record_too_big, need, pool.block_size);
  return NULL;
}

uint64_t weft__buf_pending_bytes(void) {
  uint64_t n = 0;
  pthread_mutex_lock(&lock);
  for (weft__thread *t = weft__threads_first(); t; t = t->next_all)
    for (weft__block *b = t->head; b; b = b->next)
      n += __atomic_load_n(&b->h->used, __ATOMIC_ACQUIRE) - b->h->consumed;
  pthread_mutex_unlock(&lock);
  return n;
}

uint64_t weft__buf_handed_off(void) { return pool.handed_off; }

/* ---- snapshots ------------------------------------------------------------
 */

typedef struct taken {
  weft__block *block;
  uint64_t to;
} taken;

typedef struct snap {
  taken *blocks;
  size_t n, cap;
} snap;

static int snap_add(weft__pending *p, snap *s, weft__thread *t, weft__block *b,
                    uint64_t from, uint64_t to) {
  if (s->n == s->cap) {
    size_t cap = s->cap ? 2 * s->cap : 16;
    taken *nb = realloc(s->blocks, cap * sizeof *nb);
    if (nb)
      s->blocks = nb;
    weft__span *ns = realloc(p->spans, cap * sizeof *ns);
    if (ns)
      p->spans = ns;
    if (!nb || !ns)
      return WEFT_ENOMEM;
    s->cap = cap;
  }
  s->blocks[s->n] = (taken){b, to};
  p->spans[s->n] = (weft__span){t->index, b->data + from, (size_t)(to - from)};
  p->bytes += to - from;
  p->n = ++s->n;
  return WEFT_OK;
}

/* Snapshot of every thread's unreleased records.  Lock held. */
static int collect_locked(weft__pending *p, uint64_t epoch) {
  snap *s = calloc(1, sizeof *s);
  memset(p, 0, sizeof *p);
  if (!s)
    return weft__error(WEFT_ENOMEM, "collecting buffered events");
  p->priv_ = s;
  for (weft__thread *t = weft__threads_first(); t; t = t->next_all) {
    for (weft__block *b = t->head; b; b = b->next) {
      uint64_t used = __atomic_load_n(&b->h->used, __ATOMIC_ACQUIRE);
      if (used == b->h->consumed)
        continue;
      if (snap_add(p, s, t, b, b->h->consumed, used)) {
        free(s->blocks);
        free(p->spans);
        free(s);
        memset(p, 0, sizeof *p);
        return weft__error(WEFT_ENOMEM, "collecting buffered events");
      }
      /* For recovery: this much is about to be written as `epoch`. */
      b->h->epoch = epoch;
      b->h->taken = used;
    }
  }
  pool.snapshot = 1;
  return WEFT_OK;
}

static int running(void) {
  if (!weft__gen_now)
    return weft__error(WEFT_ENOTINIT, "%s", WEFT__NOT_INIT);
  return WEFT_OK;
}

int weft__pending_collect_epoch(weft__pending *p, uint64_t epoch) {
  if (!p)
    return weft__error(WEFT_EINVAL, "weft__pending_collect: NULL");
  int rc = running();
  if (rc)
    return rc;
  pthread_mutex_lock(&lock);
  if (pool.capture)
    rc = weft__error(WEFT_ECAPTURE, "a test capture is active");
  else if (pool.snapshot)
    rc = weft__error(WEFT_EINVAL, "a snapshot is already outstanding");
  else
    rc = collect_locked(p, epoch);
  pthread_mutex_unlock(&lock);
  return rc;
}

int weft__pending_collect(weft__pending *p) {
  return weft__pending_collect_epoch(p, 0);
}

/* How a snapshot ends: its records consumed, kept for the next collect,
 * or kept with the journal's marks of its epoch left in place. */
enum { SNAP_RELEASE, SNAP_ABANDON, SNAP_KEEP };

static void finish_snapshot(weft__pending *p, int how) {
  snap *s = p->priv_;
  pthread_mutex_lock(&lock);
  if (s) {
    for (size_t i = 0; i < s->n; i++) {
      weft__block_hdr *h = s->blocks[i].block->h;
      if (how == SNAP_RELEASE)
        h->consumed = s->blocks[i].to;
      if (how != SNAP_KEEP)
        h->taken = h->consumed;
    }
    for (weft__thread *t = weft__threads_first(); t; t = t->next_all)
      thread_trim(t);
    free(s->blocks);
    free(s);
  }
  pool.snapshot = 0;
  pthread_mutex_unlock(&lock);
  free(p->spans);
  memset(p, 0, sizeof *p);
}

void weft__pending_release(weft__pending *p) {
  if (p)
    finish_snapshot(p, SNAP_RELEASE);
}

void weft__pending_abandon(weft__pending *p) {
  if (p)
    finish_snapshot(p, SNAP_ABANDON);
}

void weft__pending_keep(weft__pending *p) {
  if (p)
    finish_snapshot(p, SNAP_KEEP);
}

/* ---- test capture ---------------------------------------------------------
 */

int weft__capture_begin(void) {
  int rc = running();
  if (rc)
    return rc;
  pthread_mutex_lock(&lock);
  if (pool.capture || pool.snapshot) {
    pthread_mutex_unlock(&lock);
    return weft__error(WEFT_ECAPTURE, "a capture or a flush is in progress");
  }
  /* What was logged before the capture goes to the sink, if there is one,
   * and is otherwise discarded: the capture must see only its own events,
   * and blocks must be recycled between captures. */
  for (weft__thread *t = weft__threads_first(); t; t = t->next_all) {
    for (weft__block *b = t->head; b; b = b->next) {
      uint64_t used = __atomic_load_n(&b->h->used, __ATOMIC_ACQUIRE);
      if (used > b->h->consumed && pool.sink) {
        pool.sink(pool.sink_arg, t->index, b->data + b->h->consumed,
                  used - b->h->consumed);
        pool.handed_off++;
      }
      b->h->consumed = used;
    }
    thread_trim(t);
  }
  pool.capture = 1;
  pthread_mutex_unlock(&lock);
  return WEFT_OK;
}

void weft__capture_end(void) {
  pthread_mutex_lock(&lock);
  pool.capture = 0;
  pthread_mutex_unlock(&lock);
}

int weft__capture_collect(weft__pending *p) {
  if (!p)
    return weft__error(WEFT_EINVAL, "weft__capture_collect: NULL");
  int rc = running();
  if (rc)
    return rc;
  pthread_mutex_lock(&lock);
  rc = pool.capture ? collect_locked(p, 0)
                    : weft__error(WEFT_ECAPTURE, "no capture is active");
  pthread_mutex_unlock(&lock);
  return rc;
}
