/*
 * trace_call.c - one traced MPI call: an action nested under the calling
 * thread's current action, the time spent inside the MPI library as the
 * success field wait_ns, and MPI's error string as the failure reason.
 *
 * Each wrapper has its own call sites (weft_site): the schema of its
 * fields is interned once, so recording a call costs two or three record
 * writes into the thread's buffer and two clock reads.
 */
#include "pmpi.h"

#include <string.h>

void pm_call_begin(pm_call *c, weft_site *site, const char *type,
                   const weft_field *f, size_t n) {
  c->a = 0;
  if (weft__action_start_site(&c->a, site, type, f, n) < 0 && c->a == 0)
    return;
  c->t1 = 0;
  c->t0 = weft_clock_now();
}

void pm_call_returned(pm_call *c) {
  if (c->a)
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
  int64_t waited = (c->t1 ? c->t1 : weft_clock_now()) - c->t0;
  if (rc != MPI_SUCCESS) {
    fail(c, rc);
    return;
  }
  weft_field all[8];
  if (n > 7)
    n = 7;
  if (n)
    memcpy(all, f, n * sizeof *f);
  all[n] = WEFT_I64("wait_ns", waited);
  weft__action_add_site(c->a, site, all, n + 1);
  weft_action_succeed(c->a);
}

uint64_t pm_bytes(int count, MPI_Datatype dt) {
  int size = 0;
  if (count <= 0 || dt == MPI_DATATYPE_NULL ||
      PMPI_Type_size(dt, &size) != MPI_SUCCESS || size < 0)
    return 0;
  return (uint64_t)count * (uint64_t)size;
}
