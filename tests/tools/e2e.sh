#!/bin/sh
# tools.e2e - a 4-rank job written by gen_trace (libweft-mpi) and read back
# by every weft subcommand.  Environment (set by CMakeLists.txt): MPIEXEC,
# WEFT, GEN_TRACE, WEFT_TOOLS_TESTS (this directory), WORK (scratch).
set -u
W="$WORK/e2e"
rm -rf "$W" && mkdir -p "$W" || exit 1
f="$W/job.h5"
fail() {
  echo "tools.e2e: $*"
  exit 1
}
has() { # has FILE TEXT: FILE contains the line fragment TEXT
  grep -F -q -- "$2" "$1" || fail "$1 lacks: $2"
}

# (the arguments after -- are only recorded, for `weft info`'s command line)
timeout 60 "$MPIEXEC" -n 4 --oversubscribe "$GEN_TRACE" "$f" -- --steps 4 \
  "arg with space" "it's" "" || fail "gen_trace failed"

# tree: the talk's layout, continuations under the serializer, folding
"$WEFT" tree "$f" >"$W/tree.txt" || fail "weft tree"
has "$W/tree.txt" "└── job [rank 0] (nranks: 4) ⇒ succeeded ⧖"
has "$W/tree.txt" "    ├── solve [rank 0 thread 1] (n: 0) ⇒ succeeded ⧖"
has "$W/tree.txt" "    ├── solve [rank 2] (n: 20) ⇒ failed ⧖"
has "$W/tree.txt" "    │   ├── compute (arg: -12) ⇒ succeeded ⧖ "
has "$W/tree.txt" "    │   │   └── result: -24"
has "$W/tree.txt" "    │   ├── reason: diverged"
has "$W/tree.txt" "    └── done"
has "$W/tree.txt" "└── hang [rank 3] ⇒ unfinished ⧖ ≥"
[ "$(grep -c '── solve' "$W/tree.txt")" = 4 ] || fail "4 solve lines"
"$WEFT" tree --fold 3 "$f" >"$W/fold.txt" || fail "weft tree --fold"
has "$W/fold.txt" "── solve ×4 on 4 ranks ⇒ 3 succeeded, 1 failed ⧖ min "
has "$W/fold.txt" "(rank 1)"
"$WEFT" tree --ascii --type compute --where 'arg < 0' "$f" >"$W/sel.txt" ||
  fail "weft tree selection"
[ "$(wc -l <"$W/sel.txt")" = 6 ] || fail "selection shows 4 nodes + uuid + blank"
has "$W/sel.txt" '    `-- solve [rank 1] (n: 10) => succeeded took '
has "$W/sel.txt" '        `-- compute (arg: -12) => succeeded took '
LC_ALL=C grep -q '[^ -~]' "$W/sel.txt" && fail "--ascii output is not ASCII"
"$WEFT" tree --status unfinished "$f" | grep -q 'hang' || fail "--status"
"$WEFT" tree --rank 1-2 --type solve --ascii "$f" >"$W/ranks.txt" || fail "--rank"
[ "$(grep -c -- '-- solve' "$W/ranks.txt")" = 2 ] || fail "--rank 1-2"

# two files (a restarted job): each file's continuations stay with its job
# (the same log under two names, as a restarted job's logs look alike):
# each node names its file beside its rank
cp "$f" "$W/again.h5"
"$WEFT" tree --ascii --depth 2 "$f" "$W/again.h5" >"$W/two.txt" ||
  fail "two files"
[ "$(grep -c -- '-- solve \[job.h5 rank' "$W/two.txt")" = 4 ] &&
  [ "$(grep -c -- '-- solve \[again.h5 rank' "$W/two.txt")" = 4 ] ||
  fail "two files: 4 solves under each job, each naming its file"
# two logs of one name in two directories: their paths tell them apart
mkdir -p "$W/other" && cp "$f" "$W/other/job.h5"
"$WEFT" tree --ascii --depth 2 "$f" "$W/other/job.h5" >"$W/same.txt" ||
  fail "two files of one name"
[ "$(grep -cF -- "-- solve [$W/other/job.h5 rank" "$W/same.txt")" = 4 ] &&
  [ "$(grep -cF -- "-- solve [$f rank" "$W/same.txt")" = 4 ] ||
  fail "two files of one name: each solve names its file's path"

# profile: the slow input, per rank, imbalance; csv and json parse
"$WEFT" profile "$f" >"$W/profile.txt" || fail "weft profile"
grep -A1 '^slowest compute:' "$W/profile.txt" | grep -q 'rank 1 (arg: -12)' ||
  fail "slowest compute is not rank 1 arg -12"
has "$W/profile.txt" "straggler rank 1"
"$WEFT" profile --format json "$f" >"$W/profile.json" || fail "profile json"
"$WEFT" profile --format csv "$f" >"$W/profile.csv" || fail "profile csv"
/usr/bin/python3 - "$W/profile.json" "$W/profile.csv" <<'PY' || fail "profile json/csv"
import csv, json, sys
p = json.load(open(sys.argv[1]))
calc = [t for t in p["types"] if t["type"] == "compute"][0]
assert calc["count"] == 20, calc["count"]
assert calc["slowest"][0]["inputs"] == {"arg": -12}
assert calc["slowest"][0]["rank"] == 1
assert len(calc["ranks"]) == 4
assert calc["imbalance"]["straggler_rank"] == 1
rows = list(csv.DictReader(open(sys.argv[2])))
assert any(r["section"] == "type" and r["type"] == "compute" and
           r["count"] == "20" for r in rows)
PY

# profile of a job whose rank 1 logged nothing: named, not averaged in
i="$W/idle.h5"
timeout 60 "$MPIEXEC" -n 4 --oversubscribe "$GEN_TRACE" "$i" idle ||
  fail "gen_trace idle failed"
"$WEFT" profile "$i" >"$W/idle.txt" || fail "weft profile idle"
has "$W/idle.txt" "load imbalance (types run on every rank that logged events):"
has "$W/idle.txt" "  no events from rank 1 (left out below)"
has "$W/idle.txt" "  work       max/mean "

# exports
"$WEFT" export --format eliot "$f" >"$W/job.jsonl" || fail "export eliot"
/usr/bin/python3 "$WEFT_TOOLS_TESTS/check_eliot.py" "$W/job.jsonl" gen_trace ||
  fail "Eliot's parser"
"$WEFT" export --format chrome -o "$W/job.json" "$f" || fail "export chrome"
"$WEFT" export --format csv "$f" >"$W/job.csv" || fail "export csv"
"$WEFT" tree --full "$f" >"$W/full.txt" || fail "weft tree --full"
/usr/bin/python3 - "$W/job.json" "$W/job.csv" "$W/full.txt" <<'PY' || fail "chrome/csv"
import csv, json, sys
ev = json.load(open(sys.argv[1]))["traceEvents"]
x = [e for e in ev if e["ph"] == "X"]
assert len(x) == 26, len(x)
assert sorted({e["pid"] for e in x}) == [0, 1, 2, 3]
flows = [e for e in ev if e["ph"] in "sf"]
assert len(flows) == 8, len(flows)  # rank 0 -> solve on each rank/thread
rows = list(csv.DictReader(open(sys.argv[2])))
assert len(rows) == 26, len(rows)
slow = max((r for r in rows if r["type"] == "compute"),
           key=lambda r: float(r["elapsed"]))
assert slow["in.arg"] == "-12" and slow["rank"] == "1", slow
assert {r["status"] for r in rows} == {"succeeded", "failed", "unfinished"}
# task_level: the action's own level, empty for a root action
lv = {(r["type"], r["task_level"]) for r in rows}
assert ("job", "") in lv and ("hang", "") in lv, lv
assert {l for t, l in lv if t == "solve"} == {"/2"}, lv
assert all(l.startswith("/2/") for t, l in lv if t == "compute"), lv
# rank 0's solve result "history" was cut by libweft to 4096 bytes: the
# tree ends it with "…" even in full; the CSV keeps the kept text and says
# cut.out.history = true (empty on the other rows, which lack the field)
kept = ("0123456789" * 410)[:4096]
tree = open(sys.argv[3], encoding="utf-8").read()
assert "\u2500\u2500 history: " + kept + "\u2026\n" in tree, "tree --full"
hist = [r for r in rows if r["out.history"]]
assert len(hist) == 1 and hist[0]["rank"] == "0", hist
assert hist[0]["out.history"] == kept and hist[0]["cut.out.history"] == "true"
assert all(r["cut.out.history"] == "" for r in rows if r is not hist[0])
PY

# info
"$WEFT" info "$f" >"$W/info.txt" || fail "weft info"
has "$W/info.txt" "format:    weft-h5 2.0"
has "$W/info.txt" "ranks:     4 on 1 host"
has "$W/info.txt" "flushes:   3 epochs committed"
has "$W/info.txt" "tree:      26 actions (24 succeeded, 1 failed, 1 unfinished), 21 messages, 2 tasks"
has "$W/info.txt" "dropped:   0 events"
has "$W/info.txt" "notices:   none (no weft:limit"
has "$W/info.txt" "globals:   rank 3: case=gen_trace, seed=42"
has "$W/info.txt" "state:     closed (by weft_mpi_finalize, or by the last flush at a stop signal or near the job's end time: weft recover adds what was logged later)"
# the command line, quoted for a shell: pasted into one it gives back the
# arguments
has "$W/info.txt" " -- --steps 4 'arg with space' 'it'\\''s' ''"
cmd=$(sed -n 's/^command:   //p' "$W/info.txt")
eval "set -- $cmd"
[ $# = 8 ] && [ "$3" = "--" ] && [ "$6" = "arg with space" ] &&
  [ "$7" = "it's" ] && [ "$8" = "" ] || fail "command line: $cmd"

# leaf rows (format 2.0): short actions whose only record is their row of
# /actions, with times on the job timeline, which the tools map back to
# the rank's clock.  gen_trace's benchmark mode nests a "kernel" leaf in
# every "step"; ranks 1 and 2 have clocks that drift (2000 and -1500 ppm),
# so their offsets are interpolated between samples.  Every action the
# tools show must have the start and end of its /actions row to the
# nanosecond (the kernels: times the tools got back from the row; the
# steps: the tools' mapping of their records against the writer's), and
# each kernel must be in its step.  30000 steps make 150000 items per
# rank: the reader takes them in two chunks.
l="$W/leaves.h5"
WEFT_TEST_CLOCK_SKEW_NS="1:100000:2000,2:-50000:-1500" timeout 60 \
  "$MPIEXEC" -n 4 --oversubscribe "$GEN_TRACE" "$l" 30000 ||
  fail "gen_trace (benchmark mode) failed"
"$WEFT" info "$l" >"$W/leaves_info.txt" || fail "weft info (leaf rows)"
has "$W/leaves_info.txt" "/actions:  240000 rows: every action (120000 leaf rows"
has "$W/leaves_info.txt" "tree:      240000 actions (240000 succeeded, 0 failed, 0 unfinished), 120000 messages, 120000 tasks"
"$WEFT" export --format csv "$l" >"$W/leaves.csv" || fail "export csv (leaf rows)"
/usr/bin/python3 - "$l" "$W/leaves.csv" <<'PY' || fail "leaf rows"
import collections, csv, sys
from decimal import Decimal
import h5py
with h5py.File(sys.argv[1], "r") as f:
    c = f.attrs["committed"]
    text = f["strings"][: c["strings"]].tobytes()
    names = {(int(n["rank"]), int(n["id"])): text[n["off"]:n["off"] + n["len"]].decode()
             for n in f["names"][: c["names"]]}
    types = {(int(s["rank"]), int(s["id"])): names.get((int(s["rank"]), int(s["type_name"])))
             for s in f["schemas"][: c["schemas"]]}
    rows = collections.Counter(
        (int(a["rank"]), types[(int(a["rank"]), int(a["schema"]))],
         int(a["start_ns"]), int(a["end_ns"]))
        for a in f["actions"][: c["actions"]])
ns = lambda x: int(Decimal(x) * 10**9)
acts = list(csv.DictReader(open(sys.argv[2])))
got = collections.Counter((int(a["rank"]), a["type"], ns(a["start"]), ns(a["end"]))
                          for a in acts)
assert sum(rows.values()) == 240000 and got == rows, (
    "rows the tools differ on: %s; rows they lack: %s"
    % (list((got - rows).items())[:3], list((rows - got).items())[:3]))
tasks = collections.defaultdict(dict)
for a in acts:
    tasks[a["task_uuid"]][a["type"]] = a
for t in tasks.values():
    step, kernel = t["step"], t["kernel"]
    assert step["task_level"] == "" and kernel["task_level"] == "/2", t
    assert int(kernel["in.size"]) == int(step["in.i"]) & 1023, t
    assert ns(step["start"]) <= ns(kernel["start"]) <= ns(kernel["end"]) <= ns(step["end"]), t
PY

# a crashed job (MPI_Abort after a flush): open actions become unfinished
c="$W/crash.h5"
timeout 60 "$MPIEXEC" -n 4 --oversubscribe "$GEN_TRACE" "$c" crash \
  >/dev/null 2>&1
[ -s "$c" ] || fail "gen_trace crash wrote no log"
"$WEFT" tree "$c" >"$W/crash.txt" || fail "weft tree on a crashed job"
has "$W/crash.txt" "└── job [rank 0] (nranks: 4) ⇒ unfinished ⧖ ≥"
[ "$(grep -c '── solve .* ⇒ unfinished ⧖ ≥' "$W/crash.txt")" = 4 ] ||
  fail "4 unfinished solves"
[ "$(grep -c '── compute' "$W/crash.txt")" = 8 ] || fail "8 computes"
"$WEFT" info "$c" | grep -q "^state:     writing" || fail "crash state"
"$WEFT" export --format eliot "$c" >"$W/crash.jsonl" || fail "crash export"
/usr/bin/python3 - "$W/crash.jsonl" <<'PY' || fail "crash export parse"
import json, sys
from eliot.parse import Parser
p, done = Parser(), []
for line in open(sys.argv[1]):
    c, p = p.add(json.loads(line))
    done += c
assert not done and len(p.incomplete_tasks()) == 1
PY

# help: every subcommand answers --help with the synopsis of docs/tools.md
for c in tree profile export info; do
  "$WEFT" "$c" --help >"$W/help.txt" || fail "weft $c --help"
  "$WEFT" help "$c" | cmp -s - "$W/help.txt" || fail "weft help $c"
  synopsis=$(head -1 "$W/help.txt" | sed 's/^usage: //')
  grep -F -q -- "$synopsis" "$WEFT_TOOLS_TESTS/../../docs/tools.md" ||
    fail "docs/tools.md lacks the synopsis '$synopsis'"
done
"$WEFT" help >/dev/null || fail "weft help"
"$WEFT" frobnicate 2>/dev/null
[ $? = 2 ] || fail "unknown command must exit 2"
"$WEFT" tree --frobnicate "$f" 2>/dev/null
[ $? = 2 ] || fail "unknown option must exit 2"
echo "tools.e2e: ok"
