/*
 * comm_create.c - communicator creation and release (WEFT_MPI_TRACE=all
 * or collectives).
 *
 * MPI_Comm_dup, _dup_with_info, _split, _split_type, _create and
 * MPI_Cart_create are actions {comm, ...} with success fields
 * {new_comm, new_size, wait_ns}: new_comm is the id the new communicator
 * carries in every later record (0 when this rank got MPI_COMM_NULL).  All of
 * them are collective over the parent, which is what lets every member
 * derive the same id without a message (comm_table.c).
 */
#include "pmpi.h"

static int traced(void) {
  return weft__mpi_trace_now() >= WEFT_MPI_TRACE_COLLECTIVES;
}

/* Start the action: fields {comm, a, b} with a, b named by the caller. */
static void create_begin(pm_call *call, weft_site *site, const char *type,
                         MPI_Comm parent, const weft_field *extra,
                         size_t nextra) {
  pm_note_writer();
  pm_lock();
  pm_comm *p = pm_comm_get(parent);
  pm_unlock();
  weft_field f[3] = {WEFT_U64("comm", p ? p->id : 0)};
  for (size_t i = 0; i < nextra && i < 2; i++)
    f[1 + i] = extra[i];
  /* Timed: the action also spans registering the new communicator. */
  pm_call_begin_timed(call, site, type, f, 1 + (nextra < 2 ? nextra : 2));
}

/* After the call: register the new communicator, finish the action. */
static void create_end(pm_call *call, int rc, MPI_Comm parent, MPI_Comm created,
                       int64_t salt) {
  static weft_site site;
  pm_call_returned(call);
  pm_comm *c = NULL;
  if (rc == MPI_SUCCESS) {
    pm_lock();
    c = pm_comm_created(parent, created, salt);
    pm_unlock();
  }
  weft_field f[] = {WEFT_U64("new_comm", c ? c->id : 0),
                    WEFT_I64("new_size", c ? c->size : 0)};
  pm_call_end_fields(call, rc, &site, f, 2);
}

int MPI_Comm_dup(MPI_Comm comm, MPI_Comm *newcomm) {
  static weft_site site;
  if (!traced())
    return PMPI_Comm_dup(comm, newcomm);
  pm_call call;
  create_begin(&call, &site, "MPI_Comm_dup", comm, NULL, 0);
  int rc = PMPI_Comm_dup(comm, newcomm);
  create_end(&call, rc, comm, rc == MPI_SUCCESS ? *newcomm : MPI_COMM_NULL, 0);
  return rc;
}

int MPI_Comm_dup_with_info(MPI_Comm comm, MPI_Info info, MPI_Comm *newcomm) {
  static weft_site site;
  if (!traced())
    return PMPI_Comm_dup_with_info(comm, info, newcomm);
  pm_call call;
  create_begin(&call, &site, "MPI_Comm_dup_with_info", comm, NULL, 0);
  int rc = PMPI_Comm_dup_with_info(comm, info, newcomm);
  create_end(&call, rc, comm, rc == MPI_SUCCESS ? *newcomm : MPI_COMM_NULL, 0);
  return rc;
}

int MPI_Comm_split(MPI_Comm comm, int color, int key, MPI_Comm *newcomm) {
  static weft_site site;
  if (!traced())
    return PMPI_Comm_split(comm, color, key, newcomm);
  weft_field f[] = {WEFT_I64("color", color), WEFT_I64("key", key)};
  pm_call call;
  create_begin(&call, &site, "MPI_Comm_split", comm, f, 2);
  int rc = PMPI_Comm_split(comm, color, key, newcomm);
  create_end(&call, rc, comm, rc == MPI_SUCCESS ? *newcomm : MPI_COMM_NULL,
             color);
  return rc;
}

int MPI_Comm_split_type(MPI_Comm comm, int split_type, int key, MPI_Info info,
                        MPI_Comm *newcomm) {
  static weft_site site;
  if (!traced())
    return PMPI_Comm_split_type(comm, split_type, key, info, newcomm);
  weft_field f[] = {WEFT_I64("split_type", split_type), WEFT_I64("key", key)};
  pm_call call;
  create_begin(&call, &site, "MPI_Comm_split_type", comm, f, 2);
  int rc = PMPI_Comm_split_type(comm, split_type, key, info, newcomm);
  /* The groups are not named by a color here: the lowest world rank of
   * each new communicator tells them apart. */
  int64_t salt = 0;
  if (rc == MPI_SUCCESS && *newcomm != MPI_COMM_NULL) {
    int zero = 0, w = 0;
    MPI_Group g, wg;
    PMPI_Comm_group(*newcomm, &g);
    PMPI_Comm_group(MPI_COMM_WORLD, &wg);
    PMPI_Group_translate_ranks(g, 1, &zero, wg, &w);
    PMPI_Group_free(&g);
    PMPI_Group_free(&wg);
    salt = w;
  }
  create_end(&call, rc, comm, rc == MPI_SUCCESS ? *newcomm : MPI_COMM_NULL,
             salt);
  return rc;
}

int MPI_Comm_create(MPI_Comm comm, MPI_Group group, MPI_Comm *newcomm) {
  static weft_site site;
  if (!traced())
    return PMPI_Comm_create(comm, group, newcomm);
  pm_call call;
  create_begin(&call, &site, "MPI_Comm_create", comm, NULL, 0);
  int rc = PMPI_Comm_create(comm, group, newcomm);
  create_end(&call, rc, comm, rc == MPI_SUCCESS ? *newcomm : MPI_COMM_NULL, 0);
  return rc;
}

int MPI_Cart_create(MPI_Comm comm, int ndims, const int dims[],
                    const int periods[], int reorder, MPI_Comm *newcomm) {
  static weft_site site;
  if (!traced())
    return PMPI_Cart_create(comm, ndims, dims, periods, reorder, newcomm);
  weft_field f[] = {WEFT_I64("ndims", ndims), WEFT_BOOL("reorder", reorder)};
  pm_call call;
  create_begin(&call, &site, "MPI_Cart_create", comm, f, 2);
  int rc = PMPI_Cart_create(comm, ndims, dims, periods, reorder, newcomm);
  create_end(&call, rc, comm, rc == MPI_SUCCESS ? *newcomm : MPI_COMM_NULL, 0);
  return rc;
}

int MPI_Comm_free(MPI_Comm *comm) {
  static weft_site site;
  if (!comm)
    return PMPI_Comm_free(comm);
  int on = traced();
  pm_lock();
  pm_comm *c = on ? pm_comm_get(*comm) : NULL;
  pm_comm_forget(*comm); /* its handle may come back for another */
  pm_unlock();
  if (!on)
    return PMPI_Comm_free(comm);
  weft_field f[] = {WEFT_U64("comm", c ? c->id : 0)};
  pm_call call;
  pm_call_begin(&call, &site, "MPI_Comm_free", f, 1);
  int rc = PMPI_Comm_free(comm);
  pm_call_end(&call, rc);
  return rc;
}
