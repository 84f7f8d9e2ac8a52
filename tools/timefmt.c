/*
 * timefmt.c - human-readable durations and timestamps (always UTC, so the
 * output of a job does not depend on where it is read).
 */
#define _DEFAULT_SOURCE
#include "timefmt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* v / unit with 3 significant digits, trailing zeros dropped ("2.6",
 * "41", "100"); 0 when it rounds to 1000 (the caller takes the next unit).
 * Integer arithmetic: printf was the tree's hottest function. */
static size_t sig3(char *out, uint64_t v, uint64_t unit) {
  static const uint64_t pow10[] = {1, 10, 100};
  for (int d = 2; d >= 0; d--) {
    uint64_t r = (v * pow10[d] + unit / 2) / unit;
    if (r >= 1000)
      continue;
    char tmp[8];
    size_t n = 0;
    uint64_t ip = r / pow10[d], fp = r % pow10[d];
    if (ip >= 100)
      tmp[n++] = (char)('0' + ip / 100);
    if (ip >= 10)
      tmp[n++] = (char)('0' + ip / 10 % 10);
    tmp[n++] = (char)('0' + ip % 10);
    if (d && fp) {
      tmp[n++] = '.';
      tmp[n++] = (char)('0' + (d == 2 ? fp / 10 : fp));
      if (d == 2 && fp % 10)
        tmp[n++] = (char)('0' + fp % 10);
    }
    memcpy(out, tmp, n);
    return n;
  }
  return 0;
}

char *weft__fmt_duration(char *buf, size_t cap, int64_t ns, int raw,
                         int ascii) {
  const char *sign = ns < 0 ? "-" : "";
  uint64_t a = ns < 0 ? (uint64_t)0 - (uint64_t)ns : (uint64_t)ns;
  static const struct {
    uint64_t unit;
    const char *name, *ascii_name;
  } units[] = {
      {1000, "\xc2\xb5s", "us"}, {1000000, "ms", "ms"}, {1000000000, "s", "s"}};
  if (raw) {
    snprintf(buf, cap, "%s%llu.%09llus", sign,
             (unsigned long long)(a / 1000000000u),
             (unsigned long long)(a % 1000000000u));
    return buf;
  }
  if (a < 1000 && cap >= 8) {
    size_t n = 0;
    if (*sign)
      buf[n++] = '-';
    if (a >= 100)
      buf[n++] = (char)('0' + a / 100);
    if (a >= 10)
      buf[n++] = (char)('0' + a / 10 % 10);
    buf[n++] = (char)('0' + a % 10);
    memcpy(buf + n, "ns", 3);
    return buf;
  }
  if (a < 59999500000ull && cap >= 16) {
    size_t n = 0;
    if (*sign)
      buf[n++] = '-';
    for (int u = 0; u < 3; u++) {
      if (u < 2 && a >= units[u].unit * 1000)
        continue;
      size_t k = sig3(buf + n, a, units[u].unit);
      if (!k)
        continue;
      n += k;
      const char *name = ascii ? units[u].ascii_name : units[u].name;
      size_t l = strlen(name);
      memcpy(buf + n, name, l + 1);
      return buf;
    }
  }
  if (a < 3600000000000ull) {
    uint64_t s = (a + 500000000u) / 1000000000u;
    snprintf(buf, cap, "%s%llum%02llus", sign, (unsigned long long)(s / 60),
             (unsigned long long)(s % 60));
  } else {
    uint64_t mnt = a / 60000000000ull + (a % 60000000000ull >= 30000000000ull);
    snprintf(buf, cap, "%s%lluh%02llum", sign, (unsigned long long)(mnt / 60),
             (unsigned long long)(mnt % 60));
  }
  return buf;
}

char *weft__fmt_time(char *buf, size_t cap, int64_t ns, int raw) {
  int64_t sec = ns / 1000000000, frac = ns % 1000000000;
  if (frac < 0) { /* floor, without overflow at INT64_MIN */
    sec--;
    frac += 1000000000;
  }
  if (raw) {
    snprintf(buf, cap, "%lld.%09lld", (long long)sec, (long long)frac);
    return buf;
  }
  /* Consecutive times mostly share their second: keep its text (the
   * tools are single-threaded). */
  static int64_t cached_sec = INT64_MIN;
  static char cached[96];
  if (sec != cached_sec) {
    time_t t = (time_t)sec;
    struct tm tm;
    if (!gmtime_r(&t, &tm) || tm.tm_year > 8099 || tm.tm_year < -1899) {
      snprintf(buf, cap, "%lld.%09lld", (long long)sec, (long long)frac);
      return buf;
    }
    snprintf(cached, sizeof cached, "%04d-%02d-%02d %02d:%02d:%02d",
             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
             tm.tm_min, tm.tm_sec);
    cached_sec = sec;
  }
  int ms = (int)(frac / 1000000);
  if (cap >= 25) {
    size_t n = strlen(cached);
    memcpy(buf, cached, n);
    buf[n] = '.';
    buf[n + 1] = (char)('0' + ms / 100);
    buf[n + 2] = (char)('0' + ms / 10 % 10);
    buf[n + 3] = (char)('0' + ms % 10);
    buf[n + 4] = 'Z';
    buf[n + 5] = 0;
  } else if (cap) {
    buf[0] = 0;
  }
  return buf;
}

int weft__parse_duration(const char *s, int64_t *out) {
  char *end;
  double v = strtod(s, &end);
  if (end == s || !(v >= 0) || !isfinite(v))
    return -1;
  double mul = 1e9;
  if (!*end || !strcmp(end, "s"))
    mul = 1e9;
  else if (!strcmp(end, "ns"))
    mul = 1;
  else if (!strcmp(end, "us") || !strcmp(end, "\xc2\xb5s"))
    mul = 1e3;
  else if (!strcmp(end, "ms"))
    mul = 1e6;
  else if (!strcmp(end, "m") || !strcmp(end, "min"))
    mul = 60e9;
  else if (!strcmp(end, "h"))
    mul = 3600e9;
  else
    return -1;
  if (v * mul > 9.2e18)
    return -1;
  *out = (int64_t)llround(v * mul);
  return 0;
}

int weft__parse_time(const char *s, int64_t origin, int64_t *out) {
  if (*s == '+') {
    int64_t d;
    if (weft__parse_duration(s + 1, &d))
      return -1;
    *out = origin > INT64_MAX - d ? INT64_MAX : origin + d;
    return 0;
  }
  if (strlen(s) >= 19 && s[4] == '-' && s[7] == '-' &&
      (s[10] == 'T' || s[10] == ' ')) {
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    int n = 0;
    if (sscanf(s, "%4d-%2d-%2d%*c%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon,
               &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6)
      return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    int64_t sec = (int64_t)timegm(&tm);
    if (sec < -9000000000 || sec > 9000000000)
      return -1;
    double frac = 0;
    const char *p = s + n;
    if (*p == '.') {
      char *end;
      frac = strtod(p, &end);
      p = end;
    }
    if (*p == 'Z')
      p++;
    if (*p || !(frac >= 0 && frac < 1))
      return -1;
    *out = sec * 1000000000 + (int64_t)llround(frac * 1e9);
    return 0;
  }
  char *end;
  double v = strtod(s, &end);
  if (end == s || *end || !isfinite(v) || v > 9.2e9 || v < -9.2e9)
    return -1;
  *out = (int64_t)llround(v * 1e9);
  return 0;
}
