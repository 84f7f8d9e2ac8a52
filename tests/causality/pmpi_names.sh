#!/bin/sh
# pmpi_names.sh WEFT PMPI_LIB WORKLOAD CHECK DIR MPIEXEC NPFLAG [PREFLAGS...]
# The default log name under libweft-pmpi, decided at MPI_Init (no
# WEFT_FILE; SLURM_JOB_ID set, as in a batch job), run in DIR:
#   1. a step killed before MPI_Finalize holds weft-<id>.h5 (an empty
#      file) and its journals in weft-<id>.h5.journal/;
#   2. the next step gets weft-<id>.1.h5 and leaves the first one's
#      journals alone; weft recover then rebuilds weft-<id>.h5 from them,
#      and check_pmpi finds the killed step's calls there;
#   3. two steps started at once get two names (.2 and .3), each a whole log;
#   4. a bad WEFT_* value (one libweft-mpi checks, one libweft checks after
#      the name was taken): the job runs untraced, rank 0 says why at
#      MPI_Init, once, and no empty file is left holding a name;
#   5. WEFT_MPI_TRACE=off on one rank of an MPMD launch: no hang, the job
#      runs untraced, and rank 0 says so; WEFT_PMPI_FLUSH_EVERY on one rank
#      only: no hang, one log written at MPI_Finalize, and rank 0 says so.
set -eu
weft=$1 pmpi=$2 workload=$3 check=$4 dir=$5 mpiexec=$6 npflag=$7
shift 7
fail() {
  echo "pmpi_names.sh: $*" >&2
  exit 1
}
# the names this script checks come from nothing the caller set
unset WEFT_FILE WEFT_JOURNAL_DIR WEFT_JOURNAL WEFT_MPI_TRACE WEFT_OVERWRITE
id=pmpinames
base=weft-$id
mkdir -p "$dir"
cd "$dir"
for f in "$base".h5 "$base".h5.damaged* "$base".1.h5 "$base".2.h5 \
  "$base".3.h5 "$base".4.h5 "$base".5.h5 out.*; do
  rm -f "$f"
done
for j in "$base".h5.journal "$base".1.h5.journal "$base".2.h5.journal \
  "$base".3.h5.journal "$base".4.h5.journal; do
  if [ -d "$j" ]; then
    rm -f "$j"/*.wj "$j"/*.wjd
    rmdir "$j" || fail "cannot clean $dir/$j up"
  fi
done
for t in t1 t2 t3 t4; do
  mkdir -p "$t"
  rm -f "$t"/truth.*
done
pre="$*" # mpiexec's flags after NPFLAG N (words without spaces)
run() { # run TRUTH_DIR OUT [VAR=VALUE...]: the workload on 2 ranks
  truth=$1 out=$2
  shift 2
  # shellcheck disable=SC2086
  "$mpiexec" "$npflag" 2 $pre /usr/bin/env LD_PRELOAD="$pmpi" \
    SLURM_JOB_ID=$id "$@" "$workload" "$truth" >"$out" 2>&1
}

# 1. killed
if run t1 out.1 PMPI_WORKLOAD_DIE=1; then
  fail "the workload did not die (see $dir/out.1)"
fi
[ -f "$base.h5" ] && [ ! -s "$base.h5" ] ||
  fail "$base.h5 is not the empty file holding the name"
ls "$base".h5.journal/*.wj >/dev/null 2>&1 || fail "no journal in $base.h5.journal"

# 2. the next step
run t2 out.2 || fail "second step failed (see $dir/out.2)"
"$weft" info "$base.1.h5" | grep -q "^state:     closed" ||
  fail "the second step's log is not $base.1.h5"
[ ! -s "$base.h5" ] || fail "the second step wrote into $base.h5"
"$weft" recover "$base.h5" >out.recover 2>&1 ||
  fail "weft recover: $(cat out.recover)"
grep -q "rebuilt" out.recover || fail "weft recover: $(cat out.recover)"
# the empty file that held the name is replaced, not kept as damaged
[ ! -e "$base.h5.damaged" ] || fail "weft recover kept the empty file aside"
"$mpiexec" "$npflag" 1 "$@" "$check" "$base.h5" t1 2 crashed
"$mpiexec" "$npflag" 1 "$@" "$check" "$base.1.h5" t2 2

# 3. two at once
run t3 out.3 &
a=$!
run t4 out.4 &
b=$!
wait $a || fail "concurrent step 1 failed (see $dir/out.3)"
wait $b || fail "concurrent step 2 failed (see $dir/out.4)"
for n in 2 3; do
  "$weft" info "$base.$n.h5" | grep -q "^state:     closed" ||
    fail "$base.$n.h5 is not a closed log"
done
# each log is one of the two steps, whole
if "$mpiexec" "$npflag" 1 "$@" "$check" "$base.2.h5" t3 2 >/dev/null 2>&1; then
  "$mpiexec" "$npflag" 1 "$@" "$check" "$base.3.h5" t4 2
else
  "$mpiexec" "$npflag" 1 "$@" "$check" "$base.2.h5" t4 2
  "$mpiexec" "$npflag" 1 "$@" "$check" "$base.3.h5" t3 2
fi

# 4. a bad value
for bad in WEFT_JOURNAL=off WEFT_BLOCK_SIZE=100001; do
  run t1 out.bad "$bad" || fail "the untraced job failed ($bad)"
  var=${bad%%=*}
  w=$(grep -c "^weft: libweft-pmpi does not trace this job: .*$var" \
    out.bad || true)
  [ "$w" = 1 ] || fail "$w warnings about $var, want 1 (see $dir/out.bad)"
  [ ! -e "$base.4.h5" ] || fail "an untraced job ($bad) left $base.4.h5"
done

# 5. tracing off on one rank only
# shellcheck disable=SC2086
"$mpiexec" "$npflag" 1 $pre /usr/bin/env LD_PRELOAD="$pmpi" \
  SLURM_JOB_ID=$id "$workload" t1 : "$npflag" 1 $pre /usr/bin/env \
  LD_PRELOAD="$pmpi" SLURM_JOB_ID=$id WEFT_MPI_TRACE=off "$workload" t1 \
  >out.mixed 2>&1 || fail "the MPMD job failed (see $dir/out.mixed)"
grep -q "^weft: libweft-pmpi does not trace this job: WEFT_MPI_TRACE=off" \
  out.mixed || fail "no warning about WEFT_MPI_TRACE (see $dir/out.mixed)"
[ ! -e "$base.4.h5" ] || fail "the MPMD job made $base.4.h5"
# WEFT_PMPI_FLUSH_EVERY on one rank only: no hang, one log at MPI_Finalize
# shellcheck disable=SC2086
"$mpiexec" "$npflag" 1 $pre /usr/bin/env LD_PRELOAD="$pmpi" \
  SLURM_JOB_ID=$id WEFT_PMPI_FLUSH_EVERY=3 "$workload" t1 : "$npflag" 1 \
  $pre /usr/bin/env LD_PRELOAD="$pmpi" SLURM_JOB_ID=$id "$workload" t1 \
  >out.mixed 2>&1 || fail "the MPMD job failed (see $dir/out.mixed)"
grep -q "^weft: libweft-pmpi: WEFT_PMPI_FLUSH_EVERY differs" out.mixed ||
  fail "no warning about WEFT_PMPI_FLUSH_EVERY (see $dir/out.mixed)"
"$weft" info "$base.4.h5" | grep -q "^state:     closed" ||
  fail "the MPMD job with mixed flushes wrote no $base.4.h5"
echo "pmpi_names.sh: killed step's name kept, next steps .1 .2 .3," \
  "bad values warned, mixed trace modes untraced"
