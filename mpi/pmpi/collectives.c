/*
 * collectives.c - blocking collective operations (WEFT_MPI_TRACE=all or
 * collectives).
 *
 * Each is the action MPI_<Name> {comm, bytes, coll_seq} (plus root, as a
 * world rank, for the rooted ones).  bytes is this rank's part: what it
 * sends (what it receives when it sends nothing, e.g. MPI_Scatter
 * outside the root, or with MPI_IN_PLACE).  coll_seq counts the earlier
 * collectives on the same communicator: MPI orders the collectives of a
 * communicator identically on every rank, so (comm, coll_seq) names one
 * collective instance across the job, which is how `weft profile --waits`
 * finds who arrived last (wait at collective).
 */
#include "pmpi.h"

static int traced(void) {
  return weft__mpi_trace_now() >= WEFT_MPI_TRACE_COLLECTIVES;
}

/* Start the action of a collective on comm; root < 0 for unrooted ones
 * (their site must then always be called with root < 0). */
static void coll_begin(pm_call *call, weft_site *site, const char *type,
                       MPI_Comm comm, uint64_t bytes, int root) {
  call->a = 0;
  pm_note_writer();
  pm_lock();
  pm_comm *c = pm_comm_get(comm);
  uint64_t seq = c ? pm_comm_next_coll(c) : 0;
  pm_unlock();
  if (!c)
    return;
  weft_field f[4]; /* element by element: see pm_msg_fields */
  f[0] = WEFT_U64("comm", c->id);
  f[1] = WEFT_U64("bytes", bytes);
  f[2] = WEFT_U64("coll_seq", seq);
  f[3] = WEFT_I64("root", root < 0 ? -1 : pm_comm_world(c, root));
  pm_call_begin(call, site, type, f, root < 0 ? 3 : 4);
}

static int comm_size(MPI_Comm comm) {
  int n = 0;
  PMPI_Comm_size(comm, &n);
  return n;
}

static int comm_rank(MPI_Comm comm) {
  int r = 0;
  PMPI_Comm_rank(comm, &r);
  return r;
}

static uint64_t sum_bytes(const int counts[], int n, MPI_Datatype dt) {
  uint64_t s = 0;
  for (int i = 0; i < n; i++)
    s += pm_bytes(counts[i], dt);
  return s;
}

int MPI_Barrier(MPI_Comm comm) {
  static weft_site site;
  if (!traced())
    return PMPI_Barrier(comm);
  pm_call call;
  coll_begin(&call, &site, "MPI_Barrier", comm, 0, -1);
  int rc = PMPI_Barrier(comm);
  pm_call_end(&call, rc);
  pm_flush_after(comm);
  return rc;
}

int MPI_Bcast(void *buf, int count, MPI_Datatype dt, int root, MPI_Comm comm) {
  static weft_site site;
  if (!traced())
    return PMPI_Bcast(buf, count, dt, root, comm);
  pm_call call;
  coll_begin(&call, &site, "MPI_Bcast", comm, pm_bytes(count, dt), root);
  int rc = PMPI_Bcast(buf, count, dt, root, comm);
  pm_call_end(&call, rc);
  pm_flush_after(comm);
  return rc;
}

int MPI_Reduce(const void *sendbuf, void *recvbuf, int count, MPI_Datatype dt,
               MPI_Op op, int root, MPI_Comm comm) {
  static weft_site site;
  if (!traced())
    return PMPI_Reduce(sendbuf, recvbuf, count, dt, op, root, comm);
  pm_call call;
  coll_begin(&call, &site, "MPI_Reduce", comm, pm_bytes(count, dt), root);
  int rc = PMPI_Reduce(sendbuf, recvbuf, count, dt, op, root, comm);
  pm_call_end(&call, rc);
  pm_flush_after(comm);
  return rc;
}

int MPI_Allreduce(const void *sendbuf, void *recvbuf, int count,
                  MPI_Datatype dt, MPI_Op op, MPI_Comm comm) {
  static weft_site site;
  if (!traced())
    return PMPI_Allreduce(sendbuf, recvbuf, count, dt, op, comm);
  pm_call call;
  coll_begin(&call, &site, "MPI_Allreduce", comm, pm_bytes(count, dt), -1);
  int rc = PMPI_Allreduce(sendbuf, recvbuf, count, dt, op, comm);
  pm_call_end(&call, rc);
  pm_flush_after(comm);
  return rc;
}

int MPI_Scan(const void *sendbuf, void *recvbuf, int count, MPI_Datatype dt,
             MPI_Op op, MPI_Comm comm) {
  static weft_site site;
  if (!traced())
    return PMPI_Scan(sendbuf, recvbuf, count, dt, op, comm);
  pm_call call;
  coll_begin(&call, &site, "MPI_Scan", comm, pm_bytes(count, dt), -1);
  int rc = PMPI_Scan(sendbuf, recvbuf, count, dt, op, comm);
  pm_call_end(&call, rc);
  pm_flush_after(comm);
  return rc;
}

int MPI_Exscan(const void *sendbuf, void *recvbuf, int count, MPI_Datatype dt,
               MPI_Op op, MPI_Comm comm) {
  static weft_site site;
  if (!traced())
    return PMPI_Exscan(sendbuf, recvbuf, count, dt, op, comm);
  pm_call call;
  coll_begin(&call, &site, "MPI_Exscan", comm, pm_bytes(count, dt), -1);
  int rc = PMPI_Exscan(sendbuf, recvbuf, count, dt, op, comm);
  pm_call_end(&call, rc);
  pm_flush_after(comm);
  return rc;
}

int MPI_Gather(const void *sendbuf, int sendcount, MPI_Datatype sendtype,
               void *recvbuf, int recvcount, MPI_Datatype recvtype, int root,
               MPI_Comm comm) {
  static weft_site site;
  if (!traced())
    return PMPI_Gather(sendbuf, sendcount, sendtype, recvbuf, recvcount,
                       recvtype, root, comm);
  uint64_t bytes = sendbuf == MPI_IN_PLACE ? pm_bytes(recvcount, recvtype)
                                           : pm_bytes(sendcount, sendtype);
  pm_call call;
  coll_begin(&call, &site, "MPI_Gather", comm, bytes, root);
  int rc = PMPI_Gather(sendbuf, sendcount, sendtype, recvbuf, recvcount,
                       recvtype, root, comm);
  pm_call_end(&call, rc);
  pm_flush_after(comm);
  return rc;
}

int MPI_Gatherv(const void *sendbuf, int sendcount, MPI_Datatype sendtype,
                void *recvbuf, const int recvcounts[], const int displs[],
                MPI_Datatype recvtype, int root, MPI_Comm comm) {
  static weft_site site;
  if (!traced())
    return PMPI_Gatherv(sendbuf, sendcount, sendtype, recvbuf, recvcounts,
                        displs, recvtype, root, comm);
  uint64_t bytes = sendbuf == MPI_IN_PLACE
                       ? pm_bytes(recvcounts[comm_rank(comm)], recvtype)
                       : pm_bytes(sendcount, sendtype);
  pm_call call;
  coll_begin(&call, &site, "MPI_Gatherv", comm, bytes, root);
  int rc = PMPI_Gatherv(sendbuf, sendcount, sendtype, recvbuf, recvcounts,
                        displs, recvtype, root, comm);
  pm_call_end(&call, rc);
  pm_flush_after(comm);
  return rc;
}

int MPI_Scatter(const void *sendbuf, int sendcount, MPI_Datatype sendtype,
                void *recvbuf, int recvcount, MPI_Datatype recvtype, int root,
                MPI_Comm comm) {
  static weft_site site;
  if (!traced())
    return PMPI_Scatter(sendbuf, sendcount, sendtype, recvbuf, recvcount,
                        recvtype, root, comm);
  uint64_t bytes = recvbuf == MPI_IN_PLACE ? pm_bytes(sendcount, sendtype)
                                           : pm_bytes(recvcount, recvtype);
  pm_call call;
  coll_begin(&call, &site, "MPI_Scatter", comm, bytes, root);
  int rc = PMPI_Scatter(sendbuf, sendcount, sendtype, recvbuf, recvcount,
                        recvtype, root, comm);
  pm_call_end(&call, rc);
  pm_flush_after(comm);
  return rc;
}

int MPI_Scatterv(const void *sendbuf, const int sendcounts[],
                 const int displs[], MPI_Datatype sendtype, void *recvbuf,
                 int recvcount, MPI_Datatype recvtype, int root,
                 MPI_Comm comm) {
  static weft_site site;
  if (!traced())
    return PMPI_Scatterv(sendbuf, sendcounts, displs, sendtype, recvbuf,
                         recvcount, recvtype, root, comm);
  uint64_t bytes = recvbuf == MPI_IN_PLACE
                       ? pm_bytes(sendcounts[comm_rank(comm)], sendtype)
                       : pm_bytes(recvcount, recvtype);
  pm_call call;
  coll_begin(&call, &site, "MPI_Scatterv", comm, bytes, root);
  int rc = PMPI_Scatterv(sendbuf, sendcounts, displs, sendtype, recvbuf,
                         recvcount, recvtype, root, comm);
  pm_call_end(&call, rc);
  pm_flush_after(comm);
  return rc;
}

int MPI_Allgather(const void *sendbuf, int sendcount, MPI_Datatype sendtype,
                  void *recvbuf, int recvcount, MPI_Datatype recvtype,
                  MPI_Comm comm) {
  static weft_site site;
  if (!traced())
    return PMPI_Allgather(sendbuf, sendcount, sendtype, recvbuf, recvcount,
                          recvtype, comm);
  uint64_t bytes = sendbuf == MPI_IN_PLACE ? pm_bytes(recvcount, recvtype)
                                           : pm_bytes(sendcount, sendtype);
  pm_call call;
  coll_begin(&call, &site, "MPI_Allgather", comm, bytes, -1);
  int rc = PMPI_Allgather(sendbuf, sendcount, sendtype, recvbuf, recvcount,
                          recvtype, comm);
  pm_call_end(&call, rc);
  pm_flush_after(comm);
  return rc;
}

int MPI_Allgatherv(const void *sendbuf, int sendcount, MPI_Datatype sendtype,
                   void *recvbuf, const int recvcounts[], const int displs[],
                   MPI_Datatype recvtype, MPI_Comm comm) {
  static weft_site site;
  if (!traced())
    return PMPI_Allgatherv(sendbuf, sendcount, sendtype, recvbuf, recvcounts,
                           displs, recvtype, comm);
  uint64_t bytes = sendbuf == MPI_IN_PLACE
                       ? pm_bytes(recvcounts[comm_rank(comm)], recvtype)
                       : pm_bytes(sendcount, sendtype);
  pm_call call;
  coll_begin(&call, &site, "MPI_Allgatherv", comm, bytes, -1);
  int rc = PMPI_Allgatherv(sendbuf, sendcount, sendtype, recvbuf, recvcounts,
                           displs, recvtype, comm);
  pm_call_end(&call, rc);
  pm_flush_after(comm);
  return rc;
}

int MPI_Alltoall(const void *sendbuf, int sendcount, MPI_Datatype sendtype,
                 void *recvbuf, int recvcount, MPI_Datatype recvtype,
                 MPI_Comm comm) {
  static weft_site site;
  if (!traced())
    return PMPI_Alltoall(sendbuf, sendcount, sendtype, recvbuf, recvcount,
                         recvtype, comm);
  uint64_t one = sendbuf == MPI_IN_PLACE ? pm_bytes(recvcount, recvtype)
                                         : pm_bytes(sendcount, sendtype);
  pm_call call;
  coll_begin(&call, &site, "MPI_Alltoall", comm,
             one * (uint64_t)comm_size(comm), -1);
  int rc = PMPI_Alltoall(sendbuf, sendcount, sendtype, recvbuf, recvcount,
                         recvtype, comm);
  pm_call_end(&call, rc);
  pm_flush_after(comm);
  return rc;
}

int MPI_Alltoallv(const void *sendbuf, const int sendcounts[],
                  const int sdispls[], MPI_Datatype sendtype, void *recvbuf,
                  const int recvcounts[], const int rdispls[],
                  MPI_Datatype recvtype, MPI_Comm comm) {
  static weft_site site;
  if (!traced())
    return PMPI_Alltoallv(sendbuf, sendcounts, sdispls, sendtype, recvbuf,
                          recvcounts, rdispls, recvtype, comm);
  uint64_t bytes = sendbuf == MPI_IN_PLACE
                       ? sum_bytes(recvcounts, comm_size(comm), recvtype)
                       : sum_bytes(sendcounts, comm_size(comm), sendtype);
  pm_call call;
  coll_begin(&call, &site, "MPI_Alltoallv", comm, bytes, -1);
  int rc = PMPI_Alltoallv(sendbuf, sendcounts, sdispls, sendtype, recvbuf,
                          recvcounts, rdispls, recvtype, comm);
  pm_call_end(&call, rc);
  pm_flush_after(comm);
  return rc;
}

int MPI_Reduce_scatter(const void *sendbuf, void *recvbuf,
                       const int recvcounts[], MPI_Datatype dt, MPI_Op op,
                       MPI_Comm comm) {
  static weft_site site;
  if (!traced())
    return PMPI_Reduce_scatter(sendbuf, recvbuf, recvcounts, dt, op, comm);
  pm_call call;
  coll_begin(&call, &site, "MPI_Reduce_scatter", comm,
             sum_bytes(recvcounts, comm_size(comm), dt), -1);
  int rc = PMPI_Reduce_scatter(sendbuf, recvbuf, recvcounts, dt, op, comm);
  pm_call_end(&call, rc);
  pm_flush_after(comm);
  return rc;
}

int MPI_Reduce_scatter_block(const void *sendbuf, void *recvbuf, int recvcount,
                             MPI_Datatype dt, MPI_Op op, MPI_Comm comm) {
  static weft_site site;
  if (!traced())
    return PMPI_Reduce_scatter_block(sendbuf, recvbuf, recvcount, dt, op, comm);
  pm_call call;
  coll_begin(&call, &site, "MPI_Reduce_scatter_block", comm,
             pm_bytes(recvcount, dt) * (uint64_t)comm_size(comm), -1);
  int rc = PMPI_Reduce_scatter_block(sendbuf, recvbuf, recvcount, dt, op, comm);
  pm_call_end(&call, rc);
  pm_flush_after(comm);
  return rc;
}
