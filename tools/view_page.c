/*
 * view_page.c - the page of `weft view`: page.html with its three
 * markers replaced by page.css, the data and page.js.
 */
#include "view_page.h"

#include "view_assets.h"

#include <string.h>

/* JSON text made safe inside <script>: see view_page.h. */
static void safe_json(weft__out *o, const char *s, size_t n) {
  size_t run = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    const char *esc = NULL;
    if (c == '<')
      esc = "\\u003c";
    else if (c == '>')
      esc = "\\u003e";
    else if (c == '&')
      esc = "\\u0026";
    else if (c == 0xe2 && i + 2 < n && (unsigned char)s[i + 1] == 0x80 &&
             ((unsigned char)s[i + 2] == 0xa8 ||
              (unsigned char)s[i + 2] == 0xa9))
      esc = (unsigned char)s[i + 2] == 0xa8 ? "\\u2028" : "\\u2029";
    if (!esc)
      continue;
    weft__out_mem(o, s + run, i - run);
    weft__out_str(o, esc);
    if (c == 0xe2)
      i += 2;
    run = i + 1;
  }
  weft__out_mem(o, s + run, n - run);
}

void weft__view_page(weft__out *o, const char *json, size_t n) {
  static const struct {
    const char *marker;
    int what; /* 0 css, 1 data, 2 js */
  } marks[] = {{"/*WEFT:CSS*/", 0}, {"/*WEFT:DATA*/", 1}, {"/*WEFT:JS*/", 2}};
  const char *p = (const char *)weft__view_html;
  for (size_t k = 0; k < sizeof marks / sizeof marks[0]; k++) {
    const char *at = strstr(p, marks[k].marker);
    if (!at)
      continue; /* the template is ours: all three are there */
    weft__out_mem(o, p, (size_t)(at - p));
    if (marks[k].what == 0)
      weft__out_mem(o, weft__view_css, weft__view_css_len);
    else if (marks[k].what == 1)
      safe_json(o, json, n);
    else
      weft__out_mem(o, weft__view_js, weft__view_js_len);
    p = at + strlen(marks[k].marker);
  }
  weft__out_str(o, p);
}
