/*
 * trace_call.c - one traced MPI call: an action nested under the calling
 * thread's current action, and MPI's error string as the failure reason.
 *
 * The action's START is written just before the PMPI call and its END
 * just after it returns, so the action's elapsed time is the time spent
 * inside the MPI library (plus the few tens of ns of writing the START's
 * fields and, for receives, the "mpi:recv" message).  That is why most
 * calls record no wait_ns: on this path every clock read (an rdtsc, 10 ns
 * and more in a VM) and every record counts, and a separate wait_ns would
 * cost two clock reads and an ADD record to say what the END stamp says.
 * Only the calls whose action spans more than the MPI call are timed
 * (pm_call_begin_timed): communicator creation, which works out the new
 * communicator's ranks after the call, and MPI_Test*, whose action is
 * written after the call.
 *
 * Each wrapper has its own call sites (weft_site): the schema of its
 * fields is interned once, so recording a call costs two record writes
 * into the thread's buffer (three for a receive).
 */
#include "pmpi.h"

#include <string.h>

void pm_call_begin(pm_call *c, weft_site *site, const char *type,
                   const weft_field *f, size_t n) {
  c->a = 0;
  c->t0 = c->t1 = 0;
  /* On failure c->a stays 0, except for a dropped START (WEFT_EFULL),
   * whose action must still be finished. */
  weft__action_start_site(&c->a, site, type, f, n);
}

void pm_call_begin_timed(pm_call *c, weft_site *site, const char *type,
                         const weft_field *f, size_t n) {
  pm_call_begin(c, site, type, f, n);
  if (c->a)
    c->t0 = weft_clock_now();
}

void pm_call_returned(pm_call *c) {
  if (c->a && c->t0)
    c->t1 = weft_clock_now();
}

static void fail(pm_call *c, int rc) {
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  if (PMPI_Error_string(rc, text, &len) != MPI_SUCCESS)
    strcpy(text, "MPI error");
  weft_action_fail(c->a, text, rc);
}

void pm_call_end(pm_call *c, int rc) {
  static weft_site site;
  pm_call_end_fields(c, rc, &site, NULL, 0);
}

void pm_call_end_fields(pm_call *c, int rc, weft_site *site,
                        const weft_field *f, size_t n) {
  if (!c->a)
    return;
  if (rc != MPI_SUCCESS) {
    fail(c, rc);
    return;
  }
  weft_field all[8];
  if (n > 7)
    n = 7;
  if (n)
    memcpy(all, f, n * sizeof *f);
  if (c->t0)
    all[n++] = WEFT_I64("wait_ns", (c->t1 ? c->t1 : weft_clock_now()) - c->t0);
  if (n)
    weft__action_add_site(c->a, site, all, n);
  weft_action_succeed(c->a);
}

uint64_t pm_bytes(int count, MPI_Datatype dt) {
  int size = 0;
  if (count <= 0 || dt == MPI_DATATYPE_NULL ||
      PMPI_Type_size(dt, &size) != MPI_SUCCESS || size < 0)
    return 0;
  return (uint64_t)count * (uint64_t)size;
}
