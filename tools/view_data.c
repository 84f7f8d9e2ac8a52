/*
 * view_data.c - the JSON data of the HTML view (see view_data.h for what
 * it holds and how a large log is aggregated; tools/view/page.js reads
 * it).
 */
#include "view_data.h"

#include "select.h"
#include "value_text.h"

#include <stdlib.h>
#include <string.h>

typedef struct lane {
  uint32_t file, rank, thread;
} lane;

static int lane_cmp(const void *a, const void *b) {
  const lane *x = a, *y = b;
  if (x->file != y->file)
    return x->file < y->file ? -1 : 1;
  if (x->rank != y->rank)
    return x->rank < y->rank ? -1 : 1;
  if (x->thread != y->thread)
    return x->thread < y->thread ? -1 : 1;
  return 0;
}

/* The sorted distinct (file, rank, thread) of the nodes. */
static lane *make_lanes(const weft__model *m, uint32_t *n) {
  lane *l = malloc(((size_t)m->nnodes + 1) * sizeof *l);
  if (!l)
    return NULL;
  for (uint32_t i = 0; i < m->nnodes; i++)
    l[i] = (lane){m->nodes[i].file, m->nodes[i].rank, m->nodes[i].thread};
  qsort(l, m->nnodes, sizeof *l, lane_cmp);
  uint32_t k = 0;
  for (uint32_t i = 0; i < m->nnodes; i++)
    if (!k || lane_cmp(&l[k - 1], &l[i]))
      l[k++] = l[i];
  *n = k;
  return l;
}

static uint32_t lane_of(const lane *l, uint32_t n, const weft__node *node) {
  lane key = {node->file, node->rank, node->thread};
  const lane *p = bsearch(&key, l, n, sizeof *l, lane_cmp);
  return (uint32_t)(p - l);
}

/* qsort has no context argument: the model being sorted. */
static const weft__model *sort_model;

static int64_t sort_key(uint32_t i) {
  /* messages and actions without a start come after every action */
  int64_t e = weft__model_elapsed(sort_model, i);
  return e < 0 ? -1 : e;
}

static int slowest_first(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  int64_t kx = sort_key(x), ky = sort_key(y);
  if (kx != ky)
    return kx > ky ? -1 : 1;
  return x < y ? -1 : x > y;
}

/* keep[i] = 1 for the nodes shown: all when they fit, else the slowest
 * actions with their ancestors.  Returns the number kept or -1. */
static int64_t choose(const weft__model *m, uint32_t max, unsigned char *keep) {
  if (m->nnodes <= max) {
    memset(keep, 1, m->nnodes);
    return m->nnodes;
  }
  uint32_t *idx = malloc(((size_t)m->nnodes + 1) * sizeof *idx);
  if (!idx)
    return -1;
  for (uint32_t i = 0; i < m->nnodes; i++)
    idx[i] = i;
  sort_model = m;
  qsort(idx, m->nnodes, sizeof *idx, slowest_first);
  memset(keep, 0, m->nnodes);
  uint32_t kept = 0;
  for (uint32_t k = 0; k < m->nnodes && kept < max; k++) {
    uint32_t need = 0;
    for (uint32_t i = idx[k]; i != WEFT__NONE && !keep[i];
         i = m->nodes[i].parent)
      need++;
    if (!need || kept + need > max)
      continue;
    for (uint32_t i = idx[k]; i != WEFT__NONE && !keep[i];
         i = m->nodes[i].parent)
      keep[i] = 1;
    kept += need;
  }
  free(idx);
  return kept;
}

/* JavaScript numbers are doubles: an integer beyond 2^53 would show
 * rounded in the page, so it goes there as a string of its exact digits;
 * so does an integer array's summary (its JSON text, which the page shows
 * as it is: its head may hold such integers). */
static int beyond_double(const weft__mvalue *v) {
  const int64_t lim = INT64_C(1) << 53;
  return (v->type == WEFT_TYPE_I64 && (v->v.i64 > lim || v->v.i64 < -lim)) ||
         (v->type == WEFT_TYPE_U64 && v->v.u64 > (uint64_t)lim);
}

static void fields(weft__out *o, const weft__model *m, uint32_t first,
                   uint32_t n) {
  weft__out_char(o, '{');
  for (uint32_t k = 0; k < n; k++) {
    const weft__mvalue *v = &m->values[first + k];
    const char *name = weft__model_name(m, v->name);
    if (k)
      weft__out_char(o, ',');
    weft__out_json_str(o, name, strlen(name));
    weft__out_char(o, ':');
    if (v->type == WEFT_TYPE_I64_ARRAY) {
      uint32_t len;
      const char *s = weft__model_str(m, v, &len);
      weft__out_json_str(o, s, len);
      continue;
    }
    int quote = beyond_double(v);
    if (quote)
      weft__out_char(o, '"');
    weft__value_json(o, m, v);
    if (quote)
      weft__out_char(o, '"');
  }
  weft__out_char(o, '}');
}

static void node_json(weft__out *o, const weft__model *m, uint32_t i,
                      uint32_t parent, uint32_t ln, int64_t origin,
                      uint32_t hidden) {
  const weft__node *n = &m->nodes[i];
  weft__out_str(o, "{\"p\":");
  if (parent == WEFT__NONE)
    weft__out_str(o, "-1");
  else
    weft__out_u64(o, parent);
  weft__out_fmt(o, ",\"l\":%u,\"t\":%u,\"k\":%u,\"s\":%u,\"T\":%u,\"b\":", ln,
                n->type, n->kind, n->status, n->task);
  weft__out_i64(o, weft__time_diff(n->start, origin));
  weft__out_str(o, ",\"e\":");
  weft__out_i64(o, weft__time_diff(n->end, origin));
  uint32_t len;
  const uint32_t *lv = weft__model_level(m, i, &len);
  weft__out_str(o, ",\"L\":\"");
  for (uint32_t k = 0; k < len; k++)
    weft__out_fmt(o, "/%u", lv[k]);
  weft__out_char(o, '"');
  if (hidden)
    weft__out_fmt(o, ",\"h\":%u", hidden);
  if (n->flags)
    weft__out_fmt(o, ",\"x\":%u", n->flags);
  if (n->nfields) {
    weft__out_str(o, ",\"f\":");
    fields(o, m, n->fields, n->nfields);
  }
  if (n->nend_fields) {
    weft__out_str(o, ",\"r\":");
    fields(o, m, n->end_fields, n->nend_fields);
  }
  if (n->status == WEFT__ST_FAILED) {
    weft__out_str(o, ",\"why\":");
    if (n->reason != WEFT__NONE)
      weft__value_json(o, m, &m->values[n->reason]);
    else
      weft__out_str(o, "null");
    weft__out_str(o, ",\"code\":");
    weft__out_i64(o, n->code);
  }
  weft__out_char(o, '}');
}

typedef struct bucket {
  uint32_t lane, type;
  uint32_t node;
} bucket;

static int bucket_cmp(const void *a, const void *b) {
  const bucket *x = a, *y = b;
  if (x->lane != y->lane)
    return x->lane < y->lane ? -1 : 1;
  if (x->type != y->type)
    return x->type < y->type ? -1 : 1;
  return 0;
}

/* The summary bars: per lane and type of the nodes left out, [lane, type,
 * count, first start, last end, total elapsed]. */
static int aggregates(weft__out *o, const weft__model *m,
                      const unsigned char *keep, const lane *lanes,
                      uint32_t nlanes, int64_t origin) {
  uint32_t n = 0;
  bucket *b = malloc(((size_t)m->nnodes + 1) * sizeof *b);
  if (!b)
    return -1;
  for (uint32_t i = 0; i < m->nnodes; i++)
    if (!keep[i])
      b[n++] =
          (bucket){lane_of(lanes, nlanes, &m->nodes[i]), m->nodes[i].type, i};
  qsort(b, n, sizeof *b, bucket_cmp);
  int first = 1;
  for (uint32_t k = 0; k < n;) {
    uint32_t j = k;
    int64_t s = INT64_MAX, e = INT64_MIN, total = 0;
    for (; j < n && !bucket_cmp(&b[j], &b[k]); j++) {
      const weft__node *nd = &m->nodes[b[j].node];
      s = nd->start < s ? nd->start : s;
      e = nd->end > e ? nd->end : e;
      int64_t el = weft__model_elapsed(m, b[j].node);
      if (el > 0)
        total = weft__time_add(total, el);
    }
    weft__out_fmt(o, "%s[%u,%u,%u,", first ? "" : ",\n", b[k].lane, b[k].type,
                  j - k);
    first = 0;
    weft__out_i64(o, weft__time_diff(s, origin));
    weft__out_char(o, ',');
    weft__out_i64(o, weft__time_diff(e, origin));
    weft__out_char(o, ',');
    weft__out_i64(o, total);
    weft__out_char(o, ']');
    k = j;
  }
  free(b);
  return 0;
}

static int64_t first_time(const weft__model *m) {
  int64_t t = INT64_MAX;
  for (uint32_t i = 0; i < m->nnodes; i++)
    if (m->nodes[i].start < t)
      t = m->nodes[i].start;
  return t == INT64_MAX ? 0 : t;
}

/* Nodes in tree order (tasks by first time, children in order), kept ones
 * only, renumbered: map[i] is node i's index in the page. */
static int nodes(weft__out *o, const weft__model *m, const unsigned char *keep,
                 uint32_t *map, const lane *lanes, uint32_t nlanes,
                 int64_t origin) {
  uint32_t *stack = malloc(((size_t)m->nnodes + 1) * sizeof *stack);
  if (!stack)
    return -1;
  uint32_t next = 0;
  for (uint32_t k = 0; k < m->ntasks; k++) {
    size_t sp = 0;
    /* push in reverse so that the first root comes out first */
    for (uint32_t r = m->tasks[m->order[k]].first_root; r != WEFT__NONE;
         r = m->nodes[r].next_sibling)
      if (keep[r])
        stack[sp++] = r;
    for (size_t a = 0, z = sp; a + 1 < z; a++, z--) {
      uint32_t t = stack[a];
      stack[a] = stack[z - 1];
      stack[z - 1] = t;
    }
    while (sp) {
      uint32_t i = stack[--sp];
      const weft__node *n = &m->nodes[i];
      uint32_t hidden = 0, base = (uint32_t)sp;
      for (uint32_t c = n->first_child; c != WEFT__NONE;
           c = m->nodes[c].next_sibling) {
        if (keep[c])
          stack[sp++] = c;
        else
          hidden++;
      }
      for (size_t a = base, z = sp; a + 1 < z; a++, z--) {
        uint32_t t = stack[a];
        stack[a] = stack[z - 1];
        stack[z - 1] = t;
      }
      map[i] = next;
      if (next++)
        weft__out_str(o, ",\n");
      node_json(o, m, i, n->parent == WEFT__NONE ? WEFT__NONE : map[n->parent],
                lane_of(lanes, nlanes, n), origin, hidden);
    }
  }
  free(stack);
  return 0;
}

int weft__view_data(weft__out *o, const weft__view_input *in) {
  const weft__model *m = in->m;
  uint32_t nlanes = 0;
  lane *lanes = make_lanes(m, &nlanes);
  unsigned char *keep = malloc((size_t)m->nnodes + 1);
  uint32_t *map = malloc(((size_t)m->nnodes + 1) * sizeof *map);
  int64_t kept = lanes && keep && map ? choose(m, in->max_nodes, keep) : -1;
  if (kept < 0) {
    free(lanes);
    free(keep);
    free(map);
    return -1;
  }
  int64_t origin = first_time(m);
  weft__out_str(o, "{\"version\":1,\"files\":[");
  for (size_t f = 0; f < in->nfiles; f++) {
    if (f)
      weft__out_char(o, ',');
    weft__out_json_str(o, in->files[f], strlen(in->files[f]));
  }
  /* origin as a string: a double cannot hold epoch nanoseconds */
  weft__out_str(o, "],\"origin\":\"");
  weft__out_i64(o, origin);
  weft__out_fmt(o,
                "\",\"total\":%u,\"shown\":%llu,\"max\":%u,\"aggregated\":%s,"
                "\n\"lanes\":[",
                m->nnodes, (unsigned long long)kept, in->max_nodes,
                (uint64_t)kept < m->nnodes ? "true" : "false");
  for (uint32_t l = 0; l < nlanes; l++) {
    const char *host =
        in->host ? in->host(in->host_arg, lanes[l].file, lanes[l].rank) : NULL;
    weft__out_fmt(o, "%s{\"file\":%u,\"rank\":%u,\"thread\":%u,\"host\":",
                  l ? "," : "", lanes[l].file, lanes[l].rank, lanes[l].thread);
    if (host)
      weft__out_json_str(o, host, strlen(host));
    else
      weft__out_str(o, "null");
    weft__out_char(o, '}');
  }
  weft__out_str(o, "],\n\"types\":[");
  for (uint32_t t = 0; t < m->names.n; t++) {
    const char *s = weft__model_name(m, t);
    if (t)
      weft__out_char(o, ',');
    weft__out_json_str(o, s, strlen(s));
  }
  weft__out_str(o, "],\n\"tasks\":[");
  for (uint32_t t = 0; t < m->ntasks; t++) {
    char id[37];
    weft__task_uuid(id, m->tasks[t].hi, m->tasks[t].lo);
    weft__out_fmt(o, "%s\"%s\"", t ? "," : "", id);
  }
  weft__out_str(o, "],\n\"nodes\":[\n");
  int rc = nodes(o, m, keep, map, lanes, nlanes, origin);
  weft__out_str(o, "],\n\"messages\":[");
  /* MPI messages between kept nodes: [send, receipt] */
  int first = 1;
  for (uint32_t i = 0; !rc && in->edges && i < m->nnodes; i++) {
    uint32_t s = in->edges->partner[i];
    if (in->edges->kind[i] != WEFT__EDGE_RECV || s == WEFT__NONE || !keep[i] ||
        !keep[s])
      continue;
    weft__out_fmt(o, "%s[%u,%u]", first ? "" : ",", map[s], map[i]);
    first = 0;
  }
  weft__out_str(o, "],\n\"agg\":[");
  if (!rc)
    rc = aggregates(o, m, keep, lanes, nlanes, origin);
  weft__out_str(o, "]}\n");
  free(lanes);
  free(keep);
  free(map);
  return rc;
}
