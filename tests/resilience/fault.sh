#!/usr/bin/env bash
# fault.sh SCENARIO FAULT_APP WEFT OUTDIR - one fault test (label `fault`).
#
# Runs fault_app (4 ranks) into a failure, runs `weft recover`, and checks
# the log with check_fault.py against the counters each rank kept: every
# step a rank finished is in the log, nothing it did not log is, and the
# actions that were running are unfinished in `weft tree`.  Then checks
# that a second `weft recover` changes nothing.
#
#   kill9      a random rank SIGKILLs itself at a random step (3..40;
#              FAULT_STEP and FAULT_VICTIM choose), flushes every 5 steps;
#              `weft recover` with the journals moved away first must
#              change nothing and warn that the open log misses its end
#   segv       rank 1 segfaults inside "inner" at step 8
#   abort      rank 3 calls MPI_Abort at step 11
#   term       rank 0 SIGTERMs every rank at step 12: the flush at step 15
#              is the last, the log is complete without recovery (a
#              journal may be left by a rank that mpirun killed first, but
#              holds nothing new)
#   term_kill  as term at step 7, but SIGKILL follows 300 ms later, before
#              any flush: everything after step 4 comes from the journals
#   truncated  kill9, then rank 2's journal is cut inside its last record
#   flipped    kill9, then one bit of rank 2's journal header is flipped:
#              that journal is refused, the others are recovered
#   rebuild    kill9, then the log is damaged (its bytes replaced by a
#              line of text; an empty file is no log to keep, and weft
#              recover simply writes over it): it is moved aside
#              and rebuilt from the journals alone, after two rebuilds whose
#              writes all fail (the ENOSPC shim), each of which must put the
#              damaged log back as it was
#   usr1       rank 1 sends every rank SIGUSR1 at step 6: the flush at step
#              9 is the last; the job runs on to step 17 and ends cleanly;
#              the steps after the last flush come from the journals
#   endtime    SLURM_JOB_END_TIME is 30 s away (WEFT_END_MARGIN 60): the
#              first flush is the last; as usr1 otherwise
#   closekill  the job runs to weft_mpi_finalize and rank 0 dies inside its
#              H5Fclose: the last flush's events must come back from the
#              journals (they were handed to HDF5, not yet in the file)
#   retry      as usr1 (the "run" rows the stop signal wrote unfinished
#              must become succeeded), and two `weft recover` runs that fail
#              before a third one succeeds: on a full disk (nospace.so),
#              then with every write to the log failing (the ENOSPC shim
#              of tests/mpi, WEFT_TEST_ENOSPC_SHIM); the failed ones must
#              have changed nothing
#   split      kill9, recovered by an MPI job of 2 processes, each reading
#              the journals of 2 ranks (WEFT_TEST_RECOVER_SPLIT: as if the
#              ranks were on 2 nodes) and writing the log together
set -u
scenario=$1 app=$2 weft=$3 out=$4
here=$(cd "$(dirname "$0")" && pwd)
py=/usr/bin/python3
rm -rf "$out" && mkdir -p "$out/counts" || exit 1
cd "$out" || exit 1
log=$out/log.h5
fail() {
  echo "FAIL ($scenario): $*" >&2
  exit 1
}

mode=$scenario step=13 victim=2
case $scenario in
kill9)
  step=${FAULT_STEP:-$((RANDOM % 38 + 3))} victim=${FAULT_VICTIM:-$((RANDOM % 4))}
  echo "kill9: FAULT_STEP=$step FAULT_VICTIM=$victim"
  ;;
truncated | flipped | rebuild | split) mode=kill9 ;;
usr1) step=6 victim=1 ;;
retry) mode=usr1 step=6 victim=1 ;;
endtime)
  mode=none step=6 victim=-1
  export SLURM_JOB_END_TIME=$(($(date +%s) + 30)) WEFT_END_MARGIN=60
  ;;
segv) step=8 victim=1 ;;
closekill) step=6 victim=0 ;;
abort) step=11 victim=3 ;;
term) step=12 victim=0 ;;
term_kill) mode=term-kill step=7 victim=0 ;;
*) fail "unknown scenario" ;;
esac

timeout 50 mpirun -np 4 --oversubscribe "$app" "$log" counts "$mode" \
  "$step" "$victim" 5 >app.out 2>&1
rc=$?
[ "$rc" -ne 124 ] || fail "the job hung (timeout)"
case $mode in
usr1 | none)
  [ "$rc" -eq 0 ] || fail "the job ended with status $rc: $(cat app.out)"
  unset SLURM_JOB_END_TIME
  ;;
*) [ "$rc" -ne 0 ] || fail "the job ended with status 0; expected a failure" ;;
esac
[ -f "$log" ] || fail "no log was written"

expect_args=()
case $scenario in
term)
  # The last flush happened in the job: complete before any recovery.
  "$weft" export -f eliot "$log" >before.jsonl 2>export.err ||
    fail "export of the log written at SIGTERM: $(cat export.err)"
  "$py" "$here/check_fault.py" before.jsonl counts 4 --complete ||
    fail "the log written at SIGTERM misses events"
  ;;
truncated)
  # Cut rank 2's journal 4 bytes into the payload of its last record (the
  # "tick" of step 14): that record is lost, everything before is kept.
  j=$("$py" "$here/journal_tool.py" find "$log.journal" 2) || fail "no journal"
  "$py" "$here/journal_tool.py" truncate-last "$j" 12 ||
    fail "cannot truncate $j"
  expect_args=(--torn 2)
  ;;
flipped)
  j=$("$py" "$here/journal_tool.py" find "$log.journal" 2) || fail "no journal"
  "$py" "$here/journal_tool.py" flip "$j" 200 || fail "cannot flip $j"
  expect_args=(--refused 2)
  ;;
rebuild)
  echo "not a log any more" >"$log"
  ;;
esac

# weft recover with every write to the log failing (the ENOSPC shim of
# tests/mpi): it must fail (exit 1) without hanging or crashing.
broken_recover() {
  WEFT_TEST_ENOSPC=write WEFT_TEST_ENOSPC_FILE=$log \
    LD_PRELOAD=$WEFT_TEST_ENOSPC_SHIM timeout 50 "$weft" recover "$log" \
    >broken.out 2>&1
  rc=$?
  [ "$rc" -eq 1 ] || fail "weft recover on a failing disk exited $rc, not 1: $(cat broken.out)"
}
if [ "$scenario" = rebuild ]; then
  # A rebuild whose writes all fail: exit 1, the damaged log put back as it
  # was, no LOG.damaged left and no half-made log; twice, so that a second
  # failure cannot overwrite the first one's LOG.damaged either.
  sum=$(md5sum <"$log")
  for attempt in 1 2; do
    broken_recover
    grep -q "put back as it was" broken.out ||
      fail "the damaged log was not put back: $(cat broken.out)"
    [ "$(md5sum <"$log")" = "$sum" ] || fail "a failed rebuild changed the log"
    ls "$log".damaged* >/dev/null 2>&1 && fail "a failed rebuild left $(ls "$log".damaged*)"
  done
fi
if [ "$scenario" = kill9 ]; then
  # Without its journals, recovery has nothing to add, but the log was left
  # open: it must say that what came after the last flush is missing.
  sum=$(md5sum <"$log")
  mv "$log.journal" "$out/aside.journal" || fail "cannot move the journals"
  "$weft" recover "$log" >nojournal.out 2>&1 ||
    fail "weft recover without journals failed: $(cat nojournal.out)"
  grep -q "nothing to recover" nojournal.out &&
    grep -q "not closed (state writing)" nojournal.out ||
    fail "no warning about the open log: $(cat nojournal.out)"
  [ "$(md5sum <"$log")" = "$sum" ] || fail "recover without journals changed the log"
  mv "$out/aside.journal" "$log.journal" || fail "cannot move the journals back"
fi
if [ "$scenario" = retry ]; then
  sum=$(md5sum <"$log")
  LD_PRELOAD=$(dirname "$app")/nospace.so "$weft" recover "$log" \
    >full.out 2>&1 && fail "weft recover succeeded on a full disk"
  grep -q "no room" full.out || fail "no 'no room' error: $(cat full.out)"
  [ "$(md5sum <"$log")" = "$sum" ] || fail "a failed recover changed the log"
  # Room, but every write to the log fails (a disk error): the recover
  # fails with the error, neither hangs nor crashes, and the log stays as
  # it was (metadata_discard.c).
  broken_recover
  grep -q "recovery failed: .*No space left on device" broken.out ||
    fail "no write error: $(cat broken.out)"
  [ "$(md5sum <"$log")" = "$sum" ] || fail "a failed recover changed the log"
fi
if [ "$scenario" = split ]; then
  WEFT_TEST_RECOVER_SPLIT=1 timeout 50 mpirun -np 2 --oversubscribe \
    "$weft" recover "$log" >recover.out 2>recover.err
else
  "$weft" recover "$log" >recover.out 2>recover.err
fi
rc=$?
cat recover.out
[ "$rc" -eq 0 ] || fail "weft recover exited $rc: $(cat recover.err)"
case $scenario in
term) grep -q "nothing to recover" recover.out ||
  fail "a complete log was changed by weft recover" ;;
truncated) grep -q "cut: thread 0" recover.out ||
  fail "the cut was not reported" ;;
flipped) grep -q "journal header checksum mismatch" recover.out ||
  fail "the damaged journal was not reported" ;;
rebuild)
  grep -q "rebuilt: " recover.out || fail "the damaged log was not rebuilt"
  [ -f "$log.damaged" ] || fail "the damaged log was not kept aside"
  ;;
*) grep -q "completed: " recover.out || fail "nothing was recovered"
  "$weft" info "$log" | grep -q "completed by weft recover .*(1 epoch)" ||
    fail "weft info does not say the log was recovered" ;;
esac

"$weft" export -f eliot "$log" >after.jsonl 2>export.err ||
  fail "export after recovery: $(cat export.err)"
"$weft" tree --color=never "$log" >tree.txt 2>tree.err ||
  fail "weft tree after recovery: $(cat tree.err)"
"$py" "$here/check_fault.py" after.jsonl counts 4 --tree tree.txt \
  --victim "$victim" --mode "$mode" "${expect_args[@]}" ||
  fail "the recovered log is wrong"

# The /actions rows of the actions open across the last commit (every
# rank's "run"): rebuilt from the log's committed part.  A log rebuilt
# from the journals alone has no committed part to rebuild them from.
run_status=unfinished skip=()
case $mode in usr1 | none | closekill) run_status=succeeded skip=(--threads 2) ;; esac
[ "$scenario" = flipped ] && skip=(--skip 2)
if [ "$scenario" != rebuild ]; then
  "$py" "$here/check_actions.py" "$log" 4 "$run_status" "${skip[@]}" ||
    fail "/actions misses the actions open across the last commit"
fi

# Idempotent: a second run says so and leaves the file as it is.
sum=$(md5sum <"$log")
"$weft" recover "$log" >again.out 2>&1 || fail "second recover failed"
grep -q "nothing to recover" again.out ||
  fail "second recover did something: $(cat again.out)"
[ "$(md5sum <"$log")" = "$sum" ] || fail "second recover changed the log"
echo "ok: $scenario"
