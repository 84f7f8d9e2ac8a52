/*
 * output_path.c - choosing and checking the file name, on rank 0.
 *
 * HDF5 reports a failed H5Fcreate without the system's reason, so rank 0
 * first creates the file itself with open(2): a missing directory, a
 * read-only one, a full disk or an existing log then get a precise
 * message, and every rank gets it through the broadcast below.
 */
#ifndef _GNU_SOURCE /* the build defines it for every file */
#define _GNU_SOURCE
#endif
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

/* The default name chosen before the log was opened (weft__output_name):
 * the log keeps it, as the journal beside it was named after it. */
static char early_default[PATH_CAP];

static int default_path(char *buf, size_t cap) {
  const char *job = getenv("SLURM_JOB_ID");
  int n;
  if (early_default[0]) {
    n = snprintf(buf, cap, "%s", early_default);
  } else if (job && *job) {
    n = snprintf(buf, cap, "weft-%s.h5", job);
  } else {
    time_t now = time(NULL);
    struct tm tm;
    char stamp[32];
    localtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    n = snprintf(buf, cap, "weft-%s-%ld.h5", stamp, (long)getpid());
  }
  return n > 0 && (size_t)n < cap
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

/* Rank 0: decide the path and create the file empty.  Messages name it
 * absolute: a default name is relative to a working directory the user
 * may not know. */
static int decide(const char *arg, char *path, int *created) {
  *created = 0;
  const char *env = getenv("WEFT_FILE");
  if (arg) {
    if (!*arg)
      return weft__error(WEFT_EINVAL, "empty output path");
    if (strlen(arg) >= PATH_CAP)
      return weft__error(WEFT_ENAMETOOLONG, "output path too long");
    strcpy(path, arg);
  } else if (env && *env) {
    if (strlen(env) >= PATH_CAP)
      return weft__error(WEFT_ENAMETOOLONG, "WEFT_FILE too long");
    strcpy(path, env);
  } else {
    int rc = default_path(path, PATH_CAP);
    early_default[0] = '\0'; /* a later log gets a name of its own */
    if (rc < 0)
      return rc;
  }

  char shown[2 * PATH_CAP];
  const char *name = weft__path_absolute(path, shown, sizeof shown);
  struct stat st;
  if (stat(path, &st) == 0) {
    if (S_ISDIR(st.st_mode))
      return weft__error(WEFT_EIO, "%s is a directory", name);
    if (!overwrite_allowed())
      return weft__error(WEFT_EEXIST,
                         "%s already exists (a log of another job?); "
                         "remove it or set WEFT_OVERWRITE=1",
                         name);
  }
  int fd =
      open(path, O_WRONLY | O_CREAT | (overwrite_allowed() ? 0 : O_EXCL), 0644);
  if (fd < 0) {
    int e = errno;
    char dir[2 * PATH_CAP];
    strcpy(dir, name);
    char *slash = strrchr(dir, '/');
    if (slash)
      *(slash == dir ? slash + 1 : slash) = '\0';
    else
      strcpy(dir, ".");
    if (e == ENOENT)
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
  /* name, then whether it is the default one (not WEFT_FILE) */
  char buf[PATH_CAP + 1] = "";
  int local = WEFT_OK;
  if (rank == 0) {
    const char *env = getenv("WEFT_FILE");
    if (env && *env) {
      if (strlen(env) >= PATH_CAP)
        local = weft__error(WEFT_ENAMETOOLONG, "WEFT_FILE too long");
      else
        strcpy(buf, env);
    } else if ((local = default_path(buf, PATH_CAP)) == WEFT_OK) {
      buf[PATH_CAP] = 1;
    }
  }
  int rc = weft__agree(comm, local);
  if (rc == WEFT_OK &&
      PMPI_Bcast(buf, PATH_CAP + 1, MPI_CHAR, 0, comm) != MPI_SUCCESS)
    rc = weft__error(WEFT_EMPI, "MPI_Bcast of the output path failed");
  if (rc < 0)
    return rc;
  if (strlen(buf) >= cap)
    return weft__error(WEFT_ENAMETOOLONG, "output path too long");
  if (buf[PATH_CAP])
    strcpy(early_default, buf);
  strcpy(out, buf);
  return WEFT_OK;
}
