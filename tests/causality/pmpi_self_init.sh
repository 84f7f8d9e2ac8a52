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
#      1's (rank 0 took part without one, and MPI_Finalize named it for no
#      particular log), and weft recover rebuilds rank 1's events from it;
#   4. both ranks call weft_init with WEFT_JOURNAL_DIR and are killed
#      (SIGKILL) after MPI_Init and their logging, before MPI_Finalize
#      (WEFT_FILE set): their journals already name their world ranks
#      and WEFT_FILE (provisionally), so weft recover rebuilds that log
#      with both ranks' events from them, with two recover processes; no
#      file is left holding a default name;
#   5. the same, but rank 0 first opens a log of its own (sub.h5) on a
#      communicator of itself alone: rebuilt from the journals (sub.h5
#      removed), sub.h5 has rank 0 only, rank 1's journal being left to
#      WEFT_FILE, whose log, rebuilt, takes rank 1;
#   6. as 5, but MPI_Finalize closes rank 0's log: no default name is left,
#      and rank 1's journal (its events went to no log) names no rank
#      again, so weft recover skips it for sub.h5;
#   7. as 5, but rank 1 opens its log with no path, WEFT_FILE set: the
#      log has the name rank 0's journal was named for at MPI_Init; rebuilt
#      from the journals, it has rank 1 only (as its rank 0), rank 0's
#      journal being left out of a log the application opened itself;
#   8. as 5, but rank 1 opens its log with no path and no WEFT_FILE, in
#      a Slurm job: it takes the job's default name (weft-778.h5), not
#      the next one; rebuilt, it has rank 1 only (rank 0's journal, with
#      no WEFT_FILE, names no rank);
#   9. both ranks shut libweft down and start it again after MPI_Init, and
#      the log cannot be written (a file is in the way): the new journals
#      are named at MPI_Finalize, and weft recover, once the file is moved
#      aside, rebuilds both ranks' events from them;
#  10. the same with the log written: the first libweft's journals (what
#      it logged was never written) are left over, named no more, and
#      weft recover skips them: the log is unchanged and reads;
#  11. libweft started again after MPI_Init, then killed: the new journals
#      were named at the program's first collective call since (and the
#      first ones named no more), and weft recover rebuilds the log from
#      them;
#  12. a killed 3-rank run, then a killed 2-rank run, with one WEFT_FILE and
#      one journal directory: the log is rebuilt from the newer run alone,
#      the other's journals skipped as another run's, not mixed in;
#  13. libweft started again after MPI_Init, a log of the program's own
#      (own.h5) written and closed, more logged, then killed: weft recover
#      completes own.h5 with what came after, and WEFT_FILE's log is not
#      made from those journals;
#  14. the program shuts libweft down before MPI_Finalize and ends: its
#      journals (what it logged was written nowhere) name no rank, and
#      weft recover makes no WEFT_FILE log from them;
#  15-17 (steps mode): two logs of the program's own, libweft restarted
#      between them (its journal path reused), killed after the second
#      closed: weft recover completes own2.h5 with what came after; one
#      log, libweft restarted after it closed, killed: own1.h5 completed
#      with what came after it and before the restart; one log, libweft
#      restarted after it, run to the end: the new journals name no rank;
#  18 (steps mode): libweft shut down after MPI_Init and started again,
#      the first journal's header spoilt: at the next collective call
#      libweft-pmpi cannot set it back to no rank, says so on stderr, and
#      leaves weft_errmsg() as the program's own failed call left it.
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
prov='named only provisionally for this log at MPI_Init'

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
# named at MPI_Finalize for no particular log: rebuilt where one wants
"$weft" recover --journal "$dir/jd" "$dir/recovered.h5" >out.3r 2>&1 ||
  fail "case 3: weft recover: $(cat out.3r)"
t=$(tree recovered.h5)
want 1 'self_work .*\(world: 1\) => succeeded' "$t" "case 3"
want 1 'MPI_Sendrecv \(peer: 0, tag: 9,' "$t" "case 3"

# killed OUT MODE DIR: both ranks run MODE (crash|sub|restartcrash) in
# DIR with their journals in DIR/j and WEFT_FILE=DIR/killed.h5 ($held),
# and are killed before MPI_Finalize; no file holds a default name (no
# weft-*.h5 is left)
killed() {
  mkdir -p "$3/j"
  # shellcheck disable=SC2086
  if (cd "$3" && "$mpiexec" $pre "$npflag" 2 /usr/bin/env \
    LD_PRELOAD="$pmpi" WEFT_JOURNAL_DIR="$3/j" WEFT_FILE="$3/killed.h5" \
    "$prog" "$2") >"$1" 2>&1; then
    fail "$2: the program was not killed: $(cat "$1")"
  fi
  ! grep -q 'went wrong\|weft_init:\|weft_mpi_init:' "$1" ||
    fail "$2: $(cat "$1")"
  held=$3/killed.h5 mode=$2
  set -- "$3"/weft-*.h5
  [ ! -e "$1" ] || fail "$mode: a default name was left: $*"
}

# 4. killed before MPI_Finalize: only the journals have the events
killed out.4 crash "$dir/c4"
set -- c4/j/*.wj
[ $# -eq 2 ] || fail "case 4: want two journals (one a rank): $*"
# two recover processes, each taking the journal of one rank as if it
# were on another node: the split goes by world rank too
# shellcheck disable=SC2086
"$mpiexec" $pre "$npflag" 2 /usr/bin/env WEFT_TEST_RECOVER_SPLIT=1 "$weft" \
  recover --journal "$dir/c4/j" "$held" >out.4r 2>&1 ||
  fail "case 4: weft recover: $(cat out.4r)"
! grep -q 'skipped' out.4r || fail "case 4: a journal skipped: $(cat out.4r)"
for r in 0 1; do
  grep -q ": rank $r (world rank $r of 2, pid " out.4r ||
    fail "case 4: no journal of rank $r (world rank $r): $(cat out.4r)"
done
grep -q 'rebuilt: .* of 2 ranks from 2 journals' out.4r ||
  fail "case 4: not rebuilt from both journals: $(cat out.4r)"
t=$(tree "$held")
for r in 0 1; do
  p=$((1 - r))
  want 1 "self_work \[rank $r\] \(world: $r\) => unfinished" "$t" "case 4"
  want 1 "MPI_Sendrecv \(peer: $p, tag: 9,.* -> rank $p \(recv #0\)$" "$t" \
    "case 4"
done
want 2 '^    [|`]-- self_step \(i: 1\)$' "$t" "case 4"

# 5. the same, rank 0 with a log of its own on a communicator of itself
killed out.5 sub "$dir/c5"
[ -s c5/sub.h5 ] || fail "case 5: rank 0's own log was not made: $(cat out.5)"
rm c5/sub.h5 # lost: only the journals can rebuild it
"$weft" recover --journal "$dir/c5/j" "$dir/c5/sub.h5" >out.5r 2>&1 ||
  fail "case 5: weft recover: $(cat out.5r)"
grep -q "skipped: it belongs to another log, $held" out.5r ||
  fail "case 5: rank 1's journal was not left to its log: $(cat out.5r)"
grep -q 'rebuilt: .* of 1 rank from 1 journal' out.5r ||
  fail "case 5: sub.h5 not rebuilt from rank 0's journal: $(cat out.5r)"
t=$(tree c5/sub.h5)
want 1 'self_work \(world: 0\) => unfinished' "$t" "case 5"
want 0 'world: 1' "$t" "case 5"
"$weft" recover --journal "$dir/c5/j" "$held" >out.5h 2>&1 ||
  fail "case 5: weft recover of libweft-pmpi's log: $(cat out.5h)"
grep -q ': rank 1 (world rank 1 of 2, pid ' out.5h ||
  fail "case 5: rank 1's journal not taken by its log: $(cat out.5h)"
want 1 'self_work .*\(world: 1\) => unfinished' "$(tree "$held")" "case 5"

# 6. as 5, to the end
mkdir -p c6/j
(cd c6 && run ../out.6 subend subend WEFT_JOURNAL_DIR="$dir/c6/j" \
  WEFT_FILE="$dir/c6/w.h5")
set -- c6/weft-*.h5
[ ! -e "$1" ] || fail "case 6: a default name was left: $*"
"$weft" info c6/sub.h5 | grep -qE '^ranks: +1 ' ||
  fail "case 6: sub.h5 has not 1 rank"
set -- c6/j/*.wj
if [ $# -ne 1 ] || [ ! -f "$1" ]; then
  fail "case 6: want rank 1's journal only: $*"
fi
"$weft" recover --journal "$dir/c6/j" "$dir/c6/sub.h5" >out.6r 2>&1 ||
  fail "case 6: weft recover: $(cat out.6r)"
grep -q 'skipped: its process never reached weft_mpi_init (no rank)' out.6r ||
  fail "case 6: rank 1's journal still names a rank: $(cat out.6r)"

# lost LOG CASE R WHY: remove LOG, rebuild it from the case's journals (in
# the directory j beside it) and check that world rank R's journal is left
# out, skipped for WHY (a regular expression), and the log has the other
# rank's events only
lost() {
  rm "$1"
  "$weft" recover --journal "$(dirname "$1")/j" "$1" >"out.$2r" 2>&1 ||
    fail "case $2: weft recover: $(cat "out.$2r")"
  grep -q 'rebuilt: .* of 1 rank from 1 journal' "out.$2r" ||
    fail "case $2: not rebuilt from one journal: $(cat "out.$2r")"
  grep -q "skipped: $4" "out.$2r" ||
    fail "case $2: world rank $3 not left out: $(cat "out.$2r")"
  t=$(tree "$1")
  want 1 "self_work \(world: $((1 - $3))\) => unfinished" "$t" "case $2"
  want 0 "self_work \(world: $3\)" "$t" "case $2"
  # completing the rebuilt log, the journal left out is skipped again
  "$weft" recover --journal "$(dirname "$1")/j" "$1" >"out.$2a" 2>&1 ||
    fail "case $2: weft recover again: $(cat "out.$2a")"
  grep -q "skipped: " "out.$2a" ||
    fail "case $2: left-out journal placed: $(cat "out.$2a")"
  grep -q 'nothing to recover' "out.$2a" ||
    fail "case $2: the log was changed: $(cat "out.$2a")"
}

# 7. rank 1's own log takes WEFT_FILE, which the journals were named for
mkdir -p c7/j
# shellcheck disable=SC2086
if (cd c7 && "$mpiexec" $pre "$npflag" 2 /usr/bin/env LD_PRELOAD="$pmpi" \
  WEFT_FILE="$dir/c7/wf.h5" WEFT_JOURNAL_DIR="$dir/c7/j" "$prog" sub 1 -) \
  >out.7 2>&1; then
  fail "case 7: the program was not killed: $(cat out.7)"
fi
[ -s c7/wf.h5 ] || fail "case 7: rank 1's log was not made: $(cat out.7)"
lost "$dir/c7/wf.h5" 7 0 "$prov (world rank 0), and other journals name"

# 8. rank 1's own log takes the default name (a Slurm job's): the name is
# not held from MPI_Init on, so it is the job's, not the next one
mkdir -p c8/j
# shellcheck disable=SC2086
if (cd c8 && "$mpiexec" $pre "$npflag" 2 /usr/bin/env LD_PRELOAD="$pmpi" \
  SLURM_JOB_ID=778 WEFT_JOURNAL_DIR="$dir/c8/j" "$prog" sub 1 -) >out.8 2>&1; then
  fail "case 8: the program was not killed: $(cat out.8)"
fi
set -- c8/weft-*.h5
if [ $# -ne 1 ] || [ "$1" != c8/weft-778.h5 ] || [ ! -s "$1" ]; then
  fail "case 8: want rank 1's log only, as weft-778.h5: $*"
fi
lost "$dir/c8/weft-778.h5" 8 0 "its process never reached weft_mpi_init"

# 9. libweft started again after MPI_Init, and the log cannot be written
mkdir -p c9/j
echo "not a log" >c9/busy.h5
(cd c9 && run ../out.9 restart restart WEFT_FILE="$dir/c9/busy.h5" \
  WEFT_JOURNAL_DIR="$dir/c9/j")
grep -q 'could not write the trace' out.9 ||
  fail "case 9: no warning that the log was not written: $(cat out.9)"
mv c9/busy.h5 c9/busy.old
"$weft" recover --journal "$dir/c9/j" "$dir/c9/busy.h5" >out.9r 2>&1 ||
  fail "case 9: weft recover: $(cat out.9r)"
t=$(tree c9/busy.h5)
for r in 0 1; do
  want 1 "self_work \[rank $r\] \(world: $r\) => succeeded" "$t" "case 9"
done

# 10. libweft started again after MPI_Init, the log written
mkdir -p c10/j
(cd c10 && run ../out.10 restart restart WEFT_FILE="$dir/c10/ok.h5" \
  WEFT_JOURNAL_DIR="$dir/c10/j")
cp c10/ok.h5 c10/ok.before
"$weft" recover --journal "$dir/c10/j" "$dir/c10/ok.h5" >out.10r 2>&1 ||
  fail "case 10: weft recover: $(cat out.10r)"
[ "$(grep -c "skipped: its process never reached weft_mpi_init (no rank)" \
  out.10r)" -eq 2 ] || fail "case 10: left-over journals used: $(cat out.10r)"
cmp -s c10/ok.h5 c10/ok.before || fail "case 10: the log was changed"
"$weft" info c10/ok.h5 >/dev/null || fail "case 10: the log does not read"

# 11. libweft started again after MPI_Init, then killed
killed out.11 restartcrash "$dir/c11"
"$weft" recover --journal "$dir/c11/j" "$held" >out.11r 2>&1 ||
  fail "case 11: weft recover: $(cat out.11r)"
[ "$(grep -c 'skipped: its process never reached weft_mpi_init' out.11r)" \
  -eq 2 ] || fail "case 11: the first journals not left out: $(cat out.11r)"
t=$(tree "$held")
for r in 0 1; do
  want 1 "self_work \[rank $r\] \(world: $r\) => unfinished" "$t" "case 11"
done

# 12. two killed runs, one WEFT_FILE and journal directory
mkdir -p c12/j
for n in 3 2; do
  # shellcheck disable=SC2086
  if "$mpiexec" $pre "$npflag" $n /usr/bin/env LD_PRELOAD="$pmpi" \
    WEFT_JOURNAL_DIR="$dir/c12/j" WEFT_FILE="$dir/c12/k.h5" "$prog" crash \
    >out.12.$n 2>&1; then
    fail "case 12: the $n-rank run was not killed: $(cat out.12.$n)"
  fi
done
"$weft" recover --journal "$dir/c12/j" "$dir/c12/k.h5" >out.12r 2>&1 ||
  fail "case 12: weft recover: $(cat out.12r)"
[ "$(grep -c 'skipped: of another run (job "", world size 3)' out.12r)" \
  -eq 3 ] || fail "case 12: the 3-rank run not left out: $(cat out.12r)"
grep -q 'rebuilt: .* of 2 ranks from 2 journals' out.12r ||
  fail "case 12: not rebuilt from the 2-rank run: $(cat out.12r)"
"$weft" info c12/k.h5 | grep -qE '^ranks: +2 ' || fail "case 12: not 2 ranks"

# 13. a log of the program's own after a restart, then killed
killed out.13 ownlog "$dir/c13"
"$weft" recover --journal "$dir/c13/j" "$dir/c13/own.h5" >out.13r 2>&1 ||
  fail "case 13: weft recover: $(cat out.13r)"
grep -q 'own.h5: completed: ' out.13r ||
  fail "case 13: own.h5 not completed: $(cat out.13r)"
want 2 'after \[rank [01]\] \(i: 2\)' "$(tree c13/own.h5)" "case 13"
"$weft" recover --journal "$dir/c13/j" "$held" >out.13k 2>&1 &&
  fail "case 13: a log made for WEFT_FILE: $(cat out.13k)"
[ ! -e "$held" ] || fail "case 13: $held was made"

# 14. libweft shut down before MPI_Finalize
mkdir -p c14/j
(cd c14 && run ../out.14 earlyshut earlyshut WEFT_FILE="$dir/c14/k.h5" \
  WEFT_JOURNAL_DIR="$dir/c14/j")
"$weft" recover --journal "$dir/c14/j" "$dir/c14/k.h5" >out.14r 2>&1 &&
  fail "case 14: a log made from the journals: $(cat out.14r)"
[ "$(grep -c 'skipped: its process never reached weft_mpi_init' out.14r)" \
  -eq 2 ] || fail "case 14: a journal still names a rank: $(cat out.14r)"

# steps N STEPS [killed]: run STEPS on 2 ranks in cN (WEFT_FILE k.h5)
steps() {
  mkdir -p "c$1/j"
  # shellcheck disable=SC2086
  if (cd "c$1" && "$mpiexec" $pre "$npflag" 2 /usr/bin/env \
    LD_PRELOAD="$pmpi" WEFT_JOURNAL_DIR="$dir/c$1/j" WEFT_FILE="$dir/c$1/k.h5" \
    "$prog" steps "$2") >"out.$1" 2>&1; then
    [ -z "${3:-}" ] || fail "case $1: the program was not killed: $(cat "out.$1")"
  else
    [ -n "${3:-}" ] || fail "case $1: $2 failed: $(cat "out.$1")"
  fi
  ! grep -q 'went wrong' "out.$1" || fail "case $1: $(cat "out.$1")"
}
# completed N LOG I: weft recover completes cN/LOG, which then has the
# messages step {I} of both ranks (I: the W's place in the steps)
completed() {
  "$weft" recover --journal "$dir/c$1/j" "$dir/c$1/$2" >"out.$1r" 2>&1 ||
    fail "case $1: weft recover: $(cat "out.$1r")"
  grep -q "$2: completed: " "out.$1r" ||
    fail "case $1: $2 not completed: $(cat "out.$1r")"
  want 2 "step \\[rank [01]\\] \\(i: $3\\)" "$(tree "c$1/$2")" "case $1"
}
steps 15 IMWLWCXILWCWWK killed
completed 15 own2.h5 13
steps 16 IMWLWCWWXIAWK killed
completed 16 own1.h5 8
steps 17 IMLWCXIAWF
"$weft" recover --journal "$dir/c17/j" "$dir/c17/k.h5" >out.17r 2>&1 &&
  fail "case 17: a log made from the journals: $(cat out.17r)"
! grep -q ': rank [01] (world rank' out.17r ||
  fail "case 17: a journal still names a rank: $(cat out.17r)"
steps 18 IMWXIDEAVF
[ "$(grep -c 'libweft-pmpi could not set the journal .* back to no rank: .*not one to rewrite' out.18)" \
  -eq 2 ] || fail "case 18: no word of the journal left named: $(cat out.18)"
echo "pmpi_self_init.sh: the log of the ranks that initialised libweft" \
  "themselves is written at MPI_Finalize, or recovered from their journals"
