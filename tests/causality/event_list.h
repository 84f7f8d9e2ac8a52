/*
 * event_list.h - the decoded events of a Weft log, every rank, in one
 * array, for the causality tests' checks (which action nests where).
 */
#ifndef WEFT_TEST_EVENT_LIST_H
#define WEFT_TEST_EVENT_LIST_H

#include <stddef.h>
#include <stdint.h>

#define EL_FIELDS 8

typedef struct el_event {
  int kind; /* weft_kind */
  int rank;
  char type[48];
  uint64_t task_hi, task_lo;
  char level[96]; /* "/2/1" */
  size_t level_len;
  int nf;
  char fname[EL_FIELDS][16];
  int64_t fval[EL_FIELDS]; /* integer and boolean fields */
} el_event;

typedef struct el_list {
  el_event *e;
  size_t n, cap;
} el_list;

/* Read every rank of the log at path.  0, or -1 with a message. */
int el_load(el_list *l, const char *path);
void el_free(el_list *l);

/* Value of the named integer field of e into *out; 0 when absent. */
int el_field(const el_event *e, const char *name, int64_t *out);
/* Index of the n-th (from 0) event of this kind, type and rank (rank -1:
 * any), or -1. */
long el_find(const el_list *l, int kind, const char *type, int rank, int nth);
/* Number of events of this kind and type on `rank` (-1: any). */
size_t el_count(const el_list *l, int kind, const char *type, int rank);
/* 1 when a and b belong to the same task. */
int el_same_task(const el_event *a, const el_event *b);
/* 1 when the start `child` is a direct child of the start `parent`: same
 * task, and child's level is parent's action level plus one slot. */
int el_child_of(const el_event *child, const el_event *parent);

/* Print a failure and return 1 (for `return el_fail(...)`). */
int el_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
