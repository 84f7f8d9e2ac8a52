/*
 * decode.h - options of the stream decoder (decode.c) beyond weft_int.h.
 *
 * Not installed; readers (tools, libweft-mpi) include it next to weft_int.h.
 */
#ifndef WEFT_DECODE_H
#define WEFT_DECODE_H

#include "weft_int.h"

/* Stream keys: weft__decoder_feed takes any 64-bit key per stream (e.g.
 * rank << 32 | thread); weft_event.thread is its low 32 bits.
 *
 * A dictionary read from a file must fill weft__schema.fixed_size and
 * payload_size as schema.c does (fixed_size when every field is a scalar);
 * records of a fixed-size schema must then have exactly payload_size bytes.
 */

/* Maps a monotonic timestamp of the decoded stream to wall-clock ns since
 * the epoch (weft_event.wall_ns). */
typedef int64_t (*weft__wall_fn)(void *arg, int64_t t);

/* Set how wall_ns is computed.  A decoder over weft__dict_live() starts with
 * weft_clock_to_wall; any other starts with none (wall_ns = 0).  fn NULL
 * removes it. */
WEFT_INTERNAL void weft__decoder_set_wall(weft__decoder *d, weft__wall_fn fn,
                                          void *arg);

/* Lenient mode, for streams that begin in the middle of open actions (a
 * capture started while actions were open): records that need an enclosing
 * action when none is known are placed in a stand-in action of task 0 whose
 * levels are relative to it ([k], [k,1], ...), and the end of such a
 * stand-in produces no event.  Off by default: those records are then
 * WEFT_EFORMAT. */
WEFT_INTERNAL void weft__decoder_set_lenient(weft__decoder *d, int on);

/* Actions still open in `stream` after the records fed so far (0 for a
 * stream never fed).  Readers use it to tell a complete stream from a cut
 * one. */
WEFT_INTERNAL size_t weft__decoder_open_count(const weft__decoder *d,
                                              uint64_t stream);

/* How the decoder's errors name the record at fault: weft_errmsg() after a
 * failed feed is "<weft_strerror(code)>: " WEFT__DECODE_AT, then " (schema
 * S)" when the header was read, then ": " and the problem; the offset is
 * of the record's header within the data that feed was given. */
#define WEFT__DECODE_AT "record at byte %zu"

/* Where the last weft__decoder_feed of d stopped early: 1 and, in *off, the
 * offset within its data of the record it was decoding (the one at fault,
 * or the one whose event a callback answered non-zero to); 0 when it did
 * not stop at a record (it succeeded, or failed on its arguments or on
 * memory for the stream).  Readers that know where the data came from use
 * it to name the record in their own terms (the tools: a row of the HDF5
 * log); it is kept only when feed stops, so decoding pays nothing for it. */
WEFT_INTERNAL int weft__decoder_stopped_at(const weft__decoder *d, size_t *off);

#endif /* WEFT_DECODE_H */
