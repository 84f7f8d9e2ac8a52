/*
 * export_chrome.c - the Chrome / Perfetto trace-event format: one "X"
 * (complete) event per action, "i" (instant) per message, pid = rank,
 * tid = thread, args = fields, and a flow ("s" -> "f") from an action to
 * each child that ran on another rank or thread (a continued context).
 * Times are microseconds since the earliest event, so that doubles keep
 * nanoseconds.
 */
#include "export.h"

#include "value_text.h"

#include <stdlib.h>
#include <string.h>

static void us(weft__out *o, int64_t ns) {
  uint64_t a = ns < 0 ? (uint64_t)0 - (uint64_t)ns : (uint64_t)ns;
  weft__out_fmt(o, "%s%llu.%03llu", ns < 0 ? "-" : "",
                (unsigned long long)(a / 1000), (unsigned long long)(a % 1000));
}

/* When a message arrived: the time of its receipt message, or the end of
 * the receiving call when that call is its own receipt (an MPI_Recv that
 * named its source and tag, see docs/causality.md), 1 ns early so that
 * the flow binds to that call's slice and not to its parent's. */
static int64_t arrival(const weft__node *n) {
  if (n->kind == WEFT__NODE_ACTION && n->status != WEFT__ST_UNFINISHED &&
      weft__time_diff(n->end, n->start) > 1)
    return n->end - 1;
  return n->start;
}

static uint64_t pid_of(const weft__model *m, const weft__node *n) {
  (void)m;
  /* several files (a restarted job): keep their ranks apart */
  return (uint64_t)n->file * 1000000u + n->rank;
}

static void args(weft__out *o, const weft__model *m, uint32_t first, uint32_t n,
                 int *comma) {
  for (uint32_t k = 0; k < n; k++) {
    const weft__mvalue *v = &m->values[first + k];
    const char *name = weft__model_name(m, v->name);
    if (*comma)
      weft__out_char(o, ',');
    *comma = 1;
    weft__out_json_str(o, name, strlen(name));
    weft__out_char(o, ':');
    weft__value_json(o, m, v);
  }
}

int weft__export_chrome(const weft__export *x) {
  const weft__model *m = x->m;
  weft__out *o = x->o;
  unsigned char *sel = weft__export_tasks(x);
  if (!sel)
    return -1;
  int64_t origin = INT64_MAX;
  for (uint32_t i = 0; i < m->nnodes; i++)
    if (sel[m->nodes[i].task] && m->nodes[i].start < origin)
      origin = m->nodes[i].start;
  if (origin == INT64_MAX)
    origin = 0;
  weft__out_str(o, "{\"displayTimeUnit\":\"ns\",\"otherData\":{\"origin_ns\":");
  weft__out_i64(o, origin);
  weft__out_str(o, "},\"traceEvents\":[\n");
  int first = 1;
  /* process and thread names, once per (file, rank) and thread */
  for (uint32_t i = 0; i < m->nnodes; i++) {
    const weft__node *n = &m->nodes[i];
    if (!sel[n->task])
      continue;
    /* cheap dedupe: names are emitted for each stream's first node, found
     * as a node whose predecessor in arrival order is on another stream */
    if (i > 0 && m->nodes[i - 1].rank == n->rank &&
        m->nodes[i - 1].thread == n->thread && m->nodes[i - 1].file == n->file)
      continue;
    const char *host = x->host ? x->host(x->host_arg, n->file, n->rank) : 0;
    weft__out_fmt(o,
                  "%s{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":%llu,"
                  "\"tid\":%u,\"args\":{\"name\":",
                  first ? "" : ",\n", (unsigned long long)pid_of(m, n),
                  n->thread);
    first = 0;
    char label[128];
    snprintf(label, sizeof label, "rank %u%s%s", n->rank, host ? " " : "",
             host ? host : "");
    weft__out_json_str(o, label, strlen(label));
    weft__out_fmt(o,
                  "}},\n{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":%llu,"
                  "\"tid\":%u,\"args\":{\"name\":\"thread %u\"}}",
                  (unsigned long long)pid_of(m, n), n->thread, n->thread);
  }
  uint64_t flow = 0;
  for (uint32_t i = 0; i < m->nnodes; i++) {
    const weft__node *n = &m->nodes[i];
    if (!sel[n->task] || (n->flags & WEFT__NF_NO_START))
      continue;
    const char *type = weft__model_name(m, n->type);
    weft__out_str(o, first ? "{\"ph\":" : ",\n{\"ph\":");
    first = 0;
    weft__out_str(o,
                  n->kind == WEFT__NODE_ACTION ? "\"X\"" : "\"i\",\"s\":\"t\"");
    weft__out_str(o, ",\"name\":");
    weft__out_json_str(o, type, strlen(type));
    weft__out_str(o, ",\"cat\":\"weft\",\"ts\":");
    us(o, weft__time_diff(n->start, origin));
    if (n->kind == WEFT__NODE_ACTION) {
      weft__out_str(o, ",\"dur\":");
      us(o, weft__time_diff(n->end, n->start));
    }
    weft__out_fmt(o, ",\"pid\":%llu,\"tid\":%u,\"args\":{",
                  (unsigned long long)pid_of(m, n), n->thread);
    int comma = 0;
    args(o, m, n->fields, n->nfields, &comma);
    args(o, m, n->end_fields, n->nend_fields, &comma);
    if (n->kind == WEFT__NODE_ACTION) {
      static const char *st[] = {"", "succeeded", "failed", "unfinished"};
      weft__out_fmt(o, "%s\"status\":\"%s\"", comma ? "," : "", st[n->status]);
      comma = 1;
      if (n->reason != WEFT__NONE) {
        weft__out_str(o, ",\"reason\":");
        weft__value_json(o, m, &m->values[n->reason]);
      }
    }
    weft__out_str(o, "}}");
    if (n->parent == WEFT__NONE)
      continue;
    const weft__node *p = &m->nodes[n->parent];
    if (p->rank == n->rank && p->thread == n->thread && p->file == n->file)
      continue;
    /* The flow leaves the parent slice at the child's start (clamped into
     * the parent) and binds to the child's enclosing slice. */
    int64_t ts = n->start < p->start ? p->start
                 : n->start > p->end ? p->end
                                     : n->start;
    flow++;
    weft__out_fmt(o,
                  ",\n{\"ph\":\"s\",\"name\":\"continue\",\"cat\":\"flow\","
                  "\"id\":%llu,\"pid\":%llu,\"tid\":%u,\"ts\":",
                  (unsigned long long)flow, (unsigned long long)pid_of(m, p),
                  p->thread);
    us(o, weft__time_diff(ts, origin));
    weft__out_fmt(o,
                  "},\n{\"ph\":\"f\",\"bp\":\"e\",\"name\":\"continue\","
                  "\"cat\":\"flow\",\"id\":%llu,\"pid\":%llu,\"tid\":%u,"
                  "\"ts\":",
                  (unsigned long long)flow, (unsigned long long)pid_of(m, n),
                  n->thread);
    us(o, weft__time_diff(n->start, origin));
    weft__out_char(o, '}');
  }
  /* MPI messages: a flow from each send to the call that received it */
  const weft__edges *e = x->edges;
  for (uint32_t i = 0; e && i < m->nnodes; i++) {
    uint32_t s = e->partner[i];
    if (e->kind[i] != WEFT__EDGE_RECV || s == WEFT__NONE ||
        !sel[m->nodes[i].task] || !sel[m->nodes[s].task])
      continue;
    const weft__node *sn = &m->nodes[s], *rn = &m->nodes[i];
    flow++;
    weft__out_fmt(o,
                  ",\n{\"ph\":\"s\",\"name\":\"message\",\"cat\":\"mpi\","
                  "\"id\":%llu,\"pid\":%llu,\"tid\":%u,\"ts\":",
                  (unsigned long long)flow, (unsigned long long)pid_of(m, sn),
                  sn->thread);
    us(o, weft__time_diff(sn->start, origin));
    weft__out_fmt(o,
                  "},\n{\"ph\":\"f\",\"bp\":\"e\",\"name\":\"message\","
                  "\"cat\":\"mpi\",\"id\":%llu,\"pid\":%llu,\"tid\":%u,"
                  "\"ts\":",
                  (unsigned long long)flow, (unsigned long long)pid_of(m, rn),
                  rn->thread);
    us(o, weft__time_diff(arrival(rn), origin));
    weft__out_char(o, '}');
  }
  weft__out_str(o, "\n]}\n");
  free(sel);
  return 0;
}
