/*
 * guard.c - the per-thread "inside Weft" mark and the finalize hook shared
 * by libweft-mpi and libweft-pmpi (see guard.h for why).
 */
#include "guard.h"

/* Initial-exec: read on every wrapped MPI call, where the default model
 * of a shared library costs a __tls_get_addr call each time.  Like
 * libweft's own thread state (thread.h), this assumes the library is
 * loaded with the program, not dlopen()ed late. */
static _Thread_local int guard_depth __attribute__((tls_model("initial-exec")));
static weft__mpi_finalize_hook finalize_hook;

void weft__mpi_guard_enter(void) { guard_depth++; }

void weft__mpi_guard_leave(void) {
  if (guard_depth > 0)
    guard_depth--;
}

int weft__mpi_guarded(void) { return guard_depth > 0; }

void weft__mpi_finalize_hook_set(weft__mpi_finalize_hook fn) {
  __atomic_store_n(&finalize_hook, fn, __ATOMIC_RELEASE);
}

void weft__mpi_before_finalize(void) {
  weft__mpi_finalize_hook fn =
      __atomic_load_n(&finalize_hook, __ATOMIC_ACQUIRE);
  if (fn)
    fn();
}
