/*
 * output_path.c - choosing and checking the file name, on rank 0.
 *
 * HDF5 reports a failed H5Fcreate without the system's reason, so rank 0
 * first creates the file itself with open(2): a missing directory, a
 * read-only one, a full disk or an existing log then get a precise
 * message, and every rank gets it through the broadcast below.
 *
 * A default name is taken only when neither it nor <name>.journal exists
 * (the journals of a run that was killed), and the file is created with
 * O_EXCL, so that job steps starting at the same moment, or one after a
 * killed one, never share a name; libweft-pmpi decides the name at
 * MPI_Init (weft__output_name) and holds it with the empty file until its
 * log is written at MPI_Finalize.
 *
 * Every rank then opens the file rank 0 made, by the absolute name rank 0
 * gives it, before HDF5 does.  Under OMPIO, H5Fcreate on a rank that
 * cannot see the file (node-local storage, another working directory)
 * does not fail: it waits in a barrier for ever, while the other ranks
 * wait in another.  Checking first turns that hang into an error that
 * names the rank and the file.
 */
#ifndef _GNU_SOURCE /* the build defines it for every file */
#define _GNU_SOURCE
#endif
#include "guard.h"
#include "writer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PATH_CAP 4096

/* A default name that exists is another step of the same job (a second
 * srun in one batch script) or, outside Slurm, a run in the same second
 * by a process with the same pid: the next free <base>.<n>.h5, n < this,
 * is taken instead. */
#define SUFFIX_MAX 1000

/* On rank 0, the default name chosen before the log was opened
 * (weft__output_name) and the empty file made to hold it: the log keeps
 * that name, as the journal beside it was named after it. */
static char early_default[PATH_CAP];
static struct stat early_held; /* st_ino 0: nothing held */

/* The n-th default name: weft-<SLURM_JOB_ID>.h5, or outside Slurm
 * weft-<local time>-<pid>.h5; for n > 0 with .<n> before the .h5. */
static int default_path(char *buf, size_t cap, unsigned n) {
  const char *job = getenv("SLURM_JOB_ID");
  char base[128], suffix[16] = "";
  if (job && *job) {
    snprintf(base, sizeof base, "weft-%.100s", job);
  } else {
    time_t now = time(NULL);
    struct tm tm;
    char stamp[32];
    localtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    snprintf(base, sizeof base, "weft-%s-%ld", stamp, (long)getpid());
  }
  if (n)
    snprintf(suffix, sizeof suffix, ".%u", n);
  int len = snprintf(buf, cap, "%s%s.h5", base, suffix);
  return len > 0 && (size_t)len < cap
             ? WEFT_OK
             : weft__error(WEFT_ENAMETOOLONG, "default output path too long");
}

static int overwrite_allowed(void) {
  const char *v = getenv("WEFT_OVERWRITE");
  return v && strcmp(v, "1") == 0;
}

const char *weft__path_absolute(const char *path, char *buf, size_t cap) {
  if (path[0] == '/' || !getcwd(buf, cap))
    return path;
  size_t n = strlen(buf);
  if (n + 1 + strlen(path) >= cap)
    return path;
  buf[n] = '/';
  strcpy(buf + n + 1, path);
  return buf;
}

/* The directory part of name (which is absolute, or relative to ".") in
 * dir[cap]. */
static void dir_of(const char *name, char *dir, size_t cap) {
  snprintf(dir, cap, "%s", name);
  char *slash = strrchr(dir, '/');
  if (slash)
    *(slash == dir ? slash + 1 : slash) = '\0';
  else
    snprintf(dir, cap, ".");
}

/* Rank 0: create path empty, or say precisely why not.  Messages name it
 * absolute: a default name is relative to a working directory the user
 * may not know. */
static int create(const char *path, int replace, int *created) {
  char shown[2 * PATH_CAP];
  const char *name = weft__path_absolute(path, shown, sizeof shown);
  struct stat st;
  if (stat(path, &st) == 0) {
    if (S_ISDIR(st.st_mode))
      return weft__error(WEFT_EIO, "%s is a directory", name);
    if (!replace)
      return weft__error(WEFT_EEXIST,
                         "%s already exists (a log of another job?); "
                         "remove it or set WEFT_OVERWRITE=1",
                         name);
  }
  int fd = open(path, O_WRONLY | O_CREAT | (replace ? 0 : O_EXCL), 0644);
  if (fd < 0) {
    int e = errno;
    char dir[2 * PATH_CAP];
    dir_of(name, dir, sizeof dir);
    /* ENOENT also comes from a directory that is there but makes no
     * files (/proc): say "does not exist" only when it does not. */
    if (e == ENOENT && stat(dir, &st) != 0)
      return weft__error(WEFT_EIO,
                         "cannot create %s: directory %s does not "
                         "exist",
                         name, dir);
    if (e == EEXIST)
      return weft__error(WEFT_EEXIST,
                         "%s already exists; remove it or set "
                         "WEFT_OVERWRITE=1",
                         name);
    return weft__error(WEFT_EIO, "cannot create %s: %s", name, strerror(e));
  }
  /* Probe that at least a little space is left: HDF5 would otherwise fail
   * later with a less helpful message. */
  int rc = WEFT_OK;
  if (posix_fallocate(fd, 0, 4096) == ENOSPC)
    rc = weft__error(WEFT_EIO, "cannot create %s: %s", name, strerror(ENOSPC));
  if (ftruncate(fd, 0) != 0 && rc == WEFT_OK)
    rc = weft__error(WEFT_EIO, "cannot create %s: %s", name, strerror(errno));
  close(fd);
  if (rc < 0) {
    unlink(path);
    return rc;
  }
  *created = 1;
  return WEFT_OK;
}

/* Whether the default name `path` is taken: the file, or the journals of
 * a run that died before writing it. */
static int taken(const char *path) {
  char journal[PATH_CAP + 16];
  struct stat st;
  snprintf(journal, sizeof journal, "%s.journal", path);
  return stat(path, &st) == 0 || stat(journal, &st) == 0;
}

/* Whether path is still the empty file weft__output_name made. */
static int held(const char *path) {
  struct stat st;
  return early_held.st_ino && stat(path, &st) == 0 &&
         st.st_dev == early_held.st_dev && st.st_ino == early_held.st_ino &&
         st.st_size == 0;
}

/* Rank 0: the first default name not taken, created (O_EXCL, so a step
 * starting at the same moment gets the next). */
static int create_default(char *path, int *created) {
  for (unsigned n = 0; n < SUFFIX_MAX; n++) {
    int rc = default_path(path, PATH_CAP, n);
    if (rc < 0)
      return rc;
    if (taken(path))
      continue;
    rc = create(path, 0, created);
    if (rc != WEFT_EEXIST)
      return rc;
  }
  return weft__error(WEFT_EEXIST, "%s: %d default names are taken", path,
                     SUFFIX_MAX);
}

/* Rank 0: decide the path (argument, WEFT_FILE, or the default name) and
 * create the file; then make path absolute, for the ranks elsewhere.
 * WEFT_OVERWRITE applies to names given, never to default ones. */
static int decide(const char *arg, char *path, int *created) {
  *created = 0;
  const char *env = getenv("WEFT_FILE");
  const char *fixed = arg ? arg : env && *env ? env : NULL;
  int rc;
  if (arg && !*arg)
    return weft__error(WEFT_EINVAL, "empty output path");
  if (fixed && strlen(fixed) >= PATH_CAP)
    return weft__error(WEFT_ENAMETOOLONG, "%s too long",
                       arg ? "output path" : "WEFT_FILE");
  if (fixed) {
    strcpy(path, fixed);
    rc = create(path, overwrite_allowed(), created);
  } else if (early_default[0] && held(early_default)) {
    /* The empty file that held it (on this rank: the application's
     * communicator may have another rank 0, which then takes the next
     * free name, and MPI_Finalize releases this one).  It serves one log. */
    strcpy(path, early_default);
    early_default[0] = '\0';
    memset(&early_held, 0, sizeof early_held);
    rc = create(path, 1, created);
  } else {
    rc = create_default(path, created);
  }
  if (rc < 0)
    return rc;
  char abs[PATH_CAP];
  const char *a = weft__path_absolute(path, abs, sizeof abs);
  if (a != path)
    strcpy(path, a);
  return WEFT_OK;
}

/* A rank other than 0: can it open the file rank 0 created? */
static int visible(const char *path) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd >= 0) {
    close(fd);
    return WEFT_OK;
  }
  int e = errno;
  char host[256] = "?";
  gethostname(host, sizeof host - 1);
  return weft__error(WEFT_EIO,
                     "cannot open %s on host %s, where rank 0 created it: "
                     "%s (every rank must see the log: node-local storage "
                     "such as /tmp is not shared between nodes)",
                     path, host, strerror(e));
}

int weft__output_path(MPI_Comm comm, const char *arg, char **out,
                      int *created) {
  int rank;
  PMPI_Comm_rank(comm, &rank);
  char *path = calloc(1, PATH_CAP);
  int local = path ? WEFT_OK : weft__error(WEFT_ENOMEM, "output path");
  int made = 0;
  if (rank == 0 && local == WEFT_OK)
    local = decide(arg, path, &made);
  int rc = weft__agree(comm, local);
  if (rc == WEFT_OK &&
      PMPI_Bcast(path, PATH_CAP, MPI_CHAR, 0, comm) != MPI_SUCCESS)
    rc = weft__error(WEFT_EMPI, "MPI_Bcast of the output path failed");
  if (rc == WEFT_OK)
    rc = weft__agree(comm, rc);
  if (rc == WEFT_OK)
    rc = weft__agree(comm, rank ? visible(path) : WEFT_OK);
  PMPI_Bcast(&made, 1, MPI_INT, 0, comm);
  *created = made;
  if (rc < 0) {
    if (rank == 0 && made)
      unlink(path);
    *created = 0;
    free(path);
    return rc;
  }
  *out = path;
  return WEFT_OK;
}

int weft__output_name(MPI_Comm comm, char *out, size_t cap) {
  int rank;
  PMPI_Comm_rank(comm, &rank);
  char buf[PATH_CAP] = "";
  int local = WEFT_OK;
  if (rank == 0) {
    const char *env = getenv("WEFT_FILE");
    int made = 0, held_here = 0;
    if (env && *env) {
      if (strlen(env) >= PATH_CAP)
        local = weft__error(WEFT_ENAMETOOLONG, "WEFT_FILE too long");
      else
        strcpy(buf, env);
    } else if ((local = create_default(buf, &made)) == WEFT_OK) {
      /* held by the empty file until the log is written (rank 0 alone
       * knows it: decide() runs there) */
      held_here = stat(buf, &early_held) == 0;
      if (!held_here)
        memset(&early_held, 0, sizeof early_held);
    }
    char abs[PATH_CAP];
    const char *a = weft__path_absolute(buf, abs, sizeof abs);
    if (local == WEFT_OK && a != buf)
      strcpy(buf, a);
    if (held_here)
      strcpy(early_default, buf);
  }
  int rc = weft__agree(comm, local);
  if (rc == WEFT_OK &&
      PMPI_Bcast(buf, PATH_CAP, MPI_CHAR, 0, comm) != MPI_SUCCESS)
    rc = weft__error(WEFT_EMPI, "MPI_Bcast of the output path failed");
  if (rc < 0)
    return rc;
  if (strlen(buf) >= cap)
    return weft__error(WEFT_ENAMETOOLONG, "output path too long");
  strcpy(out, buf);
  return WEFT_OK;
}

void weft__output_name_release(void) {
  /* Rank 0 only holds a file; elsewhere both are empty. */
  if (early_default[0] && held(early_default))
    unlink(early_default);
  early_default[0] = '\0';
  memset(&early_held, 0, sizeof early_held);
}
