/*
 * test_errors.c - bad conditions: every rank gets the same clear error,
 * the application keeps running, and no buffered event is lost.
 *
 *   test_errors DIR      (DIR is created; the files go there)
 *
 * Cases, in order, with events logged all along:
 *   weft_mpi_init before MPI_Init             -> WEFT_EMPI
 *   weft_mpi_flush before weft_mpi_init       -> WEFT_ENOTINIT
 *   output directory missing                  -> WEFT_EIO
 *   output directory not writable             -> WEFT_EIO
 *   path holds another job's log              -> WEFT_EEXIST, file intact
 *   the same with WEFT_OVERWRITE=1            -> success
 *   disk full (RLIMIT_FSIZE, so writes fail with EFBIG) during a flush
 *                                             -> WEFT_EIO, twice; then
 *     with room again the next flush succeeds
 * Finally rank 0 reads the log: every action logged before, between and
 * after the failures is there exactly once.  Then, with weft_mpi_init
 * starting libweft, two journals that cannot be made (their directory
 * under a regular file; the default one, <log>.journal, too small for the
 * budget under RLIMIT_FSIZE): the job runs without one, every rank's trace
 * holds one weft:no_journal message naming the directory and why, and the
 * default directory weft_init made is gone after finalize.  With 2 or
 * more ranks, also: a relative name with the ranks in different working
 * directories (rank 0's file, by its absolute name), and a directory that
 * rank 1 cannot see (WEFT_EIO on every rank instead of a hang in
 * H5Fcreate).  The default names: weft-<SLURM_JOB_ID>.h5, then
 * weft-<id>.1.h5 for a second step; outside Slurm the time-stamped one.
 * Last, weft_mpi_flush and weft_mpi_finalize after MPI_Finalize: WEFT_EMPI,
 * no abort.
 */
#include "all_ranks.h"
#include "log_reader.h"
#include "remove_dir.h"
#include "weft_mpi.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define N_EARLY 100
#define N_MID 50
#define N_VOL 20000

static int failures, rank, size;

#define CHECK(cond, ...)                                                       \
  do {                                                                         \
    if (!(cond)) {                                                             \
      failures++;                                                              \
      fprintf(stderr, "FAIL rank %d %s:%d: ", rank, __FILE__, __LINE__);       \
      fprintf(stderr, __VA_ARGS__);                                            \
      fputc('\n', stderr);                                                     \
    }                                                                          \
  } while (0)

/* The same code on every rank, and the message names the problem. */
static void expect(int rc, int want, const char *needle, const char *what) {
  CHECK(rc == want, "%s: got %s (%s), want %s", what, weft_err_name(rc),
        weft_errmsg(), weft_err_name(want));
  CHECK(!needle || strstr(weft_errmsg(), needle), "%s: message \"%s\"", what,
        weft_errmsg());
  int mine = rc, lo = 0, hi = 0;
  MPI_Allreduce(&mine, &lo, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  MPI_Allreduce(&mine, &hi, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  CHECK(lo == hi, "%s: ranks disagree (%d..%d)", what, lo, hi);
  if (rank == 0)
    printf("%-28s -> %s%s%s\n", what, weft_err_name(rc), rc ? ": " : "",
           rc ? weft_errmsg() : "");
}

static void log_actions(const char *type, int n, int big) {
  char text[256];
  memset(text, 'x', sizeof text - 1);
  text[sizeof text - 1] = '\0';
  for (int i = 0; i < n; i++) {
    weft_action a;
    weft_field f[3] = {WEFT_I64("i", i), WEFT_I64("rank", rank),
                       WEFT_STR("pad", big ? text : "")};
    CHECK(weft_action_start(&a, type, f, 3) == 0, "start %s", type);
    CHECK(weft_action_succeed(a) == 0, "succeed %s", type);
  }
}

/* The bytes the last "no room for N more bytes" message asked for. */
static unsigned long long room_asked(void) {
  unsigned long long n = 0;
  const char *m = strstr(weft_errmsg(), "no room for ");
  if (!m || sscanf(m, "no room for %llu", &n) != 1)
    return 0;
  return n;
}

typedef struct counts {
  long early, mid, vol, late;
} counts;

static int on_event(void *arg, uint64_t stream, const weft_event *e) {
  counts *c = arg;
  (void)stream;
  if (e->kind != WEFT_KIND_START)
    return 0;
  if (!strcmp(e->type, "early"))
    c->early++;
  else if (!strcmp(e->type, "mid"))
    c->mid++;
  else if (!strcmp(e->type, "vol"))
    c->vol++;
  else if (!strcmp(e->type, "late"))
    c->late++;
  return 0;
}

/* Rank 0: decode each rank r of the log at path with fn, into the r-th
 * of `size` zeroed states of `elem` bytes at per; *failed (when not NULL)
 * gets the log's failed_flushes.  0, or -1 (reported) when it cannot be
 * read. */
static int decode_ranks(const char *path, weft__event_fn fn, void *per,
                        size_t elem, uint64_t *failed) {
  lr_log log;
  if (lr_open(&log, path) != 0) {
    CHECK(0, "cannot read %s", path);
    return -1;
  }
  if (failed)
    *failed = log.c.failed_flushes;
  memset(per, 0, elem * (size_t)size);
  for (int r = 0; r < size; r++)
    CHECK(lr_decode_rank(&log, (uint32_t)r, fn, (char *)per + elem * r) == 0,
          "decode rank %d: %s", r, weft_errmsg());
  lr_close(&log);
  return 0;
}

typedef struct no_journal {
  long n;
  char dir[4096], reason[512];
} no_journal;

static int on_no_journal(void *arg, uint64_t stream, const weft_event *e) {
  no_journal *nj = arg;
  (void)stream;
  if (e->kind != WEFT_KIND_MESSAGE || strcmp(e->type, "weft:no_journal"))
    return 0;
  nj->n++;
  const weft_value *d = weft_event_field(e, "dir");
  const weft_value *r = weft_event_field(e, "reason");
  snprintf(nj->dir, sizeof nj->dir, "%s",
           d && d->type == WEFT_TYPE_STR ? d->v.str.ptr : "");
  snprintf(nj->reason, sizeof nj->reason, "%s",
           r && r->type == WEFT_TYPE_STR ? r->v.str.ptr : "");
  return 0;
}

/* weft_mpi_init starts libweft with its journal in `jdir` (NULL: the
 * default, <path>.journal), which cannot be made: the log is written all
 * the same, and each rank's trace says why it has no journal. */
static void without_journal(const char *path, const char *jdir,
                            const char *why) {
  if (jdir)
    setenv("WEFT_JOURNAL_DIR", jdir, 1);
  else
    unsetenv("WEFT_JOURNAL_DIR");
  char def[4096 + 16];
  snprintf(def, sizeof def, "%s.journal", path);
  if (rank == 0) {
    remove(path);
    remove_dir(def); /* an earlier run's, killed before its cleanup */
  }
  MPI_Barrier(MPI_COMM_WORLD);
  expect(weft_mpi_init(MPI_COMM_WORLD, path), WEFT_OK, NULL,
         "init, no journal possible");
  log_actions("late", N_MID, 0);
  expect(weft_mpi_finalize(), WEFT_OK, NULL, "finalize, no journal");
  unsetenv("WEFT_JOURNAL_DIR");
  struct stat st;
  CHECK(jdir || stat(def, &st) != 0, "%s was left behind", def);
  no_journal *nj = calloc((size_t)size, sizeof *nj);
  if (rank == 0 && nj &&
      decode_ranks(path, on_no_journal, nj, sizeof *nj, NULL) == 0)
    for (int r = 0; r < size; r++)
      CHECK(nj[r].n == 1 && !strcmp(nj[r].dir, jdir ? jdir : def) &&
                strstr(nj[r].reason, why),
            "rank %d: %ld weft:no_journal, dir \"%s\", reason \"%s\"", r,
            nj[r].n, nj[r].dir, nj[r].reason);
  free(nj);
}

/* No journal (the default one does not fit under a 6 MiB file size limit)
 * and a final flush that finds no room either: finalize fails, the events
 * stay in libweft's memory (nothing else holds them), the default journal
 * directory is gone, and a new log, with room, takes them all. */
static void final_without_journal(const char *dir) {
  char path[4096 + 32], rescue[4096 + 32], def[4096 + 48];
  snprintf(path, sizeof path, "%s/nojournal_final.h5", dir);
  snprintf(rescue, sizeof rescue, "%s/nojournal_rescue.h5", dir);
  snprintf(def, sizeof def, "%s.journal", path);
  if (rank == 0) {
    remove(path);
    remove(rescue);
    remove_dir(def);
  }
  MPI_Barrier(MPI_COMM_WORLD);
  struct rlimit tight = {(rlim_t)6 << 20, RLIM_INFINITY};
  struct rlimit room = {RLIM_INFINITY, RLIM_INFINITY};
  CHECK(setrlimit(RLIMIT_FSIZE, &tight) == 0, "setrlimit");
  expect(weft_mpi_init(MPI_COMM_WORLD, path), WEFT_OK, NULL,
         "init, 6 MiB limit");
  log_actions("vol", N_VOL, 1); /* ~6 MB a rank */
  expect(weft_mpi_finalize(), WEFT_EIO, "no room",
         "finalize, no room, no journal");
  CHECK(weft_is_initialized(), "libweft shut down: the events are gone");
  MPI_Barrier(MPI_COMM_WORLD);
  struct stat st;
  CHECK(stat(def, &st) != 0, "%s was left behind", def);
  CHECK(setrlimit(RLIMIT_FSIZE, &room) == 0, "setrlimit");
  expect(weft_mpi_init(MPI_COMM_WORLD, rescue), WEFT_OK, NULL,
         "init, rescue log");
  expect(weft_mpi_finalize(), WEFT_OK, NULL, "finalize, rescue log");
  /* The rescue took over the libweft the failed log had started, and with
   * everything written shut it down. */
  CHECK(!weft_is_initialized(), "libweft left running after the rescue");
  counts *c = calloc((size_t)size, sizeof *c);
  if (rank == 0 && c && decode_ranks(rescue, on_event, c, sizeof *c, NULL) == 0)
    for (int r = 0; r < size; r++)
      CHECK(c[r].vol == N_VOL, "rank %d: %ld vol in the rescue log", r,
            c[r].vol);
  free(c);
}

/* A relative name with the ranks in different working directories (an
 * MPMD launch with one -wdir per program): the log is rank 0's, every
 * rank writes it by its absolute name, and weft_mpi_path() says so. */
static void different_directories(const char *dir) {
  char mine[4096 + 32], want[4096 + 64], cwd[4096];
  snprintf(mine, sizeof mine, "%s/wd%d", dir, rank);
  snprintf(want, sizeof want, "%s/wd0/rel.h5", dir);
  CHECK(mkdir(mine, 0755) == 0 || errno == EEXIST, "mkdir %s", mine);
  remove(want);
  MPI_Barrier(MPI_COMM_WORLD);
  CHECK(getcwd(cwd, sizeof cwd) != NULL, "getcwd");
  CHECK(chdir(mine) == 0, "chdir %s", mine);
  expect(weft_mpi_init(MPI_COMM_WORLD, "rel.h5"), WEFT_OK, NULL,
         "ranks in other directories");
  CHECK(weft_mpi_path() && !strcmp(weft_mpi_path(), want), "path %s, want %s",
        weft_mpi_path() ? weft_mpi_path() : "(null)", want);
  log_actions("elsewhere", N_MID, 0);
  expect(weft_mpi_finalize(), WEFT_OK, NULL, "finalize, other directories");
  CHECK(rank == 0 || access("rel.h5", F_OK) != 0, "rank %d made its own log",
        rank);
  CHECK(chdir(cwd) == 0, "chdir back");
}

/* Rank 1 does not see the log's directory (node-local storage on another
 * node; here a tmpfs over it in rank 1's own mount namespace).  Under
 * OMPIO, H5Fcreate would then wait for ever; every rank must get an error
 * naming the file, and rank 0's empty file must be gone.  Needs root
 * (CI runs the tests as root); otherwise skipped. */
static void hidden_directory(const char *dir) {
  char sub[4096 + 32], path[4096 + 64];
  snprintf(sub, sizeof sub, "%s/shared", dir);
  snprintf(path, sizeof path, "%s/x.h5", sub);
  CHECK(mkdir(sub, 0755) == 0 || errno == EEXIST, "mkdir %s", sub);
  int hidden = 1;
  if (rank == 1)
    hidden = unshare(CLONE_NEWNS) == 0 &&
             mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0 &&
             mount("tmpfs", sub, "tmpfs", 0, "size=64k") == 0;
  int all = 0;
  MPI_Allreduce(&hidden, &all, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  if (!all) {
    if (rank == 0)
      printf("hidden directory: skipped (no mount namespace: not root?)\n");
    return;
  }
  expect(weft_mpi_init(MPI_COMM_WORLD, path), WEFT_EIO,
         "where rank 0 created it", "directory not seen by rank 1");
  CHECK(strstr(weft_errmsg(), "rank 1:") && strstr(weft_errmsg(), path),
        "message %s", weft_errmsg());
  MPI_Barrier(MPI_COMM_WORLD);
  CHECK(rank != 0 || access(path, F_OK) != 0, "%s left behind", path);
  if (rank == 1)
    CHECK(umount2(sub, MNT_DETACH) == 0, "umount %s", sub);
}

static void verify(const char *path) {
  counts *c = calloc((size_t)size, sizeof *c);
  uint64_t failed = 0;
  if (c && decode_ranks(path, on_event, c, sizeof *c, &failed) == 0) {
    CHECK(failed >= 2, "failed_flushes = %llu", (unsigned long long)failed);
    for (int r = 0; r < size; r++)
      CHECK(c[r].early == N_EARLY && c[r].mid == N_MID && c[r].vol == N_VOL &&
                c[r].late == N_MID,
            "rank %d: early %ld mid %ld vol %ld late %ld", r, c[r].early,
            c[r].mid, c[r].vol, c[r].late);
  }
  free(c);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: test_errors DIR\n");
    return 2;
  }
  const char *dir = argv[1];
  char path[4096];

  /* MPI not initialised yet: a local error (no collective is possible). */
  int early = weft_mpi_init(MPI_COMM_WORLD, "x.h5");
  char early_msg[256];
  snprintf(early_msg, sizeof early_msg, "%s", weft_errmsg());
  MPI_Init(&argc, &argv);
  CHECK(early == WEFT_EMPI && strstr(early_msg, "MPI is not initialised"),
        "init before MPI_Init: %s (%s)", weft_err_name(early), early_msg);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (rank == 0) {
    mkdir(dir, 0755);
    snprintf(path, sizeof path, "%s/job.h5", dir);
    remove(path);
  }
  MPI_Barrier(MPI_COMM_WORLD);
  CHECK(weft_init(NULL) == 0, "weft_init: %s", weft_errmsg());
  log_actions("early", N_EARLY, 0);
  expect(weft_mpi_flush(), WEFT_ENOTINIT, NULL, "flush before init");

  snprintf(path, sizeof path, "%s/job.h5", dir);
  /* Bad settings, each refused naming the variable and value; flags take
   * exactly 0 or 1, read as they are used ("yes" or "01" is not 1). */
  static const struct {
    const char *var, *value, *said;
  } bad[] = {
      {"WEFT_IO", "sideways", "WEFT_IO=\"sideways\""},
      {"WEFT_OVERWRITE", "yes", "WEFT_OVERWRITE=\"yes\""},
      {"WEFT_OVERWRITE", "01", "WEFT_OVERWRITE=\"01\""},
      {"WEFT_JOURNAL", "off", "WEFT_JOURNAL=\"off\""},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    setenv(bad[i].var, bad[i].value, 1);
    expect(weft_mpi_init(MPI_COMM_WORLD, path), WEFT_EINVAL, bad[i].said,
           bad[i].said);
    unsetenv(bad[i].var);
  }

  snprintf(path, sizeof path, "%s/missing/job.h5", dir);
  expect(weft_mpi_init(MPI_COMM_WORLD, path), WEFT_EIO, "does not exist",
         "missing directory");
  /* After a failed init, flush says why there is no log. */
  expect(weft_mpi_flush(), WEFT_ENOTINIT, "weft_mpi_init failed",
         "flush after a failed init");
  CHECK(strstr(weft_errmsg(), "does not exist"), "why: %s", weft_errmsg());
  /* A directory that is there but makes no files also gives ENOENT: the
   * message must not say it does not exist. */
  expect(weft_mpi_init(MPI_COMM_WORLD, "/proc/weft-test.h5"), WEFT_EIO,
         strerror(ENOENT), "directory that makes no files");
  CHECK(!strstr(weft_errmsg(), "does not exist"), "why: %s", weft_errmsg());

  /* Root ignores permission bits: use a file system that refuses. */
  if (geteuid() == 0) {
    snprintf(path, sizeof path, "/sys/weft-test-%d.h5", (int)getpid());
  } else {
    snprintf(path, sizeof path, "%s/ro", dir);
    if (rank == 0) {
      mkdir(path, 0555);
      chmod(path, 0555);
    }
    MPI_Barrier(MPI_COMM_WORLD);
    strcat(path, "/job.h5");
  }
  /* The refusal itself, not the missing-directory message above. */
  expect(weft_mpi_init(MPI_COMM_WORLD, path), WEFT_EIO, strerror(EACCES),
         "read-only directory");

  snprintf(path, sizeof path, "%s/job.h5", dir);
  static const char other[] = "another job's log\n";
  if (rank == 0) {
    FILE *f = fopen(path, "w");
    fputs(other, f);
    fclose(f);
  }
  MPI_Barrier(MPI_COMM_WORLD);
  expect(weft_mpi_init(MPI_COMM_WORLD, path), WEFT_EEXIST, "already exists",
         "existing log");
  if (rank == 0) {
    char buf[64] = "";
    FILE *f = fopen(path, "r");
    CHECK(f && fgets(buf, sizeof buf, f) && !strcmp(buf, other),
          "the existing file was modified");
    if (f)
      fclose(f);
  }
  log_actions("mid", N_MID, 0);

  setenv("WEFT_OVERWRITE", "1", 1);
  expect(weft_mpi_init(MPI_COMM_WORLD, path), WEFT_OK, NULL,
         "WEFT_OVERWRITE=1");
  unsetenv("WEFT_OVERWRITE");

  /* Disk full: the file may not grow by more than 64 KiB. */
  struct stat st;
  MPI_Barrier(MPI_COMM_WORLD);
  CHECK(stat(path, &st) == 0, "stat %s", path);
  signal(SIGXFSZ, SIG_IGN);
  struct rlimit small = {(rlim_t)st.st_size + 65536, RLIM_INFINITY};
  struct rlimit room = {RLIM_INFINITY, RLIM_INFINITY};
  CHECK(setrlimit(RLIMIT_FSIZE, &small) == 0, "setrlimit");
  log_actions("vol", N_VOL, 1);
  expect(weft_mpi_flush(), WEFT_EIO, "no room", "flush with a full disk");
  unsigned long long need = room_asked(), again = 0;
  expect(weft_mpi_flush(), WEFT_EIO, "no room", "flush again, still full");
  /* A probe that failed allocated nothing: the retry asks no more. */
  again = room_asked();
  CHECK(need > 0 && again == need, "asked for %llu bytes, then %llu", need,
        again);
  /* Room for it and 2 MiB more (the late actions may start new chunks). */
  struct rlimit enough = {(rlim_t)st.st_size + need + (2u << 20),
                          RLIM_INFINITY};
  CHECK(setrlimit(RLIMIT_FSIZE, &enough) == 0, "setrlimit");
  log_actions("late", N_MID, 0);
  expect(weft_mpi_flush(), WEFT_OK, NULL, "flush with room again");
  CHECK(setrlimit(RLIMIT_FSIZE, &room) == 0, "setrlimit");
  expect(weft_mpi_finalize(), WEFT_OK, NULL, "finalize");

  if (rank == 0 && failures == 0)
    verify(path);

  /* No path, no WEFT_FILE: weft-<SLURM_JOB_ID>.h5 in the working
   * directory. */
  char cwd[4096];
  CHECK(getcwd(cwd, sizeof cwd) != NULL, "getcwd");
  CHECK(chdir(dir) == 0, "chdir %s", dir);
  unsetenv("WEFT_FILE");
  setenv("SLURM_JOB_ID", "777", 1);
  if (rank == 0) {
    remove("weft-777.h5");
    remove("weft-777.1.h5");
  }
  MPI_Barrier(MPI_COMM_WORLD);
  expect(weft_mpi_init(MPI_COMM_WORLD, NULL), WEFT_OK, NULL,
         "default name under Slurm");
  /* weft_mpi_path() is absolute: rank 0's working directory. */
  char here[4096] = "", want[8192];
  CHECK(getcwd(here, sizeof here) != NULL, "getcwd");
  snprintf(want, sizeof want, "%s/weft-777.h5", here);
  CHECK(weft_mpi_path() && !strcmp(weft_mpi_path(), want), "default path %s",
        weft_mpi_path() ? weft_mpi_path() : "(null)");
  expect(weft_mpi_finalize(), WEFT_OK, NULL, "finalize");
  CHECK(access("weft-777.h5", R_OK) == 0, "weft-777.h5 written");
  /* Again, as a second step of the job (srun twice in one batch script):
   * the default name exists, so the step gets weft-777.1.h5, and the
   * first log is untouched. */
  struct stat before_st, after_st;
  CHECK(stat("weft-777.h5", &before_st) == 0, "stat weft-777.h5");
  expect(weft_mpi_init(MPI_COMM_WORLD, NULL), WEFT_OK, NULL,
         "default name exists: next step");
  snprintf(want, sizeof want, "%s/weft-777.1.h5", here);
  CHECK(weft_mpi_path() && !strcmp(weft_mpi_path(), want),
        "second step's path %s", weft_mpi_path() ? weft_mpi_path() : "(null)");
  expect(weft_mpi_finalize(), WEFT_OK, NULL, "finalize, next step");
  CHECK(stat("weft-777.h5", &after_st) == 0 &&
            after_st.st_size == before_st.st_size &&
            after_st.st_mtime == before_st.st_mtime,
        "weft-777.h5 was touched");
  CHECK(access("weft-777.1.h5", R_OK) == 0, "weft-777.1.h5 written");
  /* A name given explicitly is never replaced by another. */
  expect(weft_mpi_init(MPI_COMM_WORLD, "weft-777.h5"), WEFT_EEXIST,
         "weft-777.h5 already exists", "explicit name exists");

  /* Outside Slurm: weft-<YYYYmmdd-HHMMSS>-<rank 0's pid>.h5, local time. */
  unsetenv("SLURM_JOB_ID");
  int pid0 = (int)getpid();
  MPI_Bcast(&pid0, 1, MPI_INT, 0, MPI_COMM_WORLD);
  time_t before = time(NULL);
  expect(weft_mpi_init(MPI_COMM_WORLD, NULL), WEFT_OK, NULL,
         "default name outside Slurm");
  const char *p = weft_mpi_path() ? weft_mpi_path() : "";
  p = strrchr(p, '/') ? strrchr(p, '/') + 1 : p;
  char stamp[16] = "";
  int got_pid = -1, n = 0;
  CHECK(sscanf(p, "weft-%15[0-9-]-%d.h5%n", stamp, &got_pid, &n) == 2 &&
            p[n] == '\0' && strlen(stamp) == 15 && stamp[8] == '-' &&
            got_pid == pid0,
        "default path outside Slurm: \"%s\"", p);
  /* The stamp is when rank 0 chose the name: between before and now. */
  struct tm tm;
  memset(&tm, 0, sizeof tm);
  char *end = strptime(stamp, "%Y%m%d-%H%M%S", &tm);
  tm.tm_isdst = -1;
  time_t when = end && !*end ? mktime(&tm) : (time_t)-1;
  CHECK(when != (time_t)-1 && when >= before - 1 && when <= time(NULL) + 1,
        "default path time stamp %s", stamp);
  char mine[64];
  snprintf(mine, sizeof mine, "%s", p);
  expect(weft_mpi_finalize(), WEFT_OK, NULL, "finalize");
  CHECK(access(mine, R_OK) == 0, "%s written", mine);
  MPI_Barrier(MPI_COMM_WORLD);
  if (rank == 0)
    remove(mine);
  CHECK(chdir(cwd) == 0, "chdir back");
  if (size > 1) {
    different_directories(dir);
    hidden_directory(dir);
  }
  weft_shutdown();

  snprintf(path, sizeof path, "%s/nojournal.h5", dir);
  char jdir[4096 + 16];
  snprintf(jdir, sizeof jdir, "%s/not-a-dir/j", dir);
  if (rank == 0) {
    char file[4096 + 16];
    snprintf(file, sizeof file, "%s/not-a-dir", dir);
    FILE *f = fopen(file, "w");
    CHECK(f != NULL, "cannot make %s", file);
    if (f)
      fclose(f);
  }
  without_journal(path, jdir, strerror(ENOTDIR));
  /* The 64 MiB budget does not fit under the limit; the log does.  With
   * SIGXFSZ's default action, as in a job: reserving the journal past the
   * limit must not kill the process. */
  signal(SIGXFSZ, SIG_DFL);
  struct rlimit tight = {(rlim_t)32 << 20, RLIM_INFINITY};
  CHECK(setrlimit(RLIMIT_FSIZE, &tight) == 0, "setrlimit");
  without_journal(path, NULL, strerror(EFBIG));
  CHECK(setrlimit(RLIMIT_FSIZE, &room) == 0, "setrlimit");
  final_without_journal(dir);

  /* SLURM_JOB_END_TIME 30 s away: by default the margin is half of that,
   * so the first flush does not close the log; with WEFT_END_MARGIN=60 it
   * does, and weft_mpi_path() tells. */
  char end_time[32];
  snprintf(end_time, sizeof end_time, "%lld", (long long)time(NULL) + 30);
  setenv("SLURM_JOB_END_TIME", end_time, 1);
  for (int explicit = 0; explicit < 2; explicit ++) {
    if (explicit)
      setenv("WEFT_END_MARGIN", "60", 1);
    if (rank == 0)
      remove(path);
    MPI_Barrier(MPI_COMM_WORLD);
    expect(weft_mpi_init(MPI_COMM_WORLD, path), WEFT_OK, NULL,
           "init, end time in 30 s");
    expect(weft_mpi_flush(), WEFT_OK, NULL, "flush, end time in 30 s");
    CHECK(explicit == (weft_mpi_path() == NULL),
          "WEFT_END_MARGIN %s: the first flush %s the log",
          explicit ? "60" : "unset", explicit ? "did not close" : "closed");
    expect(weft_mpi_finalize(), WEFT_OK, NULL, "finalize, end time");
  }
  unsetenv("WEFT_END_MARGIN");
  unsetenv("SLURM_JOB_END_TIME");

  /* MPI_Finalize with the log still open: weft_mpi_flush and
   * weft_mpi_finalize then refuse (no MPI call may follow it; Open MPI
   * would abort the job) and the process ends normally. */
  snprintf(path, sizeof path, "%s/after_mpi.h5", dir);
  if (rank == 0)
    remove(path);
  MPI_Barrier(MPI_COMM_WORLD);
  /* No journal: the events it would keep are never written, and a 64 MiB
   * journal a rank would be left behind by every run. */
  setenv("WEFT_JOURNAL", "0", 1);
  expect(weft_mpi_init(MPI_COMM_WORLD, path), WEFT_OK, NULL,
         "init, MPI_Finalize next");
  unsetenv("WEFT_JOURNAL");
  log_actions("after", N_MID, 0);
  int all = all_ranks_failures(failures);
  MPI_Finalize();
  int rc = weft_mpi_flush();
  CHECK(rc == WEFT_EMPI && strstr(weft_errmsg(), "before MPI_Finalize"),
        "flush after MPI_Finalize: %s (%s)", weft_err_name(rc), weft_errmsg());
  rc = weft_mpi_finalize();
  CHECK(rc == WEFT_EMPI && strstr(weft_errmsg(), "before MPI_Finalize"),
        "finalize after MPI_Finalize: %s (%s)", weft_err_name(rc),
        weft_errmsg());
  if (rank == 0)
    printf("%s\n", all || failures ? "FAILED" : "ok");
  return all || failures ? 1 : 0;
}
