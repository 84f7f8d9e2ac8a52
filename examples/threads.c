/*
 * threads.c - handing work to pthreads with serialize/continue.
 *
 * Each thread has its own current action and buffer, so an action opened
 * on a worker thread does not nest under the main thread's action by
 * itself.  The main thread serializes the context of its "sum" action once
 * per worker (each serialization takes the next child slot, as Eliot's
 * serialize_task_id does); each worker continues its context, so its work
 * lands in the tree under "sum", with its thread index.  The program
 * captures its own events (weft_capture_*) and prints them as a tree:
 *
 *   sum/1 => started n=1000000 workers=4
 *       worker/2/1 => started [thread 1] lo=0 hi=250000
 *           partial_sum/2/2/1 => started [thread 1] lo=0 hi=250000
 *           partial_sum/2/2/2 => succeeded (0.062 ms) [thread 1] result=...
 *       worker/2/3 => succeeded (0.064 ms) [thread 1]
 *       ...
 *   sum/6 => succeeded (2.994 ms) total=499999500000
 */
#define _POSIX_C_SOURCE 200809L

#include "capture_tree.h"

#include <weft.h>

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>

enum { WORKERS = 4, N = 1000000 };

typedef struct job {
  char context[WEFT_CONTEXT_MAX]; /* serialized by the main thread */
  int64_t lo, hi;
  int64_t sum;
  int rc; /* first weft error of the worker, or 0 */
} job;

static int64_t partial_sum(int64_t lo, int64_t hi) {
  WEFT_FUNCTION(WEFT_I64("lo", lo), WEFT_I64("hi", hi));
  int64_t s = 0;
  for (int64_t i = lo; i < hi; i++)
    s += i;
  return WEFT_RETURN_I64(s);
}

static void *worker(void *arg) {
  job *j = arg;
  weft_action a;
  const weft_field f[] = {WEFT_I64("lo", j->lo), WEFT_I64("hi", j->hi)};
  j->rc = weft_context_continue(&a, j->context, "worker", f, 2);
  if (j->rc != 0)
    return NULL;
  j->sum = partial_sum(j->lo, j->hi);
  j->rc = weft_action_succeed(a);
  return NULL;
}

static int fail(const char *what, int rc) {
  fprintf(stderr, "threads: %s: %s: %s\n", what, weft_strerror(rc),
          weft_errmsg());
  return 1;
}

static int run(int64_t *total) {
  job jobs[WORKERS];
  pthread_t tid[WORKERS];
  int started = 0, status = 0;
  *total = 0;
  WEFT_WITH_ACTION(sum, "sum", WEFT_I64("n", N), WEFT_I64("workers", WORKERS)) {
    for (; started < WORKERS; started++) {
      job *j = &jobs[started];
      j->lo = (int64_t)N * started / WORKERS;
      j->hi = (int64_t)N * (started + 1) / WORKERS;
      j->sum = 0;
      size_t len;
      int rc = weft_context_serialize(sum, j->context, sizeof j->context, &len);
      if (rc != 0) {
        status = fail("weft_context_serialize", rc);
        break;
      }
      if (pthread_create(&tid[started], NULL, worker, j) != 0) {
        fprintf(stderr, "threads: pthread_create failed\n");
        status = 1;
        break;
      }
    }
    for (int w = 0; w < started; w++) {
      pthread_join(tid[w], NULL);
      if (jobs[w].rc != 0 && status == 0)
        status = fail("worker", jobs[w].rc);
      *total += jobs[w].sum;
    }
    if (status == 0)
      WEFT_ADD(sum, WEFT_I64("total", *total));
    else
      weft_action_fail(sum, "a worker could not be run", status);
  }
  return status;
}

int main(void) {
  int rc = weft_init(NULL);
  if (rc != 0)
    return fail("weft_init", rc);
  weft_capture *cap;
  rc = weft_capture_start(&cap);
  if (rc != 0)
    return fail("weft_capture_start", rc);

  int64_t total;
  int status = run(&total);
  if (status == 0)
    printf("total %" PRId64 " (expected %" PRId64 ")\n", total,
           (int64_t)N * (N - 1) / 2);

  rc = weft_capture_stop(cap);
  if (rc != 0)
    return fail("weft_capture_stop", rc);
  if (status == 0 && capture_tree_print(cap, stdout) != 0)
    status = 1;
  weft_capture_free(cap);
  weft_shutdown();
  return status;
}
