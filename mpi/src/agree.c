/*
 * agree.c - every collective step ends with the ranks agreeing on its
 * outcome (Darshan's rule): a rank that failed still takes part, and all
 * ranks then return the same error with the same message, so no rank
 * enters the next collective call alone and hangs.
 */
#include "writer.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* As long as weft_errmsg() can be: the message is passed on whole. */
#define MSG_MAX WEFT__ERRMSG_MAX

const char *weft__errmsg_detail(void) {
  const char *m = weft_errmsg();
  int code = 0;
  /* weft__error writes "<weft_strerror(code)>: <detail>"; find the code's
   * text among the known ones by trying the prefix up to ": ". */
  const char *colon = strstr(m, ": ");
  if (!colon)
    return m;
  for (code = -1; code >= -64; code--) {
    const char *s = weft_strerror(code);
    size_t n = strlen(s);
    if ((size_t)(colon - m) == n && strncmp(m, s, n) == 0)
      return colon + 2;
  }
  return m;
}

static int agree(MPI_Comm comm, int local, int quiet) {
  int rank;
  PMPI_Comm_rank(comm, &rank);
  /* The lowest failed rank reports: MINLOC over (failed ? 0 : 1, rank). */
  int in[2] = {local < 0 ? 0 : 1, rank}, out[2];
  if ((quiet ? weft__quiet_allreduce(in, out, 1, MPI_2INT, MPI_MINLOC, comm)
             : PMPI_Allreduce(in, out, 1, MPI_2INT, MPI_MINLOC, comm)) !=
      MPI_SUCCESS)
    return weft__error(WEFT_EMPI, "MPI_Allreduce failed while agreeing");
  if (out[0] == 1)
    return WEFT_OK;
  struct {
    int code;
    char msg[MSG_MAX];
  } m;
  memset(&m, 0, sizeof m);
  if (rank == out[1]) {
    m.code = local;
    snprintf(m.msg, sizeof m.msg, "rank %d: %s", rank, weft__errmsg_detail());
  }
  if (PMPI_Bcast(&m, (int)sizeof m, MPI_BYTE, out[1], comm) != MPI_SUCCESS)
    return weft__error(WEFT_EMPI, "MPI_Bcast failed while agreeing");
  m.msg[MSG_MAX - 1] = '\0';
  return weft__error(m.code, "%s", m.msg);
}

int weft__agree(MPI_Comm comm, int local) { return agree(comm, local, 0); }

int weft__agree_quiet(MPI_Comm comm, int local) {
  return agree(comm, local, 1);
}

typedef struct walk_state {
  char desc[256];
  char func[64];
} walk_state;

/* Keep the innermost error (n == 0 is the deepest frame). */
static herr_t walk(unsigned n, const H5E_error2_t *e, void *arg) {
  walk_state *s = arg;
  if (n == 0) {
    snprintf(s->desc, sizeof s->desc, "%s", e->desc ? e->desc : "");
    snprintf(s->func, sizeof s->func, "%s", e->func_name ? e->func_name : "?");
  }
  return 0;
}

int weft__h5_error(const char *what) {
  walk_state s = {"", ""};
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, walk, &s);
  H5Eclear2(H5E_DEFAULT);
  if (s.desc[0])
    return weft__error(WEFT_EHDF5, "%s failed: %s (%s)", what, s.desc, s.func);
  return weft__error(WEFT_EHDF5, "%s failed", what);
}

int weft__errno_is_io(int e) {
  return e == ENOSPC || e == EDQUOT || e == EFBIG || e == EIO || e == EROFS;
}

int weft__h5_io_error(const char *what) {
  /* HDF5's stack says only "file write failed": the system's reason, when
   * the failed write left one, is what a user can act on.  errno is read
   * first, before any call here can change it. */
  int e = errno;
  char why[256];
  weft__h5_error(what);
  snprintf(why, sizeof why, "%s", weft__errmsg_detail());
  if (weft__errno_is_io(e))
    return weft__error(WEFT_EIO, "%s: %s", why, strerror(e));
  return weft__error(WEFT_EIO, "%s", why);
}

void weft__h5_quiet_begin(weft__h5_quiet *q) {
  q->func = NULL;
  q->data = NULL;
  H5Eget_auto2(H5E_DEFAULT, &q->func, &q->data);
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

void weft__h5_quiet_end(const weft__h5_quiet *q) {
  H5Eset_auto2(H5E_DEFAULT, q->func, q->data);
}
