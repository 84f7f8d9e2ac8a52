/*
 * flame.c - frames of the flame graph (one per action path), folded
 * stacks and the SVG.
 */
#include "flame.h"

#include "timefmt.h"

#include <stdlib.h>
#include <string.h>

static uint64_t slot_hash(uint32_t parent, uint32_t type) {
  uint64_t k = ((uint64_t)parent << 32) | type;
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdULL;
  k ^= k >> 33;
  return k;
}

static int grow_slots(weft__flame *fl) {
  uint32_t mask = fl->mask ? fl->mask * 2 + 1 : 255;
  uint32_t *slots = calloc((size_t)mask + 1, sizeof *slots);
  if (!slots)
    return -1;
  for (uint32_t i = 1; i < fl->n; i++) {
    uint64_t h = slot_hash(fl->f[i].parent, fl->f[i].type);
    while (slots[h & mask])
      h++;
    slots[h & mask] = i + 1;
  }
  free(fl->slots);
  fl->slots = slots;
  fl->mask = mask;
  return 0;
}

/* The frame of `type` under `parent`, created on first use; WEFT__NONE on
 * out of memory. */
static uint32_t child_frame(weft__flame *fl, uint32_t parent, uint32_t type) {
  uint64_t h = slot_hash(parent, type);
  for (;; h++) {
    uint32_t s = fl->slots[h & fl->mask];
    if (!s)
      break;
    if (fl->f[s - 1].parent == parent && fl->f[s - 1].type == type)
      return s - 1;
  }
  if (fl->n == fl->cap) {
    uint32_t cap = fl->cap * 2;
    weft__frame *f = realloc(fl->f, (size_t)cap * sizeof *f);
    if (!f)
      return WEFT__NONE;
    fl->f = f;
    fl->cap = cap;
  }
  uint32_t i = fl->n++;
  fl->f[i] = (weft__frame){.parent = parent,
                           .type = type,
                           .first_child = WEFT__NONE,
                           .last_child = WEFT__NONE,
                           .next_sibling = WEFT__NONE};
  weft__frame *p = &fl->f[parent];
  if (p->last_child == WEFT__NONE)
    p->first_child = i;
  else
    fl->f[p->last_child].next_sibling = i;
  p->last_child = i;
  /* keep the table at most half full */
  if ((uint64_t)fl->n * 2 > fl->mask) {
    if (grow_slots(fl))
      return WEFT__NONE;
  } else {
    while (fl->slots[h & fl->mask])
      h++;
    fl->slots[h & fl->mask] = i + 1;
  }
  return i;
}

static int same_thread(const weft__node *a, const weft__node *b) {
  return a->file == b->file && a->rank == b->rank && a->thread == b->thread;
}

/* Elapsed of action i minus that of its children on the same thread. */
static int64_t self_time(const weft__model *m, uint32_t i) {
  int64_t t = weft__model_elapsed(m, i);
  if (t < 0)
    return 0;
  const weft__node *n = &m->nodes[i];
  for (uint32_t c = n->first_child; c != WEFT__NONE;
       c = m->nodes[c].next_sibling) {
    int64_t e = weft__model_elapsed(m, c);
    if (e > 0 && same_thread(n, &m->nodes[c]))
      t = weft__time_diff(t, e);
  }
  return t > 0 ? t : 0;
}

int weft__flame_build(weft__flame *fl, const weft__model *m, int64_t rank) {
  memset(fl, 0, sizeof *fl);
  fl->cap = 64;
  fl->f = malloc(fl->cap * sizeof *fl->f);
  if (!fl->f || grow_slots(fl)) {
    weft__flame_release(fl);
    return -1;
  }
  fl->n = 1;
  fl->f[0] = (weft__frame){.parent = WEFT__NONE,
                           .first_child = WEFT__NONE,
                           .last_child = WEFT__NONE,
                           .next_sibling = WEFT__NONE};
  /* preorder walk with an explicit stack of (node, frame of its parent) */
  uint32_t *stack = malloc(((size_t)m->nnodes + 1) * 2 * sizeof *stack);
  if (!stack) {
    weft__flame_release(fl);
    return -1;
  }
  for (uint32_t k = 0; k < m->ntasks; k++) {
    size_t sp = 0;
    for (uint32_t r = m->tasks[m->order[k]].first_root; r != WEFT__NONE;
         r = m->nodes[r].next_sibling) {
      stack[sp++] = r;
      stack[sp++] = 0;
    }
    while (sp) {
      uint32_t pf = stack[--sp], i = stack[--sp];
      const weft__node *n = &m->nodes[i];
      if (n->kind != WEFT__NODE_ACTION)
        continue;
      uint32_t f = child_frame(fl, pf, n->type);
      if (f == WEFT__NONE) {
        free(stack);
        weft__flame_release(fl);
        return -1;
      }
      if (rank < 0 || (int64_t)n->rank == rank) {
        fl->f[f].self = weft__time_add(fl->f[f].self, self_time(m, i));
        if (!(n->flags & WEFT__NF_NO_START))
          fl->f[f].calls++;
      }
      for (uint32_t c = n->first_child; c != WEFT__NONE;
           c = m->nodes[c].next_sibling) {
        stack[sp++] = c;
        stack[sp++] = f;
      }
    }
  }
  free(stack);
  /* children always come after their parent */
  for (uint32_t i = fl->n; i-- > 0;) {
    fl->f[i].total = weft__time_add(fl->f[i].total, fl->f[i].self);
    if (i)
      fl->f[fl->f[i].parent].total =
          weft__time_add(fl->f[fl->f[i].parent].total, fl->f[i].total);
  }
  return 0;
}

void weft__flame_release(weft__flame *fl) {
  free(fl->f);
  free(fl->slots);
  memset(fl, 0, sizeof *fl);
}

/* A type name as a folded-stack element: ';' separates frames and a line
 * break ends the record, so both are replaced. */
static void xml_text(weft__out *o, const char *s);

static void folded_name(weft__out *o, const char *s) {
  for (; *s; s++)
    weft__out_char(o, *s == ';' ? ':' : (unsigned char)*s < 0x20 ? '?' : *s);
}

/* xml: escaped for an SVG <title>. */
static void folded_path(weft__out *o, const weft__flame *fl,
                        const weft__model *m, uint32_t f, int xml) {
  if (fl->f[f].parent != 0) {
    folded_path(o, fl, m, fl->f[f].parent, xml);
    weft__out_char(o, ';');
  }
  if (xml)
    xml_text(o, weft__model_name(m, fl->f[f].type));
  else
    folded_name(o, weft__model_name(m, fl->f[f].type));
}

void weft__flame_folded(weft__out *o, const weft__flame *fl,
                        const weft__model *m) {
  for (uint32_t f = 1; f < fl->n; f++) {
    if (fl->f[f].self <= 0)
      continue;
    folded_path(o, fl, m, f, 0);
    weft__out_char(o, ' ');
    weft__out_i64(o, fl->f[f].self);
    weft__out_char(o, '\n');
  }
}

/* ---- SVG ------------------------------------------------------------- */

#define SVG_WIDTH 1200.0
#define SVG_PAD 10.0
#define SVG_FRAME 17.0
#define SVG_TOP 44.0
#define SVG_CHAR 6.6 /* width of a character at font-size 11 */

static void xml_text(weft__out *o, const char *s) {
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '<')
      weft__out_str(o, "&lt;");
    else if (c == '>')
      weft__out_str(o, "&gt;");
    else if (c == '&')
      weft__out_str(o, "&amp;");
    else if (c == '"')
      weft__out_str(o, "&quot;");
    else if (c < 0x20 && c != '\t' && c != '\n')
      weft__out_char(o, '?'); /* not allowed in XML 1.0 at all */
    else
      weft__out_char(o, *s);
  }
}

/* The deepest frame's depth, or -1 when memory ran out. */
static int64_t depth_of(const weft__flame *fl) {
  uint32_t *d = calloc(fl->n ? fl->n : 1, sizeof *d), max = 0;
  if (!d)
    return -1;
  for (uint32_t i = 1; i < fl->n; i++) {
    d[i] = d[fl->f[i].parent] + 1;
    if (d[i] > max)
      max = d[i];
  }
  free(d);
  return max;
}

/* Warm colours, stable per type name so that a type keeps its colour
 * across graphs. */
static void colour(weft__out *o, const char *type) {
  uint64_t h = weft__strtab_hash(type, strlen(type), 7);
  weft__out_fmt(o, "rgb(%u,%u,%u)", 205u + (unsigned)(h % 50),
                80u + (unsigned)((h >> 8) % 140),
                40u + (unsigned)((h >> 16) % 50));
}

static void svg_frame(weft__out *o, const weft__flame *fl, const weft__model *m,
                      uint32_t f, double x, double y, double scale) {
  const weft__frame *fr = &fl->f[f];
  double w = (double)fr->total * scale;
  if (w < 0.1)
    return;
  const char *type = f ? weft__model_name(m, fr->type) : "all";
  char dur[32];
  weft__fmt_duration(dur, sizeof dur, fr->total, 0, 0);
  double pct = fl->f[0].total > 0
                   ? 100.0 * (double)fr->total / (double)fl->f[0].total
                   : 0;
  weft__out_str(o, "<g class=\"frame\"><title>");
  if (f)
    folded_path(o, fl, m, f, 1); /* the path, to tell equal types apart */
  else
    weft__out_str(o, "all");
  weft__out_fmt(o, "\n%s (%.2f%%)", dur, pct);
  if (f)
    weft__out_fmt(o, ", %llu call%s", (unsigned long long)fr->calls,
                  fr->calls == 1 ? "" : "s");
  weft__out_str(o, "</title><rect x=\"");
  weft__out_fmt(o, "%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%.1f\" fill=\"",
                x, y, w, SVG_FRAME - 1);
  if (f)
    colour(o, type);
  else
    weft__out_str(o, "rgb(200,200,200)");
  weft__out_str(o, "\" rx=\"2\"/>");
  size_t fit = (size_t)((w - 6) / SVG_CHAR);
  if (fit >= 3) {
    weft__out_fmt(o, "<text x=\"%.2f\" y=\"%.1f\">", x + 3, y + 12);
    size_t len = strlen(type);
    if (len <= fit) {
      xml_text(o, type);
    } else {
      char cut[256];
      size_t keep = fit - 2 < sizeof cut - 1 ? fit - 2 : sizeof cut - 1;
      /* do not split a UTF-8 sequence */
      while (keep && ((unsigned char)type[keep] & 0xc0) == 0x80)
        keep--;
      memcpy(cut, type, keep);
      cut[keep] = 0;
      xml_text(o, cut);
      weft__out_str(o, "..");
    }
    weft__out_str(o, "</text>");
  }
  weft__out_str(o, "</g>\n");
  double cx = x;
  for (uint32_t c = fr->first_child; c != WEFT__NONE;
       c = fl->f[c].next_sibling) {
    svg_frame(o, fl, m, c, cx, y - SVG_FRAME, scale);
    cx += (double)fl->f[c].total * scale;
  }
}

int weft__flame_svg(weft__out *o, const weft__flame *fl, const weft__model *m,
                    const char *title) {
  int64_t depth = depth_of(fl);
  if (depth < 0)
    return -1;
  double height = SVG_TOP + (depth + 1) * SVG_FRAME + 2 * SVG_PAD;
  weft__out_fmt(o,
                "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n"
                "<svg version=\"1.1\" xmlns=\"http://www.w3.org/2000/svg\" "
                "width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\">\n",
                SVG_WIDTH, height, SVG_WIDTH, height);
  weft__out_str(o, "<style>text{font:11px monospace;fill:#000;"
                   "pointer-events:none}.frame:hover rect{stroke:#000;"
                   "stroke-width:0.8}#title{font:bold 15px sans-serif}"
                   "#sub{font:12px sans-serif;fill:#555}</style>\n"
                   "<rect width=\"100%\" height=\"100%\" fill=\"#fdfcf7\"/>\n"
                   "<text id=\"title\" x=\"600\" y=\"22\" "
                   "text-anchor=\"middle\">");
  xml_text(o, title);
  char dur[32];
  weft__fmt_duration(dur, sizeof dur, fl->f[0].total, 0, 0);
  weft__out_fmt(o,
                "</text>\n<text id=\"sub\" x=\"600\" y=\"38\" "
                "text-anchor=\"middle\">total %s; width = time in the path "
                "and everything it caused; hover for details</text>\n",
                dur);
  if (fl->f[0].total > 0)
    svg_frame(o, fl, m, 0, SVG_PAD, height - SVG_PAD - SVG_FRAME,
              (SVG_WIDTH - 2 * SVG_PAD) / (double)fl->f[0].total);
  weft__out_str(o, "</svg>\n");
  return 0;
}
