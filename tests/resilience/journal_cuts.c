/*
 * journal_cuts.c - the journal reader on damaged journals (label fault).
 *
 *   journal_cuts DIR
 *
 * Logs numbered actions into a journal of 64 KiB blocks (two sealed
 * blocks, then the one being filled), copies the journal files as they
 * are, and reads the copy with weft__journal_read_mem:
 *   - whole: every record logged, no cut;
 *   - truncated at every byte offset of its last block (header and data):
 *     exactly the records that lie wholly before the cut, a cut reported;
 *   - with one bit flipped in each byte of the journal header, of the
 *     dictionary, of the checksummed fields of each block header, in the
 *     schema and size fields of the last block's records, and at 500
 *     places of the sealed blocks: the records read are always a prefix of
 *     those logged (nothing invented, nothing out of order) and a shorter
 *     result always comes with a reported cut.
 * Then a journal holding every kind of record (two threads, a continued
 * context, a failure, arrays, globals) must read back without a cut.
 * Flips in a record's time stamp or field values in the block being
 * filled, and in the thread/seq/used/consumed fields of any block header,
 * cannot be detected (no checksum covers them): docs/resilience.md lists
 * that limit.
 */
#include "../check.h"
#include "journal_read.h"
#include "weft.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NSTEPS 1800

static unsigned char *slurp(const char *path, size_t *len) {
  int fd = open(path, O_RDONLY);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0) {
    perror(path);
    exit(1);
  }
  unsigned char *p = malloc((size_t)st.st_size + 1);
  size_t n = 0;
  ssize_t got;
  while (p && n < (size_t)st.st_size &&
         (got = read(fd, p + n, (size_t)st.st_size - n)) > 0)
    n += (size_t)got;
  close(fd);
  *len = n;
  return p;
}

/* Reference: the records of the whole journal, one stream. */
static unsigned char *ref;
static size_t ref_len;

/* Read and check that the result is a prefix of ref; returns its length,
 * or (size_t)-1 when the header was refused. */
static size_t read_prefix(const unsigned char *wj, size_t wjlen,
                          const unsigned char *d, size_t dlen, const char *what,
                          size_t at) {
  weft__journal_read j;
  weft__jr_want want = {0, 0};
  if (weft__journal_read_mem(&j, wj, wjlen, d, dlen, want) != WEFT_OK)
    return (size_t)-1;
  size_t len = 0;
  CHECK(j.nstreams <= 1, "%s %zu: %zu streams", what, at, j.nstreams);
  if (j.nstreams == 1) {
    len = j.streams[0].len;
    CHECK(j.streams[0].thread == 0 && len <= ref_len &&
              (len == 0 || memcmp(j.streams[0].data, ref, len) == 0),
          "%s %zu: the records read are not a prefix of those logged", what,
          at);
  }
  CHECK(len == ref_len || j.ncuts > 0, "%s %zu: records lost without a cut",
        what, at);
  weft__journal_read_free(&j);
  return len;
}

static void flip(unsigned char *p, size_t at, int bit) { p[at] ^= 1u << bit; }

/* A second thread continues a context of the first. */
static void *worker(void *arg) {
  weft_action a;
  static const size_t shape[1] = {100};
  double v[100];
  for (int i = 0; i < 100; i++)
    v[i] = i * 0.5;
  if (weft_context_continue(&a, arg, "worker", NULL, 0) == 0) {
    WEFT_LOG("values", WEFT_F64_ARRAY("v", v, 1, shape));
    weft_action_fail(a, "on purpose", 3);
  }
  return NULL;
}

/* Every kind of record (task, start, message, add, success, failure,
 * serialize, continue, globals, arrays, strings, two threads) is read back
 * from an intact journal without a cut. */
static void every_kind(weft_options *o) {
  if (weft_init(o) != 0) {
    fprintf(stderr, "weft_init: %s\n", weft_errmsg());
    exit(1);
  }
  weft_field g = WEFT_STR("job", "journal_cuts");
  weft_global_add(&g, 1);
  weft_action a, b;
  WEFT_ACTION_START(&a, "main", WEFT_BOOL("flag", 1), WEFT_U64("u", 7));
  WEFT_ACTION_START(&b, "inner", WEFT_F64("x", 1.5));
  WEFT_ADD(b, WEFT_STR("result", "fine"));
  char ctx[WEFT_CONTEXT_MAX];
  weft_context_serialize(0, ctx, sizeof ctx, NULL);
  pthread_t t;
  pthread_create(&t, NULL, worker, ctx);
  pthread_join(t, NULL);
  weft_action_succeed(b);
  /* left open: a and the journal as a killed process leaves them */
  char path[4200], dpath[4208];
  snprintf(path, sizeof path, "%s", weft__journal_path());
  snprintf(dpath, sizeof dpath, "%sd", path);
  size_t wjlen, dlen;
  unsigned char *wj = slurp(path, &wjlen), *d = slurp(dpath, &dlen);
  weft__journal_read j;
  weft__jr_want want = {0, 0};
  int rc = weft__journal_read_mem(&j, wj, wjlen, d, dlen, want);
  CHECK(rc == WEFT_OK, "every kind: %s", weft_errmsg());
  if (rc == WEFT_OK) {
    CHECK(j.ncuts == 0, "every kind: cut: %s", j.ncuts ? j.cuts[0].why : "");
    CHECK(j.nstreams == 2, "every kind: %zu streams, expected 2", j.nstreams);
    /* globals, task, start, start, add, serialize | continue, start,
     * message, failure | success */
    CHECK(j.records == 11, "every kind: %llu records, expected 11",
          (unsigned long long)j.records);
    weft__journal_read_free(&j);
  }
  free(wj);
  free(d);
  weft_action_succeed(a);
  weft_shutdown();
  unlink(path);
  unlink(dpath);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: journal_cuts DIR\n");
    return 2;
  }
  mkdir(argv[1], 0777);
  weft_options o;
  weft_options_init(&o);
  o.block_size = 64 << 10;
  o.buffer_budget = 4 * o.block_size;
  o.journal_dir = argv[1];
  if (weft_init(&o) != 0) {
    fprintf(stderr, "weft_init: %s\n", weft_errmsg());
    return 1;
  }
  weft_action outer;
  WEFT_ACTION_START(&outer, "outer");
  for (int64_t i = 0; i < NSTEPS; i++) {
    weft_action a;
    WEFT_ACTION_START(&a, "step", WEFT_I64("i", i));
    WEFT_LOG("tick", WEFT_I64("seq", i), WEFT_STR("note", "numbered"));
    weft_action_succeed(a);
  }
  /* The journal as a killed process would leave it: outer still open. */
  char path[4200], dpath[4208];
  snprintf(path, sizeof path, "%s", weft__journal_path());
  snprintf(dpath, sizeof dpath, "%sd", path);
  size_t wjlen, dlen;
  unsigned char *wj = slurp(path, &wjlen), *d = slurp(dpath, &dlen);

  weft__journal_read full;
  weft__jr_want want = {0, 0};
  if (weft__journal_read_mem(&full, wj, wjlen, d, dlen, want) != WEFT_OK) {
    fprintf(stderr, "reading the intact journal: %s\n", weft_errmsg());
    return 1;
  }
  CHECK(full.ncuts == 0, "intact journal: %zu cuts (%s)", full.ncuts,
        full.ncuts ? full.cuts[0].why : "");
  CHECK(full.nstreams == 1 && full.records == 2 + 3 * (uint64_t)NSTEPS,
        "intact journal: %llu records, expected %d",
        (unsigned long long)full.records, 2 + 3 * NSTEPS);
  const weft__jr_stream *st = &full.streams[0];
  CHECK(st->npieces == 3, "expected 3 blocks, found %zu", st->npieces);
  ref = st->data;
  ref_len = st->len;
  const weft__jr_piece *last = &st->pieces[st->npieces - 1];
  size_t slot_at = WEFT__JOURNAL_HEADER + last->slot * full.h.slot_size;
  size_t data_at = slot_at + 64, before = ref_len - (last->to - last->from);

  /* Truncation at every byte offset of the last block. */
  size_t boundary = 0, tests = 0; /* last record boundary <= cut */
  for (size_t cut = slot_at; cut <= data_at + last->to; cut++, tests++) {
    size_t avail = cut > data_at ? cut - data_at : 0;
    while (boundary < last->to) {
      weft_rec r = {0, 0, 0};
      size_t hl =
          weft__rec_get(ref + before + boundary, last->to - boundary, &r);
      size_t next = boundary + hl + WEFT_REC_PAD((size_t)r.size);
      CHECK(hl, "intact journal: torn record at %zu", boundary);
      if (!hl || next > avail)
        break;
      boundary = next;
    }
    size_t want_len = cut < data_at ? before : before + boundary;
    size_t got = read_prefix(wj, cut, d, dlen, "truncated at", cut);
    CHECK(got == want_len,
          "truncated at %zu: %zu bytes of records, expected %zu", cut, got,
          want_len);
  }

  /* Flipped bits. */
  unsigned char *w2 = malloc(wjlen), *d2 = malloc(dlen);
  memcpy(w2, wj, wjlen);
  memcpy(d2, d, dlen);
  for (size_t at = 0; at < offsetof(weft__journal_header, checksum3) + 8;
       at++, tests++) {
    flip(w2, at, (int)(at % 8));
    CHECK(read_prefix(w2, wjlen, d, dlen, "header flip", at) == (size_t)-1,
          "header byte %zu flipped: journal accepted", at);
    flip(w2, at, (int)(at % 8));
  }
  for (size_t at = 0; at < dlen; at++)
    for (int bit = 0; bit < 8; bit++, tests++) {
      flip(d2, at, bit);
      read_prefix(wj, wjlen, d2, dlen, "dictionary flip", at);
      flip(d2, at, bit);
    }
  /* Block headers: magic, sealed, checksum (the fields a reader can
   * check: that the slot is in use, and its seal). */
  static const size_t fields[][2] = {{0, 4}, {48, 4}, {56, 8}};
  for (size_t k = 0; k < st->npieces; k++) {
    size_t h = WEFT__JOURNAL_HEADER + st->pieces[k].slot * full.h.slot_size;
    for (size_t f = 0; f < 3; f++)
      for (size_t b = 0; b < fields[f][1]; b++)
        for (int bit = 0; bit < 8; bit++, tests++) {
          flip(w2, h + fields[f][0] + b, bit);
          read_prefix(w2, wjlen, d, dlen, "block header flip", h + b);
          flip(w2, h + fields[f][0] + b, bit);
        }
  }
  /* Schema and size fields of the last block's records (a short SUCCESS
   * has neither: its 8 bytes are its time). */
  for (size_t off = 0; off < last->to; tests++) {
    weft_rec r = {0, 0, 0};
    size_t hl = weft__rec_get(ref + before + off, last->to - off, &r);
    for (int bit = 0; hl == sizeof r && bit < 32; bit += 3) {
      flip(w2, data_at + off + 8 + (size_t)bit / 8, bit % 8);
      read_prefix(w2, wjlen, d, dlen, "record schema flip", off);
      flip(w2, data_at + off + 8 + (size_t)bit / 8, bit % 8);
      flip(w2, data_at + off + 12 + (size_t)bit / 8, bit % 8);
      read_prefix(w2, wjlen, d, dlen, "record size flip", off);
      flip(w2, data_at + off + 12 + (size_t)bit / 8, bit % 8);
    }
    if (!hl)
      break; /* reported above */
    off += hl + WEFT_REC_PAD((size_t)r.size);
  }
  /* Anywhere in the sealed blocks' records. */
  srand(12345);
  for (int n = 0; n < 500; n++, tests++) {
    const weft__jr_piece *p = &st->pieces[(size_t)n % 2];
    size_t at = WEFT__JOURNAL_HEADER + p->slot * full.h.slot_size + 64 +
                (size_t)rand() % p->to;
    int bit = rand() % 8;
    flip(w2, at, bit);
    size_t got = read_prefix(w2, wjlen, d, dlen, "sealed data flip", at);
    CHECK(got < ref_len, "sealed data byte %zu flipped: not detected", at);
    flip(w2, at, bit);
  }
  weft__journal_read_free(&full);
  free(w2);
  free(d2);
  free(wj);
  free(d);
  weft_action_succeed(outer);
  weft_shutdown();
  unlink(path); /* kept by weft_shutdown: its records reached no log */
  unlink(dpath);
  every_kind(&o);
  printf("journal_cuts: %zu damaged copies read, %d failures\n", tests,
         failures);
  return failures ? 1 : 0;
}
