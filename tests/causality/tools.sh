#!/bin/sh
# tools.sh - the `weft` tool on the log of pmpi_workload (4 ranks):
#   weft tree          every one of the workload's 43 messages is an edge,
#                      shown on both ends, and no send lacks its receipt;
#   weft export chrome one flow (start + end) per message;
#   weft profile --waits
#                      rank 1's 30 ms late send to rank 2 is a late sender
#                      and rank 3's 60 ms late barrier a wait at collective.
# Usage: tools.sh WEFT LOG
set -eu
weft=$1
log=$2
fail() {
  echo "FAIL: $*" >&2
  exit 1
}
# ring 4, out of order 8, same tag 12, wildcard 3, truncated 3 (two of them
# received by receives that failed), sendrecv 4, polled 4, late 1,
# duplicated communicator 4
want=43

tree=$("$weft" tree --ascii --expand --color=never "$log")
sends=$(printf '%s\n' "$tree" | grep -c -- ' -> rank [0-9]* (recv #[0-9]*)' || true)
recvs=$(printf '%s\n' "$tree" | grep -c -- ' <- rank [0-9]* (send #[0-9]*)' || true)
[ "$sends" -eq "$want" ] || fail "tree: $sends send edges, want $want"
[ "$recvs" -eq "$want" ] || fail "tree: $recvs receive edges, want $want"
if printf '%s\n' "$tree" | grep -q 'not received\|send not found'; then
  fail "tree: an unpaired message"
fi
# The late message: rank 1's send to rank 2 with tag 60.
printf '%s\n' "$tree" | grep -q 'MPI_Send .*peer: 2, tag: 60.* -> rank 2 (recv #0)' ||
  fail "tree: rank 1's tag 60 send has no edge to rank 2"

flows=$("$weft" export --format chrome "$log" | grep -o '"cat":"mpi"' | wc -l)
[ "$flows" -eq $((2 * want)) ] || fail "chrome: $flows flow events, want $((2 * want))"

waits=$("$weft" profile --waits --format csv "$log")
printf '%s\n' "$waits" | awk -F, '
  $2 == "late sender" && $4 == 1 && $5 >= 20000000 && $8 ~ /(^| )2( |$)/ { ls = 1 }
  $2 == "wait at collective" && $4 == 3 && $5 >= 40000000 { wc = 1 }
  END { exit !(ls && wc) }' ||
  fail "profile --waits: late sender (rank 1) or wait at collective (rank 3) missing:
$waits"
echo "tools.sh: $sends edges, $flows flow events, waits attributed"
