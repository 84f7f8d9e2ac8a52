#!/bin/sh
# disk_full_commit.sh PART WEFT TEST DIR MPIEXEC... - a metadata write that
# fails (test_disk_full part commit: in a commit's H5Fflush; close: in
# the H5Fclose of weft_mpi_finalize), then weft recover, then part
# PART_check: every batch the job logged is in the recovered log once.
# MPIEXEC... is the mpiexec command line up to the program (ranks and all).
set -eu
part=$1 weft=$2 test=$3 dir=$4
shift 4
# What an earlier run left (weft recover moves a damaged log aside, and
# never over an earlier one): only these names, whatever $dir is.
rm -f "$dir/$part.h5" "$dir/$part.h5".damaged*
"$@" "$test" "$dir" "$part"
# How weft recover must find the log: a failed commit leaves it readable
# as its last commit (file_create.c writes the counters in a second step),
# so it is completed, not rebuilt from the journals alone; after
# close_done it holds everything.  A failed final H5Fclose (part close)
# writes extents and counters together, and the log may need a rebuild.
case $part in
  commit | commit_done) want="completed:" ;;
  close_done) want="nothing to recover" ;;
  *) want="" ;;
esac
out=$("$weft" recover "$dir/$part.h5")
printf '%s\n' "$out"
if [ -n "$want" ] && ! printf '%s\n' "$out" | grep -q "$want"; then
  echo "disk_full_commit.sh: weft recover did not say \"$want\"" >&2
  exit 1
fi
"$@" "$test" "$dir" "${part}_check"
