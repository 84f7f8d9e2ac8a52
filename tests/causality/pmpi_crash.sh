#!/bin/sh
# pmpi_crash.sh WEFT PMPI_LIB WORKLOAD CHECK LOG TRUTH_DIR MPIEXEC NPFLAG NP
#               [PREFLAGS...]
# An unmodified program under libweft-pmpi that dies (SIGKILL on every
# rank) before MPI_Finalize: libweft-pmpi opened no log, but its crash
# journals (LOG.journal/, beside the log WEFT_FILE names) hold every call,
# and `weft recover LOG` rebuilds the log from them, which check_pmpi then
# compares call by call with what the ranks did.
set -eu
weft=$1 pmpi=$2 workload=$3 check=$4 log=$5 truth=$6 mpiexec=$7 npflag=$8
np=$9
shift 9
fail() {
  echo "pmpi_crash.sh: $*" >&2
  exit 1
}
rm -f "$log" "$log".journal/*.wj "$log".journal/*.wjd
[ -d "$log.journal" ] && rmdir "$log.journal"
rm -f "$truth"/truth.*
if "$mpiexec" "$npflag" "$np" "$@" /usr/bin/env LD_PRELOAD="$pmpi" \
  WEFT_FILE="$log" PMPI_WORKLOAD_DIE=1 "$workload" "$truth" \
  >"$log.out" 2>&1; then
  fail "the workload did not die (see $log.out)"
fi
[ ! -e "$log" ] || fail "$log exists: no log should have been opened"
n=$(find "$log.journal" -name '*.wj' -type f 2>/dev/null | wc -l)
[ "$n" -gt 0 ] || fail "no crash journal in $log.journal"
"$weft" recover "$log" >"$log.recover" 2>&1 ||
  fail "weft recover failed: $(cat "$log.recover")"
grep -q "rebuilt" "$log.recover" ||
  fail "weft recover did not rebuild $log: $(cat "$log.recover")"
"$mpiexec" "$npflag" 1 "$@" "$check" "$log" "$truth" "$np" crashed
# The journals do not hold what weft_mpi_init records of each rank: weft
# info shows a dash for it, not an empty field.
"$weft" info "$log" >"$log.info"
grep -q '^mpi:       -$' "$log.info" ||
  fail "weft info shows no dash for the unknown MPI library: $(cat "$log.info")"
echo "pmpi_crash.sh: $n journals, log rebuilt, trace matches"
