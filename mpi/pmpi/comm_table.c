/*
 * comm_table.c - what libweft-pmpi knows about each communicator: an id
 * that every member derives without talking to the others, the world rank
 * of each peer, and the counters that pair sends with receives.
 *
 * Ids: MPI_COMM_WORLD is 0.  A communicator created through a wrapper
 * (dup, split, create, ...) gets a hash of its parent's id, how many
 * communicators were created from that parent before (creation is
 * collective over the parent, so every member counts the same) and the
 * split color.  One first seen in a traced call (created while tracing was
 * off) gets a hash of its members' world ranks.
 *
 * Pairing: MPI delivers the messages from one sender to one receiver with
 * one tag on one communicator in the order they were sent (the
 * non-overtaking rule), so the n-th such send matches the n-th such
 * receive: both sides count per (comm, peer, tag).
 *
 * Applications use few communicators, so the handle -> state map is a
 * short array searched linearly, MPI_COMM_WORLD first, and the last
 * other handle found is remembered: a loop exchanging messages on one
 * communicator finds its state with one compare.  States are freed only
 * at MPI_Finalize: a request may outlive its communicator's handle.
 */
#include "pmpi.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef struct handle_entry {
  MPI_Comm handle;
  pm_comm *state;
} handle_entry;

static pm_comm world_state;
static int world_ready;
static handle_entry *handles;
static size_t nhandles, handles_cap;
static pm_comm **all; /* every state but the world's, for MPI_Finalize */
static size_t nall, all_cap;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
/* The handle find() returned last (under the lock like the rest). */
static MPI_Comm last_handle;
static pm_comm *last_state; /* NULL: none */

void pm_mutex_lock(void) { pthread_mutex_lock(&lock); }

void pm_mutex_unlock(void) { pthread_mutex_unlock(&lock); }

static uint64_t fnv(uint64_t h, uint64_t x) {
  for (int i = 0; i < 8; i++) {
    h ^= (x >> (8 * i)) & 0xff;
    h *= 0x100000001b3ULL;
  }
  return h;
}

#define FNV_START 0xcbf29ce484222325ULL

/* Peer ranks of comm (the remote group of an intercommunicator) as world
 * ranks; NULL in *out when they are the world ranks already. */
static int world_ranks(MPI_Comm comm, int *size_out, int **out) {
  int inter = 0, size = 0;
  MPI_Group g, wg;
  *out = NULL;
  PMPI_Comm_test_inter(comm, &inter);
  if ((inter ? PMPI_Comm_remote_group(comm, &g) : PMPI_Comm_group(comm, &g)) !=
      MPI_SUCCESS)
    return -1;
  PMPI_Group_size(g, &size);
  *size_out = size;
  int *in = malloc(2 * (size_t)(size > 0 ? size : 1) * sizeof *in);
  if (!in) {
    PMPI_Group_free(&g);
    return -1;
  }
  int *w = in + (size > 0 ? size : 1);
  for (int i = 0; i < size; i++)
    in[i] = i;
  PMPI_Comm_group(MPI_COMM_WORLD, &wg);
  int rc = PMPI_Group_translate_ranks(g, size, in, wg, w);
  PMPI_Group_free(&wg);
  PMPI_Group_free(&g);
  int identity = rc == MPI_SUCCESS;
  for (int i = 0; i < size && identity; i++)
    identity = w[i] == i;
  if (rc != MPI_SUCCESS || identity) {
    free(in);
    return rc == MPI_SUCCESS ? 0 : -1;
  }
  memmove(in, w, (size_t)size * sizeof *in);
  *out = in;
  return 0;
}

static pm_comm *state_new(MPI_Comm comm) {
  pm_comm *c = calloc(1, sizeof *c);
  if (!c)
    return NULL;
  if (world_ranks(comm, &c->size, &c->world) < 0) {
    free(c);
    return NULL;
  }
  return c;
}

static int remember(MPI_Comm handle, pm_comm *c) {
  if (nhandles == handles_cap) {
    size_t cap = handles_cap ? 2 * handles_cap : 16;
    handle_entry *h = realloc(handles, cap * sizeof *h);
    if (!h)
      return -1;
    handles = h;
    handles_cap = cap;
  }
  if (nall == all_cap) {
    size_t cap = all_cap ? 2 * all_cap : 16;
    pm_comm **a = realloc(all, cap * sizeof *a);
    if (!a)
      return -1;
    all = a;
    all_cap = cap;
  }
  handles[nhandles++] = (handle_entry){handle, c};
  all[nall++] = c;
  return 0;
}

static pm_comm *world_get(void) {
  if (!world_ready) {
    world_state.id = 0;
    PMPI_Comm_size(MPI_COMM_WORLD, &world_state.size);
    world_ready = 1;
  }
  return &world_state;
}

static pm_comm *find(MPI_Comm comm) {
  if (last_state && last_handle == comm)
    return last_state;
  for (size_t i = 0; i < nhandles; i++)
    if (handles[i].handle == comm) {
      last_handle = comm;
      last_state = handles[i].state;
      return last_state;
    }
  return NULL;
}

pm_comm *pm_comm_get(MPI_Comm comm) {
  if (comm == MPI_COMM_WORLD)
    return world_get();
  pm_comm *c = find(comm);
  if (c)
    return c;
  if (!(c = state_new(comm)))
    return NULL;
  uint64_t h = fnv(FNV_START, 0x5eedULL);
  for (int i = 0; i < c->size; i++)
    h = fnv(h, (uint64_t)pm_comm_world(c, i));
  c->id = (h & 0xffffffffu) ? (h & 0xffffffffu) : 1;
  if (remember(comm, c) < 0) {
    free(c->world);
    free(c);
    return NULL;
  }
  return c;
}

pm_comm *pm_comm_created(MPI_Comm parent, MPI_Comm created, int64_t salt) {
  pm_comm *p = pm_comm_get(parent);
  if (!p)
    return NULL;
  uint64_t nth = p->created++;
  if (created == MPI_COMM_NULL)
    return NULL;
  pm_comm_forget(created); /* a reused handle */
  pm_comm *c = state_new(created);
  if (!c)
    return NULL;
  uint64_t h = fnv(fnv(fnv(FNV_START, p->id), nth), (uint64_t)salt);
  c->id = (h & 0xffffffffu) ? (h & 0xffffffffu) : 1;
  if (remember(created, c) < 0) {
    free(c->world);
    free(c);
    return NULL;
  }
  return c;
}

void pm_comm_forget(MPI_Comm comm) {
  if (last_handle == comm)
    last_state = NULL;
  for (size_t i = 0; i < nhandles; i++)
    if (handles[i].handle == comm) {
      handles[i] = handles[--nhandles];
      return;
    }
}

/* Fibonacci hashing: the high bits of key times 2^64 / phi. */
static uint32_t mix(uint64_t key) {
  return (uint32_t)((key * 0x9e3779b97f4a7c15ULL) >> 32);
}

static pm_seq_slot *slot(pm_comm *c, int peer, int tag) {
  uint64_t key = (((uint64_t)(uint32_t)peer << 32) | (uint32_t)tag) + 1;
  if (2 * (c->seq_used + 1) > c->seq_mask + 1 || !c->seq) {
    uint32_t cap = c->seq ? 2 * (c->seq_mask + 1) : 64;
    pm_seq_slot *t = calloc(cap, sizeof *t);
    if (!t)
      return NULL;
    for (uint32_t i = 0; c->seq && i <= c->seq_mask; i++) {
      if (!c->seq[i].key)
        continue;
      uint32_t j = mix(c->seq[i].key) & (cap - 1);
      while (t[j].key)
        j = (j + 1) & (cap - 1);
      t[j] = c->seq[i];
    }
    free(c->seq);
    c->seq = t;
    c->seq_mask = cap - 1;
  }
  uint32_t j = mix(key) & c->seq_mask;
  while (c->seq[j].key && c->seq[j].key != key)
    j = (j + 1) & c->seq_mask;
  if (!c->seq[j].key) {
    c->seq[j].key = key;
    c->seq_used++;
  }
  return &c->seq[j];
}

uint64_t pm_comm_next_send(pm_comm *c, int peer, int tag) {
  pm_seq_slot *s = slot(c, peer, tag);
  return s ? s->sent++ : 0;
}

uint64_t pm_comm_next_recv(pm_comm *c, int peer, int tag) {
  pm_seq_slot *s = slot(c, peer, tag);
  return s ? s->received++ : 0;
}

void pm_comm_undo_recv(pm_comm *c, int peer, int tag, uint64_t seq) {
  pm_seq_slot *s = slot(c, peer, tag);
  if (s && s->received == seq + 1)
    s->received = seq;
}

uint64_t pm_comm_next_coll(pm_comm *c) { return c->coll_seq++; }

void pm_comm_table_free(void) {
  for (size_t i = 0; i < nall; i++) {
    free(all[i]->world);
    free(all[i]->seq);
    free(all[i]);
  }
  free(all);
  free(handles);
  free(world_state.seq);
  memset(&world_state, 0, sizeof world_state);
  world_ready = 0;
  last_state = NULL;
  all = NULL;
  handles = NULL;
  nall = all_cap = nhandles = handles_cap = 0;
}
