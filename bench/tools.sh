#!/bin/sh
# bench/tools.sh - speed of the `weft` command (issue 4's benchmark).
#
#   bench/tools.sh [BUILD_DIR]      (default: build)
#
# Writes a log of about 10^7 events from 4 ranks with tests/tools/gen_trace
# (500k "step" actions per rank, each with a nested "kernel" action and a
# "tick" message: 5 events), then times `weft tree >/dev/null`, `weft
# profile` and `weft export --format eliot`, printing events per second and
# peak memory (bytes per event), and times Eliot's own parser
# (eliot.parse.Parser, /usr/bin/python3) on the first ELIOT_LINES (200000)
# exported lines, extrapolated per event.
# Wall and CPU (user + system) time are both shown: the machine may be
# shared.  Targets: tree and profile >= 5e6 events/s on one core and >= 100x Eliot's
# parser; peak memory <= 100 bytes per event.
set -eu
B=${1:-build}
STEPS=${STEPS:-500000}
ELIOT_LINES=${ELIOT_LINES:-200000}
T=${TMPDIR:-/tmp}/weft-bench-tools.$$
mkdir -p "$T"
trap 'rm -rf "$T"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
mpiexec -n 4 --oversubscribe "$B/tests/tools/gen_trace" "$T/bench.h5" "$STEPS"
EVENTS=$(( STEPS * 4 * 5 ))
echo "log: $(du -h "$T/bench.h5" | cut -f1), $EVENTS events from 4 ranks"

run() { # run NAME COMMAND...: wall seconds and peak RSS of COMMAND
  name=$1
  shift
  /usr/bin/time -f "%e %M %U %S" -o "$T/time" "$@"
  set -- $(cat "$T/time")
  awk -v n="$name" -v s="$1" -v kb="$2" -v cpu="$3" -v sys="$4" \
      -v ev="$EVENTS" 'BEGIN {
    printf "%-18s %6.2f s wall %6.2f M ev/s | %5.2f s cpu %6.2f M ev/s" \
           " | peak %5.0f MB = %5.1f B/event\n", n, s, ev / s / 1e6,
           cpu + sys, ev / (cpu + sys) / 1e6, kb / 1024, kb * 1024 / ev }'
  echo "$1" >"$T/last"
}
run "weft tree" sh -c "'$B/tools/weft' tree '$T/bench.h5' >/dev/null"
tree_s=$(cat "$T/last")
run "weft profile" sh -c "'$B/tools/weft' profile '$T/bench.h5' >/dev/null"
prof_s=$(cat "$T/last")
run "weft export eliot" sh -c \
  "'$B/tools/weft' export --format eliot '$T/bench.h5' >'$T/bench.jsonl'"
head -n "$ELIOT_LINES" "$T/bench.jsonl" >"$T/head.jsonl"
/usr/bin/python3 - "$T/head.jsonl" "$tree_s" "$prof_s" "$EVENTS" <<'PY'
import json, sys, time
from eliot.parse import Parser
path, tree_s, prof_s, events = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
t0 = time.perf_counter()
n = 0
tasks = 0
with open(path) as f:
    for done in Parser.parse_stream(json.loads(line) for line in f):
        tasks += 1
n = sum(1 for _ in open(path))
dt = time.perf_counter() - t0
rate = n / dt
print("eliot.parse.Parser %6.2f s wall %6.3f M ev/s (%d lines, %d tasks)"
      % (dt, rate / 1e6, n, tasks))
print("speed-up over Eliot's parser: tree %.0fx, profile %.0fx"
      % (events / tree_s / rate, events / prof_s / rate))
PY
