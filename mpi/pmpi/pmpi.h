/*
 * pmpi.h - the internals of libweft-pmpi, the PMPI interposition library
 * that records an application's MPI calls as Weft actions (see
 * docs/causality.md).  Each wrapper file defines MPI_* functions that call
 * the PMPI_* ones; this header is what they share.
 *
 * Fields every traced call may carry (names are fixed: the `weft` tool
 * pairs messages with them):
 *   peer      the other rank, as a rank of MPI_COMM_WORLD (-1: any)
 *   tag       the message tag (-1: any)
 *   comm      the communicator's id (32 bits), the same on every member rank
 *             (0 is MPI_COMM_WORLD)
 *   bytes     bytes of the message / of this rank's part
 *   send_seq  on a send: the number of earlier messages from this rank to
 *             peer with this tag on this communicator
 *   recv_seq  on the receipt (the message "mpi:recv", or the action
 *             MPI_Recv when it names its source and tag): the same count on
 *             the receiving side, so (sender, receiver, comm, tag, seq)
 *             pairs them
 *   received  success field of such an MPI_Recv: bytes that arrived, when
 *             fewer than `bytes`
 *   coll_seq  on a collective: how many collectives on comm came before
 *   wait_ns   success field: time spent inside the MPI library, recorded
 *             only on the actions that span more than the MPI call (see
 *             trace_call.c); elsewhere the action's elapsed time is it
 */
#ifndef WEFT_PMPI_H
#define WEFT_PMPI_H

#include "guard.h"
#include "weft_mpi.h"

#include <mpi.h>
#include <stddef.h>
#include <stdint.h>

/* ---- process state (lifecycle.c) ----------------------------------------- */

typedef struct pm_state {
  int started;    /* MPI_Init wrapper ran with tracing on */
  int locking;    /* MPI_THREAD_MULTIPLE: the tables take a lock */
  int owns_weft;  /* libweft was initialised by us */
  int saw_writer; /* the application opened its own log */
  /* weft__generation() of the application's libweft whose journal
   * name_own_journal named for our log (at MPI_Init, or after the
   * application started libweft again); 0: none */
  uint32_t named_gen;
  int world_rank;
  weft_action job; /* the job-wide action (when we own libweft) */
} pm_state;

extern pm_state pm;

/* Remember that the application has its own log open (cheap check, done
 * by the wrappers that are not on the point-to-point hot path). */
void pm_note_writer(void);

/* ---- periodic flush (periodic_flush.c) ----------------------------------- */

/* At MPI_Init, after libweft is set up: with WEFT_PMPI_FLUSH_EVERY=N > 0
 * and libweft ours, open the log on MPI_COMM_WORLD now. */
void pm_flush_setup(void);
/* After a traced collective on comm: flush when it was the N-th on
 * MPI_COMM_WORLD since the last flush. */
void pm_flush_after(MPI_Comm comm);

/* ---- one traced call (trace_call.c) ---------------------------------------
 */

typedef struct pm_call {
  weft_action a;
  int64_t t0; /* timed calls: weft_clock_now() before the PMPI call, else 0 */
  int64_t t1; /* and when it returned (0: not noted yet) */
} pm_call;

/* Start the action of a call (nested under the current action).  When
 * libweft is not initialised the call is not recorded (c->a is 0) and the
 * other pm_call functions do nothing.  The action's start and end stamps
 * bracket the PMPI call, so its elapsed time is the time inside MPI. */
void pm_call_begin(pm_call *c, weft_site *site, const char *type,
                   const weft_field *f, size_t n);
/* The same for a call whose action spans more than the PMPI call (the
 * wrapper works after it returns): the call is timed and its end records
 * the success field wait_ns. */
void pm_call_begin_timed(pm_call *c, weft_site *site, const char *type,
                         const weft_field *f, size_t n);
/* A timed call's PMPI call returned. */
void pm_call_returned(pm_call *c);
/* Finish the action: succeeded (with wait_ns when timed) when rc is
 * MPI_SUCCESS, failed with MPI's error string otherwise. */
void pm_call_end(pm_call *c, int rc);
/* The same, with success fields recorded before wait_ns (site caches
 * their schema; n <= 7). */
void pm_call_end_fields(pm_call *c, int rc, weft_site *site,
                        const weft_field *f, size_t n);
/* Bytes of count elements of type dt (0 for a bad type). */
uint64_t pm_bytes(int count, MPI_Datatype dt);

/* The wrappers fill their field arrays one element at a time
 * (f[0] = WEFT_I64(...)): an array initialised from a list of compound
 * literals is first zeroed as a whole, which GCC does with `rep stos`,
 * about 10 ns of start-up on every traced call.  The fields every
 * point-to-point call starts with: */
static inline void pm_msg_fields(weft_field f[4], int64_t peer, int64_t tag,
                                 uint64_t comm, uint64_t bytes) {
  f[0] = WEFT_I64("peer", peer);
  f[1] = WEFT_I64("tag", tag);
  f[2] = WEFT_U64("comm", comm);
  f[3] = WEFT_U64("bytes", bytes);
}

/* ---- communicators (comm_table.c) ---------------------------------------- */

typedef struct pm_seq_slot {
  uint64_t key; /* (uint32 peer << 32 | uint32 tag) + 1; 0: empty */
  uint64_t sent, received;
} pm_seq_slot;

typedef struct pm_comm {
  uint64_t id;       /* same on every member */
  int size;          /* of the group peers are ranks of */
  int *world;        /* peer rank -> MPI_COMM_WORLD rank; NULL: identity */
  uint64_t created;  /* communicators created from this one so far */
  uint64_t coll_seq; /* collectives on it so far */
  pm_seq_slot *seq;  /* per (peer, tag) message counters */
  uint32_t seq_mask, seq_used;
} pm_comm;

/* The state of comm, created on first use (its id is then derived from its
 * members).  NULL only when out of memory. */
pm_comm *pm_comm_get(MPI_Comm comm);
/* Register a communicator just created from parent (collectively on
 * parent, so every member derives the same id); `salt` distinguishes the
 * communicators one call creates (the color of MPI_Comm_split). */
pm_comm *pm_comm_created(MPI_Comm parent, MPI_Comm created, int64_t salt);
/* Forget a communicator about to be freed. */
void pm_comm_forget(MPI_Comm comm);
/* World rank of peer (-1 for MPI_ANY_SOURCE / out of range). */
static inline int64_t pm_comm_world(const pm_comm *c, int peer) {
  if (peer < 0 || peer >= c->size)
    return -1;
  return c->world ? c->world[peer] : peer;
}
/* Next send / receive sequence number for (peer, tag). */
uint64_t pm_comm_next_send(pm_comm *c, int peer, int tag);
uint64_t pm_comm_next_recv(pm_comm *c, int peer, int tag);
/* Give back receive number seq for (peer, tag) when it was the last one
 * taken (a receive that took it before its call failed). */
void pm_comm_undo_recv(pm_comm *c, int peer, int tag, uint64_t seq);
/* Next collective sequence number. */
uint64_t pm_comm_next_coll(pm_comm *c);
/* Free every state (MPI_Finalize). */
void pm_comm_table_free(void);

/* The tables' lock, taken only with MPI_THREAD_MULTIPLE: without it no
 * two threads call MPI at once, so the point-to-point hot path pays one
 * predictable branch instead of a call. */
void pm_mutex_lock(void);
void pm_mutex_unlock(void);

static inline void pm_lock(void) {
  if (__builtin_expect(pm.locking, 0))
    pm_mutex_lock();
}

static inline void pm_unlock(void) {
  if (__builtin_expect(pm.locking, 0))
    pm_mutex_unlock();
}

/* ---- receives (recv_note.c) -----------------------------------------------
 */

/* Did a receive that returned rc take a message?  Yes when it succeeded,
 * and also when it failed with MPI_ERR_TRUNCATE: the message was consumed
 * (its first part is in the buffer), so it has a receipt and a number. */
static inline int pm_received(int rc) {
  int cls = 0;
  return rc == MPI_SUCCESS ||
         (PMPI_Error_class(rc, &cls) == MPI_SUCCESS && cls == MPI_ERR_TRUNCATE);
}

/* Log the message "mpi:recv" for a completed receive on `c`: its source,
 * tag and bytes from st, and its sequence number (taken now unless `seq`
 * is given: >= 0).  Nothing for a receive from MPI_PROC_NULL. */
void pm_recv_note(pm_comm *c, const MPI_Status *st, int64_t seq);

/* ---- non-blocking requests (request_table.c) ------------------------------
 */

typedef struct pm_request {
  MPI_Request req;
  pm_comm *comm;
  int64_t seq; /* receives: assigned at posting when source and tag are
                  given, else -1 (assigned at completion) */
} pm_request;

/* Remember a receive request (sends need nothing at completion). */
void pm_request_add(const pm_request *r);
/* Find and forget request `req`; 0 when it is not a tracked receive. */
int pm_request_take(MPI_Request req, pm_request *out);
void pm_request_table_free(void);

#endif /* WEFT_PMPI_H */
