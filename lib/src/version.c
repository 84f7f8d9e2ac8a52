/*
 * version.c - the library's version, for checking header against library.
 */
#include "weft_int.h"

#define WEFT__STR_(x) #x
#define WEFT__STR(x) WEFT__STR_(x)

unsigned weft_version(void) { return WEFT_VERSION_HEX; }

const char *weft_version_string(void) {
  return WEFT__STR(WEFT_VERSION_MAJOR) "." WEFT__STR(
      WEFT_VERSION_MINOR) "." WEFT__STR(WEFT_VERSION_PATCH);
}
