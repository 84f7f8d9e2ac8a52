#!/usr/bin/env bash
# test_multinode.sh - slurm-examples/multinode.sbatch on the one node of
# the test cluster (--nodes=1, 4 ranks).  Checks: the job completed; the
# log is complete; the node-local journal directory (WEFT_JOURNAL_DIR) is
# gone at the end.
set -eu
# shellcheck source-path=SCRIPTDIR source=job-lib.sh
. "$(dirname "$0")/job-lib.sh"
job_test_init

submit multinode.sbatch --nodes=1 --ntasks-per-node=4
state=$(job_field "$jid" JobState)
[ "$state" = COMPLETED ] || fail "job $jid is $state, not COMPLETED"
out=weft-multinode-$jid.out
expect "$out" "journals: /tmp/weft-journal-$jid on each node" \
  "the journals go to node-local /tmp"
[ ! -e "/tmp/weft-journal-$jid" ] ||
  fail "the job left its journal directory /tmp/weft-journal-$jid"
log_ok "weft-$jid.h5" --ranks 4 --state closed --job "$jid" \
  --types simulation,rank_main,timestep
expect "weft-$jid.tree.txt" 'rank_main \[rank 3\]' "rank 3 in the tree"
say "ok: job $jid"
