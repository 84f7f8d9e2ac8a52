/*
 * test_journal_header.c - the journal header across versions
 * (docs/journal.md): a version 3 header gives the world rank libweft-mpi
 * recorded, after the first checksum and under a second; version 1 and 2
 * headers, which end with the first, still read, with the world rank
 * unknown; a header of a later version whose first checksum holds is
 * refused for its version (WEFT_ENOTSUP), as an older reader refuses a
 * version 3 one; and a journal libweft writes says unknown until
 * weft__journal_set_world, then what it was given.
 */
#define _POSIX_C_SOURCE 200809L

#include "event_assert.h"
#include "journal.h"
#include "journal_read.h"

#include <unistd.h>

#define BLOCK 64
#define SLOT (64 + BLOCK)
#define WJ_LEN (WEFT__JOURNAL_HEADER + SLOT)
/* Where the checksums are (docs/journal.md). */
#define SUM1 ((size_t)1232)
#define SUM3 ((size_t)1248)

/* A journal of one free slot and an empty dictionary, its header of
 * `version` with rank 3, then (version 3 and later) world rank `world` of
 * `size` and the second checksum, each checksum over the bytes before it. */
static unsigned char *journal(uint32_t version, int32_t world, uint32_t size) {
  unsigned char *wj = calloc(1, WJ_LEN);
  assert_non_null(wj);
  weft__journal_header h;
  memset(&h, 0, sizeof h);
  memcpy(h.magic, WEFT__JOURNAL_MAGIC, 8);
  h.version = version;
  h.header_size = WEFT__JOURNAL_HEADER;
  h.block_size = BLOCK;
  h.slot_size = SLOT;
  h.nslots = 1;
  h.pid = 4242;
  h.rank = 3;
  snprintf(h.host, sizeof h.host, "node7");
  snprintf(h.log, sizeof h.log, "/scratch/run.h5");
  memcpy(wj, &h, SUM1);
  uint64_t sum = weft__journal_checksum(wj, SUM1);
  memcpy(wj + SUM1, &sum, 8);
  if (version >= 3) {
    memcpy(wj + offsetof(weft__journal_header, world_rank), &world, 4);
    memcpy(wj + offsetof(weft__journal_header, world_size), &size, 4);
    sum = weft__journal_checksum(wj, SUM3);
    memcpy(wj + SUM3, &sum, 8);
  }
  return wj;
}

static int read_journal(const unsigned char *wj, weft__journal_read *j) {
  weft__jr_want want = {0, 1};
  return weft__journal_read_mem(j, wj, WJ_LEN, NULL, 0, want);
}

/* The offsets docs/journal.md gives. */
static void test_layout(void **state) {
  (void)state;
  assert_int_equal(WEFT__JOURNAL_VERSION, 3);
  assert_int_equal(offsetof(weft__journal_header, checksum), SUM1);
  assert_int_equal(offsetof(weft__journal_header, world_rank), 1240);
  assert_int_equal(offsetof(weft__journal_header, world_size), 1244);
  assert_int_equal(offsetof(weft__journal_header, checksum3), SUM3);
}

static void test_v3_world(void **state) {
  (void)state;
  unsigned char *wj = journal(3, 5, 8);
  weft__journal_read j;
  assert_int_equal(read_journal(wj, &j), WEFT_OK);
  uint32_t size = 99;
  assert_int_equal(weft__journal_read_world(&j, &size), 5);
  assert_int_equal(size, 8);
  assert_int_equal(j.h.rank, 3);
  assert_string_equal(j.h.host, "node7");
  assert_string_equal(j.h.log, "/scratch/run.h5");
  weft__journal_read_free(&j);
  free(wj);
}

/* Versions 1 and 2: read, their world rank unknown (whatever the bytes
 * where version 3 has it hold). */
static void test_old_versions(void **state) {
  (void)state;
  for (uint32_t v = 1; v <= 2; v++) {
    unsigned char *wj = journal(v, 0, 0);
    wj[offsetof(weft__journal_header, world_rank)] = 7; /* not theirs */
    weft__journal_read j;
    assert_int_equal(read_journal(wj, &j), WEFT_OK);
    uint32_t size = 99;
    assert_int_equal(weft__journal_read_world(&j, &size), UINT32_MAX);
    assert_int_equal(size, 0);
    assert_int_equal(j.h.world_rank, -1);
    assert_int_equal(j.h.world_size, 0);
    assert_int_equal(j.h.rank, 3);
    assert_int_equal(j.h.pid, 4242);
    assert_string_equal(j.h.log, "/scratch/run.h5");
    weft__journal_read_free(&j);
    free(wj);
  }
}

/* Damaged headers, and headers of a version this reader does not know. */
static void test_checksums(void **state) {
  (void)state;
  weft__journal_read j;
  /* the first checksum fails: damaged, whatever the version says */
  for (uint32_t v = 2; v <= 4; v++) {
    unsigned char *wj = journal(v, 1, 4);
    wj[offsetof(weft__journal_header, log)] ^= 1;
    assert_int_equal(read_journal(wj, &j), WEFT_EFORMAT);
    assert_non_null(strstr(weft_errmsg(), "checksum mismatch"));
    free(wj);
  }
  /* a version 3 world rank changed after its checksum */
  unsigned char *wj = journal(3, 1, 4);
  wj[offsetof(weft__journal_header, world_rank)] ^= 2;
  assert_int_equal(read_journal(wj, &j), WEFT_EFORMAT);
  assert_non_null(strstr(weft_errmsg(), "checksum mismatch (world rank)"));
  free(wj);
  /* a version 3 header without its second checksum (a version 2 writer's
   * bytes, the version field aside) */
  wj = journal(2, 0, 0);
  uint32_t v3 = 3;
  memcpy(wj + offsetof(weft__journal_header, version), &v3, 4);
  uint64_t sum = weft__journal_checksum(wj, SUM1);
  memcpy(wj + SUM1, &sum, 8);
  assert_int_equal(read_journal(wj, &j), WEFT_EFORMAT);
  free(wj);
  /* an intact header of a later version: refused for its version, as a
   * reader of version 2 refuses a version 3 header (its first checksum
   * holds, at the place version 2 has it) */
  wj = journal(4, 1, 4);
  assert_int_equal(read_journal(wj, &j), WEFT_ENOTSUP);
  assert_non_null(strstr(weft_errmsg(), "version 4 is not supported"));
  assert_int_equal(j.h.version, 4); /* for the caller to name it */
  free(wj);
}

/* Version 3 headers that do not say: never set (-1), or a rank not below
 * the size. */
static void test_v3_unknown(void **state) {
  (void)state;
  static const struct {
    int32_t world;
    uint32_t size;
  } cases[] = {{-1, 0}, {-1, 4}, {4, 4}, {0, 0}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    unsigned char *wj = journal(3, cases[i].world, cases[i].size);
    weft__journal_read j;
    assert_int_equal(read_journal(wj, &j), WEFT_OK);
    uint32_t size = 99;
    assert_int_equal(weft__journal_read_world(&j, &size), UINT32_MAX);
    assert_int_equal(size, 0);
    weft__journal_read_free(&j);
    free(wj);
  }
}

/* What libweft writes: version 3, unknown until libweft-mpi says. */
static void test_writer(void **state) {
  (void)state;
  char dir[] = "/tmp/weft-journal-header-XXXXXX";
  assert_non_null(mkdtemp(dir));
  weft_options o;
  weft_options_init(&o);
  o.journal_dir = dir;
  assert_int_equal(weft_init(&o), WEFT_OK);
  const char *path = weft__journal_path();
  assert_non_null(path);
  weft__jr_want want = {0, 1};
  weft__journal_read j;
  uint32_t size = 99;
  assert_int_equal(weft__journal_read_file(&j, path, want), WEFT_OK);
  assert_int_equal(j.h.version, 3);
  assert_int_equal(weft__journal_read_world(&j, &size), UINT32_MAX);
  assert_int_equal(size, 0);
  assert_int_equal(j.h.rank, -1);
  weft__journal_read_free(&j);

  assert_int_equal(weft__journal_set_world(6, 9), WEFT_OK);
  assert_int_equal(weft__journal_set_meta(2, "77", "/scratch/x.h5"), WEFT_OK);
  assert_int_equal(weft__journal_read_file(&j, path, want), WEFT_OK);
  assert_int_equal(weft__journal_read_world(&j, &size), 6);
  assert_int_equal(size, 9);
  assert_int_equal(j.h.rank, 2);
  assert_string_equal(j.h.job, "77");
  weft__journal_read_free(&j);

  char wj[4096], wjd[4096];
  snprintf(wj, sizeof wj, "%s", path);
  snprintf(wjd, sizeof wjd, "%sd", path);
  weft_shutdown();
  assert_int_equal(weft__journal_set_world(1, 2), WEFT_ENOTFOUND);
  unlink(wj); /* weft_shutdown removed them when nothing was left */
  unlink(wjd);
  assert_int_equal(rmdir(dir), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_layout),       cmocka_unit_test(test_v3_world),
      cmocka_unit_test(test_old_versions), cmocka_unit_test(test_checksums),
      cmocka_unit_test(test_v3_unknown),   cmocka_unit_test(test_writer),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
