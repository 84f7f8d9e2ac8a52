#!/usr/bin/env bash
# test_timelimit.sh - slurm-examples/timelimit.sbatch as it is:
# examples/hybrid_job running with no end (-s 0, a flush every 20 steps)
# into a 1-minute time limit.  Slurm sends the batch shell SIGUSR1
# (--signal=B:USR1@30, forwarded to the ranks: their next flush closes the
# log), then SIGTERM at the limit (the ranks die), then SIGKILL.  Checks:
# the job ended in TIMEOUT; the script saw both signals and outlived the
# ranks; the log holds both ranks and what they logged up to the kill:
# each rank's last event lies within 5 s of the kill (without the journals
# the log would end at the USR1 flush, 30 s or more earlier), and the
# actions running at the kill are unfinished.  Takes 60-90 s: Slurm
# enforces limits in whole minutes, checked every 30 s or so.
set -eu
# shellcheck source-path=SCRIPTDIR source=job-lib.sh
. "$(dirname "$0")/job-lib.sh"
job_test_init
"$WEFT_HOME/tools/weft" recover --help >/dev/null 2>&1 ||
  fail "the weft command of $WEFT_HOME has no working 'recover'"

submit --may-fail timelimit.sbatch
state=$(job_field "$jid" JobState)
[ "$state" = TIMEOUT ] || fail "job $jid is $state, not TIMEOUT"
end=$(date -d "$(job_field "$jid" EndTime)" +%s)

out=weft-timelimit-$jid.out
expect "$out" 'SIGUSR1: time limit near' "the batch shell got --signal USR1"
expect "$out" 'SIGTERM: time limit reached' "the batch shell got SIGTERM"
expect "$out" 'launcher ended with status [1-9]' "the script outlived mpirun"
expect "$out" 'completing .* from the journals' "the script ran weft recover"
log=weft-$jid.h5 tree=weft-$jid.tree.txt
log_ok "$log" --ranks 2 --job "$jid" --last-event-after $((end - 5))
for rank in 0 1; do
  expect "$tree" "solve \[rank $rank\].*unfinished" \
    "rank $rank's solve action is shown unfinished"
done
expect "$tree" '── step \(step: [0-9]+\).*unfinished' \
  "the step running at the kill is shown unfinished"
say "ok: job $jid ($state at $(date -u -d "@$end" +%T)), $log"
