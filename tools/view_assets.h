/*
 * view_assets.h - the page template of `weft view`, generated at build
 * time from tools/view/ by tools/view/embed.cmake (view_assets.c in the
 * build directory).  Each array ends with a NUL not counted in its
 * length.
 */
#ifndef WEFT_TOOLS_VIEW_ASSETS_H
#define WEFT_TOOLS_VIEW_ASSETS_H

#include <stddef.h>

extern const unsigned char weft__view_html[];
extern const size_t weft__view_html_len;
extern const unsigned char weft__view_css[];
extern const size_t weft__view_css_len;
extern const unsigned char weft__view_js[];
extern const size_t weft__view_js_len;

#endif
