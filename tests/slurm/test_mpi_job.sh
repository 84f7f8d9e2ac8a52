#!/usr/bin/env bash
# test_mpi_job.sh SCRIPT - slurm-examples/SCRIPT (mpi_job.sbatch: mpirun,
# or mpi_job_srun.sbatch: srun --mpi=pmix) on the test cluster.  Checks:
# the job completed; its one log holds the 4 ranks of examples/mpi_job,
# closed, with every action type; the tree it printed shows them and rank
# 3's failed validation; the profile names the slow input (compute with
# x: 9) and the rank it ran on (2).
set -eu
# shellcheck source-path=SCRIPTDIR source=job-lib.sh
. "$(dirname "$0")/job-lib.sh"
job_test_init

submit "$1"
state=$(job_field "$jid" JobState)
[ "$state" = COMPLETED ] || fail "job $jid is $state, not COMPLETED"

log=weft-$jid.h5 tree=weft-$jid.tree.txt profile=weft-$jid.profile.txt
log_ok "$log" --ranks 4 --state closed --job "$jid" \
  --types simulation,rank_main,setup,timestep,compute,halo,reduce,validate,checkpoint

expect "$tree" '^└── simulation \[rank 0\].*succeeded' "the tree's root"
for type in rank_main setup timestep compute halo reduce validate checkpoint; do
  expect "$tree" "── $type " "the tree shows the $type actions"
done
expect "$tree" 'rank_main \[rank 3\]' "rank 3's part nests in the tree"
expect "$tree" 'validate \(attempt: 1.*failed' "the failed validation"
expect "$tree" 'reason: residual above tolerance' "the failure's reason"

# compute with x: 9 busy-waits 20 ms, the others at most 1.2 ms; on a
# loaded machine a few others may still be preempted for as long, so the
# check asks for 2 of the 3 slow calls among the 5 slowest (`weft
# profile` lists 5), and a positive rank correlation of x with time.
expect_in_block "$profile" '^slowest compute' 'rank 2 \(x: 9, ' 2 \
  "the slowest computes are rank 2's, input x: 9"
expect_in_block "$profile" '^slowest compute' 'Spearman.*x \+0\.[5-9]' 1 \
  "elapsed time grows with the input x"
expect "$(echo ./*-"$jid".out)" '^slowest compute' "the job printed the profile"
say "ok: job $jid, $log"
