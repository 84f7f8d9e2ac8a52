#!/usr/bin/env bash
# leaf_continue.sh APP WEFT OUTDIR - fault.leaf_continue (leaf_continue.c):
# a job killed after a flush whose committed part holds a continued leaf (a
# CONTINUE record, then the leaf row of /actions that is its action's only
# record: no fields, no payload); after `weft recover`, every action has
# one /actions row (the open ones unfinished, the leaf row succeeded) and
# the Eliot task levels rebuilt from the streams place "inner" in "outer",
# after the continued action took root's slot, not outer's.
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
"$weft" export -f eliot "$out/log.h5" >log.jsonl 2>export.err ||
  fail "weft export: $(cat export.err)"
/usr/bin/python3 - "$out/log.h5" log.jsonl <<'PY' || fail "wrong /actions rows or levels"
import json
import sys
import h5py
import numpy as np
bad = []
with h5py.File(sys.argv[1], "r") as f:
    c = f.attrs["committed"]
    text = f["strings"][: c["strings"]].tobytes()
    names = {int(n["id"]): text[n["off"]:n["off"] + n["len"]].decode()
             for n in f["names"][: c["names"]]}
    types = {int(s["id"]): names.get(int(s["type_name"]))
             for s in f["schemas"][: c["schemas"]]}
    status = {v: k for k, v in
              h5py.check_enum_dtype(f["types/status_t"].dtype).items()}
    acts = f["actions"][: c["actions"]]
    leaf = np.zeros(len(acts), dtype=bool)
    for s in f["segments"][: c["segments"]]:
        leaf[int(s["leaf_start"]):int(s["leaf_start"] + s["leaf_count"])] = 1
    rows = {}
    for a, is_leaf in zip(acts, leaf):
        rows.setdefault(types.get(int(a["schema"])), []).append(
            (status[a["status"]], bool(is_leaf)))
want = {"root": [("unfinished", False)], "outer": [("unfinished", False)],
        "inner": [("unfinished", False)], "cont": [("succeeded", True)]}
if rows != want:
    bad.append("rows %s, expected %s" % (rows, want))
levels = {}
for line in open(sys.argv[2]):
    m = json.loads(line)
    if m.get("action_status") == "started":
        levels[m["action_type"]] = (m["task_level"], m["task_uuid"])
want_levels = {"root": [1], "outer": [2, 1], "cont": [3, 1], "inner": [2, 2, 1]}
got = {k: levels.get(k, (None,))[0] for k in want_levels}
if got != want_levels:
    bad.append("task levels %s, expected %s" % (got, want_levels))
if len({levels[k][1] for k in want_levels if k in levels}) != 1:
    bad.append("the actions are not in one task: %s" % levels)
for b in bad:
    print("leaf_continue: " + b, file=sys.stderr)
sys.exit(1 if bad else 0)
PY
