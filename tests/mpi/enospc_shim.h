/*
 * enospc_shim.h - what the ENOSPC shim (enospc_shim.c) did, for the test
 * that links it.
 */
#ifndef WEFT_TEST_ENOSPC_SHIM_H
#define WEFT_TEST_ENOSPC_SHIM_H

/* The calls it stands in front of, by kind. */
typedef enum enospc_shim_call {
  ENOSPC_SHIM_FALLOCATE, /* fallocate, posix_fallocate (and *64) */
  ENOSPC_SHIM_PWRITE,    /* pwrite, pwrite64 */
  ENOSPC_SHIM_PWRITEV,   /* pwritev, pwritev64, pwritev2 */
  ENOSPC_SHIM_WRITE,     /* write, writev */
  ENOSPC_SHIM_AIO_WRITE, /* aio_write: counted, never failed */
  ENOSPC_SHIM_CALLS
} enospc_shim_call;

/* Since the process started, per kind of call on the file of
 * WEFT_TEST_ENOSPC_FILE: failures injected, and calls that went through
 * to libc. */
typedef struct enospc_shim_tally {
  unsigned long injected[ENOSPC_SHIM_CALLS];
  unsigned long passed[ENOSPC_SHIM_CALLS];
} enospc_shim_tally;

void enospc_shim_counts(enospc_shim_tally *out);

#endif /* WEFT_TEST_ENOSPC_SHIM_H */
