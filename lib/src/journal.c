/*
 * journal.c - creating, mapping and closing a process's journal files.
 *
 * Checksums are XXH3-64 (libxxhash): a sealed 1 MiB block is summed in
 * tens of microseconds, about a nanosecond per event, where a table CRC
 * would cost more than the event itself.
 */
#include "journal.h"
#include "clock.h"
#include "weft_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

static struct {
  int fd, dict_fd;
  unsigned char *map;
  size_t map_len;
  char path[PATH_MAX];
  char dict_path[PATH_MAX];
} jr = {-1, -1, NULL, 0, "", ""};

uint64_t weft__journal_checksum(const void *p, size_t n) {
  return XXH3_64bits(p, n);
}

void weft__journal_header_seal(weft__journal_header *h) {
  h->checksum = XXH3_64bits(h, offsetof(weft__journal_header, checksum));
  h->checksum3 = XXH3_64bits(h, offsetof(weft__journal_header, checksum3));
}

int weft__journal_active(void) { return jr.map != NULL; }

static int fail(const char *what, const char *path) {
  return weft__error(WEFT_EIO, "journal %s \"%s\": %s", what, path,
                     strerror(errno));
}

/* Page advice for the slots (buffer.c says why), given before anything
 * touches the mapping: once the kernel's readahead runs along the file,
 * it reads ahead into the advised part with small folios, and the advice
 * no longer changes how pages come in.  The header and the small slots
 * get no readahead at all (a fault reads its own page), so that none runs
 * from them into the others.  Huge pages start at the first 2 MiB file
 * offset past the small slots (page-cache folios are aligned in the
 * file); returns how many slots start before it: those that keep small
 * pages, at least `small_slots`. */
static size_t advise(unsigned char *map, size_t len, size_t slot, size_t nslots,
                     size_t small_slots) {
  const size_t page = (size_t)sysconf(_SC_PAGESIZE);
  const size_t huge = (size_t)2 << 20;
  size_t from =
      (WEFT__JOURNAL_HEADER + small_slots * slot + huge - 1) & ~(huge - 1);
  size_t to = len & ~(page - 1);
  if (from > to)
    from = to;
  madvise(map, from, MADV_RANDOM);
#ifdef MADV_HUGEPAGE
  if (to > from)
    madvise(map + from, to - from, MADV_HUGEPAGE);
#endif
  size_t small = (from - WEFT__JOURNAL_HEADER + slot - 1) / slot;
  return small < nslots ? small : nslots;
}

int weft__journal_open(const char *dir, size_t block_size, size_t nslots,
                       size_t *small_slots, unsigned char **slots,
                       size_t *slot_size) {
  char host[64] = "localhost";
  gethostname(host, sizeof host - 1);
  host[sizeof host - 1] = '\0';
  if (mkdir(dir, 0777) != 0 && errno != EEXIST)
    return fail("directory", dir);

  /* <host>.<pid>.wj; a leftover of an earlier process with the same pid
   * (an unrecovered journal) is never overwritten: take the next suffix. */
  int fd = -1;
  for (int k = 0; k < 100 && fd < 0; k++) {
    int w = k == 0 ? snprintf(jr.path, sizeof jr.path, "%s/%s.%ld.wj", dir,
                              host, (long)getpid())
                   : snprintf(jr.path, sizeof jr.path, "%s/%s.%ld-%d.wj", dir,
                              host, (long)getpid(), k);
    if (w < 0 || (size_t)w + 2 > sizeof jr.path)
      return weft__error(WEFT_EINVAL, "journal directory \"%s\" is too long",
                         dir);
    fd = open(jr.path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0 && errno != EEXIST)
      return fail("file", jr.path);
  }
  if (fd < 0)
    return fail("file", jr.path);
  memcpy(jr.dict_path, jr.path, sizeof jr.path);
  strcat(jr.dict_path, "d");
  int dfd = open(jr.dict_path,
                 O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
  if (dfd < 0) {
    int rc = fail("dictionary", jr.dict_path);
    close(fd);
    unlink(jr.path);
    return rc;
  }

  size_t slot = 64 + block_size;
  size_t len = WEFT__JOURNAL_HEADER + nslots * slot;
  /* Reserve the whole file now: a page of a sparse mapping that the file
   * system cannot allocate later would kill the process with SIGBUS in
   * the middle of logging; a full disk must be an error here instead.
   * Past the file size limit (ulimit -f) the kernel would also send
   * SIGXFSZ, which kills the process unless it is handled: asked first. */
  struct rlimit rl;
  int err = getrlimit(RLIMIT_FSIZE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
                    (uint64_t)len > rl.rlim_cur
                ? EFBIG
                : posix_fallocate(fd, 0, (off_t)len);
  if (err) {
    errno = err;
    goto fail_io;
  }
  unsigned char *map =
      mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (map == MAP_FAILED)
    goto fail_io;
  *small_slots = advise(map, len, slot, nslots, *small_slots);

  weft__journal_header *h = (weft__journal_header *)map;
  memcpy(h->magic, WEFT__JOURNAL_MAGIC, 8);
  h->version = WEFT__JOURNAL_VERSION;
  h->header_size = WEFT__JOURNAL_HEADER;
  h->block_size = block_size;
  h->slot_size = slot;
  h->nslots = nslots;
  h->pid = getpid();
  h->rank = -1;
  h->world_rank = -1;
  h->world_size = 0;
  h->clock_tsc = (uint32_t)weft__clk.use_tsc;
  weft__clock_anchor a = weft__clock_anchor_now();
  h->anchor_mono_ns = a.mono_ns;
  h->anchor_wall_ns = a.wall_ns;
  h->created_wall_ns = a.wall_ns;
  memcpy(h->host, host, sizeof h->host);
  weft__journal_header_seal(h);

  jr.fd = fd;
  jr.dict_fd = dfd;
  jr.map = map;
  jr.map_len = len;
  *slots = map + WEFT__JOURNAL_HEADER;
  *slot_size = slot;
  return WEFT_OK;

fail_io:;
  int rc = fail("file", jr.path);
  close(fd);
  close(dfd);
  unlink(jr.path);
  unlink(jr.dict_path);
  return rc;
}

void weft__journal_close(int remove) {
  if (!jr.map)
    return;
  munmap(jr.map, jr.map_len);
  close(jr.fd);
  close(jr.dict_fd);
  if (remove) {
    unlink(jr.path);
    unlink(jr.dict_path);
  }
  jr.map = NULL;
  jr.fd = jr.dict_fd = -1;
}

int weft__journal_set_meta(int rank, const char *job, const char *log) {
  if (!jr.map)
    return WEFT_ENOTFOUND;
  weft__journal_header *h = (weft__journal_header *)jr.map;
  h->rank = rank;
  if (job)
    snprintf(h->job, sizeof h->job, "%s", job);
  if (log)
    snprintf(h->log, sizeof h->log, "%s", log);
  weft__journal_header_seal(h);
  return WEFT_OK;
}

int weft__journal_set_world(int world_rank, int world_size) {
  if (!jr.map)
    return WEFT_ENOTFOUND;
  weft__journal_header *h = (weft__journal_header *)jr.map;
  h->world_rank = world_rank;
  h->world_size = world_size > 0 ? (uint32_t)world_size : 0;
  weft__journal_header_seal(h);
  return WEFT_OK;
}

const char *weft__journal_path(void) { return jr.map ? jr.path : NULL; }

int weft__journal_unname_file(const char *path, const char *log) {
  int fd = open(path, O_RDWR | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT)
    return WEFT_OK; /* removed with nothing left unwritten */
  if (fd < 0)
    return fail("file", path);
  weft__journal_header h;
  int rc = WEFT_OK;
  if (pread(fd, &h, sizeof h, 0) != (ssize_t)sizeof h)
    rc = fail("header", path);
  else if (memcmp(h.magic, WEFT__JOURNAL_MAGIC, 8) ||
           h.version != WEFT__JOURNAL_VERSION ||
           h.checksum3 !=
               XXH3_64bits(&h, offsetof(weft__journal_header, checksum3)))
    rc = weft__error(WEFT_EIO, "journal header \"%s\": not one to rewrite",
                     path);
  /* Only a provisional name for that log: the file may be another
   * libweft's journal by now (the path is <host>.<pid>.wj, reused by the
   * next weft_init once a journal is removed), named since by a log. */
  if (rc == WEFT_OK && (h.rank != -1 || h.world_rank < 0 ||
                        strncmp(h.log, log, sizeof h.log) != 0)) {
    close(fd);
    return WEFT_OK;
  }
  if (rc == WEFT_OK) {
    h.rank = -1;
    h.world_rank = -1;
    h.world_size = 0;
    memset(h.log, 0, sizeof h.log);
    weft__journal_header_seal(&h);
    if (pwrite(fd, &h, sizeof h, 0) != (ssize_t)sizeof h)
      rc = fail("header", path);
  }
  close(fd);
  return rc;
}

void weft__journal_dict_append(uint8_t type, const void *body, size_t len) {
  if (jr.dict_fd < 0)
    return;
  /* u32 length of (type + body), u64 XXH3 of (type + body), type, body:
   * one write() so a reader sees whole entries or a torn last one. */
  unsigned char buf[16 + 1 + 2048];
  if (len > sizeof buf - 13)
    return;
  uint32_t n = (uint32_t)(1 + len);
  buf[12] = type;
  memcpy(buf + 13, body, len);
  uint64_t sum = XXH3_64bits(buf + 12, n);
  memcpy(buf, &n, 4);
  memcpy(buf + 4, &sum, 8);
  ssize_t w = write(jr.dict_fd, buf, 12 + (size_t)n);
  (void)w; /* a failed append shows as a missing schema at recovery */
}
