/*
 * env_names.c - the WEFT_* environment variables Weft knows, and a notice
 * in the trace for any other.
 *
 * A misspelt setting in a batch script (WEFT_BUFER_BUDGET=1G) is ignored
 * by getenv without a word, and the job runs for hours with the default.
 * The library must not print, so weft_init logs one message
 * weft:unknown_setting {name} per WEFT_* variable of its environment that
 * no part of Weft reads; `weft info` gathers them under `notices:`.  Only
 * the name is logged: a value may be anything, a secret included.
 *
 * The list holds every name that Weft's libraries, tools, scripts and
 * test suite read, since a job's environment carries the scripts' own
 * variables too (sbatch exports them).  WEFT_TEST_* is the test suite's.
 * tests/env_names.sh checks that the sources read no WEFT_* name
 * missing here, and that docs/guide.md lists every setting a user sets.
 */
#include "weft_int.h"

#include <string.h>
#include <unistd.h>

/* What the libraries and tools read (docs/guide.md section 5 and
 * docs/causality.md), then Weft's scripts and tests; sorted. */
static const char *const known[] = {
    "WEFT_ACTIONS",
    "WEFT_ARRAY_KEEP",
    "WEFT_BLOCK_SIZE",
    "WEFT_BUFFER_BUDGET",
    "WEFT_CLOCK",
    "WEFT_CLOCK_SAMPLES",
    "WEFT_END_MARGIN",
    "WEFT_FILE",
    "WEFT_FULL_POLICY",
    "WEFT_IO",
    "WEFT_JOURNAL",
    "WEFT_JOURNAL_DIR",
    "WEFT_MPI_TRACE",
    "WEFT_OVERWRITE",
    "WEFT_PMPI_FLUSH_EVERY",
    "WEFT_SIGNAL",
    "WEFT_STRING_MAX",
    /* scripts/, slurm-examples/, tests/ */
    "WEFT_CHECK_ELIOT",
    "WEFT_HOME",
    "WEFT_PACKAGES",
    "WEFT_ROOT",
    "WEFT_SLURM_JOBS",
    "WEFT_SLURM_STATE",
    "WEFT_SOURCE_DIR",
    "WEFT_TOOLS_TESTS",
};

#define PREFIX "WEFT_"
#define TEST_PREFIX "WEFT_TEST_"
/* Notices per weft_init: an environment full of WEFT_* names must not
 * fill the buffers; past it, one weft:limit {limit, value} says how many
 * there were. */
#define NOTICES_MAX 32

int weft__env_name_known(const char *name, size_t len) {
  if (len >= sizeof TEST_PREFIX - 1 &&
      !memcmp(name, TEST_PREFIX, sizeof TEST_PREFIX - 1))
    return 1;
  for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
    if (strlen(known[i]) == len && !memcmp(known[i], name, len))
      return 1;
  return 0;
}

void weft__env_report_unknown(void) {
  uint64_t unknown = 0;
  for (char **e = environ; e && *e; e++) {
    const char *eq = strchr(*e, '=');
    size_t len = eq ? (size_t)(eq - *e) : strlen(*e);
    if (len < sizeof PREFIX - 1 || memcmp(*e, PREFIX, sizeof PREFIX - 1) ||
        weft__env_name_known(*e, len))
      continue;
    if (++unknown > NOTICES_MAX)
      continue;
    weft_field f = WEFT_STRN("name", *e, len);
    weft_message_log("weft:unknown_setting", &f, 1);
  }
  if (unknown > NOTICES_MAX) {
    weft_field l[2] = {WEFT_STR("limit", "unknown_settings"),
                       WEFT_U64("value", unknown)};
    weft_message_log("weft:limit", l, 2);
  }
}
