"""check_actions.py - the /actions rows of fault_app's "run" after recovery.

  check_actions.py LOG NRANKS STATUS [--skip R] [--threads N]

Every rank's "run" action (open from the job's start, across every
commit) has exactly one row in /actions with STATUS (succeeded when the
job ended cleanly, unfinished when it died): `weft recover` rebuilds the
actions open at the log's last commit from its committed part.  And every
action whose start the log holds has one row (format 2.0: no threshold):
per rank and start schema, as many rows as starts, counting the /events
rows (leaf records too) and the leaf rows the segments list.  --skip R:
rank R's journal was refused, so its row cannot be written.
--threads N: /ranks says every rank had N threads (the second one first
logged after the log was closed early: recovery must count it).
Format 2.0: a row names its start's schema; the type name is that
schema's `type_name` in /names (docs/format.md section 4, /actions).
Read with Debian's h5py (run with /usr/bin/python3).
"""
import sys

import h5py
import numpy as np


def every_action_has_a_row(n, skip, text, names, schemas, acts, ev, segs,
                           start_kind):
    errors = []
    leaf_row = np.zeros(len(acts), dtype=bool)
    for s in segs:
        leaf_row[int(s["leaf_start"]):
                 int(s["leaf_start"] + s["leaf_count"])] = True
    for r in range(n):
        if r in skip:
            continue
        name_of = {int(x["id"]): text[x["off"]:x["off"] + x["len"]].decode()
                   for x in names[names["rank"] == r]}
        mine = segs[segs["rank"] == r]
        rows_ev = np.concatenate(
            [np.arange(s["event_start"], s["event_start"] + s["event_count"])
             for s in mine] + [np.zeros(0, dtype=np.uint64)]).astype(np.int64)
        ids = ev["schema"][rows_ev] & 0x7fffffff
        leaf_ids = acts["schema"][leaf_row & (acts["rank"] == r)]
        for sc in schemas[(schemas["rank"] == r) &
                          (schemas["kind"] == start_kind)]:
            sid = int(sc["id"])
            starts = int(np.sum(ids == sid)) + int(np.sum(leaf_ids == sid))
            rows = int(np.sum((acts["rank"] == r) & (acts["schema"] == sid)))
            if rows != starts:
                errors.append("rank %d: %d /actions rows of %s, the log holds "
                              "%d starts" % (r, rows,
                                             name_of.get(int(sc["type_name"])),
                                             starts))
    return errors


def main(argv):
    path, n, want = argv[1], int(argv[2]), argv[3]
    skip = {int(argv[i + 1]) for i, a in enumerate(argv) if a == "--skip"}
    threads = [int(argv[i + 1]) for i, a in enumerate(argv)
               if a == "--threads"]
    errors = []
    with h5py.File(path, "r") as f:
        c = f.attrs["committed"]
        text = f["strings"][: c["strings"]].tobytes()
        names = f["names"][: c["names"]]
        schemas = f["schemas"][: c["schemas"]]
        acts = f["actions"][: c["actions"]]
        ev = f["events"][: c["events"]]
        segs = f["segments"][: c["segments"]]
        status = h5py.check_enum_dtype(f["types/status_t"].dtype)
        kinds = h5py.check_enum_dtype(f["types/kind_t"].dtype)
        errors += every_action_has_a_row(n, skip, text, names, schemas,
                                         acts, ev, segs, kinds["start"])
        ranks = f["ranks"][:]
        for t in threads:
            for row in ranks:
                if int(row["threads"]) != t:
                    errors.append("rank %d: %d threads in /ranks, expected %d"
                                  % (row["rank"], row["threads"], t))
        for r in range(n):
            if r in skip:
                continue
            ids = [int(x["id"]) for x in names[names["rank"] == r]
                   if text[x["off"]:x["off"] + x["len"]] == b"run"]
            run = [int(s["id"]) for s in schemas[schemas["rank"] == r]
                   if ids and int(s["type_name"]) == ids[0]]
            rows = acts[(acts["rank"] == r) & (acts["schema"] == run[0])] \
                if len(run) == 1 else acts[:0]
            if len(rows) != 1:
                errors.append("rank %d: %d rows for run, expected 1"
                              % (r, len(rows)))
            elif rows[0]["status"] != status[want]:
                errors.append("rank %d: run is %s, expected %s" % (
                    r, {v: k for k, v in status.items()}[rows[0]["status"]],
                    want))
            else:
                # On the job's timeline (wall-clock ns), not a raw clock:
                # within a minute of the rank's start in /ranks.
                began = int(ranks[ranks["rank"] == r][0]["start_wall_ns"])
                s, e = int(rows[0]["start_ns"]), int(rows[0]["end_ns"])
                if not (abs(s - began) < 60 * 10**9 and s <= e
                        and e - s < 3600 * 10**9):
                    errors.append("rank %d: run from %d to %d, the rank "
                                  "began at %d" % (r, s, e, began))
    for e in errors:
        print("check_actions: " + e, file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
