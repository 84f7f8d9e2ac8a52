#!/usr/bin/env bash
# test_hybrid_job.sh - slurm-examples/hybrid_job.sbatch (srun --mpi=pmix,
# 2 ranks x 2 OpenMP threads) on the test cluster.  Checks: the job
# completed; its log holds both ranks, each with events from 2 threads;
# in the tree, the worker threads' chunks nest under each rank's steps.
set -eu
# shellcheck source-path=SCRIPTDIR source=job-lib.sh
. "$(dirname "$0")/job-lib.sh"
job_test_init

submit hybrid_job.sbatch
state=$(job_field "$jid" JobState)
[ "$state" = COMPLETED ] || fail "job $jid is $state, not COMPLETED"

out=weft-hybrid-$jid.out
expect "$out" 'threads per rank' "hybrid_job ran"
grep -q ', 1 threads per rank' "$out" &&
  fail "examples/hybrid_job was built without OpenMP: it ran 1 thread" \
    "per rank (cmake/WeftPrograms.cmake must link OpenMP::OpenMP_C into" \
    "programs that include omp.h)"
log=weft-$jid.h5 tree=weft-$jid.tree.txt
log_ok "$log" --ranks 2 --state closed --job "$jid" --threads 2 \
  --types solve,step,omp_chunk,allreduce
for rank in 0 1; do
  expect "$tree" "solve \[rank $rank\] \(steps: 6, threads: 2" \
    "rank $rank's solve action, 2 threads"
  expect "$tree" "omp_chunk \[rank $rank thread 1\]" \
    "rank $rank's worker thread chunk, in its step"
done
say "ok: job $jid, $log"
