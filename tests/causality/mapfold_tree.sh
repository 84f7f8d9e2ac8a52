#!/bin/sh
# mapfold_tree.sh - `weft tree` on the map/fold log written under
# libweft-pmpi: the collective phases of ranks 1 and 2 (continued while
# those ranks have their own mpi_job open) are drawn under rank 0's
# main_computation, one level below it, not under the ranks' own actions.
# Usage: mapfold_tree.sh WEFT LOG
set -eu
"$1" tree --ascii --expand --color=never "$2" | awk '
  # depth of a line: the column where its name starts
  { d = match($0, /[a-zA-Z]/) }
  /-- main_computation/ { main = d; inside = 1; next }
  inside && d <= main { inside = 0 }
  /-- (scatter|map|fold) \[rank [12]\]/ {
    if (inside && d == main + 4) ok++; else bad = bad "\n" $0
  }
  END {
    if (ok != 6 || bad != "") {
      printf "FAIL: %d phases of ranks 1-2 under main_computation%s\n", ok, bad
      exit 1
    }
    print "mapfold_tree.sh: every rank'"'"'s phases nest under main_computation"
  }'
