/*
 * tree_model.h - the cross-rank causal tree of a Weft trace.
 *
 * The model is fed decoded events (weft_event, from weft__decoder) of every
 * (file, rank, thread) stream and builds one node per action and per
 * message.  Within a stream, nesting follows the stream's own stack; a root
 * action that continues a serialized context (its level is longer than
 * [1]) is attached, once everything is loaded, under the action of the same
 * task whose level is its level minus the last slot, wherever that action
 * ran.  A context continued many times gives that action many children with
 * the same slot; they are ordered by (slot, rank, thread).
 *
 * Cost: loading is O(1) per event plus O(level length) per action;
 * weft__model_finish is linear in the number of nodes, except that the
 * children of a node that did not arrive in order are sorted once
 * (O(k log k) for k children; never per insertion, unlike eliot-tree).
 *
 * Times are nanoseconds on the job's common timeline (rank 0's wall clock
 * after clock alignment); the caller maps each rank's monotonic time.
 */
#ifndef WEFT_TOOLS_TREE_MODEL_H
#define WEFT_TOOLS_TREE_MODEL_H

#include "strtab.h"

#include "weft.h"

#include <stddef.h>
#include <stdint.h>

#define WEFT__NONE UINT32_MAX

/* A stored field value.  Strings and array summaries (kept as JSON text)
 * live in the model's string pool. */
typedef struct weft__mvalue {
  uint32_t name;  /* strtab id */
  uint16_t type;  /* weft_type */
  uint16_t flags; /* WEFT__MV_CUT: string was cut when it was logged */
  union {
    int64_t i64;
    uint64_t u64;
    double f64;
    uint64_t off; /* STR and arrays: offset in the pool */
  } v;
} weft__mvalue;

#define WEFT__MV_CUT 1u

enum weft__node_kind { WEFT__NODE_ACTION = 1, WEFT__NODE_MESSAGE = 2 };

enum weft__node_status {
  WEFT__ST_MESSAGE = 0,   /* a message */
  WEFT__ST_SUCCEEDED = 1, /* action ended with SUCCESS */
  WEFT__ST_FAILED = 2,    /* action ended with FAILURE */
  WEFT__ST_UNFINISHED = 3 /* action start seen, end never seen */
};

/* Node flags. */
#define WEFT__NF_NO_START 1u /* end seen without its start */
#define WEFT__NF_ORPHAN 2u   /* continues a context whose action is absent */
#define WEFT__NF_CONT 4u     /* began a stream segment (continued context) */

typedef struct weft__node {
  int64_t start;        /* start (or message) time; end time if NO_START */
  int64_t end;          /* end time; unfinished: time of its last event */
  int64_t code;         /* FAILURE: the error code */
  uint32_t parent;      /* node index or WEFT__NONE for a task root */
  uint32_t first_child; /* after weft__model_finish */
  uint32_t next_sibling;
  uint32_t task; /* task index */
  uint32_t type; /* strtab id of action_type / message_type */
  uint32_t rank;
  uint32_t thread;
  uint32_t file;       /* index of the input file */
  uint32_t level;      /* offset in levels[]: len, then the elements */
  uint32_t fields;     /* index in values[] of the start/message fields */
  uint32_t end_fields; /* index in values[] of the success fields */
  uint32_t reason;     /* index in values[] of the reason string or NONE */
  uint16_t nfields;
  uint16_t nend_fields;
  uint8_t kind;   /* weft__node_kind */
  uint8_t status; /* weft__node_status */
  uint8_t flags;  /* WEFT__NF_* */
} weft__node;

typedef struct weft__task {
  uint64_t hi, lo;     /* 128-bit task id */
  uint32_t first_root; /* first root node (after finish) */
  int64_t first_time;  /* earliest start among its roots */
} weft__task;

typedef struct weft__stream weft__stream;

/* Global fields of a process (weft_global_add), as last recorded. */
typedef struct weft__globals {
  uint32_t file, rank;
  uint32_t fields, nfields; /* in values[] */
} weft__globals;

typedef struct weft__model {
  weft__strtab names; /* types, field names */
  weft__node *nodes;
  uint32_t nnodes, nodes_cap;
  weft__mvalue *values;
  uint32_t nvalues, values_cap;
  uint32_t *levels; /* [len, e0, e1, ...] per node */
  uint32_t nlevels, levels_cap;
  char *pool; /* [u32 len][bytes][NUL] entries */
  uint64_t pool_used, pool_cap;
  weft__task *tasks;
  uint32_t ntasks, tasks_cap;
  uint64_t *task_slots; /* open addressing: hash << 32 | task index + 1 */
  uint32_t task_mask;
  uint32_t *order;        /* tasks sorted by first_time (after finish) */
  weft__stream **streams; /* per (file, rank, thread) state */
  size_t nstreams, streams_cap;
  uint32_t *stream_slots; /* open addressing, stream index + 1 */
  uint32_t stream_mask;
  uint32_t *pending; /* nodes whose parent is resolved by level */
  uint32_t npending, pending_cap;
  weft__globals *globals; /* one entry per GLOBALS record */
  uint32_t nglobals, globals_cap;
  uint64_t events; /* events added */
  /* Set by the loader: the name pointers of added events stay valid and
   * unchanged until weft__model_finish, so the name cache trusts them. */
  int stable_names;
  uint32_t nranks; /* 1 + highest rank seen */
  /* Per input file, the MPI_COMM_WORLD rank of each of its ranks
   * (weft__model_set_world; WEFT__NONE: unknown): libweft-pmpi names the
   * peers of messages by world rank, and a log's communicator may number
   * its ranks otherwise. */
  uint32_t **world;
  uint32_t *world_len;   /* ranks per file in world[] */
  uint32_t *world_known; /* ranks per file whose world rank is known */
  uint32_t nworld;       /* files in world[] */
  int finished;
} weft__model;

int weft__model_init(weft__model *m);
void weft__model_release(weft__model *m);

/* The stream of (file, rank, thread), created on first use; NULL on out of
 * memory.  Valid until weft__model_finish. */
weft__stream *weft__model_stream(weft__model *m, uint32_t file, uint32_t rank,
                                 uint32_t thread);
/* Add one decoded event of stream s at time t (ns, common timeline).
 * Returns 0, or -1 on out of memory or a stream that is not well nested
 * (an error text is then in *why, static storage). */
int weft__model_add(weft__model *m, weft__stream *s, const weft_event *ev,
                    int64_t t, const char **why);
/* Fetch the table slot of task (hi, lo) into the cache ahead of the
 * events that will look it up; a hint, with no effect on the model. */
void weft__model_prefetch_task(const weft__model *m, uint64_t hi, uint64_t lo);
/* Record the global fields of stream s's process.  Returns 0 or -1 (out
 * of memory). */
int weft__model_add_globals(weft__model *m, weft__stream *s,
                            const weft_value *v, size_t n);
/* Set the world ranks of the n ranks of input file `file` (a copy is
 * kept; WEFT__NONE where unknown).  Returns 0 or -1 (out of memory). */
int weft__model_set_world(weft__model *m, uint32_t file, const uint32_t *world,
                          uint32_t n);
/* The world rank of `rank` of input file `file`: as set; `rank` itself
 * when no rank of the file knows its world rank (a log of MPI_COMM_WORLD
 * numbers ranks alike); WEFT__NONE when this rank's is unknown but others
 * of the file know theirs (a log rank can then be another rank's world
 * rank, so none is guessed). */
uint32_t weft__model_world(const weft__model *m, uint32_t file, uint32_t rank);
/* Resolve continued contexts, link and order children, compute the times
 * of unfinished actions and order tasks.  Returns 0 or -1 (out of
 * memory).  The model is read-only afterwards. */
int weft__model_finish(weft__model *m);

/* a - b, saturated: times come from files and may be anything. */
static inline int64_t weft__time_diff(int64_t a, int64_t b) {
  if (b >= 0 ? a < INT64_MIN + b : a > INT64_MAX + b)
    return b >= 0 ? INT64_MIN : INT64_MAX;
  return a - b;
}

/* a + b, saturated. */
static inline int64_t weft__time_add(int64_t a, int64_t b) {
  if (b > 0 ? a > INT64_MAX - b : a < INT64_MIN - b)
    return b > 0 ? INT64_MAX : INT64_MIN;
  return a + b;
}

/* Accessors. */
static inline const weft__node *weft__model_node(const weft__model *m,
                                                 uint32_t i) {
  return &m->nodes[i];
}
static inline const char *weft__model_name(const weft__model *m, uint32_t id) {
  return weft__strtab_get(&m->names, id);
}
/* Level of node i: *len elements. */
const uint32_t *weft__model_level(const weft__model *m, uint32_t i,
                                  uint32_t *len);
/* String of a STR or array value (JSON text for arrays) and its length. */
const char *weft__model_str(const weft__model *m, const weft__mvalue *v,
                            uint32_t *len);
/* Field of node i by name id in start fields, then success fields; NULL
 * when absent. */
const weft__mvalue *weft__model_field(const weft__model *m, uint32_t i,
                                      uint32_t name);
/* Elapsed ns of an action (end - start; unfinished: to its last event);
 * -1 for messages and for actions without a start. */
int64_t weft__model_elapsed(const weft__model *m, uint32_t i);
/* Numeric value of v as a double; returns 0 when v is not numeric. */
int weft__mvalue_number(const weft__mvalue *v, double *out);

#endif
