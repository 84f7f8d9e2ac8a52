#!/usr/bin/env bash
# test_multinode_recover.sh - slurm-examples/multinode.sbatch on one node
# when a rank dies: examples/hybrid_job, 2 ranks, flushing every 5 steps,
# rank 1 kills itself (SIGKILL) at step 12.  srun ends the step
# (--kill-on-bad-exit), the script runs `weft recover` with one process
# per node, reading the node-local journals.  Checks: the job completed
# (the recovery worked); the log holds both ranks, each with steps 10 and
# 11 (logged after the last flush, which followed step 9: they can only
# come from the journals) and unfinished actions; the journal directory is
# gone.
set -eu
# shellcheck source-path=SCRIPTDIR source=job-lib.sh
. "$(dirname "$0")/job-lib.sh"
job_test_init
"$WEFT_HOME/tools/weft" recover --help >/dev/null 2>&1 ||
  fail "the weft command of $WEFT_HOME has no working 'recover'"

export APP="$WEFT_HOME/examples/hybrid_job" APP_ARGS="-s 40 -m 20 -f 5 -k 1:12"
submit multinode.sbatch --nodes=1 --ntasks-per-node=2
state=$(job_field "$jid" JobState)
[ "$state" = COMPLETED ] || fail "job $jid is $state, not COMPLETED"
out=weft-multinode-$jid.out
expect "$out" 'the application ended with status [1-9]' "the rank's death"
[ ! -e "/tmp/weft-journal-$jid" ] ||
  fail "the job left its journal directory /tmp/weft-journal-$jid"
log=weft-$jid.h5 tree=weft-$jid.tree.txt
log_ok "$log" --ranks 2 --job "$jid"
n=$(grep -cE -- '── step \(step: 11\)' "$tree" || true)
[ "$n" -ge 2 ] || fail "$tree: step 11 of $n ranks, expected 2 (journals)"
for rank in 0 1; do
  expect "$tree" "solve \[rank $rank\].*unfinished" \
    "rank $rank's solve action is shown unfinished"
done
say "ok: job $jid, $log"
