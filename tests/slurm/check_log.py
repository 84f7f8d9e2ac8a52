#!/usr/bin/python3
"""check_log.py LOG [checks...] - check a Weft log written by a Slurm job.

Reads the file with h5py (independently of the weft tool, following
docs/format.md) and checks that it is a well-formed log of the expected
job: one line per failed check on stderr and exit status 1, or a one-line
summary and 0.  Only committed rows are read (format.md, rule 1).

Checks always made: format "weft-h5" version 2.x; every rank of
/ranks has committed records (/events rows or leaf rows of /actions); the
committed counts fit the datasets.
Optional:
  --ranks N             mpi_size is N
  --state S             closed or writing
  --job ID              every rank ran in Slurm job ID
  --array JOB_TASK      every rank ran in array job JOB, task TASK
  --types T1,T2,...     these action types are in /actions
  --threads N           every rank logged from at least N threads
  --unfinished N        at least N actions are unfinished (per /actions)
  --last-event-after T  every rank's last event is at or after the Unix
                        time T (seconds, float): nothing logged before a
                        kill at T + a few seconds was lost
"""
import argparse
import sys

import h5py
import numpy as np


def fail(errors, msg):
    errors.append(msg)


def text_of(strings, off, n):
    return strings[off:off + n].tobytes().decode("utf-8", "replace")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("log")
    ap.add_argument("--ranks", type=int)
    ap.add_argument("--state", choices=["closed", "writing"])
    ap.add_argument("--job")
    ap.add_argument("--array")
    ap.add_argument("--types")
    ap.add_argument("--threads", type=int)
    ap.add_argument("--unfinished", type=int)
    ap.add_argument("--last-event-after", type=float)
    a = ap.parse_args()

    errors = []
    try:
        f = h5py.File(a.log, "r")
    except OSError as e:
        print(f"check_log: {a.log}: cannot open: {e}", file=sys.stderr)
        return 1
    with f:
        fmt = f.attrs.get("format")
        fmt = fmt.decode() if isinstance(fmt, bytes) else fmt
        if fmt != "weft-h5":
            fail(errors, f"format attribute is {fmt!r}, not 'weft-h5'")
        if int(f.attrs["format_version"][0]) != 2:
            fail(errors, f"format_version {f.attrs['format_version']}")
        c = f.attrs["committed"]
        for name in ("events", "payload", "segments", "strings", "names",
                     "schemas", "actions", "order", "flushes"):
            if int(c[name]) > f[name].shape[0]:
                fail(errors, f"committed {name} {int(c[name])} > rows "
                     f"{f[name].shape[0]}")
        size = int(f.attrs["mpi_size"])
        if a.ranks is not None and size != a.ranks:
            fail(errors, f"mpi_size is {size}, expected {a.ranks}")

        state_enum = h5py.check_enum_dtype(f["types/state_t"].dtype)
        state_names = {v: k for k, v in state_enum.items()}
        state = state_names.get(int(f.attrs["state"]), "?")
        if a.state and state != a.state:
            fail(errors, f"state is {state}, expected {a.state}")

        ranks = f["ranks"][:]
        segs = f["segments"][: int(c["segments"])]
        strings = f["strings"][: int(c["strings"])]
        names = f["names"][: int(c["names"])]
        name_of = {(int(r["rank"]), int(r["id"])):
                   text_of(strings, int(r["off"]), int(r["len"]))
                   for r in names}
        # An /actions row names its start's schema (format 2.0): the type
        # is that schema's type_name.
        schemas = f["schemas"][: int(c["schemas"])]
        type_of = {(int(s["rank"]), int(s["id"])):
                   name_of.get((int(s["rank"]), int(s["type_name"])), "?")
                   for s in schemas}

        for r in ranks:
            rank = int(r["rank"])
            mine = segs[segs["rank"] == rank]
            if len(mine) == 0 or int(mine["event_count"].sum() +
                                     mine["leaf_count"].sum()) == 0:
                fail(errors, f"rank {rank} has no committed events")
                continue
            job = r["slurm_job_id"].decode()
            if a.job and job != a.job:
                fail(errors, f"rank {rank}: slurm_job_id {job!r}, "
                     f"expected {a.job!r}")
            if a.array:
                got = (r["slurm_array_job_id"].decode() + "_" +
                       r["slurm_array_task_id"].decode())
                if got != a.array:
                    fail(errors, f"rank {rank}: array job_task {got!r}, "
                         f"expected {a.array!r}")
            if a.threads and len(set(mine["thread"].tolist())) < a.threads:
                fail(errors, f"rank {rank}: events from "
                     f"{len(set(mine['thread'].tolist()))} threads, "
                     f"expected at least {a.threads}")
            if a.last_event_after is not None:
                # The rank's own clock, anchored at its weft_mpi_init.
                last = int(mine["t_last"].max())
                wall = (int(r["start_wall_ns"]) +
                        (last - int(r["start_mono_ns"]))) / 1e9
                if wall < a.last_event_after:
                    fail(errors, f"rank {rank}: last event at {wall:.1f}, "
                         f"{a.last_event_after - wall:.1f} s before "
                         f"{a.last_event_after:.1f}: events were lost")

        acts = f["actions"][: int(c["actions"])]
        types = {type_of.get((int(x["rank"]), int(x["schema"])), "?")
                 for x in acts}
        if a.types:
            for t in a.types.split(","):
                if t not in types:
                    fail(errors, f"no action of type {t!r} in /actions "
                         f"(has: {', '.join(sorted(types))})")
        status_enum = h5py.check_enum_dtype(f["types/status_t"].dtype)
        unfinished = int(np.count_nonzero(
            acts["status"] == status_enum["unfinished"]))
        if a.unfinished is not None and unfinished < a.unfinished:
            fail(errors, f"{unfinished} unfinished actions, expected at "
                 f"least {a.unfinished}")

        if errors:
            for e in errors:
                print(f"check_log: {a.log}: {e}", file=sys.stderr)
            return 1
        print(f"check_log: {a.log}: ok: {size} ranks, state {state}, "
              f"{int(c['events'])} events, {len(acts)} actions "
              f"({unfinished} unfinished), types {','.join(sorted(types))}")
        return 0


if __name__ == "__main__":
    sys.exit(main())
