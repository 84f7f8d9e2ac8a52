#!/usr/bin/env bash
# test_array_job.sh - slurm-examples/array_job.sbatch (3 tasks), then
# array_view.sbatch after it (--dependency=afterany).  Checks: every task
# wrote its own log weft-<array job>_<task>.h5, recording its array job and
# task; the view's tree shows the three runs (three simulation roots) and
# its profile covers them all (3 x 2 ranks run rank_main).
set -eu
# shellcheck source-path=SCRIPTDIR source=job-lib.sh
. "$(dirname "$0")/job-lib.sh"
job_test_init

submit array_job.sbatch
array=$jid
for task in 0 1 2; do # first the states: scontrol forgets them soon
  state=$(job_field "${array}_$task" JobState)
  [ "$state" = COMPLETED ] || fail "task ${array}_$task is $state"
done
submit array_view.sbatch --dependency=afterany:"$array" \
  --export=ALL,ARRAY_JOB_ID="$array"
for task in 0 1 2; do
  log_ok "weft-${array}_$task.h5" --ranks 2 --state closed \
    --array "${array}_$task" --types simulation,timestep,compute
done
tree=weft-$array.tree.txt profile=weft-$array.profile.txt
expect "weft-array-view-$jid.out" "3 logs of array job $array" \
  "the view found the 3 logs"
# (several logs: each root names its file, [weft-<job>_<task>.h5 rank 0])
roots=$(grep -cE "── simulation \\[weft-${array}_[0-2]\\.h5 rank 0\\]" "$tree" ||
  true)
[ "$roots" -eq 3 ] || fail "$tree: $roots simulation roots, expected 3"
expect "$profile" '^rank_main +6 ' "the profile counts 6 rank_main (3 x 2)"
say "ok: array job $array, view job $jid"
