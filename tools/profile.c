/*
 * profile.c - the numbers behind `weft profile`.
 *
 * Actions are grouped by type with a counting sort (linear); quantiles use
 * quickselect on a scratch copy; per-rank statistics come from a counting
 * sort of each type's instances by rank.
 */
#include "profile.h"

#include "stats.h"
#include "timefmt.h"
#include "value_text.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct stat5 {
  uint64_t count;
  int64_t total, mean, p50, p95, max;
} stat5;

typedef struct corr {
  uint32_t name;
  uint64_t n;
  double rho;
} corr;

typedef struct type_prof {
  uint32_t type;
  uint32_t *inst; /* node indices of this type, sorted by rank after */
  size_t n;
  stat5 all;
  int on_every_rank;
  double imbalance; /* max / mean of per-rank totals */
  uint32_t straggler;
  int64_t straggler_total, rank_mean;
} type_prof;

/* The ranks the load imbalance is over: those in the selection's ranks
 * (all without --rank) that logged any event.  The others of the job's
 * ranks logged nothing at all: the worst imbalance, which no type's
 * totals show, so they are listed instead of averaged in. */
typedef struct rank_scope {
  uint32_t nranks;       /* ranks considered: job_ranks or the model's */
  unsigned char *logged; /* per rank: 1 logged events, 0 none */
  unsigned char *in;     /* per rank: 1 when selected (--rank) */
  uint32_t nlogged, nidle;
} rank_scope;

typedef struct prof {
  const weft__model *m;
  const weft__profile_opts *opt;
  weft__out *o;
  int64_t *scratch;
  size_t scap;
  int64_t *el;  /* elapsed of the instances of one type (gather) */
  uint32_t *rk; /* and their ranks */
  size_t ecap;
  int oom;
} prof;

static int64_t elapsed(const weft__model *m, uint32_t i) {
  return weft__time_diff(m->nodes[i].end, m->nodes[i].start);
}

/* Elapsed time and rank of each instance of t, in inst order, into p->el
 * and p->rk: one pass over the nodes, so that the passes after it read
 * two small arrays instead of millions of scattered nodes. */
static int el_reserve(prof *p, const type_prof *t) {
  if (t->n > p->ecap) {
    int64_t *el = realloc(p->el, t->n * sizeof *el);
    if (el)
      p->el = el;
    uint32_t *rk = realloc(p->rk, t->n * sizeof *rk);
    if (rk)
      p->rk = rk;
    if (!el || !rk) {
      p->oom = 1;
      return -1;
    }
    p->ecap = t->n;
  }
  return 0;
}

static int gather(prof *p, const type_prof *t) {
  if (el_reserve(p, t))
    return -1;
  for (size_t i = 0; i < t->n; i++) {
    const weft__node *n = &p->m->nodes[t->inst[i]];
    p->el[i] = weft__time_diff(n->end, n->start);
    p->rk[i] = n->rank;
  }
  return 0;
}

static stat5 stats_of(prof *p, const int64_t *el, size_t n) {
  stat5 s = {0};
  if (!n)
    return s;
  if (n > p->scap) {
    int64_t *q = realloc(p->scratch, n * sizeof *q);
    if (!q) {
      p->oom = 1;
      return s;
    }
    p->scratch = q;
    p->scap = n;
  }
  s.count = n;
  s.max = INT64_MIN;
  for (size_t k = 0; k < n; k++) {
    int64_t d = el[k];
    p->scratch[k] = d;
    s.total = weft__time_add(s.total, d);
    if (d > s.max)
      s.max = d;
  }
  s.mean = s.total / (int64_t)n;
  weft__quantile2(p->scratch, n, 0.50, 0.95, &s.p50, &s.p95);
  return s;
}

/* The top `k` slowest of t (k <= n), slowest first, into out; p->el holds
 * t's elapsed times (gather). */
static size_t slowest(const prof *p, const type_prof *t, uint32_t k,
                      uint32_t *out) {
  const int64_t *el = p->el;
  size_t got = 0;
  for (size_t i = 0; i < t->n; i++) { /* out holds positions in inst */
    int64_t d = el[i];
    if (got == k && d <= el[out[got - 1]])
      continue;
    size_t at = got < k ? got++ : got - 1;
    while (at > 0 && el[out[at - 1]] < d) {
      out[at] = out[at - 1];
      at--;
    }
    out[at] = (uint32_t)i;
  }
  for (size_t j = 0; j < got; j++)
    out[j] = t->inst[out[j]];
  return got;
}

static int corr_cmp(const void *a, const void *b) {
  double x = fabs(((const corr *)a)->rho), y = fabs(((const corr *)b)->rho);
  return (x < y) - (x > y);
}

/* Spearman rho of every numeric start field of t with elapsed time.  Its
 * first pass over the nodes also does gather's work (p->el, p->rk must
 * have room for t->n). */
static size_t correlations(prof *p, const type_prof *t, corr **out) {
  const weft__model *m = p->m;
  uint32_t names[WEFT_FIELDS_MAX];
  size_t nn = 0, k0 = 0;
  *out = NULL;
  double *x = malloc(2 * (t->n ? t->n : 1) * sizeof *x);
  if (!x) {
    p->oom = 1;
    gather(p, t);
    return 0;
  }
  double *y = x + t->n;
  /* Finding the field names also collects the pairs of the first one, so
   * that a type with one numeric input costs one pass over its nodes. */
  for (size_t i = 0; i < t->n; i++) {
    const weft__node *n = &m->nodes[t->inst[i]];
    int took = 0;
    p->el[i] = weft__time_diff(n->end, n->start);
    p->rk[i] = n->rank;
    for (uint32_t k = 0; k < n->nfields; k++) {
      const weft__mvalue *v = &m->values[n->fields + k];
      double xv;
      if (!weft__mvalue_number(v, &xv))
        continue;
      size_t j = 0;
      while (j < nn && names[j] != v->name)
        j++;
      if (j == nn && nn < WEFT_FIELDS_MAX)
        names[nn++] = v->name;
      if (!took && v->name == names[0]) {
        x[k0] = xv;
        y[k0++] = (double)p->el[i];
        took = 1;
      }
    }
  }
  corr *c = nn ? calloc(nn, sizeof *c) : NULL;
  if (!c) {
    free(x);
    if (nn)
      p->oom = 1;
    return 0;
  }
  size_t nc = 0;
  for (size_t j = 0; j < nn; j++) {
    size_t k = k0;
    if (j > 0) {
      k = 0;
      for (size_t i = 0; i < t->n; i++) {
        const weft__node *n = &m->nodes[t->inst[i]];
        for (uint32_t f = 0; f < n->nfields; f++) {
          const weft__mvalue *v = &m->values[n->fields + f];
          if (v->name == names[j] && weft__mvalue_number(v, &x[k])) {
            y[k++] = (double)p->el[i];
            break;
          }
        }
      }
    }
    double rho;
    int r = weft__spearman(x, y, k, &rho);
    if (r == 0)
      c[nc++] = (corr){names[j], k, rho};
    else if (r == WEFT__STATS_NOMEM)
      p->oom = 1;
  }
  free(x);
  qsort(c, nc, sizeof *c, corr_cmp);
  *out = c;
  return nc;
}

static int scope_init(rank_scope *sc, const weft__model *m,
                      const weft__select *sel, uint32_t job_ranks) {
  memset(sc, 0, sizeof *sc);
  sc->nranks = job_ranks > m->nranks ? job_ranks : m->nranks;
  sc->logged = calloc(sc->nranks ? sc->nranks : 1, 1);
  sc->in = calloc(sc->nranks ? sc->nranks : 1, 1);
  if (!sc->logged || !sc->in)
    return -1;
  /* Within --task and --since/--until as the instances are: a rank that
   * logged only outside them is not one that ran the selection. */
  int filters = weft__select_filters_nodes(sel);
  for (uint32_t i = 0; i < m->nnodes; i++)
    if (weft__select_task(sel, m, m->nodes[i].task) &&
        (!filters || weft__select_node(sel, m, i)))
      sc->logged[m->nodes[i].rank] = 1;
  for (uint32_t r = 0; r < sc->nranks; r++) {
    sc->in[r] = !sel->ranks || (r < sel->nranks && sel->ranks[r]);
    sc->nlogged += sc->in[r] && sc->logged[r];
    sc->nidle += sc->in[r] && !sc->logged[r];
  }
  return 0;
}

static void scope_release(rank_scope *sc) {
  free(sc->logged);
  free(sc->in);
}

/* ---- output -------------------------------------------------------------- */

static void text_row(prof *p, const char *label, size_t width, stat5 s) {
  weft__out_str(p->o, label);
  for (size_t k = strlen(label); k < width + 2; k++)
    weft__out_char(p->o, ' ');
  weft__out_fmt(p->o, "%8llu", (unsigned long long)s.count);
  int64_t v[5] = {s.total, s.mean, s.p50, s.p95, s.max};
  for (int k = 0; k < 5; k++) {
    char b[48];
    weft__fmt_duration(b, sizeof b, v[k], p->opt->raw, p->opt->ascii);
    /* µ is two bytes but one column */
    size_t cols = strlen(b) - (strstr(b, "\xc2\xb5") ? 1 : 0);
    for (size_t pad = cols; pad < 12; pad++)
      weft__out_char(p->o, ' ');
    weft__out_str(p->o, b);
  }
  weft__out_char(p->o, '\n');
}

static void inputs_text(prof *p, uint32_t i) {
  const weft__node *n = &p->m->nodes[i];
  for (uint32_t k = 0; k < n->nfields; k++) {
    const weft__mvalue *v = &p->m->values[n->fields + k];
    weft__out_str(p->o, k ? ", " : " (");
    weft__out_str(p->o, weft__model_name(p->m, v->name));
    weft__out_str(p->o, ": ");
    weft__value_human(p->o, p->m, v, p->opt->field_limit, p->opt->raw,
                      p->opt->ascii);
  }
  if (n->nfields)
    weft__out_char(p->o, ')');
}

static void inputs_json(prof *p, uint32_t i) {
  const weft__node *n = &p->m->nodes[i];
  weft__out_char(p->o, '{');
  for (uint32_t k = 0; k < n->nfields; k++) {
    const weft__mvalue *v = &p->m->values[n->fields + k];
    if (k)
      weft__out_char(p->o, ',');
    const char *name = weft__model_name(p->m, v->name);
    weft__out_json_str(p->o, name, strlen(name));
    weft__out_char(p->o, ':');
    weft__value_json(p->o, p->m, v);
  }
  weft__out_char(p->o, '}');
}

static void stat_json(prof *p, stat5 s) {
  weft__out_fmt(p->o,
                "\"count\":%llu,\"total_ns\":%lld,\"mean_ns\":%lld,"
                "\"p50_ns\":%lld,\"p95_ns\":%lld,\"max_ns\":%lld",
                (unsigned long long)s.count, (long long)s.total,
                (long long)s.mean, (long long)s.p50, (long long)s.p95,
                (long long)s.max);
}

static void csv_stat(prof *p, const char *section, const char *type,
                     const char *rank, stat5 s, const char *field,
                     const char *value, uint32_t inputs_of) {
  weft__out_str(p->o, section);
  weft__out_char(p->o, ',');
  weft__out_csv_str(p->o, type, strlen(type));
  weft__out_fmt(p->o, ",%s,%llu,%lld,%lld,%lld,%lld,%lld,", rank,
                (unsigned long long)s.count, (long long)s.total,
                (long long)s.mean, (long long)s.p50, (long long)s.p95,
                (long long)s.max);
  weft__out_csv_str(p->o, field, strlen(field));
  weft__out_char(p->o, ',');
  weft__out_str(p->o, value);
  weft__out_char(p->o, ',');
  if (inputs_of != WEFT__NONE) {
    weft__out q;
    if (weft__out_init(&q, NULL) == 0) {
      weft__out *save = p->o;
      p->o = &q;
      inputs_json(p, inputs_of);
      p->o = save;
      weft__out_csv_str(p->o, q.buf, q.len);
      weft__out_close(&q);
    }
  }
  weft__out_char(p->o, '\n');
}

/* The ranks with no events, as "3, 5-7" (text), one JSON number each, or
 * one CSV row each. */
static void idle_ranks(prof *p, const rank_scope *sc) {
  int fmt = p->opt->format;
  int first = 1;
  for (uint32_t r = 0; r < sc->nranks; r++) {
    if (!sc->in[r] || sc->logged[r])
      continue;
    uint32_t last = r;
    if (fmt == WEFT__PROFILE_TEXT)
      while (last + 1 < sc->nranks && sc->in[last + 1] && !sc->logged[last + 1])
        last++;
    if (fmt == WEFT__PROFILE_CSV) {
      char rk[16];
      stat5 none = {0};
      snprintf(rk, sizeof rk, "%u", r);
      csv_stat(p, "no_events", "", rk, none, "", "", WEFT__NONE);
    } else {
      if (!first)
        weft__out_str(p->o, fmt == WEFT__PROFILE_TEXT ? ", " : ",");
      weft__out_fmt(p->o, "%u", r);
      if (last > r)
        weft__out_fmt(p->o, "-%u", last);
    }
    first = 0;
    r = last;
  }
}

static void write_type(prof *p, type_prof *t, int first) {
  const weft__model *m = p->m;
  const char *name = weft__model_name(m, t->type);
  int fmt = p->opt->format;
  uint32_t top = p->opt->top;
  uint32_t *slow = malloc((top ? top : 1) * sizeof *slow);
  corr *c = NULL;
  if (!slow || el_reserve(p, t)) {
    p->oom = 1;
    free(slow);
    return;
  }
  size_t nc = correlations(p, t, &c);
  size_t ns = slowest(p, t, top < t->n ? top : (uint32_t)t->n, slow);
  if (fmt == WEFT__PROFILE_JSON) {
    weft__out_str(p->o, first ? "\n  {" : ",\n  {");
    weft__out_str(p->o, "\"type\":");
    weft__out_json_str(p->o, name, strlen(name));
    weft__out_char(p->o, ',');
    stat_json(p, t->all);
    weft__out_str(p->o, ",\n   \"ranks\":[");
  }
  /* per rank: inst is sorted by rank */
  size_t width = strlen(name) > 10 ? strlen(name) : 10;
  for (size_t a = 0, k = 0; a < t->n; k++) {
    size_t b = a;
    while (b < t->n && p->rk[b] == p->rk[a])
      b++;
    stat5 s = stats_of(p, p->el + a, b - a);
    uint32_t rank = p->rk[a];
    if (fmt == WEFT__PROFILE_JSON) {
      weft__out_fmt(p->o, "%s{\"rank\":%u,", k ? "," : "", rank);
      stat_json(p, s);
      weft__out_char(p->o, '}');
    } else if (fmt == WEFT__PROFILE_CSV) {
      char r[16];
      snprintf(r, sizeof r, "%u", rank);
      csv_stat(p, "rank", name, r, s, "", "", WEFT__NONE);
    } else if (p->opt->per_rank) {
      char label[32];
      snprintf(label, sizeof label, "  rank %u", rank);
      text_row(p, label, width, s);
    }
    a = b;
  }
  if (fmt == WEFT__PROFILE_JSON) {
    weft__out_str(p->o, "],\n   \"slowest\":[");
    for (size_t k = 0; k < ns; k++) {
      weft__out_fmt(p->o,
                    "%s{\"elapsed_ns\":%lld,\"rank\":%u,\"thread\":%u,"
                    "\"inputs\":",
                    k ? "," : "", (long long)elapsed(m, slow[k]),
                    m->nodes[slow[k]].rank, m->nodes[slow[k]].thread);
      inputs_json(p, slow[k]);
      weft__out_char(p->o, '}');
    }
    weft__out_str(p->o, "],\n   \"correlation\":[");
    for (size_t k = 0; k < nc; k++) {
      const char *f = weft__model_name(m, c[k].name);
      weft__out_str(p->o, k ? ",{\"field\":" : "{\"field\":");
      weft__out_json_str(p->o, f, strlen(f));
      weft__out_fmt(p->o,
                    ",\"n\":%llu,\"spearman\":", (unsigned long long)c[k].n);
      weft__out_f64(p->o, c[k].rho);
      weft__out_char(p->o, '}');
    }
    weft__out_str(p->o, "],\n   \"imbalance\":");
    if (t->on_every_rank) {
      weft__out_str(p->o, "{\"max_over_mean\":");
      weft__out_f64(p->o, t->imbalance);
      weft__out_fmt(p->o,
                    ",\"straggler_rank\":%u,\"straggler_total_ns\":%lld,"
                    "\"mean_rank_total_ns\":%lld}",
                    t->straggler, (long long)t->straggler_total,
                    (long long)t->rank_mean);
    } else {
      weft__out_str(p->o, "null");
    }
    weft__out_char(p->o, '}');
  } else if (fmt == WEFT__PROFILE_CSV) {
    stat5 none = {0};
    for (size_t k = 0; k < ns; k++) {
      char r[16];
      snprintf(r, sizeof r, "%u", m->nodes[slow[k]].rank);
      stat5 one = {1,
                   elapsed(m, slow[k]),
                   elapsed(m, slow[k]),
                   elapsed(m, slow[k]),
                   elapsed(m, slow[k]),
                   elapsed(m, slow[k])};
      csv_stat(p, "slowest", name, r, one, "", "", slow[k]);
    }
    for (size_t k = 0; k < nc; k++) {
      char v[40];
      snprintf(v, sizeof v, "%.6f", c[k].rho);
      none.count = c[k].n;
      csv_stat(p, "correlation", name, "", none, weft__model_name(m, c[k].name),
               v, WEFT__NONE);
    }
    if (t->on_every_rank) {
      char r[16], v[40];
      snprintf(r, sizeof r, "%u", t->straggler);
      snprintf(v, sizeof v, "%.6f", t->imbalance);
      stat5 s = {0};
      s.total = t->straggler_total;
      s.mean = t->rank_mean;
      csv_stat(p, "imbalance", name, r, s, "max_over_mean", v, WEFT__NONE);
    }
  } else {
    if (ns) {
      weft__out_fmt(p->o, "\nslowest %s:\n", name);
      for (size_t k = 0; k < ns; k++) {
        char b[48];
        weft__fmt_duration(b, sizeof b, elapsed(m, slow[k]), p->opt->raw,
                           p->opt->ascii);
        weft__out_fmt(p->o, "  %10s  rank %u", b, m->nodes[slow[k]].rank);
        inputs_text(p, slow[k]);
        weft__out_char(p->o, '\n');
      }
    }
    if (nc) {
      weft__out_str(p->o, "  inputs vs elapsed (Spearman):");
      for (size_t k = 0; k < nc; k++)
        weft__out_fmt(p->o, "%s %s %+.2f (n=%llu)", k ? "," : "",
                      weft__model_name(m, c[k].name), c[k].rho,
                      (unsigned long long)c[k].n);
      weft__out_char(p->o, '\n');
    }
  }
  free(slow);
  free(c);
}

int weft__profile_write(weft__out *o, const weft__model *m,
                        const weft__select *sel,
                        const weft__profile_opts *opt) {
  prof p = {.m = m, .opt = opt, .o = o};
  uint32_t ntypes = m->names.n;
  uint32_t *count = calloc(ntypes + 1, sizeof *count);
  uint32_t *idx = malloc((m->nnodes ? m->nnodes : 1) * sizeof *idx);
  type_prof *types = calloc(ntypes ? ntypes : 1, sizeof *types);
  int64_t *rank_total = calloc(m->nranks ? m->nranks : 1, sizeof *rank_total);
  unsigned char *has = calloc(m->nranks ? m->nranks : 1, 1);
  uint64_t *rank_pos = calloc((size_t)m->nranks + 1, sizeof *rank_pos);
  uint32_t *sorted = malloc((m->nnodes ? m->nnodes : 1) * sizeof *sorted);
  rank_scope sc;
  int rc = -1;
  if (scope_init(&sc, m, sel, opt->job_ranks) || !count || !idx || !types ||
      !rank_total || !has || !rank_pos || !sorted)
    goto out;
  int filters = weft__select_filters_nodes(sel);
  /* counting sort of the selected actions by type, from one pass over the
   * nodes: sorted[] holds the selected nodes, idx[] their types */
  size_t total = 0;
  for (uint32_t i = 0; i < m->nnodes; i++) {
    const weft__node *n = &m->nodes[i];
    if (n->kind != WEFT__NODE_ACTION || (n->flags & WEFT__NF_NO_START) ||
        !weft__select_task(sel, m, n->task) ||
        (filters && !weft__select_node(sel, m, i)))
      continue;
    count[n->type + 1]++;
    sorted[total] = i;
    idx[total++] = n->type;
  }
  for (uint32_t k = 0; k < ntypes; k++)
    count[k + 1] += count[k];
  {
    uint32_t *by_type = malloc((total ? total : 1) * sizeof *by_type);
    if (!by_type)
      goto out;
    for (size_t k = 0; k < total; k++)
      by_type[count[idx[k]]++] = sorted[k];
    free(idx);
    idx = by_type;
  }
  /* count[k] is now the end of type k's run */
  size_t ntp = 0, start = 0;
  for (uint32_t k = 0; k < ntypes; k++) {
    size_t end = count[k];
    if (end > start) {
      type_prof *t = &types[ntp++];
      t->type = k;
      t->inst = idx + start;
      t->n = end - start;
    }
    start = end;
  }
  /* order types by total elapsed, largest first (after stats) */
  for (size_t k = 0; k < ntp; k++) {
    type_prof *t = &types[k];
    if (gather(&p, t))
      goto out;
    t->all = stats_of(&p, p.el, t->n);
    /* Stable counting sort by rank: inst is in node order, so this gives
     * (rank, node) order in linear time. */
    memset(rank_pos, 0, ((size_t)m->nranks + 1) * sizeof *rank_pos);
    for (size_t i = 0; i < t->n; i++)
      rank_pos[p.rk[i] + 1]++;
    for (uint32_t r = 0; r < m->nranks; r++)
      rank_pos[r + 1] += rank_pos[r];
    for (size_t i = 0; i < t->n; i++)
      sorted[rank_pos[p.rk[i]]++] = t->inst[i];
    memcpy(t->inst, sorted, t->n * sizeof *t->inst);
    memset(rank_total, 0, m->nranks * sizeof *rank_total);
    memset(has, 0, m->nranks);
    uint32_t nr = 0;
    /* node order within each rank, as in the sorted inst */
    for (size_t i = 0; i < t->n; i++) {
      uint32_t r = p.rk[i];
      if (!has[r]) {
        has[r] = 1;
        nr++;
      }
      rank_total[r] = weft__time_add(rank_total[r], p.el[i]);
    }
    /* the instances' ranks are selected ranks that logged events: the
     * type ran on each of them when there are as many */
    if (nr == sc.nlogged && nr > 1) {
      int64_t sum = 0, max = INT64_MIN;
      for (uint32_t r = 0; r < m->nranks; r++) {
        if (!has[r])
          continue;
        sum = weft__time_add(sum, rank_total[r]);
        if (rank_total[r] > max) {
          max = rank_total[r];
          t->straggler = r;
        }
      }
      t->on_every_rank = 1;
      t->rank_mean = sum / (int64_t)nr;
      t->straggler_total = max;
      t->imbalance = t->rank_mean > 0 ? (double)max / (double)t->rank_mean : 1;
    }
  }
  free(sorted); /* before the correlations' buffers: peak memory */
  sorted = NULL;
  for (size_t a = 1; a < ntp; a++) { /* insertion sort: types are few */
    type_prof x = types[a];
    size_t b = a;
    while (b > 0 && types[b - 1].all.total < x.all.total) {
      types[b] = types[b - 1];
      b--;
    }
    types[b] = x;
  }
  size_t width = 10;
  for (size_t k = 0; k < ntp; k++) {
    size_t l = strlen(weft__model_name(m, types[k].type));
    if (l > width)
      width = l;
  }
  if (opt->format == WEFT__PROFILE_JSON) {
    weft__out_str(o, "{\"types\":[");
  } else if (opt->format == WEFT__PROFILE_CSV) {
    weft__out_str(o, "section,type,rank,count,total_ns,mean_ns,p50_ns,p95_ns,"
                     "max_ns,field,value,inputs\n");
    for (size_t k = 0; k < ntp; k++)
      csv_stat(&p, "type", weft__model_name(m, types[k].type), "", types[k].all,
               "", "", WEFT__NONE);
  } else {
    weft__out_str(o, "type");
    for (size_t k = 4; k < width + 2; k++)
      weft__out_char(o, ' ');
    weft__out_str(o, "   count       total        mean         p50"
                     "         p95         max\n");
    for (size_t k = 0; k < ntp; k++)
      text_row(&p, weft__model_name(m, types[k].type), width, types[k].all);
  }
  for (size_t k = 0; k < ntp && !p.oom; k++) {
    if (opt->format == WEFT__PROFILE_TEXT && opt->per_rank)
      weft__out_fmt(o, "\n%s by rank:\n", weft__model_name(m, types[k].type));
    write_type(&p, &types[k], k == 0);
  }
  if (opt->format == WEFT__PROFILE_JSON) {
    weft__out_str(o, "\n],\"ranks_without_events\":[");
    idle_ranks(&p, &sc);
    weft__out_str(o, "]}\n");
  } else if (opt->format == WEFT__PROFILE_CSV) {
    idle_ranks(&p, &sc);
  } else if (opt->format == WEFT__PROFILE_TEXT) {
    int any = 0;
    for (size_t k = 0; k < ntp; k++)
      any |= types[k].on_every_rank;
    if (any || sc.nidle)
      weft__out_str(o, "\nload imbalance (types run on every rank that logged "
                       "events):\n");
    if (sc.nidle) {
      weft__out_str(o, sc.nidle == 1 ? "  no events from rank "
                                     : "  no events from ranks ");
      idle_ranks(&p, &sc);
      weft__out_str(o, " (left out below)\n");
    }
    for (size_t k = 0; k < ntp; k++) {
      const type_prof *t = &types[k];
      if (!t->on_every_rank)
        continue;
      char b1[48], b2[48];
      weft__out_fmt(o,
                    "  %-*s max/mean %.2f  straggler rank %u (%s vs "
                    "mean %s)\n",
                    (int)width, weft__model_name(m, t->type), t->imbalance,
                    t->straggler,
                    weft__fmt_duration(b1, sizeof b1, t->straggler_total,
                                       opt->raw, opt->ascii),
                    weft__fmt_duration(b2, sizeof b2, t->rank_mean, opt->raw,
                                       opt->ascii));
    }
  }
  rc = p.oom ? -1 : 0;
out:
  free(count);
  free(idx);
  free(types);
  free(rank_total);
  free(has);
  free(rank_pos);
  free(sorted);
  free(p.scratch);
  free(p.el);
  free(p.rk);
  scope_release(&sc);
  return rc;
}
