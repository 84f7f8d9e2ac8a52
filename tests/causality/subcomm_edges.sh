#!/bin/sh
# subcomm_edges.sh - message edges in logs written on communicators that
# number ranks otherwise than MPI_COMM_WORLD (subcomm_edges.c under
# libweft-pmpi, whose `peer` fields are world ranks):
#   reversed  one log, log rank = 3 - world rank: `weft tree` pairs each of
#             the 8 messages with the right partner, named by its log rank,
#             on both ends, and the Chrome export has a flow per message;
#   halves    two logs (world ranks 0-1, 2-3), each reversed: in each, the
#             one message between its own ranks is paired both ways, and
#             every other send and receipt says that its peer's world rank
#             is not in the log (never some log rank).
# Usage: subcomm_edges.sh WEFT PMPI_LIB PROGRAM DIR MPIEXEC NPFLAG [FLAGS...]
set -eu
weft=$1
pmpi=$2
prog=$3
dir=$4
shift 4
mpiexec=$1
npflag=$2
shift 2
np=4
fail() {
  echo "FAIL: $*" >&2
  exit 1
}
rm -rf "$dir"
mkdir -p "$dir"
cd "$dir" # whatever else libweft-pmpi writes goes here
"$mpiexec" "$npflag" $np "$@" /usr/bin/env LD_PRELOAD="$pmpi" \
  WEFT_JOURNAL=0 "$prog" reversed "$dir/reversed.h5" ||
  fail "subcomm_edges reversed"
"$mpiexec" "$npflag" $np "$@" /usr/bin/env LD_PRELOAD="$pmpi" \
  WEFT_JOURNAL=0 "$prog" halves "$dir/half" ||
  fail "subcomm_edges halves"

# check LOG LO CNT: the log holds world ranks LO..LO+CNT-1, world rank W
# being log rank LO+CNT-1-W.  Each "exchange (world: W)" is followed by
# its two MPI_Sendrecv (tag 5: to W+1, tag 6: to W+2) and their receipts
# (from W-1, W-2).  Prints the number of messages paired within the log.
check() {
  "$weft" tree --ascii --expand --color=never "$1" | awk -v n=$np -v lo="$2" \
    -v cnt="$3" '
    function logrank(w) { return (w >= lo && w < lo + cnt) ? lo + cnt - 1 - w : -1 }
    function bad(what) { print "line " NR ": " what ": " $0 >"/dev/stderr"; err = 1 }
    function field(name,   s) {
      if (!match($0, "[(, ]" name ": -?[0-9]+")) return -1
      s = substr($0, RSTART, RLENGTH); sub(/.*: /, "", s); return s + 0
    }
    /exchange \(world: / { w = field("world"); nex++; next }
    /MPI_Sendrecv \(|mpi:recv \(/ {
      send = /MPI_Sendrecv/
      tag = field("tag"); peer = field("peer"); d = tag - 4
      want = send ? (w + d) % n : (w - d + n) % n
      if (w < 0 || (d != 1 && d != 2)) { bad("unexpected message"); next }
      if (peer != want) { bad("peer " peer ", want " want); next }
      r = logrank(peer)
      if (r >= 0) {
        pat = send ? " -> rank " r " \\(recv #0\\)$" : " <- rank " r " \\(send #0\\)$"
        if ($0 !~ pat) bad("not paired with log rank " r)
        else paired += send
      } else {
        pat = "\\((not received|send not found): world rank " peer " is not in this log\\)$"
        if ($0 !~ pat) bad("world rank " peer " is not in the log")
      }
      checked++
    }
    END {
      if (nex != cnt) { print "exchange actions: " nex ", want " cnt >"/dev/stderr"; err = 1 }
      if (checked != 4 * cnt) { print "messages: " checked ", want " 4 * cnt >"/dev/stderr"; err = 1 }
      if (err) exit 1
      print paired + 0
    }'
}

pairs=$(check "$dir/reversed.h5" 0 $np) || fail "reversed.h5: wrong edges"
[ "$pairs" -eq $((2 * np)) ] || fail "reversed.h5: $pairs messages, want $((2 * np))"
flows=$("$weft" export --format chrome "$dir/reversed.h5" |
  grep -o '"cat":"mpi"' | wc -l)
[ "$flows" -eq $((4 * np)) ] ||
  fail "reversed.h5: chrome: $flows flow events, want $((4 * np))"

half=$((np / 2))
for c in 0 1; do
  log=$dir/half.$c.h5
  pairs=$(check "$log" $((c * half)) $half) || fail "$log: wrong edges"
  # within a half of two ranks, only the ring message from the lower
  # world rank to the higher stays inside it
  [ "$pairs" -eq 1 ] || fail "$log: $pairs messages paired, want 1"
done
echo "subcomm_edges.sh: reversed and partial logs paired by world rank"
