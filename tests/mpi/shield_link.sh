#!/bin/sh
# shield_link.sh MODE WEFT PROG LOG MPIEXEC... - shield_link.c, linked one
# way or the other, then what its log says (weft tree): with the shield
# (libweft-mpi before the MPI library) no rank logged weft:no_shield, and
# weft recover completes the log the failed flush left; without it
# (the MPI library first) every rank did.  MPIEXEC... is the mpiexec
# command line up to the program.
set -eu
mode=$1 weft=$2 prog=$3 log=$4
shift 4
rm -f "$log" "$log".damaged*
"$@" "$prog" "$log" "$mode"
if [ "$mode" = shielded ]; then
  "$weft" recover "$log" | grep -q "completed:" || {
    echo "shield_link.sh: weft recover did not complete $log" >&2
    exit 1
  }
fi
n=$("$weft" tree "$log" | grep -c "weft:no_shield" || true)
ranks=$("$weft" info "$log" | sed -n 's/^ranks: *\([0-9]*\) .*/\1/p')
case $mode in
  shielded) want=0 ;;
  *) want=$ranks ;;
esac
if [ "$n" != "$want" ]; then
  echo "shield_link.sh: $n weft:no_shield messages in $log, want $want" >&2
  exit 1
fi
# weft info gathers them: one line naming every rank.
if [ "$mode" = unshielded ]; then
  "$weft" info "$log" | grep -q "^notices:   weft:no_shield on ranks 0-$((ranks - 1)), $ranks times; first on rank 0: reason=" || {
    echo "shield_link.sh: weft info does not sum up the weft:no_shield messages of $log" >&2
    exit 1
  }
fi
echo "shield_link.sh: $mode: $n weft:no_shield messages, as expected"
