# shellcheck shell=bash
# job-lib.sh - what the Slurm job tests share; sourced by test_*.sh.
#
# A test runs one script of slurm-examples/ on the cluster slurm-up.sh
# started, with `sbatch --wait`, from a fresh directory, then checks the
# job's state, its log(s) and the weft tool's output.  Environment (set by
# tests/slurm/CMakeLists.txt):
#   WEFT_SLURM_STATE   the cluster's state directory (slurm-up.sh STATE)
#   WEFT_SLURM_JOBS    this test's job directory (made afresh)
#   WEFT_HOME          the build directory (the scripts find weft there)
#   WEFT_SOURCE_DIR    the source tree (slurm-examples/, tests/slurm/)
# Exit status: 0 passed, 1 failed (the job's output is shown), 77 skipped
# because Slurm cannot run on this machine (slurm-up.sh said so).

test_name=${0##*/}
test_name=${test_name%.sh}

fail() {
  printf '%s: FAILED: %s\n' "$test_name" "$*" >&2
  for f in "$WEFT_SLURM_JOBS"/*.out; do
    [ -f "$f" ] || continue
    printf '==> %s <==\n' "$f" >&2
    tail -n 40 "$f" >&2
  done
  exit 1
}

say() { printf '%s: %s\n' "$test_name" "$*"; }

# Skip when the cluster could not run here; fail when it is simply not up.
job_test_init() {
  : "${WEFT_SLURM_STATE:?}" "${WEFT_SLURM_JOBS:?}" "${WEFT_HOME:?}"
  : "${WEFT_SOURCE_DIR:?}"
  if [ -f "$WEFT_SLURM_STATE/unavailable" ]; then
    printf '%s: SKIP: Slurm cannot run on this machine: %s\n' "$test_name" \
      "$(cat "$WEFT_SLURM_STATE/unavailable")"
    exit 77
  fi
  rm -rf "$WEFT_SLURM_JOBS"
  mkdir -p "$WEFT_SLURM_JOBS"
  cd "$WEFT_SLURM_JOBS" || exit 1
  [ -f "$WEFT_SLURM_STATE/slurm.env" ] ||
    fail "no cluster in $WEFT_SLURM_STATE (slurm.up failed or did not run)"
  # shellcheck disable=SC1091
  . "$WEFT_SLURM_STATE/slurm.env"
  export WEFT_HOME
  examples=$WEFT_SOURCE_DIR/slurm-examples
  check_log=$WEFT_SOURCE_DIR/tests/slurm/check_log.py
}

# submit [--may-fail] SCRIPT [sbatch options...]: sbatch --wait from the
# job directory; sets $jid and $status (the job's exit code, which
# `sbatch --wait` returns).  Fails when the job fails, unless --may-fail.
submit() {
  may_fail=0
  if [ "$1" = --may-fail ]; then
    may_fail=1
    shift
  fi
  script=$1
  shift
  say "sbatch --wait $* $script"
  status=0
  out=$(sbatch --parsable --wait "$@" "$examples/$script") || status=$?
  # shellcheck disable=SC2034 # read by the test scripts
  jid=${out%%;*}
  case $jid in
  '' | *[!0-9]*) fail "sbatch $script: no job id (output: '$out')" ;;
  esac
  # sbatch --wait returns as soon as the job stops running; a job killed
  # at its time limit is then still COMPLETING: its batch script runs on
  # (it is recovering the log) until it ends or KillWait runs out.
  deadline=$((SECONDS + 60))
  while scontrol -o show job "$jid" 2>/dev/null |
    grep -q 'JobState=COMPLETING'; do
    [ $SECONDS -lt $deadline ] || fail "job $jid still COMPLETING after 60 s"
    sleep 0.2
  done
  [ "$status" -eq 0 ] || [ "$may_fail" -eq 1 ] ||
    fail "job $jid of $script failed (sbatch --wait status $status," \
      "state $(job_field "$jid" JobState))"
}

# job_field JID FIELD: a field of `scontrol show job` (first task), or of
# the job's line in jobcomp.txt once slurmctld has forgotten it.
job_field() {
  {
    scontrol -o show job "$1" 2>/dev/null ||
      grep "^JobId=$1 " "$WEFT_SLURM_STATE/jobcomp.txt" 2>/dev/null
  } | head -n 1 | tr ' ' '\n' | sed -n "s/^$2=//p"
}

# expect FILE REGEX WHAT: FILE has a line matching the extended REGEX.
expect() {
  [ -f "$1" ] || fail "$1 is missing ($3)"
  grep -Eq -- "$2" "$1" || fail "$1: $3 (no line matching '$2')"
}

# expect_in_block FILE HEADER REGEX MIN WHAT: at least MIN lines of the
# block that follows the line matching HEADER (up to the next empty line)
# match REGEX; e.g. the slowest instances of a type in `weft profile`.
expect_in_block() {
  [ -f "$1" ] || fail "$1 is missing ($5)"
  block=$(sed -n "/$2/,/^\$/p" "$1" | sed 1d)
  n=$(printf '%s\n' "$block" | grep -cE -- "$3" || true)
  [ "$n" -ge "$4" ] ||
    fail "$1: $5 ($n lines match '$3' after '$2', expected $4:" \
      "$(printf '%s\n' "$block" | tr -s ' ' | tr '\n' '|'))"
}

# log_ok LOG [check_log.py options...]
log_ok() {
  /usr/bin/python3 "$check_log" "$@" || fail "$1 is not the expected log"
}
