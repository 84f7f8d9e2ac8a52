/*
 * timefmt.h - durations and times as people read them, and back.
 */
#ifndef WEFT_TOOLS_TIMEFMT_H
#define WEFT_TOOLS_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

/* Duration ns as "850ns", "12.3µs" ("us" when ascii), "4.56ms", "1.23s",
 * "2m03s", "1h02m"; raw: exact seconds "0.000004560s".  Returns buf. */
char *weft__fmt_duration(char *buf, size_t cap, int64_t ns, int raw, int ascii);
/* Wall time ns since the epoch as "2026-11-27 14:03:22.123Z" (UTC); raw:
 * "1795701802.123456789".  cap must be at least 25.  Returns buf. */
char *weft__fmt_time(char *buf, size_t cap, int64_t ns, int raw);
/* Parse a duration "1.5ms", "20us", "3s", "250" (seconds), "2m": ns into
 * *out.  Returns 0 or -1. */
int weft__parse_duration(const char *s, int64_t *out);
/* Parse a time: "+12.5" / "+2m" (after `origin`), epoch seconds
 * "1795701802.5", or ISO 8601 UTC "2026-11-27T14:03:22[.123][Z]".
 * Returns 0 or -1. */
int weft__parse_time(const char *s, int64_t origin, int64_t *out);

#endif
