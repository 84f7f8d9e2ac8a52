/*
 * cmd_export.c - `weft export`: Eliot JSON lines, Chrome trace JSON, CSV.
 */
#include "cmd.h"

#include "export.h"

#include <string.h>

static const char usage[] =
    "weft export --format eliot|chrome|csv [options] FILE...";
static const char summary[] =
    "Write the causal tree for other tools: eliot (JSON lines that Eliot's\n"
    "parser and eliot-tree read), chrome (trace-event JSON for Perfetto and\n"
    "chrome://tracing: pid = rank, tid = thread, flows for cross-rank\n"
    "links) or csv (one row per action).  eliot and chrome write whole\n"
    "tasks that contain a selected node; csv writes the selected actions.";

int cmd_export(int argc, char **argv) {
  weft__cli_select cs = {0};
  weft__select_init(&cs.sel);
  const char *format = NULL, *output = NULL;
  weft__opt opts[32] = {
      {"format", 'f', WEFT__OPT_STR, &format, 0, 0, "FMT",
       "eliot, chrome or csv (required)"},
      {"output", 'o', WEFT__OPT_STR, &output, 0, 0, "PATH",
       "write to PATH instead of stdout"},
  };
  size_t n = 2;
  n += weft__cli_select_opts(&cs, opts + n);
  opts[n].kind = WEFT__OPT_END;
  int npos = 0, rc = weft__opt_parse(argc, argv, opts, usage, summary, &npos);
  if (rc) {
    weft__cli_select_release(&cs);
    return rc == 1 ? 0 : 2;
  }
  int (*write)(const weft__export *) = NULL;
  if (format && !strcmp(format, "eliot"))
    write = weft__export_eliot;
  else if (format && !strcmp(format, "chrome"))
    write = weft__export_chrome;
  else if (format && !strcmp(format, "csv"))
    write = weft__export_csv;
  if (!write || npos < 1) {
    fprintf(stderr, "weft export: %s (usage: %s)\n",
            !write ? "--format must be eliot, chrome or csv" : "no input file",
            usage);
    weft__cli_select_release(&cs);
    return 2;
  }
  weft__cli_input in;
  rc = weft__cli_load(&in, argv + 1, npos);
  if (!rc && (rc = weft__cli_select_finish(&cs, &in.model)))
    fprintf(stderr, "weft export: invalid --since/--until\n");
  FILE *f = stdout;
  if (!rc && output && !(f = fopen(output, "w"))) {
    perror(output);
    rc = 1;
  }
  if (!rc) {
    weft__out o;
    weft__edges edges;
    weft__export x = {.o = &o,
                      .m = &in.model,
                      .sel = &cs.sel,
                      .host = weft__cli_host,
                      .host_arg = &in,
                      .edges = &edges};
    if (weft__edges_build(&in.model, &edges)) {
      fprintf(stderr, "weft export: out of memory\n");
      rc = 1;
    } else {
      if (weft__out_init(&o, f) || write(&x) || weft__out_close(&o)) {
        fprintf(stderr, "weft export: cannot write the output\n");
        rc = 1;
      }
      weft__edges_release(&edges);
    }
    if (f != stdout && fclose(f)) {
      fprintf(stderr, "weft export: cannot write '%s'\n", output);
      rc = 1;
    }
  }
  weft__cli_input_release(&in);
  weft__cli_select_release(&cs);
  return rc;
}
