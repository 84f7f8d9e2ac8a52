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
"$weft" recover "$dir/$part.h5"
"$@" "$test" "$dir" "${part}_check"
