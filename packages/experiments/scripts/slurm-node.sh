#!/usr/bin/env bash
# A private one-node SLURM cluster on this machine: the real slurm-wlm daemons that the test of
# `rbmlab slurm` submits to (packages/experiments/test/slurm.test.ts starts one per run in its
# temporary directory, on free ports, and stops it at the end), and for trying the commands by hand:
#
#   bash packages/experiments/scripts/slurm-node.sh check   # says what is missing to run one; exit 2 then
#   bash packages/experiments/scripts/slurm-node.sh up      # starts it; prints the SLURM_CONF path on stdout
#   export SLURM_CONF=/tmp/rbmlab-slurm/slurm.conf          # then sbatch, squeue, rbmlab slurm ... use it
#   bash packages/experiments/scripts/slurm-node.sh down    # stops what `up` started
#
# It needs root and Debian's `slurm-wlm munge` (apt-get install slurm-wlm munge; .ci/run installs
# them). Everything it writes is in one directory ($RBMLAB_SLURM_DIR, default /tmp/rbmlab-slurm): a
# munge key and socket of its own, slurm.conf for this machine (NodeName, CPUs and memory from
# `slurmd -C`, so for `hostname -s` and the CPU count here), state, spool and logs. It never reads
# or writes /etc/slurm or /etc/munge, and listens on its own ports ($RBMLAB_SLURM_PORT and the
# next, default 16817), so a machine that belongs to a real cluster keeps it.
#
# The configuration is Debian's simplest that runs batch jobs as users meet them: select/cons_tres
# over cores, proctrack/linuxproc and task/none (no cgroups, which containers often lack), no
# accounting database (so no sacct), and one GPU for the scheduler (below). Two settings make a
# test fast, not different: sched_interval=2 (the main scheduler looks at pending jobs, their
# dependencies included, every 2 s, not 60) and cred_expire=10 (a requeued job may start again
# after 10 s, not 120).
set -euo pipefail

dir="${RBMLAB_SLURM_DIR:-/tmp/rbmlab-slurm}"
conf="$dir/slurm.conf"
ctld_port="${RBMLAB_SLURM_PORT:-16817}"

say() { echo "slurm-node: $*" >&2; }

# true when this cluster's controller answers and its node takes jobs
node_idle() {
  local state
  state="$(SLURM_CONF="$conf" timeout 10 sinfo --noheader --format=%T 2>/dev/null || true)"
  [[ "$state" == idle* || "$state" == mixed* || "$state" == allocated* ]]
}

# stops the daemon whose pid file is $1 (TERM, then KILL after 10 s); nothing when it is not running
stop_pid_file() {
  local file="$1" pid
  [[ -s "$file" ]] || return 0
  pid="$(cat "$file")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$file"
}

down() {
  stop_pid_file "$dir/slurmd.pid"
  stop_pid_file "$dir/slurmctld.pid"
  stop_pid_file "$dir/munged.pid"
}

# what is missing to run a cluster here, one line on stderr; exit 2 then
check() {
  local missing=()
  for tool in munged slurmctld slurmd sbatch squeue scancel scontrol sinfo; do command -v "$tool" >/dev/null || missing+=("$tool"); done
  if (( ${#missing[@]} > 0 )); then
    say "${missing[*]} not found: apt-get install slurm-wlm munge"
    exit 2
  fi
  [[ "$(id -u)" == 0 ]] || { say "needs root (slurmd runs each job as its user)"; exit 2; }
}

up() {
  if [[ -e "$conf" ]] && node_idle; then
    say "already up ($conf)"
    echo "$conf"
    return 0
  fi
  check
  # a half-started cluster from an earlier call is stopped first, so that `up` starts from clean
  down
  mkdir -p "$dir/state" "$dir/spool"
  chmod 0755 "$dir"
  if [[ ! -s "$dir/munge.key" ]]; then
    (umask 077 && head -c 1024 /dev/urandom > "$dir/munge.key")
  fi
  chmod 0400 "$dir/munge.key"
  : > "$dir/plugstack.conf"
  # one GPU for the scheduler (GresTypes=gpu, Gres=gpu:1), so that jobs asking --gres=gpu:1 are
  # scheduled as on a GPU node (CUDA_VISIBLE_DEVICES=0) and those asking for more are refused; its
  # device file is /dev/null's (mknod), or a plain file where mknod is not allowed (slurmd then
  # logs an error and counts it anyway)
  [[ -e "$dir/gpu0" ]] || mknod "$dir/gpu0" c 1 3 2>/dev/null || touch "$dir/gpu0"
  echo "Name=gpu File=$dir/gpu0" > "$dir/gres.conf"

  local host node
  host="$(hostname -s)"
  # "NodeName=vm CPUs=2 Boards=1 SocketsPerBoard=1 CoresPerSocket=2 ThreadsPerCore=1 RealMemory=24105"
  node="$(slurmd -C | head -n 1)"
  [[ "$node" == "NodeName=${host} "* ]] || { say "slurmd -C says '$node', expected NodeName=${host}"; exit 1; }
  cat > "$conf" <<EOF
# written by $(basename "$0") for $host: a private one-node cluster (see the script's header)
ClusterName=rbmlab-test
SlurmctldHost=${host}(127.0.0.1)
SlurmctldPort=${ctld_port}
SlurmdPort=$((ctld_port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=${dir}/munge.socket,cred_expire=10
StateSaveLocation=${dir}/state
SlurmdSpoolDir=${dir}/spool
SlurmctldPidFile=${dir}/slurmctld.pid
SlurmdPidFile=${dir}/slurmd.pid
SlurmctldLogFile=${dir}/slurmctld.log
SlurmdLogFile=${dir}/slurmd.log
PlugStackConfig=${dir}/plugstack.conf
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
SwitchType=switch/none
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=2
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
GresTypes=gpu
${node} Gres=gpu:1 NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=debug Nodes=${host} Default=YES MaxTime=INFINITE State=UP
EOF

  munged --socket="$dir/munge.socket" --key-file="$dir/munge.key" --pid-file="$dir/munged.pid" \
    --log-file="$dir/munged.log" --seed-file="$dir/munged.seed"
  # SLURM_CONF too, not only -f: the daemons find gres.conf beside the file SLURM_CONF names
  export SLURM_CONF="$conf"
  # -c: no jobs or node states from an earlier run of this cluster
  slurmctld -c -f "$conf"
  slurmd -f "$conf"
  for _ in $(seq 300); do
    node_idle && break
    sleep 0.2
  done
  if ! node_idle; then
    say "the node did not come up within 60 s; logs: $dir/slurmctld.log $dir/slurmd.log $dir/munged.log"
    tail -n 5 "$dir/slurmctld.log" "$dir/slurmd.log" >&2 || true
    down
    exit 1
  fi
  say "up: node ${host} ($(sed -E 's/.*CPUs=([0-9]+).*/\1/' <<<"$node") CPUs), SLURM_CONF=$conf"
  echo "$conf"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  check) check ;;
  *) echo "usage: $0 check|up|down" >&2; exit 2 ;;
esac
