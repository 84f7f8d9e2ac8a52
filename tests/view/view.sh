#!/bin/sh
# view.sh page|flame - tests of `weft view` and `weft flame` on a 4-rank
# log written by gen_view (libweft-mpi).  Environment (set by
# CMakeLists.txt): MPIEXEC, WEFT, GEN_VIEW, PYTHON, VIEW_TESTS (this
# directory), WORK (scratch; screenshots are left there), and when
# libweft-pmpi is built PMPI_LIB and PMPI_WORKLOAD (a plain MPI program
# whose log has send -> receive edges).
#   page   the HTML page, loaded in headless Chromium (check_page.py);
#          skipped (exit 77) only when Chromium cannot start
#   flame  the SVG and the folded stacks (check_flame.py), bad usage
set -u
mode=$1
W="$WORK/$mode"
rm -rf "$W" && mkdir -p "$W" || exit 1
fail() { echo "FAIL: $*" >&2; exit 1; }

f="$W/job.h5"
timeout 60 "$MPIEXEC" -n 4 --oversubscribe "$GEN_VIEW" "$f" ||
  fail "gen_view did not run"
"$WEFT" export --format csv "$f" >"$W/actions.csv" || fail "weft export"

case $mode in
page)
  "$WEFT" view "$f" -o "$W/job.html" || fail "weft view"
  "$WEFT" view --max-nodes 12 "$f" >"$W/job-aggregated.html" ||
    fail "weft view --max-nodes"
  # self-contained: nothing loaded from elsewhere, and the data cannot
  # close its <script> element
  if grep -E -i -q '<(script|img|iframe)[^>]* src=|<link|@import|url\(' \
    "$W/job.html"; then
    fail "the page loads something from elsewhere"
  fi
  [ "$(grep -o -i '</script' "$W/job.html" | wc -l)" = 2 ] ||
    fail "the page must hold exactly two </script> (its own)"
  grep -q 'weftPwned' "$W/job.html" || fail "the test field is not in the page"
  "$WEFT" view "$W/missing.h5" -o "$W/x.html" 2>"$W/err.txt"
  [ $? = 2 ] && [ "$(wc -l <"$W/err.txt")" = 1 ] ||
    fail "a missing file must give one line and exit status 2"
  pmpi_page=
  if [ -n "${PMPI_LIB:-}" ]; then
    mkdir -p "$W/truth"
    timeout 60 "$MPIEXEC" -n 4 --oversubscribe env LD_PRELOAD="$PMPI_LIB" \
      WEFT_FILE="$W/pmpi.h5" WEFT_OVERWRITE=1 "$PMPI_WORKLOAD" "$W/truth" ||
      fail "the libweft-pmpi workload did not run"
    "$WEFT" view "$W/pmpi.h5" -o "$W/pmpi.html" || fail "weft view pmpi.h5"
    pmpi_page="$W/pmpi.html"
  fi
  "$PYTHON" "$VIEW_TESTS/check_page.py" "$W/job.html" \
    "$W/job-aggregated.html" "$W/actions.csv" "$W" $pmpi_page
  exit $?
  ;;
flame)
  "$WEFT" flame "$f" -o "$W/flame.svg" || fail "weft flame"
  "$WEFT" flame --folded "$f" >"$W/all.folded" || fail "weft flame --folded"
  "$WEFT" flame --folded --rank 2 "$f" >"$W/rank2.folded" ||
    fail "weft flame --rank 2"
  "$WEFT" flame --rank 2 "$f" -o "$W/rank2.svg" || fail "weft flame --rank 2"
  "$PYTHON" -c 'import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])' \
    "$W/rank2.svg" || fail "rank2.svg is not well-formed"
  for bad in "--rank 9" "--rank x" "--frobnicate"; do
    # shellcheck disable=SC2086
    "$WEFT" flame $bad "$f" >/dev/null 2>"$W/err.txt"
    [ $? = 2 ] && [ "$(wc -l <"$W/err.txt")" = 1 ] ||
      fail "weft flame $bad must give one line and exit status 2"
  done
  "$PYTHON" "$VIEW_TESTS/check_flame.py" "$W/flame.svg" "$W/all.folded" \
    "$W/rank2.folded" 2 "$W/actions.csv"
  exit $?
  ;;
esac
fail "usage: view.sh page|flame"
