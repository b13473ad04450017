#!/usr/bin/env bash
# Bring up a one-node SLURM cluster on this machine, for testing the Snakemake SLURM profile.
#
#   tests/slurm/slurm-up.sh DIR      # then: export SLURM_CONF=DIR/slurm.conf
#   tests/slurm/slurm-down.sh DIR
#
# Installs Debian's munge, slurmctld, slurmd and slurm-client if they are missing
# (apt-get, --no-install-recommends), writes DIR/slurm.conf (one node: this host, all its
# CPUs, partition "debug"), starts munged (own socket under DIR), slurmctld and slurmd with
# their pid files, state and logs under DIR, and waits until the node is idle.
# The munge user must be able to reach DIR (its socket lives there): use a directory under
# /tmp, e.g. `mktemp -d /tmp/slurm.XXXXXX` (the script makes DIR itself world-readable).
#
# Exit codes: 0 cluster up; 3 this machine cannot run it (not root, no apt-get, not Debian);
# anything else: bring-up failed (the logs under DIR are printed).
# Facts and pitfalls: ../shared/reference/SLURM.md (SLURM 22.05 on Debian 12, no systemd).
set -euo pipefail

dir=${1:?usage: slurm-up.sh DIR}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

cannot() { echo "slurm-up: cannot run SLURM here: $*" >&2; exit 3; }

[ "$(id -u)" = 0 ] || cannot "needs root (daemons run as root/munge)"

# -- packages ------------------------------------------------------------------------------
missing=()
command -v munged >/dev/null 2>&1 || [ -x /usr/sbin/munged ] || missing+=(munge)
command -v slurmctld >/dev/null 2>&1 || [ -x /usr/sbin/slurmctld ] || missing+=(slurmctld)
command -v slurmd >/dev/null 2>&1 || [ -x /usr/sbin/slurmd ] || missing+=(slurmd)
command -v sinfo >/dev/null 2>&1 || missing+=(slurm-client)
if [ ${#missing[@]} -gt 0 ]; then
    command -v apt-get >/dev/null 2>&1 || cannot "missing ${missing[*]} and no apt-get"
    [ -f /etc/debian_version ] || cannot "missing ${missing[*]} and not a Debian system"
    echo "slurm-up: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    timeout 300 apt-get update -qq
    timeout 600 apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
export PATH=$PATH:/usr/sbin:/sbin

# -- munge ---------------------------------------------------------------------------------
if [ ! -s /etc/munge/munge.key ]; then
    install -d -o munge -g munge -m 700 /etc/munge
    mungekey --create --keyfile=/etc/munge/munge.key
    chown munge:munge /etc/munge/munge.key
    chmod 400 /etc/munge/munge.key
fi
chmod 755 "$dir"
install -d -o munge -g munge -m 755 "$dir/munge"
socket=$dir/munge/munge.socket
runuser -u munge -- munged --socket="$socket" --pid-file="$dir/munge/munged.pid" \
    --log-file="$dir/munge/munged.log" --seed-file="$dir/munge/munged.seed"
munge --socket="$socket" -n | unmunge --socket="$socket" >/dev/null

# -- slurm.conf ----------------------------------------------------------------------------
host=$(hostname -s)
cpus=$(nproc)
# 90 % of the physical memory: slurmd drains a node that reports less than RealMemory
mem_mb=$(awk '/^MemTotal:/ {printf "%d", $2 / 1024 * 0.9}' /proc/meminfo)
read -r ctld_port slurmd_port < <(python3 - <<'PY'
import socket
socks = [socket.socket() for _ in range(2)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))
PY
)
mkdir -p "$dir/state" "$dir/spool" "$dir/log" "$dir/run"
cat > "$dir/slurm.conf" <<CONF
# one-node test cluster written by tests/slurm/slurm-up.sh
ClusterName=iactpipetest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$socket
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
MpiDefault=none
# finished jobs stay visible to squeue for 5 minutes (the Snakemake plugin's squeue status
# query needs this; it falls back to sacct if MinJobAge < 3 x its initial wait)
MinJobAge=3600
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem_mb State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$dir/slurm.conf

# srun inside a job does not see SLURM_CONF (snakemake-executor-plugin-slurm-jobstep drops
# every SLURM_* variable before its nested srun), so the configuration must also be at the
# default path. Link it there, unless a real configuration lives there. A link to another
# test cluster is replaced if that cluster's slurmctld is gone (a killed run), else waited for.
[ -e /etc/slurm/slurm.conf ] && [ ! -L /etc/slurm/slurm.conf ] &&
    cannot "/etc/slurm/slurm.conf exists (a configured SLURM); not replacing it"
mkdir -p /etc/slurm
running() {  # the test cluster of this slurm.conf has a live slurmctld
    local pid
    pid=$(cat "$(dirname "$1")/run/slurmctld.pid" 2>/dev/null) || return 1
    [ -r "/proc/$pid/stat" ] && [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ]
}
for _ in $(seq 1 300); do
    ln -s "$SLURM_CONF" /etc/slurm/slurm.conf 2>/dev/null && break
    other=$(readlink /etc/slurm/slurm.conf) || continue
    if running "$other"; then sleep 1; else rm -f /etc/slurm/slurm.conf; fi
done
[ "$(readlink /etc/slurm/slurm.conf)" = "$SLURM_CONF" ] ||
    { echo "slurm-up: /etc/slurm/slurm.conf -> $(readlink /etc/slurm/slurm.conf): another test" \
           "cluster still runs after 300 s (stop it: tests/slurm/slurm-down.sh DIR)" >&2; exit 1; }

# -- daemons -------------------------------------------------------------------------------
show_logs() {
    echo "slurm-up: $*" >&2
    tail -n 30 "$dir"/log/*.log "$dir"/munge/munged.log >&2 2>/dev/null || true
    exit 1
}
slurmctld -i -f "$SLURM_CONF" || show_logs "slurmctld did not start"
slurmd -f "$SLURM_CONF" || show_logs "slurmd did not start"
for _ in $(seq 1 120); do
    state=$(timeout 10 sinfo -h -o %t 2>/dev/null || true)
    [ "$state" = idle ] && { echo "slurm-up: node $host idle (SLURM_CONF=$SLURM_CONF)" >&2; exit 0; }
    sleep 0.5
done
show_logs "node not idle after 60 s (state: ${state:-none})"
