/*
 * handoff.c - point-to-point hand-off of a task context: the sender's
 * current context travels in a message of its own and the receiver starts
 * an action that continues it, so work done on another rank on behalf of
 * an action nests under that action in the tree (the manager-worker
 * pattern of docs/causality.md).
 *
 * The context is sent as its NUL-terminated string (at most
 * WEFT_CONTEXT_MAX bytes, MPI_CHAR) with PMPI_* calls: it is Weft's own
 * traffic, never recorded by libweft-pmpi.  When the sender has no action
 * open, an empty string is sent (and the error returned to the sender):
 * the receiver's action is then an ordinary one, and it never waits for a
 * message that does not come.  A program that would rather not send a
 * second message packs the string from weft_context_serialize into its
 * own message and calls weft_context_continue on the other side.
 */
#include "weft_mpi.h"
#include "weft_int.h"

#include <string.h>

int weft_mpi_context_send(MPI_Comm comm, int dest, int tag) {
  char ctx[WEFT_CONTEXT_MAX];
  /* Without a context the message still goes, empty, so that the
   * receiver never waits for a message that will not come. */
  int rc = weft_context_serialize(0, ctx, sizeof ctx, NULL);
  if (rc < 0)
    ctx[0] = '\0';
  int count = (int)strnlen(ctx, sizeof ctx) + 1;
  if (PMPI_Send(ctx, count, MPI_CHAR, dest, tag, comm) != MPI_SUCCESS)
    return weft__error(WEFT_EMPI,
                       "weft_mpi_context_send: MPI_Send to rank %d, tag %d "
                       "failed",
                       dest, tag);
  return rc < 0 ? rc : WEFT_OK;
}

int weft_mpi_context_recv(weft_action *out, MPI_Comm comm, int source, int tag,
                          MPI_Status *status, const char *type,
                          const weft_field *fields, size_t n) {
  if (!out || !type)
    return weft__error(WEFT_EINVAL,
                       "weft_mpi_context_recv: out and type are required");
  *out = 0;
  char ctx[WEFT_CONTEXT_MAX];
  MPI_Status st;
  if (PMPI_Recv(ctx, (int)sizeof ctx, MPI_CHAR, source, tag, comm, &st) !=
      MPI_SUCCESS)
    return weft__error(WEFT_EMPI,
                       "weft_mpi_context_recv: MPI_Recv from rank %d, tag "
                       "%d failed",
                       source, tag);
  if (status != MPI_STATUS_IGNORE)
    *status = st;
  int count = 0;
  PMPI_Get_count(&st, MPI_CHAR, &count);
  if (count <= 0 || ctx[count - 1] != '\0')
    return weft__error(WEFT_ECONTEXT,
                       "weft_mpi_context_recv: the message from rank %d, tag "
                       "%d is not a context string",
                       st.MPI_SOURCE, st.MPI_TAG);
  if (ctx[0] == '\0') /* the sender had no action open */
    return weft_action_start(out, type, fields, n);
  return weft_context_continue(out, ctx, type, fields, n);
}
