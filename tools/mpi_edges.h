/*
 * mpi_edges.h - point-to-point message edges between ranks, from the
 * actions libweft-pmpi records (docs/causality.md section 4).
 *
 * A send action carries start fields peer, tag, comm and send_seq; the
 * receipt is an "mpi:recv" message (peer, tag, comm, recv_seq) inside the
 * receiving call, or the receiving call itself when it carries those
 * fields (an MPI_Recv naming its source and tag).  (sender, receiver,
 * comm, tag, seq) names one message, so pairing is one hash lookup per
 * receipt.  `peer` is a rank of MPI_COMM_WORLD, so sender and receiver are
 * world ranks: a node's log rank is mapped through weft__model_world.  A
 * rank whose world rank is unknown while others of its log know theirs
 * pairs nothing: its sends show as not received, its receipts as without
 * their send.
 */
#ifndef WEFT_TOOLS_MPI_EDGES_H
#define WEFT_TOOLS_MPI_EDGES_H

#include "tree_model.h"

enum weft__edge_kind { WEFT__EDGE_NONE, WEFT__EDGE_SEND, WEFT__EDGE_RECV };

typedef struct weft__edges {
  uint32_t *partner;   /* per node: the paired send or receipt, or NONE */
  unsigned char *kind; /* per node: weft__edge_kind */
  /* per node: 1 for an unpaired send or receipt whose peer is a world
   * rank that none of its log's ranks has */
  unsigned char *away;
  int64_t *seq;   /* per node: send_seq or recv_seq */
  uint64_t pairs; /* matched messages */
} weft__edges;

/* Pair the sends and receipts of a finished model.  Returns 0 or -1 (out
 * of memory).  A model without MPI fields gives no edges. */
int weft__edges_build(const weft__model *m, weft__edges *e);
void weft__edges_release(weft__edges *e);

#endif
