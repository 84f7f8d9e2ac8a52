#!/bin/sh
# env_names.sh SOURCE_DIR - the list of WEFT_* environment variables in
# lib/src/env_names.c is complete and documented.
#
# weft_init logs weft:unknown_setting for every WEFT_* variable of its
# environment that is not in that list, so a name the sources read but the
# list lacks would be reported as a typo, in every job that sets it.  This
# finds the names:
#   - C: string literals "WEFT_..." in lib/, mpi/, tools/, bench/,
#     examples/ and tests/ (env_names.c, the tests of the notice and the
#     error names of weft_err_name aside);
#   - scripts (sh, sbatch, Python) in scripts/, slurm-examples/, tests/,
#     .ci/, bench/, examples/: NAME=, $NAME, ${NAME, environ[...],
#     environ.get(...), getenv(...), 'NAME': outside comment lines;
#   - CMake (CMakeLists.txt, *.cmake): ENV{NAME} and NAME=... (test
#     ENVIRONMENT, quoted or not).
# Each must be known (WEFT_TEST_* is the test suite's); each name of the
# list must be found (none stale); and each setting of the list's first
# part (what a user sets) must be documented in docs/guide.md or
# docs/causality.md.
set -u
src=${1:?usage: env_names.sh SOURCE_DIR}
cd "$src" || exit 2
list=lib/src/env_names.c
fail=0

# The list: the quoted names between "known[] = {" and "};"; the user
# settings are those before the "scripts/" comment.
known=$(sed -n '/known\[\] = {/,/^};/p' "$list" | grep -oE '"WEFT_[A-Z0-9_]+"' |
  tr -d '"' | sort -u)
settings=$(sed -n '/known\[\] = {/,/scripts\//p' "$list" |
  grep -oE '"WEFT_[A-Z0-9_]+"' | tr -d '"' | sort -u)
[ -n "$known" ] && [ -n "$settings" ] || {
  echo "FAIL: no names found in $list"
  exit 1
}

# Error names ("WEFT_EFINISHED": weft_err_name, from WEFT_ERRNO_MAP).
errors=$( (grep -oE '"WEFT_[A-Z0-9_]+"' lib/src/error.c | tr -d '"'
  grep -oE '^  X\([A-Z0-9_]+,' lib/include/weft.h | sed 's/^  X(/WEFT_/; s/,$//') |
  sort -u)
# The tests of the notice itself name misspelt variables on purpose.
c_names=$(grep -rlE --include='*.c' --include='*.h' '"WEFT_[A-Z0-9_]+"' \
  lib mpi tools bench examples tests |
  grep -vxE "$list|tests/unit/test_env_names.c|tests/tools/test_info_notices.c" |
  xargs grep -hoE '"WEFT_[A-Z0-9_]+"' | tr -d '"' | sort -u)
script_files=$(find scripts slurm-examples tests .ci bench examples -type f \
  \( -name '*.sh' -o -name '*.sbatch' -o -name '*.py' -o -name run \
  -o -perm -u+x \) ! -name '*.c' ! -name '*.h' 2>/dev/null)
sh_names=$(for f in $script_files; do
  grep -vE '^[[:space:]]*#' "$f" |
    grep -oE '(^|[^A-Za-z0-9_])WEFT_[A-Z0-9_]+=|\$\{?WEFT_[A-Z0-9_]+|environ(\.get\(|\[)["'"'"']WEFT_[A-Z0-9_]+|getenv\(["'"'"']WEFT_[A-Z0-9_]+|["'"'"']WEFT_[A-Z0-9_]+["'"'"'] *:'
done | grep -oE 'WEFT_[A-Z0-9_]+' | sort -u)
# CMake: ENV{NAME}, and NAME=... in test ENVIRONMENT, quoted or not (not
# -DNAME=, a cache variable).
cmake_names=$(find . \( -name CMakeLists.txt -o -name '*.cmake' \) \
  -not -path './build*' | xargs grep -vhE '^[[:space:]]*#' |
  grep -oE 'ENV\{WEFT_[A-Z0-9_]+|(^|[^A-Za-z0-9_{$])WEFT_[A-Z0-9_]+=' |
  grep -oE 'WEFT_[A-Z0-9_]+' | sort -u)

found=$(printf '%s\n' $c_names $sh_names $cmake_names | sort -u)
for n in $found; do
  case $n in WEFT_TEST_*) continue ;; esac
  printf '%s\n' $errors | grep -qx "$n" && continue
  if ! printf '%s\n' $known | grep -qx "$n"; then
    echo "FAIL: $n is read by Weft's sources but not listed in $list"
    fail=1
  fi
done
for n in $known; do
  if ! printf '%s\n' $found | grep -qx "$n"; then
    echo "FAIL: $n is listed in $list but nothing reads it"
    fail=1
  fi
done
for n in $settings; do
  if ! grep -q "\`$n\`" docs/guide.md docs/causality.md; then
    echo "FAIL: setting $n is not documented in docs/guide.md or docs/causality.md"
    fail=1
  fi
done
[ $fail = 0 ] && echo "ok: $(printf '%s\n' $known | wc -l) names known," \
  "$(printf '%s\n' $found | wc -l) found in the sources"
exit $fail
