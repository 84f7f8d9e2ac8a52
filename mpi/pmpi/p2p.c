/*
 * p2p.c - blocking point-to-point calls (WEFT_MPI_TRACE=all).
 *
 * A send is the action MPI_Send (MPI_Ssend, ...) {peer, tag, comm, bytes,
 * send_seq}; a receive is the action MPI_Recv {peer, tag, comm, bytes}
 * with what was asked for (peer and tag -1 for MPI_ANY_SOURCE /
 * MPI_ANY_TAG, bytes the buffer's size) holding the message "mpi:recv"
 * with what arrived (recv_note.c).  Calls with MPI_PROC_NULL move no data
 * and are passed through unrecorded.
 */
#include "pmpi.h"

typedef int (*send_fn)(const void *, int, MPI_Datatype, int, int, MPI_Comm);

static int traced(void) { return weft__mpi_trace_now() == WEFT_MPI_TRACE_ALL; }

static pm_comm *comm_of(MPI_Comm comm) {
  pm_lock();
  pm_comm *c = pm_comm_get(comm);
  pm_unlock();
  return c;
}

static int64_t peer_of(const pm_comm *c, int rank) {
  return rank == MPI_ANY_SOURCE ? -1 : pm_comm_world(c, rank);
}

static int send(weft_site *site, const char *type, send_fn fn, const void *buf,
                int count, MPI_Datatype dt, int dest, int tag, MPI_Comm comm) {
  pm_comm *c;
  if (!traced() || dest == MPI_PROC_NULL || !(c = comm_of(comm)))
    return fn(buf, count, dt, dest, tag, comm);
  pm_lock();
  uint64_t seq = pm_comm_next_send(c, dest, tag);
  pm_unlock();
  weft_field f[] = {WEFT_I64("peer", pm_comm_world(c, dest)),
                    WEFT_I64("tag", tag), WEFT_U64("comm", c->id),
                    WEFT_U64("bytes", pm_bytes(count, dt)),
                    WEFT_U64("send_seq", seq)};
  pm_call call;
  pm_call_begin(&call, site, type, f, sizeof f / sizeof f[0]);
  int rc = fn(buf, count, dt, dest, tag, comm);
  pm_call_end(&call, rc);
  return rc;
}

int MPI_Send(const void *buf, int count, MPI_Datatype dt, int dest, int tag,
             MPI_Comm comm) {
  static weft_site site;
  return send(&site, "MPI_Send", PMPI_Send, buf, count, dt, dest, tag, comm);
}

int MPI_Ssend(const void *buf, int count, MPI_Datatype dt, int dest, int tag,
              MPI_Comm comm) {
  static weft_site site;
  return send(&site, "MPI_Ssend", PMPI_Ssend, buf, count, dt, dest, tag, comm);
}

int MPI_Bsend(const void *buf, int count, MPI_Datatype dt, int dest, int tag,
              MPI_Comm comm) {
  static weft_site site;
  return send(&site, "MPI_Bsend", PMPI_Bsend, buf, count, dt, dest, tag, comm);
}

int MPI_Rsend(const void *buf, int count, MPI_Datatype dt, int dest, int tag,
              MPI_Comm comm) {
  static weft_site site;
  return send(&site, "MPI_Rsend", PMPI_Rsend, buf, count, dt, dest, tag, comm);
}

int MPI_Recv(void *buf, int count, MPI_Datatype dt, int source, int tag,
             MPI_Comm comm, MPI_Status *status) {
  static weft_site site;
  pm_comm *c;
  if (!traced() || source == MPI_PROC_NULL || !(c = comm_of(comm)))
    return PMPI_Recv(buf, count, dt, source, tag, comm, status);
  MPI_Status local;
  MPI_Status *st = status == MPI_STATUS_IGNORE ? &local : status;
  weft_field f[] = {WEFT_I64("peer", peer_of(c, source)),
                    WEFT_I64("tag", tag == MPI_ANY_TAG ? -1 : tag),
                    WEFT_U64("comm", c->id),
                    WEFT_U64("bytes", pm_bytes(count, dt))};
  pm_call call;
  pm_call_begin(&call, &site, "MPI_Recv", f, sizeof f / sizeof f[0]);
  int rc = PMPI_Recv(buf, count, dt, source, tag, comm, st);
  pm_call_returned(&call);
  if (rc == MPI_SUCCESS)
    pm_recv_note(c, st, -1);
  pm_call_end(&call, rc);
  return rc;
}

/* The send half of a Sendrecv: its fields, sequence number taken. */
static void sendrecv_fields(weft_field f[5], pm_comm *c, int dest, int tag,
                            uint64_t bytes) {
  pm_lock();
  uint64_t seq = pm_comm_next_send(c, dest, tag);
  pm_unlock();
  f[0] = WEFT_I64("peer", pm_comm_world(c, dest));
  f[1] = WEFT_I64("tag", tag);
  f[2] = WEFT_U64("comm", c->id);
  f[3] = WEFT_U64("bytes", bytes);
  f[4] = WEFT_U64("send_seq", seq);
}

int MPI_Sendrecv(const void *sendbuf, int sendcount, MPI_Datatype sendtype,
                 int dest, int sendtag, void *recvbuf, int recvcount,
                 MPI_Datatype recvtype, int source, int recvtag, MPI_Comm comm,
                 MPI_Status *status) {
  static weft_site site;
  pm_comm *c;
  if (!traced() || dest == MPI_PROC_NULL || !(c = comm_of(comm)))
    return PMPI_Sendrecv(sendbuf, sendcount, sendtype, dest, sendtag, recvbuf,
                         recvcount, recvtype, source, recvtag, comm, status);
  MPI_Status local;
  MPI_Status *st = status == MPI_STATUS_IGNORE ? &local : status;
  weft_field f[5];
  sendrecv_fields(f, c, dest, sendtag, pm_bytes(sendcount, sendtype));
  pm_call call;
  pm_call_begin(&call, &site, "MPI_Sendrecv", f, 5);
  int rc = PMPI_Sendrecv(sendbuf, sendcount, sendtype, dest, sendtag, recvbuf,
                         recvcount, recvtype, source, recvtag, comm, st);
  pm_call_returned(&call);
  if (rc == MPI_SUCCESS)
    pm_recv_note(c, st, -1);
  pm_call_end(&call, rc);
  return rc;
}

int MPI_Sendrecv_replace(void *buf, int count, MPI_Datatype dt, int dest,
                         int sendtag, int source, int recvtag, MPI_Comm comm,
                         MPI_Status *status) {
  static weft_site site;
  pm_comm *c;
  if (!traced() || dest == MPI_PROC_NULL || !(c = comm_of(comm)))
    return PMPI_Sendrecv_replace(buf, count, dt, dest, sendtag, source, recvtag,
                                 comm, status);
  MPI_Status local;
  MPI_Status *st = status == MPI_STATUS_IGNORE ? &local : status;
  weft_field f[5];
  sendrecv_fields(f, c, dest, sendtag, pm_bytes(count, dt));
  pm_call call;
  pm_call_begin(&call, &site, "MPI_Sendrecv_replace", f, 5);
  int rc = PMPI_Sendrecv_replace(buf, count, dt, dest, sendtag, source, recvtag,
                                 comm, st);
  pm_call_returned(&call);
  if (rc == MPI_SUCCESS)
    pm_recv_note(c, st, -1);
  pm_call_end(&call, rc);
  return rc;
}
