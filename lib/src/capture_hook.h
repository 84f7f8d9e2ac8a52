/*
 * capture_hook.h - what test capture (capture.c) needs from the buffers
 * (buffer.c, which implements these three).
 *
 * A capture sees only what is logged after it began; what was buffered
 * before is handed to the sink (weft_options.sink) when there is one, and
 * otherwise discarded.  While a capture is active the writer's
 * weft__pending_collect fails with WEFT_ECAPTURE, so the two never take the
 * same records.
 */
#ifndef WEFT_CAPTURE_HOOK_H
#define WEFT_CAPTURE_HOOK_H

#include "weft_int.h"

/* Mark a capture active after handing what is buffered to the sink (or
 * discarding it), so that the capture only sees records logged from now on.
 * Returns WEFT_ECAPTURE when a capture is already active, WEFT_ENOTINIT or
 * WEFT_ESHUTDOWN when the library is not running. */
WEFT_INTERNAL int weft__capture_begin(void);
/* Mark the capture finished (the writer may collect again). */
WEFT_INTERNAL void weft__capture_end(void);
/* Like weft__pending_collect, but only the records logged since
 * weft__capture_begin, and allowed while the capture is active.  The
 * snapshot is released with weft__pending_release. */
WEFT_INTERNAL int weft__capture_collect(weft__pending *p);

#endif /* WEFT_CAPTURE_HOOK_H */
