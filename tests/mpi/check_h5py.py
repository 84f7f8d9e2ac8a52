#!/usr/bin/python3
"""Read a Weft log with Debian's h5py and numpy only (docs/format.md) and
check it against what test_log says it logged (its --json output).

    /usr/bin/python3 check_h5py.py EXPECT.json

Checks: format attributes; committed counts and extents; per rank, the
"work" start records found through /segments, /schemas and /names, and
their two int64 fields decoded from /payload with numpy (i = 0..n-1 in
order, rank = the rank); /actions rows per rank, type and status (enum
names through h5py.check_enum_dtype), against the row rule of the file's
actions_min_ns (0: a row for every action; else rows only for the
actions that failed, were unfinished or took that long, checked leaf by
leaf); the 10^6-element array summary decoded from /payload; /flushes
rows; /ranks metadata.  Exit status 0 when all hold.
"""
import json
import sys

import h5py
import numpy as np

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, file=sys.stderr)


LEAF = np.uint32(1 << 31)  # record.h WEFT_REC_LEAF, docs/format.md


def pad8(n):
    return (n + 7) & ~7


def seg_rank_of(seg, row):
    """The rank whose segment holds /events row `row`."""
    s = seg[(seg["event_start"] <= row) &
            (row < seg["event_start"] + seg["event_count"])]
    return int(s["rank"][0]) if len(s) else -1


def main():
    expect = json.load(open(sys.argv[1]))
    with h5py.File(expect["path"], "r") as f:
        check(f.attrs["format"] == b"weft-h5", "format attribute")
        check(list(f.attrs["format_version"]) == [1, 1], "format_version")
        # test_log --every-row sets WEFT_ACTIONS_MIN_NS=0: a row for every
        # action; otherwise the default threshold applies.
        min_ns = int(f.attrs["actions_min_ns"])
        check(min_ns == (0 if expect.get("every_row") else 1000),
              "actions_min_ns %d" % min_ns)
        check(int(f.attrs["mpi_size"]) == expect["ranks"], "mpi_size")
        c = f.attrs["committed"]
        for name in ("events", "payload", "segments", "strings", "names",
                     "schemas", "schema_fields", "actions", "flushes"):
            check(f[name].shape[0] >= c[name], "extent of /" + name)
        check(c["epochs"] == expect["epochs"], "epochs")
        check(c["flushes"] == expect["epochs"] * expect["ranks"], "flushes")
        state = h5py.check_enum_dtype(f["types/state_t"].dtype)
        check(int(f.attrs["state"]) == state["closed"], "state closed")

        ev = f["events"][: c["events"]]
        check(ev.dtype.names == ("t", "schema", "size"), "record_t fields")
        check(ev.dtype.itemsize == 16, "record_t is 16 bytes")
        payload = f["payload"][: c["payload"]]
        seg = f["segments"][: c["segments"]]
        text = f["strings"][: c["strings"]].tobytes()
        names = f["names"][: c["names"]]
        schemas = f["schemas"][: c["schemas"]]
        kinds = h5py.check_enum_dtype(f["types/kind_t"].dtype)
        check(kinds["start"] == 1 and kinds["globals"] == 9, "kind_t")

        def name_id(rank, s):
            for n in names[names["rank"] == rank]:
                if text[n["off"]:n["off"] + n["len"]].decode() == s:
                    return int(n["id"])
            return None

        check(seg["event_count"].sum() == c["events"], "segments cover events")
        check(seg["payload_bytes"].sum() == c["payload"],
              "segments cover payload")

        # Leaf records (a start and its success in one record): the end
        # time is the last 8 bytes of the payload, after the start's.
        leaf = np.nonzero(ev["schema"] & LEAF)[0]
        if expect["helper_actions"]:
            check(len(leaf) > 0, "the helper threads' actions are leaves")
        starts = np.zeros(len(ev), dtype=np.int64)
        for s in seg:
            rows = ev[s["event_start"]:s["event_start"] + s["event_count"]]
            starts[s["event_start"]:s["event_start"] + s["event_count"]] = \
                s["payload_start"] + np.concatenate(
                    ([0], np.cumsum(pad8(rows["size"].astype(np.int64)))[:-1]))
        leaf_elapsed = {}
        for i in leaf:
            at = starts[i] + pad8(int(ev["size"][i]) - 8)
            end = payload[at:at + 8].view("<i8")[0]
            check(end >= ev["t"][i], "leaf %d ends before it starts" % i)
            leaf_elapsed[int(i)] = int(end - ev["t"][i])

        for exp in expect["per_rank"]:
            r = exp["rank"]
            work = name_id(r, "work")
            sch = schemas[(schemas["rank"] == r) &
                          (schemas["kind"] == kinds["start"])]
            ids = [int(s["id"]) for s in sch if s["type_name"] == work]
            if exp["work"] == 0:
                check(not ids, "rank %d logged no work" % r)
                continue
            check(len(ids) == 1, "rank %d: one work start schema" % r)
            values = []
            for s in seg[seg["rank"] == r]:
                rows = ev[s["event_start"]:s["event_start"] + s["event_count"]]
                offs = s["payload_start"] + np.concatenate(
                    ([0], np.cumsum(pad8(rows["size"].astype(np.int64)))[:-1]))
                mine = (rows["schema"] & ~LEAF) == ids[0]
                for o in offs[mine]:
                    values.append(payload[o:o + 16].view("<i8"))
            values = np.array(values).reshape(-1, 2)
            check(len(values) == exp["work"],
                  "rank %d: %d work starts, logged %d" % (r, len(values),
                                                          exp["work"]))
            check(np.array_equal(values[:, 0], np.arange(exp["work"])),
                  "rank %d: field i" % r)
            check(np.all(values[:, 1] == r), "rank %d: field rank" % r)

        acts = f["actions"][: c["actions"]]
        status = h5py.check_enum_dtype(f["types/status_t"].dtype)
        check(set(status) == {"succeeded", "failed", "unfinished"}, "status_t")
        check(np.all(acts["end_ns"] >= acts["start_ns"] - 10000),
              "action start <= end")
        check(np.all(acts["elapsed_ns"] >= 0), "elapsed >= 0")
        # The row rule, leaf by leaf: a leaf (an action that succeeded with
        # nothing inside) has a row exactly when it took min_ns or more,
        # and that row's elapsed time is the leaf's.
        by_start = {int(a["start_event"]): a for a in acts}
        check(len(by_start) == len(acts), "one row per start_event")
        wrong = [i for i, e in leaf_elapsed.items()
                 if (i in by_start) != (e >= min_ns) or
                 (i in by_start and int(by_start[i]["elapsed_ns"]) != e)]
        check(not wrong, "%d leaves break the row rule, e.g. row %s" %
              (len(wrong), wrong[:3]))
        slow = acts[acts["status"] == status["succeeded"]]
        check(np.all(slow["elapsed_ns"] >= min_ns),
              "succeeded rows shorter than actions_min_ns")
        for exp in expect["per_rank"]:
            r = exp["rank"]
            mine = acts[acts["rank"] == r]
            work = name_id(r, "work")
            w = mine[mine["type"] == work] if work else mine[:0]
            # Failed actions always have a row.
            check(np.sum(w["status"] == status["failed"]) == exp["failed"],
                  "rank %d: failed rows" % r)
            if min_ns == 0:
                check(len(w) == exp["work"], "rank %d: work rows" % r)
                big = name_id(r, "big")
                nbig = np.sum(mine["type"] == big) if big else 0
                check(nbig == (1 if r == expect["array_rank"] else 0),
                      "rank %d: big action row" % r)
                tw = name_id(r, "tw")
                ntw = np.sum(mine["type"] == tw) if tw else 0
                check(ntw == expect["helper_actions"],
                      "rank %d: helper rows" % r)
            else:
                check(exp["failed"] <= len(w) <= exp["work"],
                      "rank %d: work rows" % r)
            check(np.all(w["depth"] == 0), "rank %d: depth" % r)
            check(np.all(ev["schema"][w["start_event"]] >= 16),
                  "rank %d: start_event points at a start record" % r)

        # The 10^6-element array: its summary, the start's only field,
        # decoded from the payload (docs/encoding.md section 4).
        for exp in expect["per_rank"]:
            r = exp["rank"]
            big = name_id(r, "big")
            if r != expect["array_rank"]:
                check(big is None, "rank %d: no big action" % r)
                continue
            sch = schemas[(schemas["rank"] == r) & (schemas["type_name"] == big)]
            check(len(sch) == 1, "rank %d: one big schema" % r)
            if len(sch) != 1:
                continue
            rows = np.nonzero((ev["schema"] & ~LEAF) == sch[0]["id"])[0]
            rows = [i for i in rows
                    if seg_rank_of(seg, i) == r]
            check(len(rows) == 1, "rank %d: one big start record" % r)
            if len(rows) != 1:
                continue
            p = payload[starts[rows[0]]:]
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
    print("check_h5py: %s, %d failure(s)" % (expect["path"], len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
