/*
 * collective.c - collective actions: one call over a communicator starts
 * an action on every member rank, all nested under the root rank's
 * current action, so one phase of the job ("time step 42 / solve") is one
 * node of the causal tree with a child on every rank.
 *
 * The root serializes its current context once (one slot of its current
 * action), broadcasts the string, and every rank, the root included,
 * continues it: the actions of all ranks have the same task level and hang
 * under the root's action, whatever each rank has open itself (a rank's
 * own actions stay open below the continued one, which must be finished
 * first).  Each rank finishes its action with weft_action_succeed/fail.
 *
 * The broadcast is Weft's own traffic: it goes to PMPI_Bcast directly, so
 * libweft-pmpi never records it.
 */
#include "weft_mpi.h"
#include "weft_int.h"

#include <string.h>

/* What the root broadcasts: its outcome, so that every rank returns the
 * same error, and the context. */
typedef struct bcast_msg {
  int32_t rc;
  int32_t root_only; /* the root opened a new task: it keeps its action */
  char ctx[WEFT_CONTEXT_MAX];
} bcast_msg;

/* On the root: the context every rank continues.  With an action open,
 * it is that action's next slot.  With none, the root's own action is the
 * root of a new task and the context is its first child slot. */
static int root_prepare(bcast_msg *m, weft_action *mine, const char *type,
                        const weft_field *fields, size_t n) {
  if (!weft_is_initialized())
    return weft__error(WEFT_ENOTINIT, "weft_mpi_action_start: weft is not "
                                      "initialised on the root rank");
  if (weft_action_current() != 0)
    return weft_context_serialize(0, m->ctx, sizeof m->ctx, NULL);
  int rc = weft_action_start(mine, type, fields, n);
  if (rc < 0 && rc != WEFT_EFULL)
    return rc;
  m->root_only = 1;
  rc = weft_context_serialize(*mine, m->ctx, sizeof m->ctx, NULL);
  if (rc < 0) {
    weft_action_fail(*mine, "could not serialize its context", rc);
    *mine = 0;
  }
  return rc;
}

int weft_mpi_action_start(weft_action *out, MPI_Comm comm, int root,
                          const char *type, const weft_field *fields,
                          size_t n) {
  if (comm == MPI_COMM_NULL)
    return weft__error(WEFT_EINVAL, "weft_mpi_action_start: comm is "
                                    "MPI_COMM_NULL");
  /* A rank given a NULL out or type still takes part in the broadcast, so
   * the others are not left waiting in it. */
  int bad = !out || !type;
  if (out)
    *out = 0;
  int rank = 0, size = 0;
  if (PMPI_Comm_rank(comm, &rank) != MPI_SUCCESS ||
      PMPI_Comm_size(comm, &size) != MPI_SUCCESS)
    return weft__error(WEFT_EMPI, "weft_mpi_action_start: bad communicator");
  if (root < 0 || root >= size)
    return weft__error(WEFT_EINVAL,
                       "weft_mpi_action_start: root %d outside [0, %d)", root,
                       size);
  bcast_msg m;
  memset(&m, 0, sizeof m);
  weft_action mine = 0;
  if (rank == root)
    m.rc = bad ? WEFT_EINVAL : root_prepare(&m, &mine, type, fields, n);
  if (PMPI_Bcast(&m, (int)sizeof m, MPI_BYTE, root, comm) != MPI_SUCCESS)
    return weft__error(WEFT_EMPI, "weft_mpi_action_start: MPI_Bcast failed");
  if (bad)
    return weft__error(WEFT_EINVAL,
                       "weft_mpi_action_start: out and type are required");
  if (m.rc < 0) {
    if (rank != root)
      return weft__error(m.rc, "weft_mpi_action_start: root rank %d: %s", root,
                         weft_strerror(m.rc));
    return m.rc;
  }
  if (rank == root && m.root_only) {
    *out = mine;
    return WEFT_OK;
  }
  return weft_context_continue(out, m.ctx, type, fields, n);
}
