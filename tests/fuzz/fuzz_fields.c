/*
 * fuzz_fields.c - libFuzzer target for the field decoder
 * (weft__fields_decode): byte 0 is the field count (mod 17), the next
 * bytes the field types (mod 8: 0 is invalid on purpose), the rest the
 * payload.  Decoding must fail cleanly or produce values that stay inside
 * the payload and the arena.
 */
#include "weft_int.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  size_t n = data[0] % 17;
  if (size < 1 + n)
    return 0;
  uint8_t types[16] = {0};
  const char *names[16] = {0};
  for (size_t i = 0; i < n; i++) {
    types[i] = data[1 + i] % 8;
    names[i] = "f";
  }
  weft_value out[16];
  weft__arena arena = {0};
  int rc = weft__fields_decode(data + 1 + n, size - 1 - n, types, names, n, out,
                               &arena);
  if (rc == WEFT_OK) {
    /* touch every decoded byte so the sanitizers see bad pointers */
    volatile size_t sum = 0;
    for (size_t i = 0; i < n; i++) {
      if (out[i].type == WEFT_TYPE_STR)
        for (size_t k = 0; k < out[i].v.str.len; k++)
          sum += (unsigned char)out[i].v.str.ptr[k];
      if ((out[i].type == WEFT_TYPE_I64_ARRAY ||
           out[i].type == WEFT_TYPE_F64_ARRAY) &&
          out[i].v.arr.kept)
        for (size_t k = 0; k < out[i].v.arr.kept * 8; k++)
          sum += ((const unsigned char *)out[i].v.arr.values)[k];
    }
    (void)sum;
  }
  weft__arena_free(&arena);
  return 0;
}
