/*
 * trace_mode.c - what libweft-pmpi records: WEFT_MPI_TRACE=all (every
 * wrapped call, the default), collectives (collective operations,
 * communicator creation, MPI_Init/Finalize) or off.  The setting lives in
 * libweft-mpi so that a program can change it (weft_mpi_trace_set) whether
 * or not libweft-pmpi is loaded; MPI_Pcontrol(0) / MPI_Pcontrol(1) switch
 * it off and back to the environment's setting, as with mpiP.
 */
#include "guard.h"
#include "weft_mpi.h"

#include <stdlib.h>
#include <string.h>

#define MODE_UNSET (-1)

static int mode = MODE_UNSET;     /* the setting in force */
static int env_mode = MODE_UNSET; /* WEFT_MPI_TRACE, read once */

static int parse_env(void) {
  const char *v = getenv("WEFT_MPI_TRACE");
  if (!v || !*v || !strcmp(v, "all") || !strcmp(v, "1"))
    return WEFT_MPI_TRACE_ALL;
  if (!strcmp(v, "collectives"))
    return WEFT_MPI_TRACE_COLLECTIVES;
  if (!strcmp(v, "off") || !strcmp(v, "0") || !strcmp(v, "none"))
    return WEFT_MPI_TRACE_OFF;
  /* An unknown word must not silently trace less than asked. */
  return WEFT_MPI_TRACE_ALL;
}

int weft_mpi_trace_env(void) {
  int m = __atomic_load_n(&env_mode, __ATOMIC_ACQUIRE);
  if (m == MODE_UNSET) {
    m = parse_env();
    __atomic_store_n(&env_mode, m, __ATOMIC_RELEASE);
  }
  return m;
}

int weft_mpi_trace_get(void) {
  int m = __atomic_load_n(&mode, __ATOMIC_RELAXED);
  if (m == MODE_UNSET) {
    m = weft_mpi_trace_env();
    __atomic_store_n(&mode, m, __ATOMIC_RELAXED);
  }
  return m;
}

int weft_mpi_trace_set(int m) {
  if (m != WEFT_MPI_TRACE_OFF && m != WEFT_MPI_TRACE_COLLECTIVES &&
      m != WEFT_MPI_TRACE_ALL)
    return weft__error(WEFT_EINVAL, "weft_mpi_trace_set: unknown mode %d", m);
  int old = weft_mpi_trace_get();
  __atomic_store_n(&mode, m, __ATOMIC_RELAXED);
  return old;
}

/* Called by every wrapper of libweft-pmpi: the set mode is read here
 * directly (weft_mpi_trace_get, an exported name, would be called through
 * the PLT). */
int weft__mpi_trace_now(void) {
  if (weft__mpi_guarded())
    return WEFT_MPI_TRACE_OFF;
  int m = __atomic_load_n(&mode, __ATOMIC_RELAXED);
  return m == MODE_UNSET ? weft_mpi_trace_get() : m;
}
