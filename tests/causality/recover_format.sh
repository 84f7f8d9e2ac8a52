#!/bin/sh
# recover_format.sh WEFT PMPI_LIB WORKLOAD JVERSION DIR MPIEXEC NPFLAG
#                   [PREFLAGS...]
# `weft recover` on a log of another format version, with the crash
# journals that would complete it beside it: the workload dies under
# libweft-pmpi (journals, no log), weft recover rebuilds the log, the
# journals are put back, and the log is marked as written by an older
# Weft (format 1.1) or a newer one (3.0).  weft recover must then refuse
# it (status 2, one line naming the version) and leave the log and the
# journals as they were, not move the log aside as damaged and rebuild it.
# The journals, untouched, still rebuild the log once it is out of the way.
# Then the journals are made of a newer journal version (JVERSION,
# journal_version.c): beside the log, all of them (versions 4 and 5),
# and without a log, one of the two (version 4).  weft recover must say
# once how many it left for the Weft that wrote them, naming the version,
# leave them untouched, and exit with status 2, also when it rebuilt the
# log from the other journal.
set -eu
weft=$1 pmpi=$2 workload=$3 jversion=$4 dir=$5 mpiexec=$6 npflag=$7
shift 7
np=2
fail() {
  echo "recover_format.sh: $*" >&2
  exit 1
}
rm -rf "$dir"
mkdir -p "$dir/truth"
cd "$dir"
log=$dir/job.h5
if "$mpiexec" "$npflag" $np "$@" /usr/bin/env LD_PRELOAD="$pmpi" \
  WEFT_FILE="$log" PMPI_WORKLOAD_DIE=1 "$workload" "$dir/truth" \
  >"$dir/job.out" 2>&1; then
  fail "the workload did not die (see $dir/job.out)"
fi
ls "$log.journal"/*.wj >/dev/null 2>&1 || fail "no crash journal in $log.journal"
cp -R "$log.journal" "$dir/journals"
"$weft" recover "$log" >"$dir/recover.out" 2>&1 ||
  fail "weft recover failed: $(cat "$dir/recover.out")"
mv "$log" "$dir/good.h5"
rm -rf "$log.journal"

# refused_run WHAT: weft recover on $log must exit with status 2 and say
# why in one line on stderr (out.txt, err.txt)
refused_run() {
  set +e
  "$weft" recover "$log" >"$dir/out.txt" 2>"$dir/err.txt"
  rc=$?
  set -e
  [ $rc = 2 ] ||
    fail "$1: exit status $rc, not 2: $(cat "$dir/out.txt" "$dir/err.txt")"
  [ "$(wc -l <"$dir/err.txt")" = 1 ] ||
    fail "$1: not one line on stderr: $(cat "$dir/err.txt")"
}

# fresh: the recovered log and the job's journals beside it, as the job
# left them
fresh() {
  rm -rf "$log" "$log.journal" "$log.damaged"
  cp "$dir/good.h5" "$log"
  cp -R "$dir/journals" "$log.journal"
}

# refused VERSION WHO: the log (the journals name its path) of that version
# with its journals
refused() {
  fresh
  /usr/bin/python3 - "$log" "$1" <<'PY' || fail "setting format_version $1"
import sys
import h5py, numpy as np
with h5py.File(sys.argv[1], "r+") as f:
    f.attrs.modify("format_version",
                   np.array([int(x) for x in sys.argv[2].split(".")],
                            dtype=np.uint32))
PY
  (cd "$dir" && md5sum job.h5 job.h5.journal/*) >"$dir/before.md5"
  refused_run "weft recover on format $1"
  grep -F -q "weft: $log: a Weft log of format $1, written by $2 Weft: not recovered by this weft" \
    "$dir/err.txt" || fail "weft recover on format $1: $(cat "$dir/err.txt")"
  (cd "$dir" && md5sum -c --status before.md5) ||
    fail "weft recover changed the log of format $1 or its journals"
  [ ! -e "$log.damaged" ] || fail "weft recover moved the log of format $1 aside"
  # the journals are still whole: with the log out of the way, they
  # rebuild it
  mv "$log" "$dir/job-$1.h5"
  "$weft" recover "$log" >"$dir/out.txt" 2>&1 ||
    fail "weft recover from the journals: $(cat "$dir/out.txt")"
  grep -q "rebuilt" "$dir/out.txt" ||
    fail "weft recover did not rebuild the log: $(cat "$dir/out.txt")"
}
refused 1.1 "an older"
refused 3.0 "a newer"

# newer_run WHAT: weft recover on $log with journals of a newer Weft,
# refused as above, and not with "nothing to recover"
newer_run() {
  refused_run "$1"
  ! grep -q "nothing to recover" "$dir/out.txt" ||
    fail "$1: says nothing to recover: $(cat "$dir/out.txt")"
}

# every journal newer, beside the log
fresh
set -- "$log.journal"/*.wj
[ $# = 2 ] || fail "want 2 journals: $*"
"$jversion" "$1" 4 || fail "cannot make $1 of version 4"
"$jversion" "$2" 5 || fail "cannot make $2 of version 5"
(cd "$dir" && md5sum job.h5 job.h5.journal/*) >"$dir/before.md5"
newer_run "journals of versions 4 and 5 beside the log"
grep -F -q "weft: $log: 2 journals in $log.journal are of journal versions 4 to 5, written by a newer Weft" \
  "$dir/err.txt" || fail "newer journals beside the log: $(cat "$dir/err.txt")"
(cd "$dir" && md5sum -c --status before.md5) ||
  fail "weft recover changed the log or the newer journals"

# one journal newer, no log: the log is not made without it (it could not
# take the newer journal's rank later); both journals stay as they are
rm -rf "$log" "$log.journal"
cp -R "$dir/journals" "$log.journal"
set -- "$log.journal"/*.wj
"$jversion" "$1" 4 || fail "cannot make $1 of version 4"
md5sum "$log.journal"/* >"$dir/before.md5"
newer_run "one journal of version 4, one of this weft's, no log"
[ ! -e "$log" ] || fail "a log was made without the newer journal"
grep -q "^$1: skipped: journal version 4, written by a newer Weft" \
  "$dir/out.txt" || fail "the newer journal is not named: $(cat "$dir/out.txt")"
grep -F -q "weft: $log: 1 journal in $log.journal is of journal version 4, written by a newer Weft" \
  "$dir/err.txt" || fail "one newer journal: $(cat "$dir/err.txt")"
grep -F -q "is not made without them" "$dir/err.txt" ||
  fail "the log's refusal is not said: $(cat "$dir/err.txt")"
md5sum -c --status "$dir/before.md5" ||
  fail "weft recover changed the journals"
echo "recover_format.sh: logs of format 1.1 and 3.0 refused and left" \
  "untouched with their journals; journals of a newer version left" \
  "untouched, exit status 2"
