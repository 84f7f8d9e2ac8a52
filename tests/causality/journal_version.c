/*
 * journal_version.c - make a crash journal look written by another Weft:
 *
 *   journal_version JOURNAL VERSION
 *
 * sets the version in JOURNAL's header and makes its checksums anew (the
 * first, which every version has, a reader checks before the version:
 * journal.h), then reads the journal back as weft recover does and exits
 * 0 only when this weft refuses it for its version (WEFT_ENOTSUP) if
 * VERSION is newer than it reads, or accepts it otherwise.
 * recover_format.sh uses it for journals of a newer Weft.
 */
#include "journal.h"
#include "journal_read.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: journal_version JOURNAL VERSION\n");
    return 2;
  }
  const char *path = argv[1];
  weft__journal_header h;
  FILE *f = fopen(path, "r+b");
  if (!f || fread(&h, 1, sizeof h, f) != sizeof h) {
    fprintf(stderr, "journal_version: cannot read %s\n", path);
    if (f)
      fclose(f);
    return 1;
  }
  h.version = (uint32_t)strtoul(argv[2], NULL, 10);
  weft__journal_header_seal(&h);
  if (fseek(f, 0, SEEK_SET) != 0 || fwrite(&h, 1, sizeof h, f) != sizeof h ||
      fclose(f) != 0) {
    fprintf(stderr, "journal_version: cannot write %s\n", path);
    return 1;
  }
  weft__journal_read jr;
  weft__jr_want want = {0, 1};
  int rc = weft__journal_read_file(&jr, path, want);
  if (rc == WEFT_OK)
    weft__journal_read_free(&jr);
  int newer = h.version > WEFT__JOURNAL_VERSION;
  if (newer ? rc != WEFT_ENOTSUP : rc != WEFT_OK) {
    fprintf(stderr,
            "journal_version: %s of version %u reads back as %d (%s), "
            "not as %s\n",
            path, h.version, rc, rc ? weft_errmsg() : "read",
            newer ? "refused for its version" : "read");
    return 1;
  }
  return 0;
}
