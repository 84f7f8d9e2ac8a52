/*
 * request_table.c - the receives posted with MPI_Irecv and not completed
 * yet, so that the MPI_Wait / MPI_Test call that completes one can record
 * which message it received.  Keyed by the request handle (MPI sets the
 * application's copy to MPI_REQUEST_NULL when it completes, so the
 * wrappers look a handle up with the value it had before the call).
 *
 * Open addressing with backward-shift deletion: no tombstones, so a
 * program that posts and completes millions of receives keeps a table as
 * small as the number outstanding at once.
 */
#include "pmpi.h"

#include <stdlib.h>
#include <string.h>

static pm_request *slots; /* req == MPI_REQUEST_NULL: empty */
static size_t mask, used;

static size_t hash(MPI_Request r) {
  uint64_t k = 0;
  memcpy(&k, &r, sizeof r < sizeof k ? sizeof r : sizeof k);
  return (size_t)((k * 0x9e3779b97f4a7c15ULL) >> 32);
}

static int grow(void) {
  size_t cap = slots ? 2 * (mask + 1) : 64;
  pm_request *t = malloc(cap * sizeof *t);
  if (!t)
    return -1;
  for (size_t i = 0; i < cap; i++)
    t[i].req = MPI_REQUEST_NULL;
  for (size_t i = 0; slots && i <= mask; i++) {
    if (slots[i].req == MPI_REQUEST_NULL)
      continue;
    size_t j = hash(slots[i].req) & (cap - 1);
    while (t[j].req != MPI_REQUEST_NULL)
      j = (j + 1) & (cap - 1);
    t[j] = slots[i];
  }
  free(slots);
  slots = t;
  mask = cap - 1;
  return 0;
}

void pm_request_add(const pm_request *r) {
  pm_lock();
  if ((!slots || 2 * (used + 1) > mask + 1) && grow() < 0) {
    pm_unlock();
    return; /* the completion will then be recorded without its message */
  }
  size_t j = hash(r->req) & mask;
  while (slots[j].req != MPI_REQUEST_NULL && slots[j].req != r->req)
    j = (j + 1) & mask;
  if (slots[j].req == MPI_REQUEST_NULL)
    used++;
  slots[j] = *r;
  pm_unlock();
}

int pm_request_take(MPI_Request req, pm_request *out) {
  if (req == MPI_REQUEST_NULL)
    return 0;
  pm_lock();
  if (!slots) {
    pm_unlock();
    return 0;
  }
  size_t j = hash(req) & mask;
  while (slots[j].req != MPI_REQUEST_NULL && slots[j].req != req)
    j = (j + 1) & mask;
  if (slots[j].req == MPI_REQUEST_NULL) {
    pm_unlock();
    return 0;
  }
  *out = slots[j];
  /* Backward shift: move later entries of the cluster into the hole when
   * their home slot is not between the hole and themselves. */
  size_t hole = j, k = j;
  for (;;) {
    k = (k + 1) & mask;
    if (slots[k].req == MPI_REQUEST_NULL)
      break;
    size_t home = hash(slots[k].req) & mask;
    if (((k - home) & mask) >= ((k - hole) & mask)) {
      slots[hole] = slots[k];
      hole = k;
    }
  }
  slots[hole].req = MPI_REQUEST_NULL;
  used--;
  pm_unlock();
  return 1;
}

void pm_request_table_free(void) {
  free(slots);
  slots = NULL;
  mask = used = 0;
}
