/*
 * tree_render.c - draws the causal tree.
 *
 * Selection marks matching nodes and their ancestors (each node is marked
 * once, so marking is linear); rendering then walks the visible part.
 * Runs of sibling actions with the same type and slot on many ranks -- the
 * shape of work every rank does under one parent -- fold into one line with
 * min / median / max elapsed and the slowest rank.
 */
#include "tree_render.h"

#include "stats.h"
#include "timefmt.h"
#include "value_text.h"

#include <stdlib.h>
#include <string.h>

#define C_RED "\x1b[31m"
#define C_GREEN "\x1b[32m"
#define C_YELLOW "\x1b[33m"
#define C_BOLD "\x1b[1m"
#define C_DIM "\x1b[2m"
#define C_OFF "\x1b[0m"

void weft__tree_opts_init(weft__tree_opts *o) {
  memset(o, 0, sizeof *o);
  o->field_limit = 100;
  o->fold_above = 4;
}

typedef struct render {
  weft__out *o;
  const weft__model *m;
  const weft__tree_opts *opt;
  unsigned char *vis; /* NULL: everything visible */
  char *prefix;       /* tree lines of the ancestors */
  size_t plen, pcap;
  uint32_t *items; /* stack of visible children of the nodes being drawn */
  size_t nitems, icap;
  int64_t *durs; /* scratch for folded medians */
  size_t dcap;
  int oom;
  int full_paths; /* two inputs share a base name: show the paths given */
} render;

static const char *sym(const render *r, int which) {
  static const char *uni[] = {"\xe2\x94\x9c\xe2\x94\x80\xe2\x94\x80 ",
                              "\xe2\x94\x94\xe2\x94\x80\xe2\x94\x80 ",
                              "\xe2\x94\x82   ",
                              "    ",
                              "\xe2\x87\x92",
                              "\xe2\xa7\x96",
                              "\xc3\x97",
                              "\xe2\x89\xa5"};
  static const char *asc[] = {"|-- ", "`-- ", "|   ", "    ",
                              "=>",   "took", "x",    ">="};
  return r->opt->ascii ? asc[which] : uni[which];
}
enum { S_TEE, S_ELBOW, S_PIPE, S_BLANK, S_ARROW, S_TIME, S_TIMES, S_GE };

/* sym() appended with its length known: a few symbols per line, tens of
 * millions of lines. */
static void out_sym(render *r, int which) {
  static const unsigned char uni[] = {10, 10, 6, 4, 3, 3, 2, 3};
  static const unsigned char asc[] = {4, 4, 4, 4, 2, 4, 1, 2};
  weft__out_mem(r->o, sym(r, which), r->opt->ascii ? asc[which] : uni[which]);
}

/* A type or field name, its length known. */
static void out_name(render *r, uint32_t id) {
  weft__out_mem(r->o, weft__model_name(r->m, id),
                weft__strtab_len(&r->m->names, id));
}

static void color(render *r, const char *c) {
  if (r->opt->color)
    weft__out_str(r->o, c);
}

static int push_prefix(render *r, const char *s) {
  size_t n = strlen(s);
  if (r->plen + n + 1 > r->pcap) {
    size_t nc = r->pcap ? r->pcap * 2 : 256;
    while (nc < r->plen + n + 1)
      nc *= 2;
    char *p = realloc(r->prefix, nc);
    if (!p) {
      r->oom = 1;
      return -1;
    }
    r->prefix = p;
    r->pcap = nc;
  }
  memcpy(r->prefix + r->plen, s, n);
  r->plen += n;
  return 0;
}

static void line_start(render *r, int last) {
  if (r->plen) /* a root's prefix is empty and may not be allocated */
    weft__out_mem(r->o, r->prefix, r->plen);
  out_sym(r, last ? S_ELBOW : S_TEE);
}

static void dur(render *r, int64_t ns) {
  char b[48];
  weft__out_str(
      r->o, weft__fmt_duration(b, sizeof b, ns, r->opt->raw, r->opt->ascii));
}

static void fields_inline(render *r, uint32_t first, uint32_t n) {
  if (!n)
    return;
  weft__out_str(r->o, " (");
  for (uint32_t k = 0; k < n; k++) {
    const weft__mvalue *v = &r->m->values[first + k];
    if (k)
      weft__out_str(r->o, ", ");
    out_name(r, v->name);
    weft__out_str(r->o, ": ");
    weft__value_human(r->o, r->m, v, r->opt->field_limit, r->opt->raw,
                      r->opt->ascii);
  }
  weft__out_char(r->o, ')');
}

/* The last component of a path. */
static const char *base_name(const char *path) {
  const char *slash = strrchr(path, '/');
  return slash && slash[1] ? slash + 1 : path;
}

static void where(render *r, const weft__node *n, const weft__node *parent) {
  /* With several logs, "rank 0" is ambiguous: name the file too. */
  int many = r->opt->nfiles > 1 && n->file < r->opt->nfiles;
  int show_rank = parent ? parent->rank != n->rank || parent->file != n->file
                         : r->m->nranks > 1 || many;
  int show_thread = parent ? parent->thread != n->thread : n->thread != 0;
  if (!show_rank && !show_thread)
    return;
  color(r, C_DIM);
  weft__out_str(r->o, " [");
  if (many && (show_rank || show_thread)) {
    const char *path = r->opt->files[n->file];
    weft__out_str(r->o, r->full_paths ? path : base_name(path));
    weft__out_char(r->o, ' ');
  }
  if (show_rank || show_thread) {
    weft__out_str(r->o, "rank ");
    weft__out_u64(r->o, n->rank);
  }
  if (show_thread) {
    weft__out_str(r->o, " thread ");
    weft__out_u64(r->o, n->thread);
  }
  weft__out_char(r->o, ']');
  color(r, C_OFF);
}

/* " → rank R (recv #S)" after a send, " ← rank R (send #S)" after a
 * receipt (docs/causality.md section 4); R is the partner's rank in its
 * log.  An unpaired one whose peer (a world rank) is not in the log says
 * so, with the world rank: it is no rank of the log. */
static void edge(render *r, uint32_t i) {
  const weft__edges *e = r->opt->edges;
  if (!e || e->kind[i] == WEFT__EDGE_NONE)
    return;
  int send = e->kind[i] == WEFT__EDGE_SEND;
  uint32_t p = e->partner[i];
  if (p == WEFT__NONE) {
    color(r, C_YELLOW);
    weft__out_str(r->o, send ? " (not received" : " (send not found");
    const weft__mvalue *peer =
        e->away[i] ? weft__model_field(
                         r->m, i, weft__strtab_find(&r->m->names, "peer", 4))
                   : NULL;
    if (peer) {
      weft__out_str(r->o, ": world rank ");
      weft__out_i64(r->o, peer->v.i64);
      weft__out_str(r->o, " is not in this log");
    }
    weft__out_char(r->o, ')');
    color(r, C_OFF);
    return;
  }
  weft__out_char(r->o, ' ');
  weft__out_str(r->o, r->opt->ascii ? (send ? "->" : "<-")
                                    : (send ? "\xe2\x86\x92" : "\xe2\x86\x90"));
  weft__out_str(r->o, " rank ");
  weft__out_u64(r->o, r->m->nodes[p].rank);
  weft__out_str(r->o, send ? " (recv #" : " (send #");
  weft__out_i64(r->o, e->seq[p]);
  weft__out_char(r->o, ')');
}

static void label(render *r, uint32_t i) {
  const weft__model *m = r->m;
  const weft__node *n = &m->nodes[i];
  const weft__node *p = n->parent == WEFT__NONE ? NULL : &m->nodes[n->parent];
  int act = n->kind == WEFT__NODE_ACTION;
  if (act)
    color(r, n->status == WEFT__ST_FAILED ? C_BOLD C_RED : C_BOLD);
  out_name(r, n->type);
  if (act)
    color(r, C_OFF);
  if (r->opt->levels) {
    uint32_t len;
    const uint32_t *l = weft__model_level(m, i, &len);
    for (uint32_t k = 0; k < len; k++) {
      weft__out_char(r->o, '/');
      weft__out_u64(r->o, l[k]);
    }
  }
  where(r, n, p);
  if (n->flags & WEFT__NF_ORPHAN)
    weft__out_str(r->o, " (continues a context whose action is missing)");
  fields_inline(r, n->fields, n->nfields);
  if (act) {
    weft__out_char(r->o, ' ');
    out_sym(r, S_ARROW);
    weft__out_char(r->o, ' ');
    switch (n->status) {
    case WEFT__ST_SUCCEEDED:
      color(r, C_GREEN);
      weft__out_str(r->o, "succeeded");
      break;
    case WEFT__ST_FAILED:
      color(r, C_RED);
      weft__out_str(r->o, "failed");
      break;
    default:
      color(r, C_YELLOW C_BOLD);
      weft__out_str(r->o, "unfinished");
    }
    color(r, C_OFF);
    if (n->flags & WEFT__NF_NO_START) {
      weft__out_str(r->o, " (start not recorded)");
    } else {
      weft__out_char(r->o, ' ');
      out_sym(r, S_TIME);
      weft__out_char(r->o, ' ');
      if (n->status == WEFT__ST_UNFINISHED)
        out_sym(r, S_GE);
      dur(r, weft__time_diff(n->end, n->start));
      if (n->status == WEFT__ST_UNFINISHED) {
        /* Where its rank stopped: the last event recorded inside it. */
        char b[64];
        weft__out_str(r->o, ", stopped on rank ");
        weft__out_u64(r->o, n->rank);
        weft__out_str(r->o, " at ");
        weft__out_str(r->o, weft__fmt_time(b, sizeof b, n->end, r->opt->raw));
      }
    }
  }
  if (!p) {
    char b[64];
    weft__out_str(r->o, " @ ");
    weft__out_str(r->o, weft__fmt_time(b, sizeof b, n->start, r->opt->raw));
  }
  edge(r, i);
  weft__out_char(r->o, '\n');
}

/* Lines beneath an action: success fields, or reason and code. */
static uint32_t result_count(const weft__model *m, uint32_t i) {
  const weft__node *n = &m->nodes[i];
  return n->nend_fields + (n->reason != WEFT__NONE) +
         (n->status == WEFT__ST_FAILED && n->code != 0);
}

static void result_line(render *r, uint32_t i, uint32_t k, int last) {
  const weft__node *n = &r->m->nodes[i];
  line_start(r, last);
  if (k < n->nend_fields) {
    const weft__mvalue *v = &r->m->values[n->end_fields + k];
    out_name(r, v->name);
    weft__out_str(r->o, ": ");
    weft__value_human(r->o, r->m, v, r->opt->field_limit, r->opt->raw,
                      r->opt->ascii);
  } else if (k == n->nend_fields && n->reason != WEFT__NONE) {
    color(r, C_RED);
    weft__out_str(r->o, "reason: ");
    weft__value_human(r->o, r->m, &r->m->values[n->reason], r->opt->field_limit,
                      r->opt->raw, r->opt->ascii);
    color(r, C_OFF);
  } else {
    weft__out_str(r->o, "code: ");
    weft__out_i64(r->o, n->code);
  }
  weft__out_char(r->o, '\n');
}

static int foldable(const weft__model *m, uint32_t a, uint32_t b) {
  const weft__node *x = &m->nodes[a], *y = &m->nodes[b];
  if (x->kind != WEFT__NODE_ACTION || y->kind != WEFT__NODE_ACTION ||
      x->type != y->type || ((x->flags | y->flags) & WEFT__NF_NO_START))
    return 0;
  uint32_t la, lb;
  const uint32_t *ea = weft__model_level(m, a, &la);
  const uint32_t *eb = weft__model_level(m, b, &lb);
  return la == lb && la && ea[la - 1] == eb[lb - 1];
}

static void folded_line(render *r, const uint32_t *g, size_t n, int last,
                        const weft__node *parent) {
  const weft__model *m = r->m;
  uint32_t ranks = 1, counts[4] = {0};
  uint32_t slow = g[0];
  if (n > r->dcap) {
    int64_t *d = realloc(r->durs, n * sizeof *d);
    if (!d) {
      r->oom = 1;
      return;
    }
    r->durs = d;
    r->dcap = n;
  }
  int64_t lo = INT64_MAX;
  for (size_t k = 0; k < n; k++) {
    const weft__node *x = &m->nodes[g[k]];
    if (k && (x->rank != m->nodes[g[k - 1]].rank ||
              x->file != m->nodes[g[k - 1]].file))
      ranks++;
    counts[x->status]++;
    r->durs[k] = weft__time_diff(x->end, x->start);
    if (r->durs[k] < lo)
      lo = r->durs[k];
    if (r->durs[k] > weft__time_diff(m->nodes[slow].end, m->nodes[slow].start))
      slow = g[k];
  }
  int64_t hi = weft__time_diff(m->nodes[slow].end, m->nodes[slow].start);
  int64_t med = weft__quantile(r->durs, n, 0.5);
  line_start(r, last);
  color(r, counts[WEFT__ST_FAILED] ? C_BOLD C_RED : C_BOLD);
  out_name(r, m->nodes[g[0]].type);
  color(r, C_OFF);
  weft__out_char(r->o, ' ');
  out_sym(r, S_TIMES);
  weft__out_u64(r->o, n);
  weft__out_str(r->o, " on ");
  weft__out_u64(r->o, ranks);
  weft__out_str(r->o, " ranks ");
  out_sym(r, S_ARROW);
  static const char *names[] = {"", "succeeded", "failed", "unfinished"};
  static const char *colors[] = {"", C_GREEN, C_RED, C_YELLOW C_BOLD};
  int first = 1;
  for (int s = 1; s <= 3; s++) {
    if (!counts[s])
      continue;
    weft__out_str(r->o, first ? " " : ", ");
    first = 0;
    color(r, colors[s]);
    if (counts[s] != n) {
      weft__out_u64(r->o, counts[s]);
      weft__out_char(r->o, ' ');
    }
    weft__out_str(r->o, names[s]);
    color(r, C_OFF);
  }
  weft__out_char(r->o, ' ');
  out_sym(r, S_TIME);
  weft__out_str(r->o, " min ");
  dur(r, lo);
  weft__out_str(r->o, " median ");
  dur(r, med);
  weft__out_str(r->o, " max ");
  dur(r, hi);
  weft__out_str(r->o, " (rank ");
  weft__out_u64(r->o, m->nodes[slow].rank);
  if (parent && m->nodes[slow].thread != parent->thread) {
    weft__out_str(r->o, " thread ");
    weft__out_u64(r->o, m->nodes[slow].thread);
  }
  weft__out_str(r->o, ")\n");
}

static int visible(const render *r, uint32_t i) { return !r->vis || r->vis[i]; }

static void draw(render *r, uint32_t i, int last, uint32_t depth);

/* Draw the visible children of node i (or the roots of a task when i is
 * NONE and first is the first root), then i's results. */
static void draw_children(render *r, uint32_t i, uint32_t first,
                          uint32_t depth) {
  const weft__model *m = r->m;
  size_t base = r->nitems;
  if (!r->opt->depth || depth <= r->opt->depth) {
    for (uint32_t c = first; c != WEFT__NONE; c = m->nodes[c].next_sibling) {
      if (!visible(r, c))
        continue;
      if (r->nitems == r->icap) {
        size_t nc = r->icap ? r->icap * 2 : 1024;
        uint32_t *p = realloc(r->items, nc * sizeof *p);
        if (!p) {
          r->oom = 1;
          return;
        }
        r->items = p;
        r->icap = nc;
      }
      r->items[r->nitems++] = c;
    }
  }
  size_t end = r->nitems;
  uint32_t results = i == WEFT__NONE ? 0 : result_count(m, i);
  const weft__node *parent = i == WEFT__NONE ? NULL : &m->nodes[i];
  for (size_t k = base; k < end && !r->oom;) {
    size_t j = k + 1;
    uint32_t ranks = 1;
    if (r->opt->fold_above) {
      while (j < end && foldable(m, r->items[k], r->items[j])) {
        if (m->nodes[r->items[j]].rank != m->nodes[r->items[j - 1]].rank)
          ranks++;
        j++;
      }
    }
    int last = j == end && results == 0;
    if (j - k > r->opt->fold_above && ranks > 1 && r->opt->fold_above) {
      folded_line(r, r->items + k, j - k, last, parent);
      k = j;
    } else {
      draw(r, r->items[k], k + 1 == end && results == 0, depth);
      k++;
    }
  }
  r->nitems = base;
  for (uint32_t k = 0; k < results; k++)
    result_line(r, i, k, k + 1 == results);
}

static void draw(render *r, uint32_t i, int last, uint32_t depth) {
  line_start(r, last);
  label(r, i);
  size_t saved = r->plen;
  if (push_prefix(r, sym(r, last ? S_BLANK : S_PIPE)))
    return;
  draw_children(r, i, r->m->nodes[i].first_child, depth + 1);
  r->plen = saved;
}

/* Mark node i and its ancestors visible; stops at the first node already
 * marked, so all marking is linear. */
static void mark_up(const weft__model *m, unsigned char *vis, uint32_t i) {
  while (i != WEFT__NONE && !vis[i]) {
    vis[i] = 1;
    i = m->nodes[i].parent;
  }
}

static void mark_down(const weft__model *m, unsigned char *vis, uint32_t r) {
  uint32_t c = m->nodes[r].first_child;
  while (c != WEFT__NONE) {
    vis[c] = 1;
    if (m->nodes[c].first_child != WEFT__NONE) {
      c = m->nodes[c].first_child;
      continue;
    }
    while (c != r && m->nodes[c].next_sibling == WEFT__NONE)
      c = m->nodes[c].parent;
    if (c == r)
      break;
    c = m->nodes[c].next_sibling;
  }
}

int weft__tree_render(weft__out *o, const weft__model *m,
                      const weft__select *sel, const weft__tree_opts *opt) {
  render r = {.o = o, .m = m, .opt = opt};
  for (size_t a = 0; a < opt->nfiles && !r.full_paths; a++)
    for (size_t b = a + 1; b < opt->nfiles; b++)
      if (!strcmp(base_name(opt->files[a]), base_name(opt->files[b])))
        r.full_paths = 1;
  if (weft__select_filters_nodes(sel)) {
    r.vis = calloc(m->nnodes ? m->nnodes : 1, 1);
    if (!r.vis)
      return -1;
    for (uint32_t i = 0; i < m->nnodes; i++)
      if (weft__select_node(sel, m, i)) {
        if (opt->subtree && !r.vis[i])
          mark_down(m, r.vis, i);
        mark_up(m, r.vis, i);
      }
  }
  for (uint32_t k = 0; k < m->ntasks && !r.oom; k++) {
    uint32_t t = m->order[k];
    if (!weft__select_task(sel, m, t))
      continue;
    uint32_t root = m->tasks[t].first_root;
    while (root != WEFT__NONE && !visible(&r, root))
      root = m->nodes[root].next_sibling;
    if (root == WEFT__NONE)
      continue;
    char uuid[37];
    weft__task_uuid(uuid, m->tasks[t].hi, m->tasks[t].lo);
    color(&r, C_DIM);
    weft__out_mem(o, uuid, 36);
    color(&r, C_OFF);
    weft__out_char(o, '\n');
    r.plen = 0;
    draw_children(&r, WEFT__NONE, root, 1);
    weft__out_char(o, '\n');
  }
  free(r.vis);
  free(r.prefix);
  free(r.items);
  free(r.durs);
  return r.oom ? -1 : 0;
}
