#!/bin/sh
# pmpi_crash.sh WEFT PMPI_LIB WORKLOAD CHECK LOG TRUTH_DIR MPIEXEC NPFLAG NP
#               [PREFLAGS...]
# An unmodified program under libweft-pmpi that dies (SIGKILL on every
# rank) before MPI_Finalize: libweft-pmpi opened no log, but its crash
# journals (LOG.journal/, beside the log WEFT_FILE names) hold every call,
# and `weft recover LOG` rebuilds the log from them, which check_pmpi then
# compares call by call with what the ranks did.
# Then the same workload runs to its end with LOG already there: the job
# is unaffected, libweft-pmpi's one warning (rank 0) says why no log was
# written and where the journals are, and once the old log is moved
# aside, weft recover --journal writes the trace from them.
set -eu
weft=$1 pmpi=$2 workload=$3 check=$4 log=$5 truth=$6 mpiexec=$7 npflag=$8
np=$9
shift 9
fail() {
  echo "pmpi_crash.sh: $*" >&2
  exit 1
}
rm -f "$log" "$log.old" "$log".journal/*.wj "$log".journal/*.wjd
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

# LOG exists now: it is not overwritten, and the trace is not lost.
"$mpiexec" "$npflag" "$np" "$@" /usr/bin/env LD_PRELOAD="$pmpi" \
  WEFT_FILE="$log" "$workload" "$truth" >"$log.out" 2>&1 ||
  fail "the workload failed with $log in the way (see $log.out)"
w=$(grep -c "^weft: libweft-pmpi could not write the trace: .*already exists" \
  "$log.out" || true)
[ "$w" = 1 ] || fail "$w warnings about $log in $log.out, want 1"
grep -q "^weft: it is kept in the crash journals in $log.journal" "$log.out" ||
  fail "the warning does not name $log.journal (see $log.out)"
mv "$log" "$log.old"
"$weft" recover --journal "$log.journal" "$log" >"$log.recover" 2>&1 ||
  fail "weft recover --journal failed: $(cat "$log.recover")"
grep -q "rebuilt" "$log.recover" ||
  fail "weft recover did not rebuild $log: $(cat "$log.recover")"
"$mpiexec" "$npflag" 1 "$@" "$check" "$log" "$truth" "$np" crashed
rm -f "$log.old"
echo "pmpi_crash.sh: $n journals, log rebuilt, trace matches; with the log" \
  "in the way, one warning and the trace rebuilt from the journals"
