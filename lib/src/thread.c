/*
 * thread.c - the registry of threads that have logged.
 *
 * A thread registers on its first call after weft_init; its index is the
 * order of registration and appears in every event it logs.  The registry
 * lives under the buffer lock because the collector walks it.  A pthread
 * key destructor marks the thread dead at exit; its buffered records stay
 * for the writer.
 */
#include "buffer.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

_Thread_local weft__thread *weft__tls
    __attribute__((tls_model("initial-exec")));
uint32_t weft__gen_now;

static weft__thread *registry; /* this generation's threads */
static weft__thread *retired;  /* older structs, kept readable */
static uint32_t thread_count;
static pthread_key_t exit_key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;

static void on_exit_thread(void *p) {
  weft__thread *t = p;
  /* Its last block will get no more records: seal it so that the
   * collector can recycle it once drained. */
  weft__buf_thread_exit(t);
  /* Another key's destructor may still log on this thread: it registers
   * anew rather than append to a sealed block another thread may own. */
  weft__tls = NULL;
}

static void make_key(void) { pthread_key_create(&exit_key, on_exit_thread); }

weft__thread *weft__thread_slow(int *err) {
  uint32_t gen = __atomic_load_n(&weft__gen_now, __ATOMIC_ACQUIRE);
  weft__thread *t = weft__tls;
  if (!gen) {
    *err = t ? weft__error(WEFT_ESHUTDOWN, "weft_shutdown has been called")
             : weft__error(WEFT_ENOTINIT, "%s", WEFT__NOT_INIT);
    return NULL;
  }
  if (t && t->gen == gen)
    return t;
  pthread_once(&key_once, make_key);
  weft__buf_lock();
  if (thread_count >= WEFT_THREADS_MAX) {
    weft__buf_unlock();
    *err = weft__error(WEFT_ELIMIT,
                       "threads: more than %d threads have logged in this "
                       "process (WEFT_THREADS_MAX)",
                       WEFT_THREADS_MAX);
    return NULL;
  }
  if (!t || t->retired) {
    t = calloc(1, sizeof *t);
    if (!t) {
      weft__buf_unlock();
      *err = weft__error(WEFT_ENOMEM, "registering a thread");
      return NULL;
    }
  } else {
    memset(t, 0, sizeof *t); /* a retired struct of this thread, reused */
  }
  weft__buf_thread_init(t);
  t->gen = gen;
  /* Serials (the low 40 bits of handles) start at a point that depends on
   * the generation, so a handle kept across weft_shutdown/weft_init is not
   * mistaken for a new action of the same thread index. */
  t->serial = (uint64_t)(gen & 0xff) << 32;
  t->index = thread_count++;
  t->os_tid = (int64_t)syscall(SYS_gettid);
  t->alive = 1;
  t->next_all = NULL;
  /* Append so that the registry is in index order. */
  weft__thread **tail = &registry;
  while (*tail)
    tail = &(*tail)->next_all;
  *tail = t;
  weft__buf_unlock();
  weft__tls = t;
  pthread_setspecific(exit_key, t);
  return t;
}

weft__thread *weft__threads_first(void) { return registry; }

int weft__thread_has_open(uint32_t index, uint64_t serial) {
  int open = 0;
  weft__buf_lock();
  for (weft__thread *t = registry; t; t = t->next_all) {
    if (t->index != index)
      continue;
    uint32_t depth = __atomic_load_n(&t->depth, __ATOMIC_ACQUIRE);
    for (uint32_t i = 0; i < depth && i < WEFT_DEPTH_MAX; i++)
      if ((__atomic_load_n(&t->frames[i].serial, __ATOMIC_RELAXED) &
           ((UINT64_C(1) << 40) - 1)) == serial)
        open = 1;
    break;
  }
  weft__buf_unlock();
  return open;
}

void weft__threads_reset(void) {
  /* Structs stay allocated: a thread that logs after shutdown still reads
   * its own through weft__tls.  They are reused by their threads after the
   * next weft_init, and only those of the calling thread can be found
   * again, so the others are kept on the retired list (reachable, not
   * leaked). */
  weft__buf_lock();
  weft__thread *t = registry;
  while (t) {
    weft__thread *n = t->next_all;
    if (t != weft__tls) {
      t->retired = 1;
      t->next_all = retired;
      retired = t;
    }
    t = n;
  }
  registry = NULL;
  thread_count = 0;
  weft__buf_unlock();
}

uint32_t weft__thread_count(void) {
  weft__buf_lock();
  uint32_t n = thread_count;
  weft__buf_unlock();
  return n;
}

int weft__thread_info_get(uint32_t index, weft__thread_info *out) {
  int rc = WEFT_ENOTFOUND;
  weft__buf_lock();
  for (weft__thread *t = registry; t; t = t->next_all) {
    if (t->index == index) {
      out->index = index;
      out->os_tid = t->os_tid;
      out->alive = t->alive;
      rc = WEFT_OK;
      break;
    }
  }
  weft__buf_unlock();
  return rc;
}
