/*
 * nonblocking.c - MPI_Isend / MPI_Irecv and the calls that complete them
 * (WEFT_MPI_TRACE=all).
 *
 * Posting is a short action (MPI_Isend {peer, tag, comm, bytes, send_seq},
 * MPI_Irecv {peer, tag, comm, bytes} as asked for).  Completion is the
 * action of the MPI_Wait* call, whose elapsed time is the time the program
 * waited, holding one message "mpi:recv" per receive it completed.  An
 * MPI_Test* call is recorded only when it completed something (a polling
 * loop would otherwise flood the log): its action is written after the
 * call, so the call's duration is its success field wait_ns.
 *
 * A receive's sequence number is taken when it is posted if it names its
 * source and tag (MPI matches receives in the order they were posted), at
 * completion otherwise.
 */
#include "pmpi.h"

#include <stdlib.h>

typedef int (*isend_fn)(const void *, int, MPI_Datatype, int, int, MPI_Comm,
                        MPI_Request *);

static int traced(void) { return weft__mpi_trace_now() == WEFT_MPI_TRACE_ALL; }

static pm_comm *comm_of(MPI_Comm comm) {
  pm_lock();
  pm_comm *c = pm_comm_get(comm);
  pm_unlock();
  return c;
}

static int isend(weft_site *site, const char *type, isend_fn fn,
                 const void *buf, int count, MPI_Datatype dt, int dest, int tag,
                 MPI_Comm comm, MPI_Request *req) {
  pm_comm *c = NULL;
  uint64_t seq = 0;
  if (traced() && dest != MPI_PROC_NULL) {
    pm_lock();
    if ((c = pm_comm_get(comm)))
      seq = pm_comm_next_send(c, dest, tag);
    pm_unlock();
  }
  if (!c)
    return fn(buf, count, dt, dest, tag, comm, req);
  weft_field f[5];
  pm_msg_fields(f, pm_comm_world(c, dest), tag, c->id, pm_bytes(count, dt));
  f[4] = WEFT_U64("send_seq", seq);
  pm_call call;
  pm_call_begin(&call, site, type, f, 5);
  int rc = fn(buf, count, dt, dest, tag, comm, req);
  pm_call_end(&call, rc);
  return rc;
}

int MPI_Isend(const void *buf, int count, MPI_Datatype dt, int dest, int tag,
              MPI_Comm comm, MPI_Request *req) {
  static weft_site site;
  return isend(&site, "MPI_Isend", PMPI_Isend, buf, count, dt, dest, tag, comm,
               req);
}

int MPI_Issend(const void *buf, int count, MPI_Datatype dt, int dest, int tag,
               MPI_Comm comm, MPI_Request *req) {
  static weft_site site;
  return isend(&site, "MPI_Issend", PMPI_Issend, buf, count, dt, dest, tag,
               comm, req);
}

int MPI_Ibsend(const void *buf, int count, MPI_Datatype dt, int dest, int tag,
               MPI_Comm comm, MPI_Request *req) {
  static weft_site site;
  return isend(&site, "MPI_Ibsend", PMPI_Ibsend, buf, count, dt, dest, tag,
               comm, req);
}

int MPI_Irsend(const void *buf, int count, MPI_Datatype dt, int dest, int tag,
               MPI_Comm comm, MPI_Request *req) {
  static weft_site site;
  return isend(&site, "MPI_Irsend", PMPI_Irsend, buf, count, dt, dest, tag,
               comm, req);
}

int MPI_Irecv(void *buf, int count, MPI_Datatype dt, int source, int tag,
              MPI_Comm comm, MPI_Request *req) {
  static weft_site site;
  pm_comm *c;
  if (!traced() || source == MPI_PROC_NULL || !(c = comm_of(comm)))
    return PMPI_Irecv(buf, count, dt, source, tag, comm, req);
  weft_field f[4];
  pm_msg_fields(f, source == MPI_ANY_SOURCE ? -1 : pm_comm_world(c, source),
                tag == MPI_ANY_TAG ? -1 : tag, c->id, pm_bytes(count, dt));
  pm_call call;
  pm_call_begin(&call, &site, "MPI_Irecv", f, 4);
  int rc = PMPI_Irecv(buf, count, dt, source, tag, comm, req);
  if (rc == MPI_SUCCESS) {
    pm_request r = {.req = *req, .comm = c, .seq = -1};
    if (source != MPI_ANY_SOURCE && tag != MPI_ANY_TAG) {
      pm_lock();
      r.seq = (int64_t)pm_comm_next_recv(c, source, tag);
      pm_unlock();
    }
    pm_request_add(&r);
  }
  pm_call_end(&call, rc);
  return rc;
}

/* Requests before the call and statuses for it: on the stack for the
 * common small counts. */
typedef struct batch {
  MPI_Request small_req[16];
  MPI_Status small_st[16];
  MPI_Request *before;
  MPI_Status *st;
  int heap;
} batch;

static int batch_init(batch *b, int count, const MPI_Request *reqs,
                      MPI_Status *statuses) {
  b->heap = 0;
  b->before = b->small_req;
  b->st = statuses == MPI_STATUSES_IGNORE ? b->small_st : statuses;
  if (count > 16) {
    b->before = malloc((size_t)count * sizeof *b->before);
    MPI_Status *st = statuses == MPI_STATUSES_IGNORE
                         ? malloc((size_t)count * sizeof *st)
                         : statuses;
    if (!b->before || !st) {
      free(b->before);
      if (st != statuses)
        free(st);
      return -1;
    }
    b->st = st;
    b->heap = 1;
  }
  for (int i = 0; i < count; i++)
    b->before[i] = reqs[i];
  return 0;
}

static void batch_free(batch *b, MPI_Status *statuses) {
  if (!b->heap)
    return;
  free(b->before);
  if (b->st != statuses)
    free(b->st);
}

/* Request `before` completed with status st: note it if it was a tracked
 * receive (and was not cancelled). */
static void completed(MPI_Request before, const MPI_Status *st) {
  pm_request r;
  if (!pm_request_take(before, &r))
    return;
  int cancelled = 0;
  PMPI_Test_cancelled(st, &cancelled);
  if (!cancelled)
    pm_recv_note(r.comm, st, r.seq);
}

/* Did request i of a multiple completion that returned rc complete a
 * receive with a message (pm_received: a truncated one did)? */
static int received_in(int rc, const MPI_Status *st) {
  return rc == MPI_SUCCESS ||
         (rc == MPI_ERR_IN_STATUS && pm_received(st->MPI_ERROR));
}

int MPI_Wait(MPI_Request *req, MPI_Status *status) {
  static weft_site site;
  if (!traced())
    return PMPI_Wait(req, status);
  MPI_Request before = *req;
  MPI_Status local;
  MPI_Status *st = status == MPI_STATUS_IGNORE ? &local : status;
  weft_field f[] = {WEFT_I64("requests", 1)};
  pm_call call;
  pm_call_begin(&call, &site, "MPI_Wait", f, 1);
  int rc = PMPI_Wait(req, st);
  if (pm_received(rc))
    completed(before, st);
  pm_call_end(&call, rc);
  return rc;
}

int MPI_Waitall(int count, MPI_Request reqs[], MPI_Status statuses[]) {
  static weft_site site;
  batch b;
  if (!traced() || count < 0 || batch_init(&b, count, reqs, statuses) < 0)
    return PMPI_Waitall(count, reqs, statuses);
  weft_field f[] = {WEFT_I64("requests", count)};
  pm_call call;
  pm_call_begin(&call, &site, "MPI_Waitall", f, 1);
  int rc = PMPI_Waitall(count, reqs, b.st);
  for (int i = 0; i < count; i++)
    if (received_in(rc, &b.st[i]))
      completed(b.before[i], &b.st[i]);
  pm_call_end(&call, rc);
  batch_free(&b, statuses);
  return rc;
}

int MPI_Waitany(int count, MPI_Request reqs[], int *index, MPI_Status *status) {
  static weft_site site;
  batch b;
  if (!traced() || count < 0 ||
      batch_init(&b, count, reqs, MPI_STATUSES_IGNORE) < 0)
    return PMPI_Waitany(count, reqs, index, status);
  MPI_Status local;
  MPI_Status *st = status == MPI_STATUS_IGNORE ? &local : status;
  weft_field f[] = {WEFT_I64("requests", count)};
  pm_call call;
  pm_call_begin(&call, &site, "MPI_Waitany", f, 1);
  int rc = PMPI_Waitany(count, reqs, index, st);
  if (pm_received(rc) && *index != MPI_UNDEFINED)
    completed(b.before[*index], st);
  pm_call_end(&call, rc);
  batch_free(&b, MPI_STATUSES_IGNORE);
  return rc;
}

int MPI_Waitsome(int incount, MPI_Request reqs[], int *outcount, int indices[],
                 MPI_Status statuses[]) {
  static weft_site site;
  batch b;
  if (!traced() || incount < 0 || batch_init(&b, incount, reqs, statuses) < 0)
    return PMPI_Waitsome(incount, reqs, outcount, indices, statuses);
  weft_field f[] = {WEFT_I64("requests", incount)};
  pm_call call;
  pm_call_begin(&call, &site, "MPI_Waitsome", f, 1);
  int rc = PMPI_Waitsome(incount, reqs, outcount, indices, b.st);
  if ((rc == MPI_SUCCESS || rc == MPI_ERR_IN_STATUS) &&
      *outcount != MPI_UNDEFINED)
    for (int i = 0; i < *outcount; i++)
      if (received_in(rc, &b.st[i]))
        completed(b.before[indices[i]], &b.st[i]);
  pm_call_end(&call, rc);
  batch_free(&b, statuses);
  return rc;
}

/* A Test* call that completed something: its action, written now, with
 * the duration of the call [t0, t1]. */
static void test_record(weft_site *site, const char *type, int count,
                        int64_t t0, int64_t t1, pm_call *call) {
  weft_field f[] = {WEFT_I64("requests", count)};
  pm_call_begin(call, site, type, f, 1);
  call->t0 = t0;
  call->t1 = t1;
}

int MPI_Test(MPI_Request *req, int *flag, MPI_Status *status) {
  static weft_site site;
  if (!traced())
    return PMPI_Test(req, flag, status);
  MPI_Request before = *req;
  MPI_Status local;
  MPI_Status *st = status == MPI_STATUS_IGNORE ? &local : status;
  int64_t t0 = weft_clock_now();
  int rc = PMPI_Test(req, flag, st);
  if (!pm_received(rc) || !*flag)
    return rc;
  pm_call call;
  test_record(&site, "MPI_Test", 1, t0, weft_clock_now(), &call);
  completed(before, st);
  pm_call_end(&call, rc);
  return rc;
}

int MPI_Testall(int count, MPI_Request reqs[], int *flag,
                MPI_Status statuses[]) {
  static weft_site site;
  batch b;
  if (!traced() || count < 0 || batch_init(&b, count, reqs, statuses) < 0)
    return PMPI_Testall(count, reqs, flag, statuses);
  int64_t t0 = weft_clock_now();
  int rc = PMPI_Testall(count, reqs, flag, b.st);
  if ((rc == MPI_SUCCESS || rc == MPI_ERR_IN_STATUS) && *flag) {
    pm_call call;
    test_record(&site, "MPI_Testall", count, t0, weft_clock_now(), &call);
    for (int i = 0; i < count; i++)
      if (received_in(rc, &b.st[i]))
        completed(b.before[i], &b.st[i]);
    pm_call_end(&call, rc);
  }
  batch_free(&b, statuses);
  return rc;
}

int MPI_Testany(int count, MPI_Request reqs[], int *index, int *flag,
                MPI_Status *status) {
  static weft_site site;
  batch b;
  if (!traced() || count < 0 ||
      batch_init(&b, count, reqs, MPI_STATUSES_IGNORE) < 0)
    return PMPI_Testany(count, reqs, index, flag, status);
  MPI_Status local;
  MPI_Status *st = status == MPI_STATUS_IGNORE ? &local : status;
  int64_t t0 = weft_clock_now();
  int rc = PMPI_Testany(count, reqs, index, flag, st);
  if (pm_received(rc) && *flag && *index != MPI_UNDEFINED) {
    pm_call call;
    test_record(&site, "MPI_Testany", count, t0, weft_clock_now(), &call);
    completed(b.before[*index], st);
    pm_call_end(&call, rc);
  }
  batch_free(&b, MPI_STATUSES_IGNORE);
  return rc;
}

int MPI_Testsome(int incount, MPI_Request reqs[], int *outcount, int indices[],
                 MPI_Status statuses[]) {
  static weft_site site;
  batch b;
  if (!traced() || incount < 0 || batch_init(&b, incount, reqs, statuses) < 0)
    return PMPI_Testsome(incount, reqs, outcount, indices, statuses);
  int64_t t0 = weft_clock_now();
  int rc = PMPI_Testsome(incount, reqs, outcount, indices, b.st);
  if ((rc == MPI_SUCCESS || rc == MPI_ERR_IN_STATUS) &&
      *outcount != MPI_UNDEFINED && *outcount > 0) {
    pm_call call;
    test_record(&site, "MPI_Testsome", incount, t0, weft_clock_now(), &call);
    for (int i = 0; i < *outcount; i++)
      if (received_in(rc, &b.st[i]))
        completed(b.before[indices[i]], &b.st[i]);
    pm_call_end(&call, rc);
  }
  batch_free(&b, statuses);
  return rc;
}

/* A freed request is forgotten: its handle may come back for another. */
int MPI_Request_free(MPI_Request *req) {
  pm_request r;
  if (req)
    pm_request_take(*req, &r);
  return PMPI_Request_free(req);
}
