/*
 * rank_info.c - what each rank records about itself once: host, pid, MPI
 * library, command line, start time and the Slurm context (/ranks).
 */
#ifndef _GNU_SOURCE /* the build defines it for every file */
#define _GNU_SOURCE
#endif
#include "writer.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void copy_env(char *dst, size_t cap, const char *var) {
  const char *v = getenv(var);
  memset(dst, 0, cap);
  if (v)
    strncpy(dst, v, cap - 1);
}

/* Append the text, returning its offset within w->rank_strings. */
static int add_string(weft__writer *w, const void *p, size_t n, uint64_t *off,
                      uint32_t *len) {
  *off = w->rank_strings.len;
  *len = (uint32_t)n;
  if (n && !weft__bytes_push(&w->rank_strings, p, n))
    return weft__error(WEFT_ENOMEM, "rank metadata");
  return WEFT_OK;
}

/* /proc/self/cmdline: the arguments, each followed by a NUL. */
static int read_cmdline(weft__bytes *out) {
  int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return WEFT_OK; /* not Linux /proc: recorded as empty */
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0)
    if (!weft__bytes_push(out, buf, (size_t)n)) {
      close(fd);
      return weft__error(WEFT_ENOMEM, "reading the command line");
    }
  close(fd);
  /* Drop the final NUL: the arguments are NUL-separated in the file. */
  if (out->len && out->p[out->len - 1] == '\0')
    out->len--;
  return WEFT_OK;
}

int weft__rank_info(weft__writer *w) {
  weft__rank_row *r = &w->rank_row;
  memset(r, 0, sizeof *r);
  w->rank_strings.len = 0;
  weft__clock_anchor a = weft__clock_anchor_now();
  r->start_mono_ns = weft__skewed(&w->skew, a.mono_ns);
  r->start_wall_ns = a.wall_ns;
  r->rank = (uint32_t)w->rank;
  int world_rank = 0, world_size = 1;
  PMPI_Comm_rank(MPI_COMM_WORLD, &world_rank);
  PMPI_Comm_size(MPI_COMM_WORLD, &world_size);
  r->world_rank = (uint32_t)world_rank;
  r->world_size = (uint32_t)world_size;
  r->pid = (uint32_t)getpid();
  r->threads = weft__thread_count();
  if (gethostname(r->host, sizeof r->host - 1) != 0)
    strcpy(r->host, "?");
  copy_env(r->slurm_job_id, sizeof r->slurm_job_id, "SLURM_JOB_ID");
  copy_env(r->slurm_step_id, sizeof r->slurm_step_id, "SLURM_STEP_ID");
  copy_env(r->slurm_array_job_id, sizeof r->slurm_array_job_id,
           "SLURM_ARRAY_JOB_ID");
  copy_env(r->slurm_array_task_id, sizeof r->slurm_array_task_id,
           "SLURM_ARRAY_TASK_ID");
  copy_env(r->slurm_partition, sizeof r->slurm_partition,
           "SLURM_JOB_PARTITION");
  const char *end = getenv("SLURM_JOB_END_TIME");
  r->slurm_job_end_time = end ? strtoll(end, NULL, 10) : 0;

  weft__bytes cmd = {0};
  int rc = read_cmdline(&cmd);
  if (rc == WEFT_OK)
    rc = add_string(w, cmd.p, cmd.len, &r->cmdline_off, &r->cmdline_len);
  weft__bytes_free(&cmd);

  char lib[MPI_MAX_LIBRARY_VERSION_STRING];
  int liblen = 0;
  if (rc == WEFT_OK && PMPI_Get_library_version(lib, &liblen) != MPI_SUCCESS)
    liblen = 0;
  while (liblen > 0 && (lib[liblen - 1] == '\n' || lib[liblen - 1] == '\0'))
    liblen--;
  if (rc == WEFT_OK)
    rc = add_string(w, lib, (size_t)liblen, &r->mpi_library_off,
                    &r->mpi_library_len);
  const char *nodes = getenv("SLURM_JOB_NODELIST");
  if (rc == WEFT_OK)
    rc = add_string(w, nodes ? nodes : "", nodes ? strlen(nodes) : 0,
                    &r->nodelist_off, &r->nodelist_len);
  return rc;
}
