#!/usr/bin/env bash
# talk_examples.sh multiplysum|complex_calc - run one of the talk's examples
# and check that its trace shows what the talk says it shows.
set -euo pipefail
: "${MPIEXEC:?}" "${WEFT:?}" "${WORK:?}"
fail() {
  echo "FAIL: $*" >&2
  exit 1
}

case "${1:-}" in
multiplysum)
  log="$WORK/multiplysum.h5"
  rm -f "$log"
  out=$("$MPIEXEC" -n 1 "$MULTIPLYSUM" "$log" 2>/dev/null)
  [[ $out == 0 ]] || fail "multiplysum printed '$out', expected the wrong 0"
  tree=$("$WEFT" tree --ascii "$log")
  printf '%s\n' "$tree"
  # The tree is the talk's: add(1, 2) gives 3, multiply(3, 4) gives 0.
  grep -Eq '^`-- multiplysum \(a: 1, b: 2, c: 4\) => succeeded' <<<"$tree" ||
    fail "no multiplysum root with its inputs"
  grep -A1 -E '\|-- add \(a: 1, b: 2\) => succeeded' <<<"$tree" |
    grep -q 'result: 3' || fail "add(1, 2) does not show result 3"
  grep -A1 -E '\|-- multiply \(a: 3, b: 4\) => succeeded' <<<"$tree" |
    grep -q 'result: 0' || fail "multiply(3, 4) does not show the wrong 0"
  ;;
complex_calc)
  log="$WORK/complex_calc.h5"
  rm -f "$log"
  "$MPIEXEC" -n 2 "$COMPLEX_CALC" "$log" >/dev/null 2>&1 ||
    fail "complex_calc failed"
  prof=$("$WEFT" profile "$log")
  printf '%s\n' "$prof"
  # The slowest complex_calc is the call with input -12, on some rank.
  first=$(grep -A1 '^slowest complex_calc:' <<<"$prof" | tail -n 1)
  grep -Eq 'rank [01] \(i: -12\)' <<<"$first" ||
    fail "slowest complex_calc is '$first', expected input -12 with its rank"
  # Both ranks ran -12 (50 ms against 1 ms for the others): both calls are
  # among the three slowest even if the machine preempts one other call.
  n12=$(grep -A3 '^slowest complex_calc:' <<<"$prof" | grep -c '(i: -12)')
  [[ $n12 == 2 ]] || fail "expected both ranks' -12 among the slowest"
  # The CSV export agrees: the longest complex_calc row has i = -12.
  csv=$("$WEFT" export --format csv "$log")
  python=/usr/bin/python3
  "$python" - "$csv" <<'PY' || fail "CSV export disagrees"
import csv, io, sys
rows = list(csv.DictReader(io.StringIO(sys.argv[1])))
calls = [r for r in rows if r["type"] == "complex_calc"]
assert len(calls) == 14, len(calls)
slow = max(calls, key=lambda r: float(r["elapsed"]))
assert slow["in.i"] == "-12", slow
median = sorted(float(r["elapsed"]) for r in calls)[len(calls) // 2]
assert float(slow["elapsed"]) > 10 * median, (slow, median)
PY
  ;;
*)
  fail "usage: talk_examples.sh multiplysum|complex_calc"
  ;;
esac
echo "ok: $1"
