#!/bin/sh
# pmpi_self_init.sh WEFT PMPI_LIB PROGRAM DIR MPIEXEC NPFLAG [PREFLAGS...]
# A program that calls weft_init itself and never weft_mpi_init, run with
# libweft-pmpi preloaded (pmpi_self_init.c), on 2 ranks in DIR:
#   1. both ranks call weft_init: libweft-pmpi writes the log at
#      MPI_Finalize (WEFT_FILE), with each rank's action, message and MPI
#      calls, its sends paired with their receipts; no warning;
#   2. MPMD, rank 0 calls weft_init, rank 1 does not: rank 0 says once at
#      MPI_Init that only the former is traced and written at
#      MPI_Finalize; the log has both ranks and rank 0's events only (its
#      messages have no other end in the log);
#   3. the same, the other way round, the log in a directory that does not
#      exist and journals in WEFT_JOURNAL_DIR: rank 0 (no events of its
#      own) says the trace could not be written, the only journal is rank
#      1's (rank 0 took part without one), and weft recover rebuilds rank
#      1's events from it.
# After MPI_Finalize each program checks that libweft-pmpi left the
# application's libweft initialised and shut down the one it started.
set -eu
weft=$1 pmpi=$2 prog=$3 dir=$4 mpiexec=$5 npflag=$6
shift 6
pre="$*" # mpiexec's flags (words without spaces)
fail() {
  echo "pmpi_self_init.sh: $*" >&2
  exit 1
}
# what this script checks comes from nothing the caller set
unset WEFT_FILE WEFT_JOURNAL_DIR WEFT_JOURNAL WEFT_MPI_TRACE \
  WEFT_PMPI_FLUSH_EVERY
rm -rf "$dir"
mkdir -p "$dir"
cd "$dir"
# run OUT FIRST SECOND [VAR=VALUE...]: rank 0 runs the program as FIRST,
# rank 1 as SECOND (self|plain)
run() {
  out=$1 first=$2 second=$3
  shift 3
  # shellcheck disable=SC2086
  "$mpiexec" $pre "$npflag" 1 /usr/bin/env LD_PRELOAD="$pmpi" "$@" \
    "$prog" "$first" : "$npflag" 1 /usr/bin/env LD_PRELOAD="$pmpi" "$@" \
    "$prog" "$second" >"$out" 2>&1 || fail "$first $second failed: $(cat "$out")"
}
tree() { "$weft" tree --ascii --expand --color=never "$1"; }
# count PATTERN TEXT: lines of TEXT matching the extended regex PATTERN
count() { printf '%s\n' "$2" | grep -cE -- "$1" || true; }
# want N PATTERN TEXT WHAT
want() {
  n=$(count "$2" "$3")
  [ "$n" -eq "$1" ] || fail "$4: $n lines match '$2', want $1"
}
warned='traces only the ranks whose program initialised libweft itself'

# 1. every rank initialised libweft itself
run out.1 self self WEFT_FILE="$dir/self.h5"
[ -s self.h5 ] || fail "case 1: no log written: $(cat out.1)"
! grep -q 'weft:' out.1 || fail "case 1: a warning: $(cat out.1)"
"$weft" info self.h5 | grep -qE '^ranks: +2 ' || fail "case 1: not 2 ranks"
t=$(tree self.h5)
for r in 0 1; do
  p=$((1 - r))
  want 1 "self_work \[rank $r\] \(world: $r\) => succeeded" "$t" "case 1"
  want 1 "MPI_Init \[rank $r\] \(" "$t" "case 1"
  want 1 "MPI_Sendrecv \(peer: $p, tag: 9,.* -> rank $p \(recv #0\)$" "$t" \
    "case 1"
  want 1 "mpi:recv \(peer: $p, tag: 9,.* <- rank $p \(send #0\)$" "$t" \
    "case 1"
done
want 2 '^    [|`]-- self_step \(i: 1\)$' "$t" "case 1"
want 2 '^    [|`]-- MPI_Allreduce \(comm: 0, ' "$t" "case 1"

# 2. MPMD: rank 0 initialised libweft itself, rank 1 did not
run out.2 self plain WEFT_FILE="$dir/mixed.h5"
[ -s mixed.h5 ] || fail "case 2: no log written: $(cat out.2)"
if [ "$(grep -c "$warned" out.2)" -ne 1 ] ||
  ! grep "$warned" out.2 | grep -q 'written at MPI_Finalize'; then
  fail "case 2: no (single) warning at MPI_Init: $(cat out.2)"
fi
! grep -q 'could not write' out.2 || fail "case 2: $(cat out.2)"
"$weft" info mixed.h5 | grep -qE '^ranks: +2 ' || fail "case 2: not 2 ranks"
t=$(tree mixed.h5)
want 1 'self_work .*\(world: 0\) => succeeded' "$t" "case 2"
want 0 'world: 1' "$t" "case 2"
want 1 'MPI_Init .*\(' "$t" "case 2"
want 1 '^    [|`]-- self_step \(i: 1\)$' "$t" "case 2"
want 1 '^    [|`]-- MPI_Allreduce \(comm: 0, ' "$t" "case 2"
want 1 'MPI_Sendrecv \(peer: 1, tag: 9,.*\(not received\)$' "$t" "case 2"
want 1 'mpi:recv \(peer: 1, tag: 9,.*\(send not found\)$' "$t" "case 2"
[ ! -e mixed.h5.journal ] || fail "case 2: a journal directory was left"

# 3. MPMD the other way round, and the log cannot be written
mkdir jd
run out.3 plain self WEFT_FILE="$dir/missing/lost.h5" WEFT_JOURNAL_DIR="$dir/jd"
if [ "$(grep -c "$warned" out.3)" -ne 1 ] ||
  ! grep -q 'could not write the trace: .*missing' out.3; then
  fail "case 3: rank 0 did not say the trace was lost: $(cat out.3)"
fi
set -- jd/*.wj
if [ $# -ne 1 ] || [ ! -f "$1" ]; then
  fail "case 3: want one journal (rank 1's): $*"
fi
"$weft" recover --journal "$dir/jd" "$dir/recovered.h5" >out.3r 2>&1 ||
  fail "case 3: weft recover: $(cat out.3r)"
t=$(tree recovered.h5)
want 1 'self_work .*\(world: 1\) => succeeded' "$t" "case 3"
want 1 'MPI_Sendrecv \(peer: 0, tag: 9,' "$t" "case 3"
echo "pmpi_self_init.sh: the log of the ranks that initialised libweft" \
  "themselves is written at MPI_Finalize"
