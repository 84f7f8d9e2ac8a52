#!/bin/sh
# collective_tree.sh - `weft tree` and `weft export --format eliot` on the
# log of test_collective: every rank's part of each collective action is
# there, once, under the action it continues.  In the log the ranks below
# a collective's root come before the root's action (rooted_at_2, fresh
# rooted at rank 1, rooted_at_last): the tree model once lost those
# children (its list ends were not set for parents met later), while the
# test's own reader saw them all.
# Usage: collective_tree.sh WEFT LOG NRANKS
set -eu
weft=$1
log=$2
n=$3
# Lines per rank: action or message type, then how many.
want="phase:2 inside:2 work:2 rooted_at_2:1 rooted_at_last:1"
want="$want in_last:1 half:1 fresh:1"

# The outputs first: a tool failing fails the test (set -e).
tree=$("$weft" tree --ascii --expand --color=never "$log")
eliot=$("$weft" export --format eliot "$log")
status=0

# The tree: a node's rank is its own "[rank N]" tag, else its parent's.
printf '%s\n' "$tree" | awk -v n="$n" -v want="$want" '
  !/-- / { sp = 0; next } # a task id or the blank line after a task
  {
    c = index($0, "-- ") + 3
    rest = substr($0, c)
    name = rest
    sub(/ .*/, "", name)
    while (sp > 0 && col[sp] >= c)
      sp--
    if (match(rest, /\[rank [0-9]+/))
      r = substr(rest, RSTART + 6, RLENGTH - 6) + 0
    else
      r = sp > 0 ? rk[sp] : -1
    if (name == "rooted_at_last" && !(sp > 0 && nm[sp] == "local" &&
                                      rk[sp] == n - 1))
      bad = bad "\n  not under rank " n - 1 "'"'"'s local: " $0
    if (name == "in_last" && !(sp > 0 && nm[sp] == "rooted_at_last" &&
                               rk[sp] == r))
      bad = bad "\n  not in its rooted_at_last: " $0
    sp++
    col[sp] = c
    nm[sp] = name
    rk[sp] = r
    count[name, r]++
  }
  END {
    k = split(want, w, " ")
    for (i = 1; i <= k; i++) {
      split(w[i], tw, ":")
      for (r = 0; r < n; r++)
        if (count[tw[1], r] != tw[2])
          bad = bad sprintf("\n  rank %d: %d %s, want %d", r,
                            count[tw[1], r], tw[1], tw[2])
    }
    if (bad != "") {
      print "FAIL: weft tree:" bad
      exit 1
    }
  }' || status=1

# The Eliot export: per rank, a start and an end per action, one line per
# message (the first "rank" key is the export's own).
printf '%s\n' "$eliot" | awk -v n="$n" -v want="$want" '
  {
    r = -1
    if (match($0, /"rank":[0-9]+/))
      r = substr($0, RSTART + 7, RLENGTH - 7) + 0
    if (match($0, /"action_type":"[^"]*"/)) {
      t = substr($0, RSTART + 15, RLENGTH - 16)
      if ($0 ~ /"action_status":"started"/)
        starts[t, r]++
      else if ($0 ~ /"action_status":"succeeded"/)
        ends[t, r]++
    } else if (match($0, /"message_type":"[^"]*"/)) {
      t = substr($0, RSTART + 16, RLENGTH - 17)
      starts[t, r]++
      ends[t, r]++
    }
  }
  END {
    k = split(want, w, " ")
    for (i = 1; i <= k; i++) {
      split(w[i], tw, ":")
      for (r = 0; r < n; r++)
        if (starts[tw[1], r] != tw[2] || ends[tw[1], r] != tw[2])
          bad = bad sprintf("\n  rank %d: %s started %d, ended %d, want %d",
                            r, tw[1], starts[tw[1], r], ends[tw[1], r], tw[2])
    }
    if (bad != "") {
      print "FAIL: weft export --format eliot:" bad
      exit 1
    }
  }' || status=1
[ "$status" -eq 0 ] || exit 1
echo "collective_tree.sh: every rank's collective actions in the tree and" \
  "the Eliot export"
