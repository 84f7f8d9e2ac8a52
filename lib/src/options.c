/*
 * options.c - default options and their environment variables.
 */
#include "weft_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void weft_options_init(weft_options *opts) {
  if (!opts)
    return;
  memset(opts, 0, sizeof *opts);
  opts->buffer_budget = (size_t)64 << 20;
  opts->block_size = (size_t)1 << 20;
  opts->policy = WEFT_FULL_DROP;
  opts->array_keep = 16;
  opts->string_max = 4096;
  opts->use_tsc = 1;
}

/* Parse "123", "64K", "8M", "1G" (powers of 1024) into *out. */
static int parse_size(const char *s, uint64_t *out) {
  char *end;
  errno = 0;
  if (*s == '-' || *s == '\0')
    return -1;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || end == s)
    return -1;
  unsigned shift = 0;
  switch (*end) {
  case '\0':
    break;
  case 'k':
  case 'K':
    shift = 10;
    end++;
    break;
  case 'm':
  case 'M':
    shift = 20;
    end++;
    break;
  case 'g':
  case 'G':
    shift = 30;
    end++;
    break;
  default:
    return -1;
  }
  if (*end == 'i' || *end == 'B') /* accept KiB, MB, ... */
    end++;
  if (*end == 'B')
    end++;
  if (*end != '\0' || (shift && v > (UINT64_MAX >> shift)))
    return -1;
  *out = (uint64_t)v << shift;
  return 0;
}

static int env_size(const char *name, uint64_t min, uint64_t max, uint64_t *out,
                    int *set) {
  const char *s = getenv(name);
  *set = 0;
  if (!s)
    return WEFT_OK;
  uint64_t v;
  if (parse_size(s, &v) || v < min || v > max)
    return weft__error(WEFT_EINVAL,
                       "environment variable %s=\"%s\": expected a number "
                       "from %llu to %llu, optionally with K, M or G",
                       name, s, (unsigned long long)min,
                       (unsigned long long)max);
  *out = v;
  *set = 1;
  return WEFT_OK;
}

int weft_options_from_env(weft_options *opts) {
  if (!opts)
    return weft__error(WEFT_EINVAL, "weft_options_from_env: opts is NULL");
  weft_options o = *opts;
  uint64_t v;
  int set, rc;

  if ((rc = env_size("WEFT_BUFFER_BUDGET", 64 << 10, (uint64_t)1 << 44, &v,
                     &set)))
    return rc;
  if (set)
    o.buffer_budget = (size_t)v;
  if ((rc = env_size("WEFT_BLOCK_SIZE", 64 << 10, (uint64_t)1 << 32, &v, &set)))
    return rc;
  if (set)
    o.block_size = (size_t)v;
  if ((rc = env_size("WEFT_ARRAY_KEEP", 0, 1 << 20, &v, &set)))
    return rc;
  if (set)
    o.array_keep = (uint32_t)v;
  if ((rc = env_size("WEFT_STRING_MAX", 0, 1 << 24, &v, &set)))
    return rc;
  if (set)
    o.string_max = (uint32_t)v;

  const char *p = getenv("WEFT_FULL_POLICY");
  if (p) {
    if (!strcasecmp(p, "drop"))
      o.policy = WEFT_FULL_DROP;
    else if (!strcasecmp(p, "handoff"))
      o.policy = WEFT_FULL_HANDOFF;
    else
      return weft__error(WEFT_EINVAL,
                         "environment variable WEFT_FULL_POLICY=\"%s\": "
                         "expected drop or handoff",
                         p);
  }
  const char *c = getenv("WEFT_CLOCK");
  if (c) {
    if (!strcasecmp(c, "tsc"))
      o.use_tsc = 1;
    else if (!strcasecmp(c, "monotonic"))
      o.use_tsc = 0;
    else
      return weft__error(WEFT_EINVAL,
                         "environment variable WEFT_CLOCK=\"%s\": expected "
                         "tsc or monotonic",
                         c);
  }
  const char *j = getenv("WEFT_JOURNAL_DIR");
  if (j) {
    if (!*j)
      return weft__error(WEFT_EINVAL, "environment variable WEFT_JOURNAL_DIR "
                                      "is empty");
    o.journal_dir = j;
  }
  *opts = o;
  return WEFT_OK;
}
