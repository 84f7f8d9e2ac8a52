/*
 * select.h - which nodes a command looks at: task, ranks, type globs,
 * field predicates (--where 'n > 1000'), status, minimum duration and time
 * window.  Shared by tree, profile and export.
 */
#ifndef WEFT_TOOLS_SELECT_H
#define WEFT_TOOLS_SELECT_H

#include "tree_model.h"

#include <stddef.h>
#include <stdint.h>

enum weft__where_op {
  WEFT__OP_EQ,
  WEFT__OP_NE,
  WEFT__OP_LT,
  WEFT__OP_LE,
  WEFT__OP_GT,
  WEFT__OP_GE,
  WEFT__OP_GLOB /* ~ : string glob (fnmatch) */
};

typedef struct weft__where {
  char *field; /* field name */
  int op;      /* weft__where_op */
  char *text;  /* the value as written */
  double num;  /* the value as a number, when is_num */
  int is_num;
} weft__where;

#define WEFT__STATUS_SUCCEEDED 1u
#define WEFT__STATUS_FAILED 2u
#define WEFT__STATUS_UNFINISHED 4u
#define WEFT__STATUS_MESSAGE 8u

typedef struct weft__select {
  const char *task; /* task id (32 hex or UUID form), or NULL */
  uint64_t task_hi, task_lo;
  unsigned char *ranks; /* ranks[r] != 0: rank r selected; NULL: all */
  uint32_t nranks;
  const char **types; /* type globs (any matches); borrowed */
  size_t ntypes;
  weft__where *where; /* all must hold */
  size_t nwhere;
  unsigned status;      /* WEFT__STATUS_* mask; 0: any */
  int64_t min_duration; /* ns; -1: none */
  int64_t since, until; /* ns, common timeline; INT64_MIN/MAX: none */
} weft__select;

void weft__select_init(weft__select *s);
void weft__select_release(weft__select *s);
/* Parse "field op value" and append it.  Returns 0 or -1 (bad syntax or
 * out of memory). */
int weft__select_add_where(weft__select *s, const char *expr);
/* Parse "3", "0-3,7" into the rank set.  Returns 0 or -1. */
int weft__select_add_ranks(weft__select *s, const char *spec);
/* Parse "failed", "unfinished", "succeeded", "message" (comma separated).
 * Returns 0 or -1. */
int weft__select_add_status(weft__select *s, const char *spec);
/* Parse a task id: 32 hex digits, with or without UUID dashes. */
int weft__select_set_task(weft__select *s, const char *id);

/* 1 when some per-node criterion is set (not counting the task). */
int weft__select_filters_nodes(const weft__select *s);
/* 1 when task t is selected. */
int weft__select_task(const weft__select *s, const weft__model *m, uint32_t t);
/* 1 when node i matches every per-node criterion. */
int weft__select_node(const weft__select *s, const weft__model *m, uint32_t i);

/* Format a task id as a UUID string (37 bytes with NUL). */
void weft__task_uuid(char out[37], uint64_t hi, uint64_t lo);

#endif
