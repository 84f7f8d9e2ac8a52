/*
 * cmd_view.c - `weft view`: one self-contained HTML page (timeline, causal
 * tree, fields, search) of one or more logs.
 */
#include "cmd.h"

#include "view_data.h"
#include "view_page.h"

static const char usage[] = "weft view [-o PATH] [--max-nodes N] FILE...";
static const char summary[] =
    "Write one self-contained HTML page (no network, nothing external) to\n"
    "look at a job in a browser: a timeline with one lane per rank and\n"
    "thread, zoom and pan, actions coloured by type or status, the causal\n"
    "tree beside it with elapsed times, the fields of the clicked action,\n"
    "cross-rank links and a search box.  Above --max-nodes actions and\n"
    "messages the page keeps the slowest actions with their ancestors and\n"
    "sums up the rest per rank and type (the page says so).";

int cmd_view(int argc, char **argv) {
  const char *output = NULL;
  unsigned max_nodes = 100000;
  weft__opt opts[] = {
      {"output", 'o', WEFT__OPT_STR, &output, 0, 0, "PATH",
       "write the page to PATH instead of stdout"},
      {"max-nodes", 0, WEFT__OPT_UINT, &max_nodes, 0, 0, "N",
       "aggregate above N actions and messages (default 100000)"},
      {0, 0, WEFT__OPT_END, 0, 0, 0, 0, 0},
  };
  int npos = 0, rc = weft__opt_parse(argc, argv, opts, usage, summary, &npos);
  if (rc)
    return rc == 1 ? 0 : 2;
  if (npos < 1) {
    fprintf(stderr, "weft view: no input file (usage: %s)\n", usage);
    return 2;
  }
  if (max_nodes < 1) {
    fprintf(stderr, "weft view: --max-nodes must be at least 1\n");
    return 2;
  }
  weft__cli_input in;
  rc = weft__cli_load(&in, argv + 1, npos);
  weft__edges edges;
  if (!rc && weft__edges_build(&in.model, &edges)) {
    fprintf(stderr, "weft view: out of memory\n");
    rc = 1;
  } else if (!rc) {
    weft__view_input vi = {.m = &in.model,
                           .edges = &edges,
                           .files = (const char *const *)(argv + 1),
                           .nfiles = (size_t)npos,
                           .host = weft__cli_host,
                           .host_arg = &in,
                           .max_nodes = max_nodes};
    weft__out data;
    if (weft__out_init(&data, NULL) || weft__view_data(&data, &vi) ||
        data.failed) {
      fprintf(stderr, "weft view: out of memory\n");
      rc = 1;
    } else {
      FILE *f = stdout;
      if (output && !(f = fopen(output, "w"))) {
        fprintf(stderr, "weft view: cannot write '%s'\n", output);
        rc = 1;
      } else {
        weft__out o;
        if (weft__out_init(&o, f)) {
          rc = 1;
        } else {
          weft__view_page(&o, data.buf, data.len);
          if (weft__out_close(&o))
            rc = 1;
        }
        if (f != stdout && fclose(f))
          rc = 1;
        if (rc)
          fprintf(stderr, "weft view: cannot write the output\n");
      }
    }
    weft__out_close(&data);
    weft__edges_release(&edges);
  }
  weft__cli_input_release(&in);
  return rc;
}
