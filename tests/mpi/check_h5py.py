#!/usr/bin/python3
"""Read a Weft log (format 2.0) with Debian's h5py, numpy and pandas only
(docs/format.md) and check it against what test_log says it logged (its
--json output).

    /usr/bin/python3 check_h5py.py EXPECT.json
    /usr/bin/python3 check_h5py.py --streams LOG.h5

Checks: format attributes (2.0, no actions_min_ns); committed counts and
extents; the items of every segment, /events rows and leaf rows of
/actions interleaved by the bits of /order, with the payload of each found
by summing padded sizes (a leaf row's size is its schema's); per rank, the
"work" start records and their two int64 fields (i = 0..n-1 in order,
rank = the rank), and the leaf rows' payloads rebuilt from /payload
("probe" {i, odd}, "tick" {s, k}, "tw" {i}); /actions read as numpy's
packed 31-byte structured type: a row for every action, per rank and type,
statuses (enum names through h5py.check_enum_dtype), leaf rows for exactly
the short actions, and each leaf row's start time on the rank's own clock
found again with section 6's integer mapping (Python ints: // and >>
floor); the 10^6-element array summary decoded from /payload; /flushes
rows; /ranks metadata; and the pandas recipe of docs/format.md section 7,
taken from the document and run as it is written.  Exit status 0 when all
hold.

--streams checks what holds for any log of format 2.0, of any program
(test_clock's, whose clocks are skewed and drift): the format attributes,
committed counts and extents, and every segment's items as above, each
leaf row's start found again on its rank's own clock, without the
expectations of test_log.
"""
import contextlib
import io
import json
import os
import re
import sys
import types

import h5py
import numpy as np

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, file=sys.stderr)


LEAF = 1 << 31  # a leaf record in /events: bit 31 of schema
FIELD_BYTES = {1: 8, 2: 8, 3: 8, 4: 1}  # i64, u64, f64, bool (scalars)

# /actions as docs/format.md section 4 gives it: 31 bytes, packed.
ACTION = np.dtype([("start_ns", "<i8"), ("end_ns", "<i8"),
                   ("elapsed_ns", "<i8"), ("rank", "<u4"),
                   ("schema", "<u2"), ("status", "u1")])
assert ACTION.itemsize == 31


def pad8(n):
    return (n + 7) & ~7


class Timeline:
    """Section 6, in Python integers (exact, as the writer computes it)."""

    def __init__(self, flushes):
        self.samples = {}
        for r in np.unique(flushes["rank"]):
            mine = flushes[flushes["rank"] == r]
            pts = sorted(zip(mine["sample_mono_ns"].tolist(),
                             mine["offset_ns"].tolist()))
            slopes = []
            for (m0, o0), (m1, o1) in zip(pts, pts[1:]):
                s = ((o1 - o0) << 48) // (m1 - m0) if m1 > m0 else 0
                slopes.append(max(-(1 << 63), min((1 << 63) - 1, s)))
            self.samples[int(r)] = (pts, slopes)

    def g(self, rank, t):
        pts, slopes = self.samples[rank]
        if t < pts[0][0]:
            return t - pts[0][1]
        k = max(i for i, (m, _) in enumerate(pts) if m <= t)
        if k == len(pts) - 1:
            return t - pts[k][1]
        m, o = pts[k]
        return t - (o + (((t - m) * slopes[k]) >> 48))

    def invert(self, rank, start, elapsed, end, lo):
        """The earliest s >= lo with g(s) = start and g(s+elapsed) = end."""
        # t - g(t) is the offset: from lo to the leaf it moves by the drift
        # of a few ns, where rank 0's time (start) is off by the whole
        # offset, which with a drift of 10% the steps below do not close.
        t = start + (lo - self.g(rank, lo))
        for _ in range(8):
            v = self.g(rank, t)
            if v == start:
                break
            t += start - v
        fits = [s for s in range(max(lo, t - 4), t + 5)
                if self.g(rank, s) == start and
                self.g(rank, s + elapsed) == end]
        return fits


def recipe_code():
    """The code block of docs/format.md section 7, as written."""
    doc = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                       "..", "..", "docs", "format.md")
    text = open(doc, encoding="utf-8").read()
    sec = text[text.index("## 7. Recipe"):]
    return re.search(r"```python\n(.*?)```", sec, re.S).group(1)


def run_recipe(path, c, expect, type_rows):
    code = recipe_code()
    check('"weft-1234.h5"' in code, "the recipe opens weft-1234.h5")
    env = {}
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            exec(compile(code.replace('"weft-1234.h5"', repr(path)),
                         "format.md section 7", "exec"), env)
    except Exception as e:  # the recipe must run as written
        check(False, "the pandas recipe fails: %r" % e)
        return
    acts = env["acts"]
    check(len(acts) == c["actions"],
          "recipe: %d rows after the merge with the types, %d in /actions"
          % (len(acts), c["actions"]))
    check(set(acts.status) <= {"succeeded", "failed"},
          "recipe: statuses %s" % set(acts.status))
    for (rank, typ), n in type_rows.items():
        got = int(((acts["rank"] == rank) & (acts["type"] == typ)).sum())
        check(got == n, "recipe: rank %d: %d %s rows, expected %d"
              % (rank, got, typ, n))
    failed = int((acts.status == "failed").sum())
    check(failed == sum(e["failed"] for e in expect["per_rank"]),
          "recipe: %d failed rows" % failed)
    check(str(acts["start"].dtype).startswith("datetime64"),
          "recipe: start is %s" % acts["start"].dtype)
    printed = out.getvalue()
    check("elapsed_ns" in printed or "count" in printed,
          "recipe: printed %r" % printed[:200])
    for typ in ("work", "tick"):
        check(typ in printed, "recipe: %s missing from the summary" % typ)
    check(len(env["ev"]) == c["events"] and len(env["fl"]) == c["flushes"],
          "recipe: events and flushes")


def read_streams(f):
    """The checks that hold for any log; what main() checks against test_log's
    expectations, in a namespace."""
    check(f.attrs["format"] == b"weft-h5", "format attribute")
    check(list(f.attrs["format_version"]) == [2, 0], "format_version %s"
          % list(f.attrs["format_version"]))
    check("actions_min_ns" not in f.attrs, "actions_min_ns is gone")
    check(int(f.attrs["actions_table"]) == 1, "actions_table")
    c = f.attrs["committed"]
    check(c.dtype.names == ("epochs", "events", "payload", "segments",
                            "strings", "names", "schemas",
                            "schema_fields", "actions", "order",
                            "flushes", "failed_flushes"),
          "committed_t members %s" % (c.dtype.names,))
    for name in ("events", "payload", "segments", "strings", "names",
                 "schemas", "schema_fields", "actions", "order",
                 "flushes"):
        check(f[name].shape[0] >= c[name], "extent of /" + name)
    check(c["flushes"] == c["epochs"] * int(f.attrs["mpi_size"]),
          "flushes")
    state = h5py.check_enum_dtype(f["types/state_t"].dtype)
    check(int(f.attrs["state"]) == state["closed"], "state closed")

    ev = f["events"][: c["events"]]
    check(ev.dtype.names == ("t", "schema", "size"), "record_t fields")
    check(ev.dtype.itemsize == 16, "record_t is 16 bytes")
    payload = f["payload"][: c["payload"]]
    order = f["order"][: c["order"]]
    check(order.dtype == np.uint8, "/order is uint8")
    seg = f["segments"][: c["segments"]]
    check(seg.dtype.itemsize == 88, "segment_t is 88 bytes")
    check([seg.dtype.fields[n][1] for n in
           ("leaf_start", "leaf_count", "order_start")] == [64, 72, 80],
          "segment_t offsets")
    text = f["strings"][: c["strings"]].tobytes()
    names = f["names"][: c["names"]]
    schemas = f["schemas"][: c["schemas"]]
    fields = f["schema_fields"][: c["schema_fields"]]
    kinds = h5py.check_enum_dtype(f["types/kind_t"].dtype)
    check(kinds["start"] == 1 and kinds["globals"] == 9, "kind_t")

    # /actions with numpy: the file's type is the packed 31-byte one.
    raw = f["actions"][: c["actions"]]
    check(raw.dtype.itemsize == 31 and
          [raw.dtype.fields[n][1] for n in ACTION.names] ==
          [0, 8, 16, 24, 28, 30], "action_t layout %s" % (raw.dtype,))
    acts = np.frombuffer(raw.tobytes(), dtype=ACTION)
    status = h5py.check_enum_dtype(f["types/status_t"].dtype)
    check(status == {"succeeded": 1, "failed": 2, "unfinished": 3},
          "status_t")

    name_of = {(int(n["rank"]), int(n["id"])):
               text[n["off"]:n["off"] + n["len"]].decode() for n in names}
    schema_of = {}
    for s in schemas:
        o = int(s["fields_off"])
        ftypes = fields[o:o + int(s["nfields"])]
        size = sum(FIELD_BYTES.get(int(t), 0) for t in ftypes["type"])
        schema_of[(int(s["rank"]), int(s["id"]))] = (
            name_of.get((int(s["rank"]), int(s["type_name"]))),
            int(s["kind"]), int(s["fixed_size"]), size)

    check(seg["event_count"].sum() == c["events"], "segments cover events")
    check(seg["payload_bytes"].sum() == c["payload"],
          "segments cover payload")
    check(seg["leaf_count"].sum() <= c["actions"], "leaf rows")

    tl = Timeline(f["flushes"][: c["flushes"]])
    origin = int(f.attrs["timeline_mono_ns"]) - \
        int(f.attrs["timeline_wall_ns"])

    # Every segment's items, by /order; payload offsets by the sizes.
    leaf_row = np.zeros(len(acts), dtype=bool)
    starts = {}   # /events row -> payload offset
    values = {}   # (rank, type) -> payloads of its starts, in order
    leaf_types = {}  # (rank, type) -> leaf rows
    for si, s in enumerate(seg):
        rank = int(s["rank"])
        n_ev, n_leaf = int(s["event_count"]), int(s["leaf_count"])
        n = n_ev + n_leaf
        if n_leaf:
            o = int(s["order_start"])
            bits = np.unpackbits(order[o:o + (n + 7) // 8],
                                 bitorder="little")
            check(bits[:n].sum() == n_leaf and bits[n:].sum() == 0,
                  "segment %d: %d bits set for %d leaf rows"
                  % (si, bits[:n].sum(), n_leaf))
            bits = bits[:n]
        else:
            bits = np.zeros(n, dtype=np.uint8)
        e, lf, at = int(s["event_start"]), int(s["leaf_start"]), \
            int(s["payload_start"])
        last = None
        for i in range(n):
            if bits[i]:
                a = acts[lf]
                leaf_row[lf] = True
                typ, kind, fixed, size = schema_of.get(
                    (rank, int(a["schema"])), (None, 0, 0, 0))
                check(kind == kinds["start"] and fixed and
                      int(a["rank"]) == rank and
                      a["status"] == status["succeeded"],
                      "leaf row %d: %s kind %d fixed %d" % (lf, typ, kind,
                                                            fixed))
                el = int(a["elapsed_ns"])
                want_s = int(a["start_ns"]) + origin
                want_e = int(a["end_ns"]) + origin
                if i == 0:
                    t = int(s["t_first"])
                    check(tl.g(rank, t) == want_s and
                          tl.g(rank, t + el) == want_e,
                          "leaf row %d: t_first %d maps to %d, the row "
                          "says %d" % (lf, t, tl.g(rank, t), want_s))
                else:
                    fits = tl.invert(rank, want_s, el, want_e, last)
                    check(len(fits) >= 1,
                          "leaf row %d: no time of rank %d from %d maps "
                          "to %d..%d" % (lf, rank, last, want_s, want_e))
                    t = fits[0] if fits else last
                end = t + el
                leaf_types.setdefault((rank, typ), []).append(lf)
                values.setdefault((rank, typ), []).append(
                    payload[at:at + size].tobytes())
                lf += 1
            else:
                r = ev[e]
                t = end = int(r["t"])
                size = int(r["size"])
                if r["schema"] & LEAF:
                    end = int(payload[at + pad8(size - 8):
                                      at + pad8(size - 8) + 8]
                              .view("<i8")[0])
                sid = int(r["schema"]) & ~LEAF
                info = schema_of.get((rank, sid))
                if sid >= 16 and info and info[1] == kinds["start"]:
                    values.setdefault((rank, info[0]), []).append(
                        payload[at:at + size].tobytes())
                starts[e] = at
                e += 1
            if last is not None:
                check(t >= last, "segment %d item %d goes back" % (si, i))
            last = end
            at += pad8(size)
        check(at == s["payload_start"] + s["payload_bytes"],
              "segment %d: payloads end at %d" % (si, at))
        check(last == s["t_last"], "segment %d: t_last" % si)
    check(np.all(acts["elapsed_ns"] >= 0), "elapsed >= 0")
    check(np.all(acts["end_ns"] >= acts["start_ns"]), "start <= end")
    return types.SimpleNamespace(
        c=c, text=text, acts=acts, status=status, kinds=kinds,
        schema_of=schema_of,
        leaf_row=leaf_row, values=values, leaf_types=leaf_types,
        leaf_rows=int(leaf_row.sum()))


def main():
    if sys.argv[1] == "--streams":
        with h5py.File(sys.argv[2], "r") as f:
            log = read_streams(f)
        check(log.leaf_rows > 0, "no leaf rows in /actions")
        print("check_h5py: %s, %d leaf rows, %d failure(s)"
              % (sys.argv[2], log.leaf_rows, len(failures)))
        return 1 if failures else 0
    expect = json.load(open(sys.argv[1]))
    with h5py.File(expect["path"], "r") as f:
        log = read_streams(f)
        c, text, acts, status = log.c, log.text, log.acts, log.status
        schema_of, leaf_row = log.schema_of, log.leaf_row
        values, leaf_types = log.values, log.leaf_types
        check(int(f.attrs["mpi_size"]) == expect["ranks"], "mpi_size")
        check(c["epochs"] == expect["epochs"], "epochs")

        # Values of the starts, leaf rows' payloads included.
        type_rows = {}
        for exp in expect["per_rank"]:
            r = exp["rank"]
            work = values.get((r, "work"), [])
            check(len(work) == exp["work"], "rank %d: %d work starts, logged "
                  "%d" % (r, len(work), exp["work"]))
            if work:
                w = np.frombuffer(b"".join(x[:16] for x in work),
                                  dtype="<i8").reshape(-1, 2)
                check(np.array_equal(w[:, 0], np.arange(exp["work"])),
                      "rank %d: field i" % r)
                check(np.all(w[:, 1] == r), "rank %d: field rank" % r)
            probes = values.get((r, "probe"), [])
            want = [i for i in range(exp["work"]) if i % 3 == 1]
            check(len(probes) == exp["probes"] == len(want) and
                  all(len(p) == 9 for p in probes),
                  "rank %d: %d probes, logged %d" % (r, len(probes),
                                                     exp["probes"]))
            got = [(int(np.frombuffer(p[:8], "<i8")[0]), p[8]) for p in probes]
            check(got == [(i, i % 2) for i in want],
                  "rank %d: probe fields %s" % (r, got[:4]))
            ticks = values.get((r, "tick"), [])
            check(len(ticks) == exp["ticks"], "rank %d: %d ticks, logged %d"
                  % (r, len(ticks), exp["ticks"]))
            ks = [int(np.frombuffer(p[8:16], "<i8")[0]) for p in ticks]
            check(all(k == -1 or k % 4 == 3 for k in ks) and
                  [k for k in ks if k >= 0] ==
                  [i for i in range(exp["work"]) if i % 4 == 3],
                  "rank %d: tick fields" % r)
            tw = values.get((r, "tw"), [])
            iv = [int(np.frombuffer(p[:8], "<i8")[0]) for p in tw]
            check(iv == list(range(expect["helper_actions"])),
                  "rank %d: %d tw starts" % (r, len(iv)))
            # Short actions of the main thread: leaf rows, all of them.
            for typ in ("probe", "tick"):
                n = len(leaf_types.get((r, typ), []))
                check(n == exp[typ + "s"], "rank %d: %d %s leaf rows, "
                      "logged %d" % (r, n, typ, exp[typ + "s"]))
            ntw = len(leaf_types.get((r, "tw"), []))
            check(ntw > 0.9 * expect["helper_actions"] or
                  not expect["helper_actions"],
                  "rank %d: %d of the tw actions are leaf rows" % (r, ntw))
            type_rows[(r, "work")] = exp["work"]
            type_rows[(r, "probe")] = exp["probes"]
            type_rows[(r, "tick")] = exp["ticks"]
            type_rows[(r, "tw")] = expect["helper_actions"]
            type_rows[(r, "big")] = int(r == expect["array_rank"])

        # /actions: a row for every action, leaf rows for the short ones.
        check(not np.any(acts["status"] == status["unfinished"]),
              "unfinished rows")
        row_type = np.array([schema_of.get((int(a["rank"]), int(a["schema"])),
                                           ("?",))[0] for a in acts])
        for (r, typ), n in type_rows.items():
            mine = (acts["rank"] == r) & (row_type == typ)
            check(mine.sum() == n, "rank %d: %d %s rows, logged %d"
                  % (r, mine.sum(), typ, n))
            if typ in ("work", "big"):
                check(not np.any(leaf_row[mine]),
                      "rank %d: a %s row is a leaf row" % (r, typ))
        check(len(acts) == sum(type_rows.values()),
              "%d /actions rows, %d actions logged" % (len(acts),
                                                       sum(type_rows.values())))
        for exp in expect["per_rank"]:
            r = exp["rank"]
            w = acts[(acts["rank"] == r) & (row_type == "work")]
            check(np.sum(w["status"] == status["failed"]) == exp["failed"],
                  "rank %d: failed rows" % r)
            slow = sum(1 for i in range(exp["work"]) if i % 11 == 0)
            check(np.sum(w["elapsed_ns"] >= 3000) >= slow,
                  "rank %d: slow work rows" % r)

        # The 10^6-element array: its summary, the start's only field,
        # decoded from the payload of its leaf record (encoding.md §4).
        for exp in expect["per_rank"]:
            r = exp["rank"]
            big = values.get((r, "big"), [])
            if r != expect["array_rank"]:
                check(not big, "rank %d: no big action" % r)
                continue
            check(len(big) == 1, "rank %d: one big start record" % r)
            if len(big) != 1:
                continue
            p = np.frombuffer(big[0], dtype=np.uint8)
            ndim, kept = p[0:8].view("<u4")
            shape = p[8:8 + 8 * ndim].view("<u8")
            at = 8 + 8 * ndim
            count, nans = p[at:at + 16].view("<u8")
            mean, lo, hi = p[at + 16:at + 40].view("<f8")
            vals = p[at + 40:at + 40 + 8 * kept].view("<f8")
            n = 1000 * 1000
            check(ndim == 2 and list(shape) == [1000, 1000] and count == n,
                  "big: shape %s count %d" % (list(shape), count))
            check(nans == 0 and lo == 0.0 and hi == (n - 1) * 0.5,
                  "big: nan %d min %g max %g" % (nans, lo, hi))
            check(abs(mean - (n - 1) * 0.25) < 1e-6 * n, "big: mean %g" % mean)
            check(1 <= kept <= 16 and
                  np.array_equal(vals, np.arange(kept) * 0.5),
                  "big: first %d values %s" % (kept, vals[:4]))

        ranks = f["ranks"][:]
        check(list(ranks["rank"]) == list(range(expect["ranks"])), "ranks")
        for row in ranks:
            cmd = text[row["cmdline_off"]:row["cmdline_off"] + row["cmdline_len"]]
            check(b"test_log" in cmd, "rank %d: command line" % row["rank"])
            lib = text[row["mpi_library_off"]:
                       row["mpi_library_off"] + row["mpi_library_len"]]
            check(b"MPI" in lib, "rank %d: MPI library" % row["rank"])
        fl = f["flushes"][: c["flushes"]]
        check(np.all(fl["offset_ns"][fl["rank"] == 0] == 0), "rank 0 offset")
        check(np.all(fl["error_ns"] >= 0), "error bounds")
    run_recipe(expect["path"], c, expect, type_rows)
    print("check_h5py: %s, %d failure(s)" % (expect["path"], len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
