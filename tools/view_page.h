/*
 * view_page.h - the self-contained HTML page of `weft view`: the template
 * (tools/view/page.html, page.css, page.js, embedded in the program at
 * build time) with the data inlined as JSON.
 */
#ifndef WEFT_TOOLS_VIEW_PAGE_H
#define WEFT_TOOLS_VIEW_PAGE_H

#include "outbuf.h"

#include <stddef.h>

/* Write the page with json[0..n) as its data.  '<', '>', '&' and U+2028
 * / U+2029 are written as \u escapes: they only occur inside JSON
 * strings, so the JSON means the same, and no field value can close the
 * <script> element or start a comment in it. */
void weft__view_page(weft__out *o, const char *json, size_t n);

#endif
