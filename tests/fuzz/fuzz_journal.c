/*
 * fuzz_journal.c - libFuzzer target for the journal reader
 * (lib/src/journal_read.c), which reads what crashed processes left.
 *
 * Input: byte 0 = flags; bit 0: raw mode, the rest is u32 dictionary
 * length, the dictionary, then the whole .wj file.  Otherwise the journal
 * header is made here (valid, so that the fuzzer spends its time on the
 * blocks): byte 1 = slots (1..4), byte 2 = block size / 8 (8..71), byte 3
 * = the log's committed epochs, u16 dictionary length, the dictionary, then
 * the slots (64-byte header + data each; missing bytes are zero).  Bit 1:
 * fix sealed blocks' checksums; bit 2: fix the dictionary entries'
 * checksums; bit 3: want every record (rebuild).
 *
 * Checked beyond memory safety: every stream is whole records, each of a
 * schema the dictionary defines, and no cut claims more than a block.
 */
#include "buffer.h"
#include "journal_read.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fix_dict(unsigned char *d, size_t len) {
  size_t off = 0;
  while (len - off >= 13) {
    uint32_t n;
    memcpy(&n, d + off, 4);
    if (n < 1 || n > len - off - 12)
      return;
    uint64_t sum = weft__journal_checksum(d + off + 12, n);
    memcpy(d + off + 4, &sum, 8);
    off += 12 + (size_t)n;
  }
}

static void check(const weft__journal_read *j) {
  for (size_t i = 0; i < j->nstreams; i++) {
    const weft__jr_stream *s = &j->streams[i];
    size_t off = 0;
    uint64_t n = 0;
    while (off < s->len) {
      weft_rec r;
      size_t hl = weft__rec_get(s->data + off, s->len - off, &r);
      if (hl == 0)
        abort();
      if (r.schema >= j->nschemas || !j->schemas[r.schema])
        abort();
      off += hl + WEFT_REC_PAD((size_t)r.size);
      n++;
    }
    if (off != s->len || n != s->records)
      abort();
  }
  for (size_t i = 0; i < j->ncuts; i++)
    if (j->cuts[i].thread >= 0 && !j->cuts[i].bad_slot &&
        j->cuts[i].offset > j->h.block_size)
      abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 6)
    return 0;
  uint8_t flags = data[0];
  weft__jr_want want = {0, (flags >> 3) & 1};
  unsigned char *wj = NULL, *d = NULL;
  size_t wjlen = 0, dlen = 0;
  if (flags & 1) {
    uint32_t n;
    memcpy(&n, data + 1, 4);
    dlen = n < size - 5 ? n : size - 5;
    d = malloc(dlen + 1);
    memcpy(d, data + 5, dlen);
    wjlen = size - 5 - dlen;
    wj = malloc(wjlen + 1);
    memcpy(wj, data + 5 + dlen, wjlen);
  } else {
    size_t nslots = 1 + data[1] % 4, block = 8 * (8 + data[2] % 64);
    want.log_epochs = data[3];
    uint16_t n;
    memcpy(&n, data + 4, 2);
    size_t at = 6;
    dlen = n < size - at ? n : size - at;
    d = malloc(dlen + 1);
    memcpy(d, data + at, dlen);
    at += dlen;
    size_t slot = 64 + block;
    wjlen = WEFT__JOURNAL_HEADER + nslots * slot;
    wj = calloc(1, wjlen);
    size_t rest = size - at < nslots * slot ? size - at : nslots * slot;
    memcpy(wj + WEFT__JOURNAL_HEADER, data + at, rest);
    weft__journal_header h;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, WEFT__JOURNAL_MAGIC, 8);
    h.version = WEFT__JOURNAL_VERSION;
    h.header_size = WEFT__JOURNAL_HEADER;
    h.block_size = block;
    h.slot_size = slot;
    h.nslots = nslots;
    h.rank = 0;
    weft__journal_header_seal(&h); /* both checksums (journal.h) */
    memcpy(wj, &h, sizeof h);
    if (flags & 2)
      for (size_t s = 0; s < nslots; s++) {
        weft__block_hdr b;
        unsigned char *p = wj + WEFT__JOURNAL_HEADER + s * slot;
        memcpy(&b, p, sizeof b);
        if (b.sealed && b.used <= block) {
          b.checksum = weft__journal_checksum(p + 64, b.used);
          memcpy(p, &b, sizeof b);
        }
      }
    if (flags & 4)
      fix_dict(d, dlen);
  }
  weft__journal_read j;
  if (weft__journal_read_mem(&j, wj, wjlen, d, dlen, want) == WEFT_OK) {
    check(&j);
    weft__journal_read_free(&j);
  }
  free(wj);
  free(d);
  return 0;
}
