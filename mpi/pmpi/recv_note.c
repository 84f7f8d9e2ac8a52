/*
 * recv_note.c - the record of a completed receive: the message "mpi:recv"
 * {peer, tag, comm, bytes, recv_seq}, logged inside the action of the call
 * that completed it (MPI_Recv from MPI_ANY_SOURCE or with MPI_ANY_TAG,
 * MPI_Sendrecv, or the MPI_Wait / MPI_Test family for MPI_Irecv; an
 * MPI_Recv naming its source and tag is its own receipt, see p2p.c).
 * Its (peer, this rank, comm, tag, recv_seq) equals the (this rank, peer,
 * comm, tag, send_seq) of the send it matched, which is how `weft tree`
 * draws the edge between them.
 */
#include "pmpi.h"

void pm_recv_note(pm_comm *c, const MPI_Status *st, int64_t seq) {
  static weft_site site;
  if (!c || st->MPI_SOURCE == MPI_PROC_NULL || st->MPI_SOURCE < 0)
    return;
  int count = 0;
  if (PMPI_Get_count(st, MPI_BYTE, &count) != MPI_SUCCESS ||
      count == MPI_UNDEFINED)
    count = 0;
  if (seq < 0) {
    pm_lock();
    seq = (int64_t)pm_comm_next_recv(c, st->MPI_SOURCE, st->MPI_TAG);
    pm_unlock();
  }
  weft_field f[5];
  pm_msg_fields(f, pm_comm_world(c, st->MPI_SOURCE), st->MPI_TAG, c->id,
                (uint64_t)count);
  f[4] = WEFT_U64("recv_seq", seq);
  weft__message_site(&site, "mpi:recv", f, 5);
}
