#!/usr/bin/env bash
# leaf_continue.sh APP WEFT OUTDIR - fault.leaf_continue (leaf_continue.c):
# a job killed after a flush whose committed part holds a continued leaf;
# after `weft recover`, /actions gives each open action its depth.
set -u
app=$1 weft=$2 out=$3
rm -rf "$out" && mkdir -p "$out" && cd "$out" || exit 1
fail() {
  echo "FAIL (leaf_continue): $*" >&2
  exit 1
}
timeout 50 mpirun -np 1 "$app" "$out/log.h5" >app.out 2>&1
[ $? -ne 0 ] || fail "the job was to kill itself"
"$weft" recover "$out/log.h5" >recover.out 2>&1 ||
  fail "weft recover: $(cat recover.out)"
/usr/bin/python3 - "$out/log.h5" <<'PY' || fail "wrong /actions rows"
import sys
import h5py
with h5py.File(sys.argv[1], "r") as f:
    c = f.attrs["committed"]
    text = f["strings"][: c["strings"]].tobytes()
    names = {int(n["id"]): text[n["off"]:n["off"] + n["len"]].decode()
             for n in f["names"][: c["names"]]}
    status = {v: k for k, v in
              h5py.check_enum_dtype(f["types/status_t"].dtype).items()}
    rows = {names[int(a["type"])]: (int(a["depth"]), status[a["status"]])
            for a in f["actions"][: c["actions"]]}
want = {"root": (0, "unfinished"), "outer": (1, "unfinished"),
        "inner": (2, "unfinished")}
bad = {k: rows.get(k) for k in want if rows.get(k) != want[k]}
if bad:
    print("leaf_continue: rows %s, expected %s" % (rows, want),
          file=sys.stderr)
    sys.exit(1)
PY
