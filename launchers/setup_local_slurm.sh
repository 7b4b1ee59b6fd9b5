#!/usr/bin/env bash
# A SLURM cluster on this machine, to try `hydra/launcher=openrs_slurm` without a cluster: munge,
# MariaDB + slurmdbd (so that `sacct` works), slurmctld, and one slurmd per node, in one partition
# `debug`. This machine poses as OPENRS_SLURM_NODES nodes (default 2: openrs-n1, openrs-n2, one
# `slurmd -N` each on its own port, each with all of this machine's CPUs, memory and GPUs), so that
# multi-node jobs (hardware=slurm_multinode_cpu) run here too; OPENRS_SLURM_NODES=1 gives one node
# named after the host. Run as root (Debian/Ubuntu; uses apt-get).
#
#   sudo bash launchers/setup_local_slurm.sh          # install (once), configure, start; idempotent
#   sudo OPENRS_SLURM_NODES=1 bash launchers/setup_local_slurm.sh   # a single node
#   sudo bash launchers/setup_local_slurm.sh stop     # stop the daemons it started
#
# No systemd and no cgroups needed (containers, CI): ProctrackType=proctrack/linuxproc,
# TaskPlugin=task/none, SelectType=select/cons_tres. Logs: /var/log/slurm/. Not for production use.
set -euo pipefail

CLUSTER=openrs
PARTITION=debug
DB_PASS=openrs-local-slurm
CONF_DIR=/etc/slurm
LOG_DIR=/var/log/slurm
HOST=$(hostname -s)
NUM_NODES=${OPENRS_SLURM_NODES:-2}
SLURMD_PORT=17001  # the first node's; one more per node
if ((NUM_NODES > 1)); then
    NODES="openrs-n[1-$NUM_NODES]"
    mapfile -t NODE_NAMES < <(seq -f "openrs-n%g" "$NUM_NODES")
else
    NODES=$HOST
    NODE_NAMES=("$HOST")
fi

say() { echo "[setup_local_slurm] $*"; }

if [[ $(id -u) -ne 0 ]]; then
    echo "setup_local_slurm.sh must run as root (it installs packages and starts daemons)" >&2
    exit 1
fi

pid_alive() { [[ -f $1 ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

stop_pidfile() {  # stop the daemon whose pid is in $1
    if pid_alive "$1"; then
        local pid
        pid=$(cat "$1")
        kill "$pid"
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    fi
    rm -f "$1"
}

stop_slurmds() {  # every slurmd this script started, whatever its node names were
    local pidfile
    for pidfile in /run/slurmd.pid /run/slurmd-*.pid; do [[ -e $pidfile ]] && stop_pidfile "$pidfile"; done
    return 0
}

if [[ ${1:-start} == stop ]]; then
    stop_slurmds
    stop_pidfile /run/slurmctld.pid
    stop_pidfile /run/slurmdbd.pid
    mysqladmin shutdown 2>/dev/null || true
    stop_pidfile /run/munge/munged.pid
    say "stopped"
    exit 0
fi

# --- packages ---------------------------------------------------------------------------------
if ! command -v slurmctld >/dev/null || ! command -v slurmdbd >/dev/null || ! command -v mariadbd >/dev/null; then
    say "installing slurm-wlm, slurmdbd, munge, mariadb-server"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends slurm-wlm slurmdbd munge mariadb-server mariadb-client
fi

# --- munge ------------------------------------------------------------------------------------
if [[ ! -s /etc/munge/munge.key ]]; then
    dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null
fi
chown munge:munge /etc/munge/munge.key && chmod 400 /etc/munge/munge.key
mkdir -p /run/munge /var/log/munge /var/lib/munge && chown munge:munge /run/munge /var/log/munge /var/lib/munge
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
    say "starting munged"
    runuser -u munge -- /usr/sbin/munged
fi

# --- MariaDB for slurmdbd ---------------------------------------------------------------------
if ! mysqladmin ping >/dev/null 2>&1; then
    say "starting MariaDB"
    mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld
    # Native AIO is missing in some sandboxes (gVisor); synchronous I/O is plenty for accounting.
    nohup mysqld_safe --innodb-use-native-aio=0 >/dev/null 2>&1 &
    for _ in $(seq 120); do mysqladmin ping >/dev/null 2>&1 && break; sleep 0.5; done
    mysqladmin ping >/dev/null
fi
mysql -u root <<SQL
CREATE DATABASE IF NOT EXISTS slurm_acct_db;
CREATE USER IF NOT EXISTS 'slurm'@'localhost' IDENTIFIED BY '${DB_PASS}';
GRANT ALL ON slurm_acct_db.* TO 'slurm'@'localhost';
SQL

# --- config files (rewritten only when their content changes) ---------------------------------
mkdir -p "$CONF_DIR" "$LOG_DIR" /var/spool/slurmctld /var/spool/slurmd
CHANGED=""
install_conf() {  # install_conf NAME MODE < content; records NAME in CHANGED when it differs
    local tmp
    tmp=$(mktemp)
    cat >"$tmp"
    if ! cmp -s "$tmp" "$CONF_DIR/$1"; then
        install -m "$2" "$tmp" "$CONF_DIR/$1"
        CHANGED="$CHANGED $1"
    fi
    rm -f "$tmp"
}

for name in "$HOST" "${NODE_NAMES[@]}"; do  # the nodes' names are host names (the main process address)
    grep -qw "$name" /etc/hosts || getent hosts "$name" >/dev/null || echo "127.0.0.1 $name" >>/etc/hosts
done

# slurmd reports what it finds; the node line must match it or the node is drained.
NODE_LINE=$(slurmd -C | head -n 1)
if ((NUM_NODES > 1)); then  # the same machine under each name, each slurmd on its own port
    NODE_LINE="NodeName=$NODES NodeHostname=$HOST NodeAddr=127.0.0.1 Port=[$SLURMD_PORT-$((SLURMD_PORT + NUM_NODES - 1))] ${NODE_LINE#NodeName=* }"
fi
NUM_GPUS=0
if command -v nvidia-smi >/dev/null && nvidia-smi -L >/dev/null 2>&1; then
    NUM_GPUS=$(nvidia-smi -L | grep -c '^GPU')
fi
GRES_LINE=""
if ((NUM_GPUS > 0)); then
    NODE_LINE="$NODE_LINE Gres=gpu:$NUM_GPUS"
    GRES_LINE="GresTypes=gpu"
    install_conf gres.conf 644 <<EOF
AutoDetect=off
NodeName=$NODES Name=gpu File=/dev/nvidia[0-$((NUM_GPUS - 1))]
EOF
fi

install_conf slurm.conf 644 <<EOF
# Written by openrs launchers/setup_local_slurm.sh: a test cluster of $NUM_NODES node(s) on one machine.
ClusterName=$CLUSTER
SlurmctldHost=$HOST
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
# A requeued job (submitit after a time-out or preemption) waits cred_expire seconds to start again.
AuthInfo=cred_expire=30
StateSaveLocation=/var/spool/slurmctld
# %n: the node name, one of each per slurmd.
SlurmdSpoolDir=/var/spool/slurmd/%n
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd-%n.pid
SlurmctldLogFile=$LOG_DIR/slurmctld.log
SlurmdLogFile=$LOG_DIR/slurmd-%n.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
JobRequeue=1
KillWait=30
MinJobAge=600
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
$GRES_LINE
$NODE_LINE State=UNKNOWN
PartitionName=$PARTITION Nodes=$NODES Default=YES MaxTime=INFINITE State=UP
EOF

install_conf slurmdbd.conf 600 <<EOF
AuthType=auth/munge
DbdHost=localhost
SlurmUser=root
PidFile=/run/slurmdbd.pid
LogFile=$LOG_DIR/slurmdbd.log
StorageType=accounting_storage/mysql
StorageHost=localhost
StorageUser=slurm
StoragePass=$DB_PASS
StorageLoc=slurm_acct_db
EOF

if [[ -n $CHANGED ]]; then
    say "config changed:$CHANGED; (re)starting the SLURM daemons"
    stop_slurmds
    stop_pidfile /run/slurmctld.pid
    [[ $CHANGED == *slurmdbd.conf* ]] && stop_pidfile /run/slurmdbd.pid
fi

# --- daemons ----------------------------------------------------------------------------------
if ! pid_alive /run/slurmdbd.pid; then
    say "starting slurmdbd"
    slurmdbd
fi
for _ in $(seq 60); do sacctmgr -n list cluster >/dev/null 2>&1 && break; sleep 0.5; done
if ! sacctmgr -n -P list cluster format=cluster | grep -qx "$CLUSTER"; then
    sacctmgr -i add cluster "$CLUSTER" >/dev/null
fi
if ! pid_alive /run/slurmctld.pid; then
    say "starting slurmctld"
    slurmctld
fi
for _ in $(seq 60); do scontrol ping 2>/dev/null | grep -q UP && break; sleep 0.5; done
for name in "${NODE_NAMES[@]}"; do
    if ! pid_alive "/run/slurmd-$name.pid"; then
        say "starting slurmd for node $name"
        mkdir -p "/var/spool/slurmd/$name"
        if ((NUM_NODES > 1)); then slurmd -N "$name"; else slurmd; fi
    fi
done

# --- wait for the nodes ----------------------------------------------------------------------
for name in "${NODE_NAMES[@]}"; do
    state=""
    for _ in $(seq 60); do
        state=$(sinfo -h -n "$name" -o %t 2>/dev/null | head -n 1)
        case $state in
            idle | mix | alloc) break ;;
            down* | drain* | drng*) scontrol update nodename="$name" state=resume 2>/dev/null || true ;;
        esac
        sleep 1
    done
    if [[ ! $state =~ ^(idle|mix|alloc)$ ]]; then
        say "node $name is '$state'; see $LOG_DIR/slurmctld.log and $LOG_DIR/slurmd-$name.log" >&2
        exit 1
    fi
done
say "ready: partition '$PARTITION' of $NUM_NODES node(s) $NODES on $HOST ($NODE_LINE); sacct via slurmdbd"
