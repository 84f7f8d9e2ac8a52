#!/usr/bin/env bash
# slurm-down.sh STATE_DIR - stop the cluster slurm-up.sh started there.
#
# Cancels the cluster's jobs, then stops slurmd, slurmctld and munged by
# the pids in STATE_DIR/{slurmd,slurmctld,munged}.pid: SIGTERM, then
# SIGKILL after 15 s.  A pid is signalled only while it is still that
# daemon of that cluster (its command line or environment names
# STATE_DIR), so a pid reused by another process is never touched, and a
# Slurm or munged of the system or of another build stays up.  The state
# directory is kept (logs).  Exit 0 when nothing of the cluster runs any
# more; 0 too when there was nothing to stop.
set -eu

if [ $# -ne 1 ] || [ -z "$1" ]; then
  echo "usage: slurm-down.sh STATE_DIR" >&2
  exit 1
fi
state=$1
case $state in /*) ;; *) state=$PWD/$state ;; esac

say() { printf 'slurm-down: %s\n' "$*" >&2; }

# ours PID NAME: PID is the daemon NAME started for $state.
ours() {
  [ -r "/proc/$1/cmdline" ] || return 1
  cmd=$(tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null) || return 1
  case $cmd in
  *"$2"*) ;;
  *) return 1 ;;
  esac
  case $cmd in
  *"$state/"*) return 0 ;;
  esac
  tr '\0' '\n' <"/proc/$1/environ" 2>/dev/null |
    grep -qxF "SLURM_CONF=$state/slurm.conf"
}

# Running jobs would leave slurmstepd processes behind: cancel them first.
if [ -f "$state/slurm.conf" ] && [ -f "$state/slurmctld.pid" ] &&
  ours "$(cat "$state/slurmctld.pid")" slurmctld; then
  export SLURM_CONF=$state/slurm.conf
  if [ -n "$(squeue -h -o %i 2>/dev/null)" ]; then
    scancel --full --signal=KILL --quiet -u root 2>/dev/null || true
    scancel -u root --quiet 2>/dev/null || true
    for _ in $(seq 50); do
      [ -z "$(squeue -h -o %i 2>/dev/null)" ] && break
      sleep 0.1
    done
  fi
fi

# Signal every daemon at once, then wait for all: slurmd takes a few
# seconds to stop, waiting in turn would add them up.
pids=""
for name in slurmd slurmctld munged; do
  f=$state/$name.pid
  [ -f "$f" ] || continue
  pid=$(cat "$f")
  case $pid in '' | *[!0-9]*) continue ;; esac
  if ours "$pid" "$name"; then
    kill -TERM "$pid" 2>/dev/null || true
    pids="$pids $pid:$name"
  fi
done
[ -n "$pids" ] || exit 0

deadline=$((SECONDS + 15))
for entry in $pids; do
  pid=${entry%%:*} name=${entry#*:}
  while ours "$pid" "$name"; do
    if [ $SECONDS -ge $deadline ]; then
      say "$name (pid $pid) ignored SIGTERM for 15 s: SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      break
    fi
    sleep 0.1
  done
done
say "stopped${pids} (${SECONDS}s)"
