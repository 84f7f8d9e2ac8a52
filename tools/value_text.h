/*
 * value_text.h - field values as text: for people (tree, profile) and as
 * JSON (exports).
 */
#ifndef WEFT_TOOLS_VALUE_TEXT_H
#define WEFT_TOOLS_VALUE_TEXT_H

#include "outbuf.h"
#include "tree_model.h"

/* Human form: integers and booleans as such, floats with 6 significant
 * digits (raw: exact), strings unquoted with control characters shown as
 * Unicode control pictures (ascii: \xNN), cut at `limit` characters or the
 * first line break with "…" (limit 0: whole). */
void weft__value_human(weft__out *o, const weft__model *m,
                       const weft__mvalue *v, size_t limit, int raw, int ascii);
/* JSON form: numbers, true/false, strings, arrays as their summary
 * object. */
void weft__value_json(weft__out *o, const weft__model *m,
                      const weft__mvalue *v);
/* CSV cell form: numbers, true/false, strings and array JSON, quoted as
 * needed. */
void weft__value_csv(weft__out *o, const weft__model *m, const weft__mvalue *v);

#endif
