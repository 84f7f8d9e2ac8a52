"""check_actions.py - the /actions rows of fault_app's "run" after recovery.

  check_actions.py LOG NRANKS STATUS [--skip R] [--threads N]

Every rank's "run" action (open from the job's start, across every
commit) has exactly one row in /actions with STATUS (succeeded when the
job ended cleanly, unfinished when it died): `weft recover` rebuilds the
actions open at the log's last commit from its committed part.  --skip R:
rank R's journal was refused, so its row cannot be written.
--threads N: /ranks says every rank had N threads (the second one first
logged after the log was closed early: recovery must count it).
Read with Debian's h5py (run with /usr/bin/python3).
"""
import sys

import h5py


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
        acts = f["actions"][: c["actions"]]
        status = h5py.check_enum_dtype(f["types/status_t"].dtype)
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
            rows = acts[(acts["rank"] == r) & (acts["type"] == ids[0])] \
                if ids else acts[:0]
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
