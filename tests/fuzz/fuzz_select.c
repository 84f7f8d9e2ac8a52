/*
 * fuzz_select.c - libFuzzer target for the command-line value parsers of
 * `weft`: --where expressions, rank lists, status lists, task ids,
 * durations and times.  Byte 0 picks the parser; the rest is the text.
 */
#include "select.h"
#include "timefmt.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1 || size > 4096)
    return 0;
  char *s = malloc(size);
  if (!s)
    return 0;
  memcpy(s, data + 1, size - 1);
  s[size - 1] = 0;
  weft__select sel;
  weft__select_init(&sel);
  int64_t v;
  switch (data[0] % 6) {
  case 0:
    weft__select_add_where(&sel, s);
    break;
  case 1:
    weft__select_add_ranks(&sel, s);
    break;
  case 2:
    weft__select_add_status(&sel, s);
    break;
  case 3:
    weft__select_set_task(&sel, s);
    break;
  case 4:
    weft__parse_duration(s, &v);
    break;
  default:
    weft__parse_time(s, 0, &v);
  }
  weft__select_release(&sel);
  free(s);
  return 0;
}
