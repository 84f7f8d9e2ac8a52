/*
 * waits.c - wait-state attribution for `weft profile --waits`.
 *
 * Each wait is a record (phase, pattern, late rank, waiting rank, call
 * type, ns); sorting the records by (phase, pattern, late rank) makes the
 * groups contiguous.
 */
#include "waits.h"

#include "profile.h"
#include "timefmt.h"

#include <stdlib.h>
#include <string.h>

enum { LATE_SENDER = 0, WAIT_AT_COLLECTIVE = 1 };
static const char *pattern_name[] = {"late sender", "wait at collective"};

typedef struct wait_rec {
  uint32_t phase; /* strtab id of the phase type, or NONE */
  uint32_t pattern;
  uint32_t late, waiter; /* ranks */
  uint32_t call;         /* strtab id of the waiting call's type */
  int64_t ns;
} wait_rec;

typedef struct coll {
  uint64_t file, comm, seq, type;
  uint32_t node;
} coll;

static int is_mpi_call(const weft__model *m, uint32_t i) {
  return strncmp(weft__model_name(m, m->nodes[i].type), "MPI_", 4) == 0;
}

static uint32_t phase_of(const weft__model *m, uint32_t i) {
  for (uint32_t p = m->nodes[i].parent; p != WEFT__NONE; p = m->nodes[p].parent)
    if (m->nodes[p].kind == WEFT__NODE_ACTION && !is_mpi_call(m, p))
      return m->nodes[p].type;
  return WEFT__NONE;
}

static int field_i64(const weft__model *m, uint32_t i, uint32_t name,
                     int64_t *out) {
  const weft__mvalue *v =
      name == UINT32_MAX ? NULL : weft__model_field(m, i, name);
  if (!v || (v->type != WEFT_TYPE_I64 && v->type != WEFT_TYPE_U64))
    return 0;
  *out = v->v.i64;
  return 1;
}

static int coll_cmp(const void *a, const void *b) {
  const coll *x = a, *y = b;
  if (x->file != y->file)
    return x->file < y->file ? -1 : 1;
  if (x->comm != y->comm)
    return x->comm < y->comm ? -1 : 1;
  if (x->seq != y->seq)
    return x->seq < y->seq ? -1 : 1;
  if (x->type != y->type)
    return x->type < y->type ? -1 : 1;
  return (x->node > y->node) - (x->node < y->node);
}

static int rec_cmp(const void *a, const void *b) {
  const wait_rec *x = a, *y = b;
  if (x->phase != y->phase)
    return x->phase < y->phase ? -1 : 1;
  if (x->pattern != y->pattern)
    return x->pattern < y->pattern ? -1 : 1;
  if (x->late != y->late)
    return x->late < y->late ? -1 : 1;
  if (x->waiter != y->waiter)
    return x->waiter < y->waiter ? -1 : 1;
  return (x->call > y->call) - (x->call < y->call);
}

typedef struct group {
  size_t first, n; /* records */
  int64_t total, max;
} group;

static int group_cmp(const void *a, const void *b) {
  const group *x = a, *y = b;
  return (x->total < y->total) - (x->total > y->total);
}

static int push(wait_rec **r, size_t *n, size_t *cap, wait_rec w) {
  if (*n == *cap) {
    size_t nc = *cap ? *cap * 2 : 256;
    wait_rec *p = realloc(*r, nc * sizeof *p);
    if (!p)
      return -1;
    *r = p;
    *cap = nc;
  }
  (*r)[(*n)++] = w;
  return 0;
}

/* Distinct values of one member over a group's records, space separated
 * (the records are sorted by waiter, so ranks come out in order). */
static void list(weft__out *o, const weft__model *m, const wait_rec *r,
                 size_t n, int calls) {
  for (size_t k = 0; k < n; k++) {
    int seen = 0;
    for (size_t j = 0; j < k && !seen; j++)
      seen = calls ? r[j].call == r[k].call : r[j].waiter == r[k].waiter;
    if (seen)
      continue;
    if (k)
      weft__out_char(o, ' ');
    if (calls)
      weft__out_str(o, weft__model_name(m, r[k].call));
    else
      weft__out_u64(o, r[k].waiter);
  }
}

int weft__waits_write(weft__out *o, const weft__model *m, const weft__edges *e,
                      const weft__select *sel, int format, int raw, int ascii) {
  wait_rec *recs = NULL;
  coll *colls = NULL;
  group *groups = NULL;
  size_t nrec = 0, rcap = 0, ncoll = 0;
  int rc = -1;
  /* late senders: each receipt's call against its send */
  for (uint32_t i = 0; i < m->nnodes; i++) {
    uint32_t s = e->partner[i];
    if (e->kind[i] != WEFT__EDGE_RECV || s == WEFT__NONE)
      continue;
    /* the receiving call: the receipt's action, or the receipt itself */
    uint32_t call =
        m->nodes[i].kind == WEFT__NODE_ACTION ? i : m->nodes[i].parent;
    if (call == WEFT__NONE || !weft__select_task(sel, m, m->nodes[i].task))
      continue;
    const weft__node *c = &m->nodes[call], *sn = &m->nodes[s];
    if (c->kind != WEFT__NODE_ACTION || sn->start <= c->start)
      continue;
    int64_t w = weft__time_diff(sn->start, c->start);
    int64_t el = weft__time_diff(c->end, c->start);
    if (el < w)
      w = el;
    if (w > 0 && push(&recs, &nrec, &rcap,
                      (wait_rec){phase_of(m, call), LATE_SENDER, sn->rank,
                                 c->rank, c->type, w}))
      goto out;
  }
  /* waits at collectives: instances are (file, comm, coll_seq, type) */
  uint32_t comm_id = weft__strtab_find(&m->names, "comm", 4);
  uint32_t seq_id = weft__strtab_find(&m->names, "coll_seq", 8);
  if (comm_id != UINT32_MAX && seq_id != UINT32_MAX) {
    colls = malloc((m->nnodes ? m->nnodes : 1) * sizeof *colls);
    if (!colls)
      goto out;
    for (uint32_t i = 0; i < m->nnodes; i++) {
      int64_t comm, seq;
      const weft__node *n = &m->nodes[i];
      if (n->kind == WEFT__NODE_ACTION && !(n->flags & WEFT__NF_NO_START) &&
          weft__select_task(sel, m, n->task) &&
          field_i64(m, i, comm_id, &comm) && field_i64(m, i, seq_id, &seq))
        colls[ncoll++] =
            (coll){n->file, (uint64_t)comm, (uint64_t)seq, n->type, i};
    }
    qsort(colls, ncoll, sizeof *colls, coll_cmp);
    for (size_t a = 0; a < ncoll;) {
      size_t b = a + 1;
      while (b < ncoll && colls[b].file == colls[a].file &&
             colls[b].comm == colls[a].comm && colls[b].seq == colls[a].seq &&
             colls[b].type == colls[a].type)
        b++;
      uint32_t last = colls[a].node;
      for (size_t k = a; k < b; k++)
        if (m->nodes[colls[k].node].start > m->nodes[last].start)
          last = colls[k].node;
      for (size_t k = a; k < b; k++) {
        const weft__node *n = &m->nodes[colls[k].node];
        if (colls[k].node == last)
          continue;
        int64_t w = weft__time_diff(m->nodes[last].start, n->start);
        int64_t el = weft__time_diff(n->end, n->start);
        if (el < w)
          w = el;
        if (w > 0 &&
            push(&recs, &nrec, &rcap,
                 (wait_rec){phase_of(m, colls[k].node), WAIT_AT_COLLECTIVE,
                            m->nodes[last].rank, n->rank, n->type, w}))
          goto out;
      }
      a = b;
    }
  }
  if (nrec)
    qsort(recs, nrec, sizeof *recs, rec_cmp);
  groups = malloc((nrec ? nrec : 1) * sizeof *groups);
  if (!groups)
    goto out;
  size_t ng = 0;
  for (size_t a = 0; a < nrec;) {
    group g = {a, 0, 0, 0};
    size_t b = a;
    while (b < nrec && recs[b].phase == recs[a].phase &&
           recs[b].pattern == recs[a].pattern && recs[b].late == recs[a].late) {
      g.total = weft__time_add(g.total, recs[b].ns);
      if (recs[b].ns > g.max)
        g.max = recs[b].ns;
      b++;
    }
    g.n = b - a;
    groups[ng++] = g;
    a = b;
  }
  qsort(groups, ng, sizeof *groups, group_cmp);
  if (format == WEFT__PROFILE_CSV)
    weft__out_str(o, "phase,pattern,calls,late_rank,wait_ns,instances,"
                     "max_wait_ns,waiting_ranks\n");
  else if (format == WEFT__PROFILE_JSON)
    weft__out_str(o, "{\"waits\":[");
  else
    weft__out_str(o, "phase                pattern              late rank"
                     "   waited   instances  max        waiting ranks\n");
  for (size_t k = 0; k < ng; k++) {
    const group *g = &groups[k];
    const wait_rec *r = &recs[g->first];
    const char *phase =
        r->phase == WEFT__NONE ? "(none)" : weft__model_name(m, r->phase);
    if (format == WEFT__PROFILE_CSV) {
      weft__out_csv_str(o, phase, strlen(phase));
      weft__out_fmt(o, ",%s,", pattern_name[r->pattern]);
      list(o, m, r, g->n, 1);
      weft__out_fmt(o, ",%u,%lld,%zu,%lld,", r->late, (long long)g->total, g->n,
                    (long long)g->max);
      list(o, m, r, g->n, 0);
      weft__out_char(o, '\n');
    } else if (format == WEFT__PROFILE_JSON) {
      weft__out_str(o, k ? ",\n {\"phase\":" : "\n {\"phase\":");
      weft__out_json_str(o, phase, strlen(phase));
      weft__out_fmt(o,
                    ",\"pattern\":\"%s\",\"late_rank\":%u,\"wait_ns\":%lld,"
                    "\"instances\":%zu,\"max_wait_ns\":%lld,\"calls\":\"",
                    pattern_name[r->pattern], r->late, (long long)g->total,
                    g->n, (long long)g->max);
      list(o, m, r, g->n, 1);
      weft__out_str(o, "\",\"waiting_ranks\":\"");
      list(o, m, r, g->n, 0);
      weft__out_str(o, "\"}");
    } else {
      char b1[48], b2[48];
      weft__out_fmt(o, "%-20s %-20s %9u %8s %11zu  %-10s ", phase,
                    pattern_name[r->pattern], r->late,
                    weft__fmt_duration(b1, sizeof b1, g->total, raw, ascii),
                    g->n,
                    weft__fmt_duration(b2, sizeof b2, g->max, raw, ascii));
      list(o, m, r, g->n, 0);
      weft__out_char(o, '\n');
    }
  }
  if (format == WEFT__PROFILE_JSON)
    weft__out_str(o, "\n]}\n");
  rc = 0;
out:
  free(recs);
  free(colls);
  free(groups);
  return rc;
}
