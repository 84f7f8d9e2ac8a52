/*
 * cmd_tree.c - `weft tree`: the cross-rank causal tree.
 */
#include "cmd.h"

#include "tree_render.h"

#include <string.h>

static const char usage[] = "weft tree [options] FILE...";
static const char summary[] =
    "Draw every task as a tree: one line per action with its type, inputs,\n"
    "=> status and elapsed time, results beneath.  Work continued on other\n"
    "ranks nests under the action that caused it.  Selections show the\n"
    "matching nodes with their ancestors.";

int cmd_tree(int argc, char **argv) {
  weft__cli_select cs = {0};
  weft__select_init(&cs.sel);
  int ascii = 0, raw = 0, full = 0, expand = 0, levels = 0, subtree = 0;
  unsigned limit = 100, fold = 4, depth = 0;
  const char *color = NULL;
  weft__opt opts[32] = {
      {"ascii", 0, WEFT__OPT_FLAG, &ascii, 0, 0, 0,
       "ASCII lines and symbols instead of Unicode"},
      {"color", 0, WEFT__OPT_STR, &color, 0, 0, "WHEN",
       "auto (default: when stdout is a terminal), always or never"},
      {"raw", 0, WEFT__OPT_FLAG, &raw, 0, 0, 0,
       "exact durations (s) and times (epoch s)"},
      {"field-limit", 'l', WEFT__OPT_UINT, &limit, 0, 0, "N",
       "cut values at N characters or the first line break (100)"},
      {"full", 0, WEFT__OPT_FLAG, &full, 0, 0, 0,
       "show values whole (--field-limit 0)"},
      {"fold", 0, WEFT__OPT_UINT, &fold, 0, 0, "N",
       "fold runs of one type over more than N ranks into a line (4)"},
      {"expand", 'e', WEFT__OPT_FLAG, &expand, 0, 0, 0,
       "never fold: one line per rank"},
      {"depth", 0, WEFT__OPT_UINT, &depth, 0, 0, "N",
       "show N levels below each task (0: all)"},
      {"levels", 0, WEFT__OPT_FLAG, &levels, 0, 0, 0,
       "show Eliot task levels (type/3/2)"},
      {"subtree", 0, WEFT__OPT_FLAG, &subtree, 0, 0, 0,
       "with a selection, also show everything inside each match"},
  };
  size_t n = 10;
  n += weft__cli_select_opts(&cs, opts + n);
  opts[n].kind = WEFT__OPT_END;
  int npos = 0, rc = weft__opt_parse(argc, argv, opts, usage, summary, &npos);
  if (rc) {
    weft__cli_select_release(&cs);
    return rc == 1 ? 0 : 2;
  }
  if (npos < 1) {
    fprintf(stderr, "weft tree: no input file (usage: %s)\n", usage);
    weft__cli_select_release(&cs);
    return 2;
  }
  if (color && strcmp(color, "auto") && strcmp(color, "always") &&
      strcmp(color, "never")) {
    fprintf(stderr, "weft tree: --color must be auto, always or never\n");
    weft__cli_select_release(&cs);
    return 2;
  }
  weft__cli_input in;
  rc = weft__cli_load(&in, argv + 1, npos);
  if (!rc && (rc = weft__cli_select_finish(&cs, &in.model)))
    fprintf(stderr, "weft tree: invalid --since/--until\n");
  if (!rc) {
    weft__tree_opts to;
    weft__tree_opts_init(&to);
    to.ascii = ascii;
    to.color = weft__cli_color(color);
    to.raw = raw;
    to.levels = levels;
    to.subtree = subtree;
    to.field_limit = full ? 0 : limit;
    to.fold_above = expand ? 0 : fold;
    to.depth = depth;
    to.files = argv + 1;
    to.nfiles = (size_t)npos;
    weft__edges edges;
    weft__out o;
    if (weft__edges_build(&in.model, &edges)) {
      fprintf(stderr, "weft tree: out of memory\n");
      rc = 1;
    } else {
      to.edges = &edges;
      if (weft__out_init(&o, stdout) ||
          weft__tree_render(&o, &in.model, &cs.sel, &to) ||
          weft__out_close(&o)) {
        fprintf(stderr, "weft tree: cannot write the output\n");
        rc = 1;
      }
      weft__edges_release(&edges);
    }
  }
  weft__cli_input_release(&in);
  weft__cli_select_release(&cs);
  return rc;
}
