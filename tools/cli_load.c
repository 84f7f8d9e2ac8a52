/*
 * cli_load.c - opening the input files of a subcommand and building the
 * model, with the tools' error convention: one line, exit status 2 (1
 * when memory ran out: not the input's fault).
 */
#include "cmd.h"

#include "trace_load.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int weft__cli_load(weft__cli_input *in, char **files, int n) {
  char err[512];
  memset(in, 0, sizeof *in);
  if (weft__model_init(&in->model)) {
    fprintf(stderr, "weft: out of memory\n");
    return 1;
  }
  in->traces = calloc((size_t)n, sizeof *in->traces);
  if (!in->traces) {
    fprintf(stderr, "weft: out of memory\n");
    return 1;
  }
  for (int i = 0; i < n; i++) {
    int rc = weft__trace_open(&in->traces[i], files[i], err, sizeof err);
    if (rc) {
      fprintf(stderr, "weft: %s: %s\n", files[i], err);
      return rc == WEFT__TRACE_ENOMEM ? 1 : 2;
    }
    in->ntraces++;
  }
  size_t bad = 0;
  int rc = weft__trace_load(&in->model, in->traces, in->ntraces,
                            isatty(STDERR_FILENO), err, sizeof err, &bad);
  if (rc) {
    fprintf(stderr, "weft: %s: %s\n", files[bad], err);
    return rc == WEFT__LOAD_NOMEM ? 1 : 2;
  }
  return 0;
}

void weft__cli_input_release(weft__cli_input *in) {
  for (size_t i = 0; i < in->ntraces; i++)
    weft__trace_close(&in->traces[i]);
  free(in->traces);
  weft__model_release(&in->model);
  memset(in, 0, sizeof *in);
}

const char *weft__cli_host(void *arg, uint32_t file, uint32_t rank) {
  const weft__cli_input *in = arg;
  if (file >= in->ntraces || rank >= in->traces[file].mpi_size)
    return NULL;
  return in->traces[file].ranks[rank].host;
}

int weft__cli_color(const char *when) {
  if (when && !strcmp(when, "always"))
    return 1;
  if (when && !strcmp(when, "never"))
    return 0;
  const char *no = getenv("NO_COLOR");
  if (no && *no)
    return 0;
  const char *term = getenv("TERM");
  return isatty(STDOUT_FILENO) && !(term && !strcmp(term, "dumb"));
}
