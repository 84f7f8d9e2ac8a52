#!/bin/sh
# recover_world.sh WEFT TEST DIR NP MPIEXEC... - logs rebuilt by
# weft recover from crash journals keep the ranks' world ranks
# (test_recover_world.c says what each step checks).  MPIEXEC... is the
# mpiexec command line up to the program, for NP ranks.
#   rebuilt    a job on a reversed communicator killed, its log lost:
#              recover rebuilds it from the journals alone, and /ranks
#              has the true world ranks (the journal headers, version 3)
#   completed  the same with the log kept: recover completes it, and the
#              rows libweft-mpi wrote keep their world ranks
#   other run  the same with the log kept, but rank 0's journal says
#              another world rank than the log's row: it is skipped as a
#              journal of another run, and the rows keep their world ranks
#   clash      (NP 2) the journals of two runs, reversed and in order,
#              that name one world rank for both log ranks: the rebuilt
#              log says unknown for both, and the readers take it
set -eu
weft=$1 test=$2 dir=$3 np=$4
shift 4
log=$dir/world.h5
fail() {
  echo "recover_world.sh: $*" >&2
  exit 1
}
fresh() {
  mkdir -p "$dir"
  rm -rf "$log" "$log.journal" "$log".damaged*
}
# A job that dies by SIGKILL (mpiexec says so and fails: ignored, but not
# a check of the program that failed).
job() {
  "$@" "$test" run "$log" $order $drop >"$dir/run.out" 2>&1 || true
  if grep -q "^FAIL" "$dir/run.out"; then
    cat "$dir/run.out" >&2
    fail "the job failed"
  fi
}
recover() {
  out=$("$weft" recover "$log") || fail "weft recover failed: $out"
  printf '%s\n' "$out"
  printf '%s\n' "$out" | grep -q "$1" || fail "weft recover did not say \"$1\""
}

fresh
order=reversed drop=
job "$@"
[ -f "$log" ] || fail "the job wrote no log: $(cat "$dir/run.out")"
rm -f "$log"
recover "rebuilt: "
printf "%s\n" "$out" | grep -q ": rank 0 (world rank $((np - 1)) of $np, " ||
  fail "the journal of rank 0 does not name world rank $((np - 1))"
"$test" check "$log" "$np" whoami || fail "rebuilt: wrong world ranks"
"$weft" info "$log" >/dev/null || fail "rebuilt: weft info refuses the log"

fresh
job "$@"
recover "completed: "
"$test" check "$log" "$np" whoami || fail "completed: wrong world ranks"

fresh
job "$@"
"$test" retag "$log.journal" 0 0 || fail "cannot retag the journal of rank 0"
recover "completed: "
printf '%s\n' "$out" | grep -q "skipped: it is from another run: rank 0 was world rank $((np - 1)) of $np in the log, 0 of $np here" ||
  fail "the journal of another world rank was not skipped"
"$test" check "$log" "$np" reversed || fail "other run: world ranks changed"

if [ "$np" -eq 2 ]; then
  fresh
  # world rank 1 is log rank 0 in the first run and 1 in the second;
  # each drops the journal of its other rank (world rank 0)
  order=reversed drop=1
  job "$@"
  rm -f "$log" # the second run makes it anew
  order=identity drop=0
  job "$@"
  rm -f "$log"
  recover "2 ranks not given the world rank"
  "$test" check "$log" "$np" unknown || fail "clash: world ranks not unknown"
  "$weft" info "$log" >/dev/null || fail "clash: weft info refuses the log"
fi
echo "recover_world.sh: np $np passed"
