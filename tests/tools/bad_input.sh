#!/bin/sh
# tools.bad_input - damaged and foreign files: every subcommand must exit
# with status 2 and one line on stderr naming the file, never crash or
# hang.  The files are made from a good log with h5py.
set -u
W="$WORK/bad_input"
rm -rf "$W" && mkdir -p "$W" || exit 1
fail() {
  echo "tools.bad_input: $*"
  exit 1
}
good="$W/good.h5"
timeout 60 "$MPIEXEC" -n 4 --oversubscribe "$GEN_TRACE" "$good" ||
  fail "gen_trace failed"
"$WEFT" info "$good" >/dev/null || fail "the good file is not read"

/usr/bin/python3 - "$W" "$good" <<'PY' || fail "making the bad files"
import os, shutil, sys
import h5py, numpy as np
w, good = sys.argv[1], sys.argv[2]
def copy(name):
    p = os.path.join(w, name + ".h5")
    shutil.copy(good, p)
    return p
open(os.path.join(w, "not_hdf5.h5"), "w").write("hello, not HDF5\n")
with h5py.File(os.path.join(w, "other_hdf5.h5"), "w") as f:
    f["x"] = np.arange(10)
with h5py.File(copy("newer_version"), "r+") as f:
    f.attrs.modify("format_version", np.array([2, 0], dtype=np.uint32))
data = open(good, "rb").read()
open(os.path.join(w, "truncated.h5"), "wb").write(data[: len(data) // 2])
open(os.path.join(w, "truncated_tail.h5"), "wb").write(data[: len(data) - 4096])
with h5py.File(copy("segment_outside_heap"), "r+") as f:
    seg = f["segments"][0]
    seg["payload_start"] = 1 << 40
    f["segments"][0] = seg
with h5py.File(copy("name_outside_heap"), "r+") as f:
    row = f["names"][0]
    row["off"] = 1 << 33
    f["names"][0] = row
with h5py.File(copy("record_size"), "r+") as f:
    ev = f["events"][0]
    ev["size"] = 1 << 30
    f["events"][0] = ev
# a corrupt field encoding: the length of the failure reason string
with h5py.File(copy("corrupt_field"), "r+") as f:
    n = f.attrs["committed"]["segments"]
    segs = f["segments"][:n]
    ev = f["events"]
    done = False
    for s in segs:
        off = int(s["payload_start"])
        for i in range(int(s["event_start"]), int(s["event_start"] + s["event_count"])):
            r = ev[i]
            if r["schema"] == 3 and not done:  # FAILURE: i64 code, u32 len
                pay = f["payload"]
                pay[off + 8: off + 12] = np.frombuffer(
                    np.uint32(0x7fffff).tobytes(), dtype=np.uint8)
                done = True
            off += (int(r["size"]) + 7) & ~7
    assert done, "no failure record"
with h5py.File(copy("segment_thread"), "r+") as f:
    seg = f["segments"][0]
    seg["thread"] = 0xFFFFFFFF
    f["segments"][0] = seg
# the leaf flag (bit 31 of the schema) on a SUCCESS record
with h5py.File(copy("leaf_flag"), "r+") as f:
    n = int(f.attrs["committed"]["events"])
    ev = f["events"]
    i = next(i for i in range(n) if ev[i]["schema"] == 2)
    r = ev[i]
    r["schema"] = 2 | (1 << 31)
    ev[i] = r
with h5py.File(copy("missing_events"), "r+") as f:
    del f["events"]
with h5py.File(copy("missing_names"), "r+") as f:
    del f["names"]
with h5py.File(copy("missing_committed"), "r+") as f:
    del f.attrs["committed"]
PY

check() { # check FILE EXPECTED-TEXT
  for c in tree profile "export --format eliot" info; do
    # shellcheck disable=SC2086
    timeout 30 "$WEFT" $c "$1" >/dev/null 2>"$W/err.txt"
    rc=$?
    [ $rc = 2 ] || fail "weft $c $1: exit status $rc, not 2"
    [ "$(wc -l <"$W/err.txt")" = 1 ] || fail "weft $c $1: not one line: $(cat "$W/err.txt")"
    grep -F -q "$1" "$W/err.txt" || fail "weft $c $1: file not named"
    grep -F -q -- "$2" "$W/err.txt" || fail "weft $c $1: '$(cat "$W/err.txt")' lacks '$2'"
  done
  echo "ok: $(cat "$W/err.txt")"
}
check "$W/missing_file.h5" "cannot open: No such file"
check "$W/not_hdf5.h5" "not an HDF5 file"
check "$W/other_hdf5.h5" "not a Weft log"
check "$W/newer_version.h5" "format version 2.0 is not supported"
check "$W/truncated.h5" "truncated"
check "$W/truncated_tail.h5" "truncated"
check "$W/segment_outside_heap.h5" "outside the payload heap"
check "$W/name_outside_heap.h5" "outside '/strings'"
check "$W/record_size.h5" "record sizes exceed"
check "$W/corrupt_field.h5" "rank 2 thread 0: malformed data: record at byte"
check "$W/segment_thread.h5" "names thread 4294967295"
check "$W/leaf_flag.h5" "leaf flag on a record that is not an action start"
check "$W/missing_events.h5" "missing dataset '/events'"
check "$W/missing_names.h5" "missing dataset '/names'"
check "$W/missing_committed.h5" "attribute 'committed'"
echo "tools.bad_input: ok"
