/*
 * p2p.c - blocking point-to-point calls (WEFT_MPI_TRACE=all).
 *
 * A send is the action MPI_Send (MPI_Ssend, ...) {peer, tag, comm, bytes,
 * send_seq}.  A receive is the action MPI_Recv {peer, tag, comm, bytes}
 * with what was asked for (bytes: the buffer's size).  When it names its
 * source and tag, that is also what arrives, so the action itself is the
 * receipt: its sequence number is taken before the call (a blocking
 * receive is matched in call order) and recorded as the start field
 * recv_seq, and the success field `received` gives the bytes that arrived
 * when they did not fill the buffer.  That saves the message record, a
 * third of the cost of a traced receive, on the critical path of every
 * exchange.  A receive with MPI_ANY_SOURCE or MPI_ANY_TAG (peer / tag -1)
 * learns who sent only from the status: it holds the message "mpi:recv"
 * with what arrived (recv_note.c), like MPI_Sendrecv.  Calls with
 * MPI_PROC_NULL move no data and are passed through unrecorded.
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

/* The state of comm and the sequence number of a send to dest with tag,
 * in one pass under the lock.  NULL only when out of memory. */
static pm_comm *comm_send(MPI_Comm comm, int dest, int tag, uint64_t *seq) {
  pm_lock();
  pm_comm *c = pm_comm_get(comm);
  if (c)
    *seq = pm_comm_next_send(c, dest, tag);
  pm_unlock();
  return c;
}

static int64_t peer_of(const pm_comm *c, int rank) {
  return rank == MPI_ANY_SOURCE ? -1 : pm_comm_world(c, rank);
}

static int send(weft_site *site, const char *type, send_fn fn, const void *buf,
                int count, MPI_Datatype dt, int dest, int tag, MPI_Comm comm) {
  pm_comm *c;
  uint64_t seq = 0;
  if (!traced() || dest == MPI_PROC_NULL ||
      !(c = comm_send(comm, dest, tag, &seq)))
    return fn(buf, count, dt, dest, tag, comm);
  weft_field f[5];
  pm_msg_fields(f, pm_comm_world(c, dest), tag, c->id, pm_bytes(count, dt));
  f[4] = WEFT_U64("send_seq", seq);
  pm_call call;
  pm_call_begin(&call, site, type, f, 5);
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

/* A receive naming its source and tag: the action is the receipt. */
static int recv_named(void *buf, int count, MPI_Datatype dt, int source,
                      int tag, MPI_Comm comm, MPI_Status *status) {
  static weft_site site, short_site;
  pm_lock();
  pm_comm *c = pm_comm_get(comm);
  uint64_t seq = c ? pm_comm_next_recv(c, source, tag) : 0;
  pm_unlock();
  if (!c)
    return PMPI_Recv(buf, count, dt, source, tag, comm, status);
  MPI_Status local;
  MPI_Status *st = status == MPI_STATUS_IGNORE ? &local : status;
  uint64_t bytes = pm_bytes(count, dt);
  weft_field f[5];
  pm_msg_fields(f, pm_comm_world(c, source), tag, c->id, bytes);
  f[4] = WEFT_U64("recv_seq", seq);
  pm_call call;
  pm_call_begin(&call, &site, "MPI_Recv", f, 5);
  int rc = PMPI_Recv(buf, count, dt, source, tag, comm, st);
  int got = 0;
  if (rc != MPI_SUCCESS && !pm_received(rc)) {
    /* Nothing was received: give the number back, or every later
     * message from this peer with this tag would be paired one off. */
    pm_lock();
    pm_comm_undo_recv(c, source, tag, seq);
    pm_unlock();
  } else if (rc != MPI_SUCCESS) {
    /* Truncated: a message was consumed, under the number taken.  The
     * failed action is no receipt (mpi_edges), so the message is. */
    pm_recv_note(c, st, (int64_t)seq);
  } else if (rc == MPI_SUCCESS &&
             PMPI_Get_count(st, MPI_BYTE, &got) == MPI_SUCCESS &&
             got != MPI_UNDEFINED && (uint64_t)got != bytes) {
    weft_field r[] = {WEFT_U64("received", got)};
    pm_call_end_fields(&call, rc, &short_site, r, 1);
    return rc;
  }
  pm_call_end(&call, rc);
  return rc;
}

int MPI_Recv(void *buf, int count, MPI_Datatype dt, int source, int tag,
             MPI_Comm comm, MPI_Status *status) {
  static weft_site site;
  pm_comm *c;
  if (!traced() || source == MPI_PROC_NULL)
    return PMPI_Recv(buf, count, dt, source, tag, comm, status);
  if (source != MPI_ANY_SOURCE && tag != MPI_ANY_TAG)
    return recv_named(buf, count, dt, source, tag, comm, status);
  if (!(c = comm_of(comm)))
    return PMPI_Recv(buf, count, dt, source, tag, comm, status);
  MPI_Status local;
  MPI_Status *st = status == MPI_STATUS_IGNORE ? &local : status;
  weft_field f[4];
  pm_msg_fields(f, peer_of(c, source), tag == MPI_ANY_TAG ? -1 : tag, c->id,
                pm_bytes(count, dt));
  pm_call call;
  pm_call_begin(&call, &site, "MPI_Recv", f, 4);
  int rc = PMPI_Recv(buf, count, dt, source, tag, comm, st);
  if (pm_received(rc))
    pm_recv_note(c, st, -1);
  pm_call_end(&call, rc);
  return rc;
}

/* The send half of a Sendrecv: its fields. */
static void sendrecv_fields(weft_field f[5], pm_comm *c, int dest, int tag,
                            uint64_t bytes, uint64_t seq) {
  pm_msg_fields(f, pm_comm_world(c, dest), tag, c->id, bytes);
  f[4] = WEFT_U64("send_seq", seq);
}

int MPI_Sendrecv(const void *sendbuf, int sendcount, MPI_Datatype sendtype,
                 int dest, int sendtag, void *recvbuf, int recvcount,
                 MPI_Datatype recvtype, int source, int recvtag, MPI_Comm comm,
                 MPI_Status *status) {
  static weft_site site;
  pm_comm *c;
  uint64_t seq = 0;
  if (!traced() || dest == MPI_PROC_NULL ||
      !(c = comm_send(comm, dest, sendtag, &seq)))
    return PMPI_Sendrecv(sendbuf, sendcount, sendtype, dest, sendtag, recvbuf,
                         recvcount, recvtype, source, recvtag, comm, status);
  MPI_Status local;
  MPI_Status *st = status == MPI_STATUS_IGNORE ? &local : status;
  weft_field f[5];
  sendrecv_fields(f, c, dest, sendtag, pm_bytes(sendcount, sendtype), seq);
  pm_call call;
  pm_call_begin(&call, &site, "MPI_Sendrecv", f, 5);
  int rc = PMPI_Sendrecv(sendbuf, sendcount, sendtype, dest, sendtag, recvbuf,
                         recvcount, recvtype, source, recvtag, comm, st);
  if (pm_received(rc))
    pm_recv_note(c, st, -1);
  pm_call_end(&call, rc);
  return rc;
}

int MPI_Sendrecv_replace(void *buf, int count, MPI_Datatype dt, int dest,
                         int sendtag, int source, int recvtag, MPI_Comm comm,
                         MPI_Status *status) {
  static weft_site site;
  pm_comm *c;
  uint64_t seq = 0;
  if (!traced() || dest == MPI_PROC_NULL ||
      !(c = comm_send(comm, dest, sendtag, &seq)))
    return PMPI_Sendrecv_replace(buf, count, dt, dest, sendtag, source, recvtag,
                                 comm, status);
  MPI_Status local;
  MPI_Status *st = status == MPI_STATUS_IGNORE ? &local : status;
  weft_field f[5];
  sendrecv_fields(f, c, dest, sendtag, pm_bytes(count, dt), seq);
  pm_call call;
  pm_call_begin(&call, &site, "MPI_Sendrecv_replace", f, 5);
  int rc = PMPI_Sendrecv_replace(buf, count, dt, dest, sendtag, source, recvtag,
                                 comm, st);
  if (pm_received(rc))
    pm_recv_note(c, st, -1);
  pm_call_end(&call, rc);
  return rc;
}
