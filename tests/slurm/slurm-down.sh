#!/usr/bin/env bash
# Stop the one-node SLURM cluster started by slurm-up.sh DIR: cancel its jobs, then stop
# slurmd, slurmctld and munged by their pid files under DIR (TERM, then KILL after 10 s).
set -uo pipefail

dir=${1:?usage: slurm-down.sh DIR}
dir=$(cd "$dir" 2>/dev/null && pwd || echo "$dir")
export PATH=$PATH:/usr/sbin:/sbin

if [ -f "$dir/slurm.conf" ] && [ -f "$dir/run/slurmctld.pid" ]; then
    SLURM_CONF=$dir/slurm.conf timeout 10 scancel --user="$(id -un)" 2>/dev/null || true
fi

alive() {  # running and not a zombie (stopped daemons can linger as zombies in a sandbox)
    [ -r "/proc/$1/stat" ] && [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]
}

status=0
for pidfile in "$dir/run/slurmd.pid" "$dir/run/slurmctld.pid" "$dir/munge/munged.pid"; do
    [ -s "$pidfile" ] || continue
    pid=$(cat "$pidfile")
    if alive "$pid"; then
        kill -TERM "$pid" 2>/dev/null
        for _ in $(seq 1 100); do alive "$pid" || break; sleep 0.1; done
        if alive "$pid"; then
            kill -KILL "$pid" 2>/dev/null
            sleep 0.5
            alive "$pid" && { echo "slurm-down: could not stop pid $pid ($pidfile)" >&2; status=1; }
        fi
    fi
    rm -f "$pidfile"
done
# the link to this cluster's configuration made by slurm-up.sh
if [ -L /etc/slurm/slurm.conf ] && [ "$(readlink /etc/slurm/slurm.conf)" = "$dir/slurm.conf" ]; then
    rm -f /etc/slurm/slurm.conf
fi
exit $status
