/*
 * mpi_edges.c - pairing sends with receipts by (sender, receiver, comm,
 * tag, seq): MPI's non-overtaking rule lets both sides count messages per
 * (comm, peer, tag), so the n-th send is the n-th receipt.
 *
 * Sender and receiver are world ranks (MPI_COMM_WORLD), as libweft-pmpi
 * records `peer`: a node's own rank is a rank of the log's communicator,
 * mapped through the log's /ranks table (weft__model_world), since a log
 * on a split, reordered or partial communicator numbers ranks otherwise.
 * A rank whose world rank is unknown in a log where others know theirs
 * has none: its sends and receipts stay unpaired rather than be paired
 * with whichever rank has its log rank as world rank.
 */
#include "mpi_edges.h"

#include <stdlib.h>
#include <string.h>

typedef struct key {
  uint64_t v[6]; /* file, sender, receiver, comm, tag, seq */
} key;

static int field_i64(const weft__model *m, uint32_t i, uint32_t name,
                     int64_t *out) {
  if (name == UINT32_MAX)
    return 0;
  const weft__mvalue *v = weft__model_field(m, i, name);
  if (!v)
    return 0;
  if (v->type == WEFT_TYPE_I64 || v->type == WEFT_TYPE_BOOL)
    *out = v->v.i64;
  else if (v->type == WEFT_TYPE_U64)
    *out = (int64_t)v->v.u64;
  else
    return 0;
  return 1;
}

static uint32_t id(const weft__model *m, const char *s) {
  return weft__strtab_find(&m->names, s, strlen(s));
}

/* The message key of node i, or 0 when it is not a send or a receipt.
 * k->v[0] is UINT64_MAX when the node's own world rank is unknown: such a
 * key pairs with nothing (files are numbered below UINT32_MAX).
 * A send is an action with send_seq; a receipt is whatever carries
 * recv_seq: an "mpi:recv" message, or an MPI_Recv action that named its
 * source and tag (libweft-pmpi records no message for those) and did not
 * fail.  Such an action takes its number before the call; when it fails
 * it received nothing (its number goes to the next receive), or it
 * truncated a message, for which libweft-pmpi logs an "mpi:recv" inside
 * it: either way the action itself is no receipt. */
static int key_of(const weft__model *m, uint32_t i, const uint32_t ids[5],
                  key *k, int64_t *seq) {
  const weft__node *n = &m->nodes[i];
  int64_t peer, tag, comm;
  if (n->kind == WEFT__NODE_ACTION && n->status == WEFT__ST_FAILED &&
      field_i64(m, i, ids[4], seq))
    return 0;
  int send = n->kind == WEFT__NODE_ACTION && field_i64(m, i, ids[3], seq);
  if ((!send && !field_i64(m, i, ids[4], seq)) ||
      !field_i64(m, i, ids[0], &peer) || !field_i64(m, i, ids[1], &tag) ||
      !field_i64(m, i, ids[2], &comm))
    return 0;
  uint32_t self = weft__model_world(m, n->file, n->rank);
  k->v[0] = self == WEFT__NONE ? UINT64_MAX : n->file;
  k->v[1] = send ? self : (uint64_t)peer;
  k->v[2] = send ? (uint64_t)peer : self;
  k->v[3] = (uint64_t)comm;
  k->v[4] = (uint64_t)tag;
  k->v[5] = (uint64_t)*seq;
  return send ? WEFT__EDGE_SEND : WEFT__EDGE_RECV;
}

static int cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return x < y ? -1 : x > y;
}

/* Mark the unpaired sends and receipts whose peer is a world rank that no
 * rank of their log has: their partner cannot be in the files (a log of
 * part of the job).  Only for logs that know every rank's world rank;
 * otherwise whether a peer is in the log cannot be told.  Returns 0 or -1
 * (out of memory). */
static int mark_away(const weft__model *m, weft__edges *e,
                     const uint32_t ids[5]) {
  uint32_t **sets = calloc(m->nworld ? m->nworld : 1, sizeof *sets);
  if (!sets)
    return -1;
  int rc = 0;
  for (uint32_t f = 0; f < m->nworld && !rc; f++) {
    uint32_t n = m->world_len[f];
    if (n == 0 || m->world_known[f] < n)
      continue;
    if (!(sets[f] = malloc((size_t)n * sizeof **sets))) {
      rc = -1;
      break;
    }
    memcpy(sets[f], m->world[f], (size_t)n * sizeof **sets);
    qsort(sets[f], n, sizeof **sets, cmp_u32);
  }
  for (uint32_t i = 0; i < m->nnodes && !rc; i++) {
    const weft__node *n = &m->nodes[i];
    if (e->kind[i] == WEFT__EDGE_NONE || e->partner[i] != WEFT__NONE ||
        n->file >= m->nworld || !sets[n->file])
      continue;
    key k;
    int64_t seq;
    key_of(m, i, ids, &k, &seq);
    uint64_t peer = e->kind[i] == WEFT__EDGE_SEND ? k.v[2] : k.v[1];
    uint32_t p = (uint32_t)peer;
    e->away[i] =
        peer < UINT32_MAX &&
        !bsearch(&p, sets[n->file], m->world_len[n->file], sizeof p, cmp_u32);
  }
  for (uint32_t f = 0; f < m->nworld; f++)
    free(sets[f]);
  free(sets);
  return rc;
}

int weft__edges_build(const weft__model *m, weft__edges *e) {
  memset(e, 0, sizeof *e);
  size_t n = m->nnodes ? m->nnodes : 1;
  e->partner = malloc(n * sizeof *e->partner);
  e->kind = calloc(n, 1);
  e->away = calloc(n, 1);
  e->seq = calloc(n, sizeof *e->seq);
  if (!e->partner || !e->kind || !e->away || !e->seq) {
    weft__edges_release(e);
    return -1;
  }
  const uint32_t ids[5] = {id(m, "peer"), id(m, "tag"), id(m, "comm"),
                           id(m, "send_seq"), id(m, "recv_seq")};
  uint32_t nsend = 0;
  for (uint32_t i = 0; i < m->nnodes; i++)
    e->partner[i] = WEFT__NONE;
  if (ids[3] == UINT32_MAX && ids[4] == UINT32_MAX)
    return 0; /* no MPI messages in this trace: skip the scan */
  for (uint32_t i = 0; i < m->nnodes; i++) {
    key k;
    e->kind[i] = (unsigned char)key_of(m, i, ids, &k, &e->seq[i]);
    nsend += e->kind[i] == WEFT__EDGE_SEND;
  }
  if (!nsend) {
    if (mark_away(m, e, ids)) {
      weft__edges_release(e);
      return -1;
    }
    return 0;
  }
  uint64_t size = 64;
  while (size < (uint64_t)nsend * 2)
    size *= 2;
  uint32_t *tab = calloc(size, sizeof *tab);
  key *keys = malloc((size_t)nsend * sizeof *keys);
  uint32_t *owner = malloc((size_t)nsend * sizeof *owner);
  if (!tab || !keys || !owner) {
    free(tab);
    free(keys);
    free(owner);
    weft__edges_release(e);
    return -1;
  }
  uint32_t mask = (uint32_t)(size - 1), ns = 0;
  for (uint32_t i = 0; i < m->nnodes; i++) {
    if (e->kind[i] != WEFT__EDGE_SEND)
      continue;
    int64_t seq;
    key_of(m, i, ids, &keys[ns], &seq);
    if (keys[ns].v[0] == UINT64_MAX)
      continue; /* its sender is unknown: no receipt may claim it */
    owner[ns] = i;
    uint32_t j = (uint32_t)weft__strtab_hash(&keys[ns], sizeof(key), 7) & mask;
    while (tab[j])
      j = (j + 1) & mask;
    tab[j] = ++ns;
  }
  for (uint32_t i = 0; i < m->nnodes; i++) {
    if (e->kind[i] != WEFT__EDGE_RECV)
      continue;
    key k;
    int64_t seq;
    key_of(m, i, ids, &k, &seq);
    if (k.v[0] == UINT64_MAX)
      continue; /* its receiver is unknown: it claims no send */
    uint32_t j = (uint32_t)weft__strtab_hash(&k, sizeof k, 7) & mask;
    for (; tab[j]; j = (j + 1) & mask) {
      uint32_t s = tab[j] - 1;
      if (memcmp(&keys[s], &k, sizeof k) == 0 &&
          e->partner[owner[s]] == WEFT__NONE) {
        e->partner[owner[s]] = i;
        e->partner[i] = owner[s];
        e->pairs++;
        break;
      }
    }
  }
  free(tab);
  free(keys);
  free(owner);
  if (mark_away(m, e, ids)) {
    weft__edges_release(e);
    return -1;
  }
  return 0;
}

void weft__edges_release(weft__edges *e) {
  free(e->partner);
  free(e->kind);
  free(e->away);
  free(e->seq);
  memset(e, 0, sizeof *e);
}
