/*
 * info_notices.c - the `notices:` lines of `weft info`: Weft's own
 * messages about the tracing itself, gathered.
 */
#include "info_print.h"

#include "value_text.h"

#include <stdlib.h>
#include <string.h>

/* Messages whose type begins with this are Weft's, about the tracing
 * itself (weft:limit, weft:dropped, weft:no_journal, weft:no_shield,
 * weft:unknown_setting): the
 * tree shows them where they happened, and the summary gathers them, as
 * a run of thousands of ranks hides them there. */
#define NOTICE_PREFIX "weft:"

/* One kind of notice: its type and, for weft:limit, which limit (for
 * weft:unknown_setting, which variable). */
typedef struct notice {
  uint32_t type;   /* strtab id */
  const char *sub; /* value of the `limit` or `name` field, or NULL */
  uint32_t sublen;
  uint32_t first;   /* node of its first occurrence */
  uint64_t count;   /* occurrences */
  uint32_t ranks;   /* ranks it occurred on */
  uint8_t *on_rank; /* [nranks]: 1 where it occurred */
} notice;

/* The string field `key` of node i (WEFT__NONE: no such name in the
 * log), or NULL. */
static const char *str_field(const weft__model *m, uint32_t i, uint32_t key,
                             uint32_t *len) {
  const weft__mvalue *v =
      key != WEFT__NONE ? weft__model_field(m, i, key) : NULL;
  *len = 0;
  return v && v->type == WEFT_TYPE_STR ? weft__model_str(m, v, len) : NULL;
}

/* "0-3,7": the ranks marked in on[0..n). */
static void rank_ranges(weft__out *o, const uint8_t *on, uint32_t n) {
  int any = 0;
  for (uint32_t r = 0; r < n; r++) {
    if (!on[r])
      continue;
    uint32_t e = r;
    while (e + 1 < n && on[e + 1])
      e++;
    weft__out_fmt(o, e > r ? "%s%u-%u" : "%s%u", any ? "," : "", r, e);
    any = 1;
    r = e;
  }
}

/* The first line says "notices:", the others are indented under it. */
static const char *lead(size_t line) {
  return line ? "           " : "notices:   ";
}

int weft__info_notices(weft__out *o, const weft__model *m, uint32_t file,
                       uint32_t nranks, uint64_t dropped) {
  uint32_t limit = weft__strtab_find(&m->names, "limit", 5);
  uint32_t name = weft__strtab_find(&m->names, "name", 4);
  uint32_t count = weft__strtab_find(&m->names, "count", 5);
  uint32_t drop_type = weft__strtab_find(&m->names, "weft:dropped", 12);
  uint64_t reported = 0; /* the counts of the weft:dropped messages */
  notice *k = NULL;
  size_t nk = 0, cap = 0;
  int rc = 0;
  for (uint32_t i = 0; i < m->nnodes && !rc; i++) {
    const weft__node *n = &m->nodes[i];
    const char *type = weft__model_name(m, n->type);
    if (n->file != file || n->kind != WEFT__NODE_MESSAGE ||
        strncmp(type, NOTICE_PREFIX, strlen(NOTICE_PREFIX)) ||
        n->rank >= nranks)
      continue;
    uint32_t sublen;
    const char *sub = str_field(m, i, limit, &sublen);
    if (!sub)
      sub = str_field(m, i, name, &sublen);
    size_t j = 0;
    while (j < nk && !(k[j].type == n->type && k[j].sublen == sublen &&
                       (!sublen || !memcmp(k[j].sub, sub, sublen))))
      j++;
    if (j == nk) {
      if (nk == cap) {
        size_t c2 = cap ? 2 * cap : 8;
        notice *k2 = realloc(k, c2 * sizeof *k2);
        if (!k2) {
          rc = -1;
          break;
        }
        k = k2;
        cap = c2;
      }
      k[nk] = (notice){n->type, sub, sublen, i, 0, 0, calloc(nranks, 1)};
      if (!k[nk].on_rank) {
        rc = -1;
        break;
      }
      nk++;
    }
    k[j].count++;
    k[j].ranks += !k[j].on_rank[n->rank];
    k[j].on_rank[n->rank] = 1;
    const weft__mvalue *c = n->type == drop_type && count != WEFT__NONE
                                ? weft__model_field(m, i, count)
                                : NULL;
    if (c && c->type == WEFT_TYPE_U64)
      reported += c->v.u64;
  }
  /* A rank reports its drops when it has room again; the drops after its
   * last report are counted in /flushes (the dropped: line) only. */
  int unreported = !rc && dropped > reported;
  if (!rc && !nk && !unreported)
    weft__out_str(o, "notices:   none (no weft:limit, weft:dropped, "
                     "weft:no_journal, weft:no_shield or "
                     "weft:unknown_setting message)\n");
  for (size_t j = 0; j < nk && !rc; j++) {
    const weft__node *n = &m->nodes[k[j].first];
    weft__out_fmt(o, "%s%s on rank%s ", lead(j), weft__model_name(m, k[j].type),
                  k[j].ranks > 1 ? "s" : "");
    rank_ranges(o, k[j].on_rank, nranks);
    if (k[j].type == drop_type) { /* the sum says more than the first */
      weft__out_fmt(o, ", %llu time%s: %llu events reported\n",
                    (unsigned long long)k[j].count, k[j].count == 1 ? "" : "s",
                    (unsigned long long)reported);
      continue;
    }
    weft__out_fmt(
        o, ", %llu time%s; first on rank %u:", (unsigned long long)k[j].count,
        k[j].count == 1 ? "" : "s", n->rank);
    for (uint32_t f = 0; f < n->nfields; f++) {
      const weft__mvalue *v = &m->values[n->fields + f];
      weft__out_fmt(o, "%s %s=", f ? "," : "", weft__model_name(m, v->name));
      weft__value_human(o, m, v, 240, 0, 0);
    }
    weft__out_char(o, '\n');
  }
  if (unreported)
    weft__out_fmt(o,
                  "%s%llu dropped event%s not reported in this log (no room "
                  "for a weft:dropped message before its last flush; a later "
                  "log of the process may hold the report)\n",
                  lead(nk), (unsigned long long)(dropped - reported),
                  dropped - reported == 1 ? "" : "s");
  for (size_t j = 0; j < nk; j++)
    free(k[j].on_rank);
  free(k);
  return rc;
}
