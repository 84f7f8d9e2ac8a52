#!/usr/bin/env bash
# slurm-up.sh STATE_DIR - bring up a single-node Slurm cluster for the tests.
#
# Starts, in a fresh STATE_DIR (deleted first, after stopping what an
# earlier run left there):
#   munged     as user munge, on its own socket STATE_DIR/munge/munge.socket
#   slurmctld  as root, clean state (-c), config STATE_DIR/slurm.conf
#   slurmd     as root, node name "localhost"
# generated from slurm.conf.in beside this script (free ports, paths), and
# waits until the node is idle (about 1 s).  No systemd, no cgroups, and
# nothing under /etc/slurm is used.  The daemons' pids are in STATE_DIR
# (*.pid); slurm-down.sh STATE_DIR stops exactly those.
#
# Clients find the cluster through SLURM_CONF; STATE_DIR/slurm.env sets it:
#   . STATE_DIR/slurm.env && sinfo
#
# Exit status: 0 the node is idle; 77 Slurm cannot run on this machine at
# all (packages absent, not root, no munge key): STATE_DIR/unavailable then
# holds the reason and the tests that need the cluster skip; 1 anything
# else (the daemons' logs are shown), after stopping what was started.
set -eu

here=$(cd "$(dirname "$0")" && pwd -P)

if [ $# -ne 1 ] || [ -z "$1" ]; then
  echo "usage: slurm-up.sh STATE_DIR" >&2
  exit 1
fi
state=$1
case $state in /*) ;; *) state=$PWD/$state ;; esac

say() { printf 'slurm-up: %s\n' "$*" >&2; }

# Leave the state of an earlier run only after stopping its daemons.
if [ -d "$state" ]; then
  "$here/slurm-down.sh" "$state" >/dev/null
  rm -rf "$state"
fi
mkdir -p "$state"

# Slurm cannot run here at all: record why and ask ctest to skip.
unavailable() {
  printf '%s\n' "$*" >"$state/unavailable"
  say "SKIP: Slurm cannot run on this machine: $*"
  exit 77
}

[ "$(uname -s)" = Linux ] || unavailable "not Linux"
[ "$(id -u)" -eq 0 ] ||
  unavailable "not root (slurmd must run as root to start jobs)"
missing=""
for cmd in munged munge unmunge slurmctld slurmd sinfo sbatch srun scontrol \
  scancel; do
  PATH=$PATH:/usr/sbin command -v "$cmd" >/dev/null 2>&1 ||
    missing="$missing $cmd"
done
[ -z "$missing" ] || unavailable "missing commands:$missing" \
  "(Debian packages slurm-wlm and munge; scripts/setup installs them)"
id munge >/dev/null 2>&1 || unavailable "no user 'munge' (package munge)"
[ -r /etc/munge/munge.key ] ||
  unavailable "no /etc/munge/munge.key (package munge creates it)"
munged=$(PATH=$PATH:/usr/sbin command -v munged)
slurmctld=$(PATH=$PATH:/usr/sbin command -v slurmctld)
slurmd=$(PATH=$PATH:/usr/sbin command -v slurmd)

# From here on a failure is a real one: show the logs, stop what started.
fail() {
  say "FAILED: $*"
  for log in "$state"/munge/munged.log "$state"/log/*.out \
    "$state"/log/*.log; do
    [ -f "$log" ] || continue
    printf '==> %s (last 20 lines) <==\n' "$log" >&2
    tail -n 20 "$log" >&2
  done
  "$here/slurm-down.sh" "$state" >&2 || true
  exit 1
}

# munged is strict about the directory of its socket: owned by munge,
# searchable by everyone.  A Unix socket path is limited to 107 bytes.
socket=$state/munge/munge.socket
[ ${#socket} -le 100 ] ||
  fail "state directory path too long for a socket: $socket"
install -d -o munge -g munge -m 0755 "$state/munge"
mkdir -p "$state/ctld" "$state/spool" "$state/log"
runuser -u munge -- "$munged" --socket="$socket" \
  --pid-file="$state/munge/munged.pid" --log-file="$state/munge/munged.log" \
  --seed-file="$state/munge/munged.seed" </dev/null >/dev/null 2>&1 ||
  fail "munged did not start"
cp "$state/munge/munged.pid" "$state/munged.pid"
munge -S "$socket" -n </dev/null | unmunge -S "$socket" >/dev/null 2>&1 ||
  fail "munge credentials do not round-trip through $socket"

# Two free TCP ports: listening ports are in /proc/net/tcp{,6} (hex).
port_busy() {
  grep -qi ":$(printf '%04X' "$1") " /proc/net/tcp /proc/net/tcp6 2>/dev/null
}
pick_port() {
  p=$((20000 + ($$ * 7 + $1) % 30000))
  while port_busy "$p" || [ "$p" = "${ctld_port:-}" ]; do
    p=$((p + 1))
  done
  echo "$p"
}
ctld_port=$(pick_port 0)
slurmd_port=$(pick_port 1)

# Below Slurm's largest job id (0x3ff0000) with room for many jobs.
first_job_id=$((($(date +%s) % 6000) * 10000 + $$ % 10000 + 1))

export SLURM_CONF=$state/slurm.conf
sed -e "s|@STATE@|$state|g" -e "s|@MUNGE_SOCKET@|$socket|g" \
  -e "s|@CTLD_PORT@|$ctld_port|g" -e "s|@SLURMD_PORT@|$slurmd_port|g" \
  -e "s|@FIRST_JOB_ID@|$first_job_id|g" \
  "$here/slurm.conf.in" >"$SLURM_CONF"

# Both daemons fork; -c starts slurmctld from a clean state (no jobs, job
# ids from FirstJobId), -N names the node "localhost" whatever the host
# name is.
"$slurmctld" -c </dev/null >>"$state/log/slurmctld.out" 2>&1 ||
  fail "slurmctld did not start"
"$slurmd" -N localhost </dev/null >>"$state/log/slurmd.out" 2>&1 ||
  fail "slurmd did not start"

# Wait (at most 30 s) until the node takes jobs.
deadline=$((SECONDS + 30))
node=""
while [ "$node" != idle ]; do
  [ $SECONDS -lt $deadline ] ||
    fail "node not idle after 30 s (state: '${node:-no answer}')"
  sleep 0.2
  node=$(sinfo -h -n localhost -o %T 2>/dev/null || true)
done

printf 'export SLURM_CONF=%s\n' "$SLURM_CONF" >"$state/slurm.env"
say "cluster up in ${SECONDS}s: . $state/slurm.env (slurmctld port" \
  "$ctld_port, slurmd port $slurmd_port)"
