#!/usr/bin/env bash
# Run an rbmlab study as a SLURM job array, one shard per array task, then merge the shards.
#
#   bash examples/slurm-study.sh submit STUDY.json OUT [SHARDS]   # from a login node: sbatch both steps
#
# `submit` sends a job array of SHARDS tasks (default 8), each running
#     rbmlab run STUDY.json --out OUT/shard-$i --shard $i/SHARDS --resume --jobs $SLURM_CPUS_PER_TASK
# and a merge job that starts when every task has succeeded (--dependency=afterok) and runs
#     rbmlab merge OUT/shard-* --out OUT/merged
# Trial seeds depend only on (study seed, grid point, trial), so OUT/merged/results.csv is the
# same file a single `rbmlab run` gives. A task that is preempted or requeued resumes its shard
# (--resume starts fresh when the shard has no results yet). The two steps can also be run by
# hand or by another scheduler:
#
#   SLURM_ARRAY_TASK_ID=3 SLURM_ARRAY_TASK_COUNT=8 bash examples/slurm-study.sh shard STUDY.json OUT
#   bash examples/slurm-study.sh merge STUDY.json OUT
#
# Adjust the #SBATCH lines below (time, partition, account) to your cluster. RBMLAB overrides the
# command (default: this checkout's bin).
#SBATCH --job-name=rbmlab-study
#SBATCH --cpus-per-task=2
#SBATCH --time=04:00:00
#SBATCH --output=rbmlab-%A_%a.log
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
RBMLAB="${RBMLAB:-node ${here}/../packages/experiments/bin/rbmlab.js}"

usage() {
  echo "usage: $0 submit STUDY.json OUT [SHARDS] | shard STUDY.json OUT | merge STUDY.json OUT" >&2
  exit 2
}

mode="${1:-}"
study="${2:-}"
out="${3:-}"
[[ -n "$mode" && -n "$study" && -n "$out" ]] || usage
[[ -f "$study" ]] || { echo "$0: $study: no such study file" >&2; exit 2; }

case "$mode" in
  submit)
    shards="${4:-8}"
    [[ "$shards" =~ ^[1-9][0-9]*$ ]] || { echo "$0: SHARDS must be a positive integer, got '$shards'" >&2; exit 2; }
    mkdir -p "$out"
    array_job=$(sbatch --parsable --array="0-$((shards - 1))" "$0" shard "$study" "$out")
    merge_job=$(sbatch --parsable --dependency="afterok:${array_job}" --cpus-per-task=1 "$0" merge "$study" "$out")
    echo "submitted shards as job ${array_job} and the merge as job ${merge_job}; results in ${out}/merged"
    ;;
  shard)
    : "${SLURM_ARRAY_TASK_ID:?shard mode runs inside a SLURM array task (or set SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT)}"
    : "${SLURM_ARRAY_TASK_COUNT:?shard mode needs SLURM_ARRAY_TASK_COUNT}"
    $RBMLAB run "$study" --out "${out}/shard-${SLURM_ARRAY_TASK_ID}" \
      --shard "${SLURM_ARRAY_TASK_ID}/${SLURM_ARRAY_TASK_COUNT}" --resume --no-plots \
      --jobs "${SLURM_CPUS_PER_TASK:-1}"
    ;;
  merge)
    shopt -s nullglob
    shards=("${out}"/shard-*)
    (( ${#shards[@]} > 0 )) || { echo "$0: no shard directories in ${out}" >&2; exit 2; }
    $RBMLAB merge "${shards[@]}" --out "${out}/merged"
    ;;
  *)
    usage
    ;;
esac
