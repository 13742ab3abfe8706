#!/usr/bin/env bash
# npm run bench:device [-- --local [--full] [--budget SECONDS] [--out DIR]]
#
# Prepares the device bench (packages/bench/src/device) for a lent GPU machine that has no Node and
# no network, with ../shared/device-kit:
#   1. build check: tsc -b (the kit carries the built dist, not the sources);
#   2. pack: the kit's pack.sh copies it into ./.device (git-ignored) with the runtime closure of
#      @rbmlab/core, @rbmlab/gpu, gl and the bench's device module, and prints the travel size;
#   3. without --local: prints the device tool call (command, carry, timeout_s);
#      with --local: runs that same command here, in a temporary copy of exactly what the device
#      tool sends, under the kit's Xvfb on Mesa llvmpipe (a CPU rasterizer: plumbing, not GPU
#      figures), with quick sizes unless --full.
# Flags: --local, --full (with --local: the GPU sizes, slow on Mesa), --budget SECONDS (the
# script's budget; default 200 on the device, 300 locally), --out DIR (local results; default a
# new /tmp/rbmlab-bench-device.XXXXXX). Env: RBMLAB_DEVICE_KIT (default ../shared/device-kit),
# RBM_VARIANTS (local GL variants; default mesa, or softpipe where libLLVM-15 is missing).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
KIT=${RBMLAB_DEVICE_KIT:-$ROOT/../shared/device-kit}
SCRIPT=packages/bench/bin/device.js
# The device run: the kit's run.sh gets RBM_TOTAL_S for everything (unpacking, Xvfb, the GL probes:
# about 40 s on the H200, then this script); the script stops itself within --budget and the tool's
# timeout_s leaves a minute on top (the kit's README: RBM_TOTAL_S + 60).
DEVICE_BUDGET=200
DEVICE_TOTAL=$((DEVICE_BUDGET + 100))
LLVM=/usr/lib/x86_64-linux-gnu/libLLVM-15.so.1
LLVM_CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/rbmlab/libLLVM-15.so.1.xz

die() { echo "bench:device: $1" >&2; exit "${2:-1}"; }
usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | grep '^#' | sed 's/^# \{0,1\}//'; }

LOCAL=0 FULL=0 BUDGET= OUTDIR=
while [ $# -gt 0 ]; do
  case $1 in
    --local) LOCAL=1 ;;
    --full) FULL=1 ;;
    --budget)
      [[ ${2:-} =~ ^[0-9]+$ ]] && [ "$2" -gt 0 ] || { echo "bench:device: --budget needs a positive whole number of seconds, got '${2:-}'" >&2; exit 2; }
      BUDGET=$2; shift ;;
    --out)
      [ -n "${2:-}" ] || { echo "bench:device: --out needs a folder" >&2; exit 2; }
      OUTDIR=$2; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "bench:device: unknown argument $1 (flags: --local, --full, --budget SECONDS, --out DIR; --help)" >&2; exit 2 ;;
  esac
  shift
done
[ $FULL = 0 ] || [ $LOCAL = 1 ] || die "--full goes with --local (on the device the sizes are always full)" 2
[ -z "$OUTDIR" ] || [ $LOCAL = 1 ] || die "--out goes with --local (on the device the results go to the tool's \$OUT)" 2
[ -f "$KIT/pack.sh" ] && [ -f "$KIT/run.sh" ] || die "no device kit at $KIT (set RBMLAB_DEVICE_KIT)"

cd "$ROOT"
echo "bench:device: build check (tsc -b)"
npx tsc -b || die "the TypeScript build failed: fix it first (the device runs the built dist)"

# the bench's device module travels in the kit's app folder (dist/ is git-ignored); naming its
# file, not the package, keeps pack.sh's load check from running the bench's main.js
RBM_PACK_MODULES="@rbmlab/bench/dist/device/main.js" bash "$KIT/pack.sh" . || die "pack.sh failed (see above)"

if [ $LOCAL = 0 ]; then
  cat <<EOF

bench:device: ready. The device tool call (one command, about 4-5 minutes on an H200):
  command:   RBM_TOTAL_S=$DEVICE_TOTAL bash .device/run.sh $SCRIPT --budget ${BUDGET:-$DEVICE_BUDGET}
  carry:     [".device"]
  timeout_s: $((DEVICE_TOTAL + 60))
Results: \$OUT/bench-device.json (rows, ratios, GL renderer and driver), run.log (the table of ratios
at the end of the script's output, then the kit's summary), sysinfo.txt, probes.jsonl.
Pack again after every rebuild: the device runs the packed dist.
EOF
  exit 0
fi

# ---- local run on Mesa, the way the device runs it ------------------------------------------------------
# The device tool sends the tracked files, the untracked files git does not ignore, and the carried
# .device, and nothing else (no node_modules, no dist, no ../shared): stage exactly that in a
# temporary folder and run there, so that the packed dist, run.sh's links and the script's paths
# are what is tested. llvm.xz goes into the staged kit only.
STAGE=$(mktemp -d /tmp/rbmlab-device-checkout.XXXXXX)
trap 'rm -rf "$STAGE"' EXIT
{ git ls-files -z --cached --others --exclude-standard; } | tar --null --ignore-failed-read -T - -cf - 2>/dev/null | tar -C "$STAGE" -xf -
cp -r .device "$STAGE/.device"
if [ -z "${RBM_VARIANTS:-}" ]; then
  if [ -f "$LLVM" ]; then
    if [ ! -f "$LLVM_CACHE" ]; then
      echo "bench:device: compressing $LLVM for the kit's llvmpipe (once, into $LLVM_CACHE)"
      mkdir -p "$(dirname "$LLVM_CACHE")"
      xz -1 -T0 -c "$LLVM" > "$LLVM_CACHE.tmp" && mv "$LLVM_CACHE.tmp" "$LLVM_CACHE"
    fi
    cp "$LLVM_CACHE" "$STAGE/.device/llvm.xz"
    export RBM_VARIANTS=mesa
  else
    echo "bench:device: $LLVM is missing (apt-get install libllvm15): Mesa softpipe instead of llvmpipe, very slow" >&2
    export RBM_VARIANTS=softpipe
  fi
fi
if [ -z "$OUTDIR" ]; then OUTDIR=$(mktemp -d /tmp/rbmlab-bench-device.XXXXXX)
elif [ -e "$OUTDIR" ] && [ -n "$(ls -A "$OUTDIR")" ]; then die "--out $OUTDIR is not empty (the kit appends to its files)" 2
fi
mkdir -p "$OUTDIR"
OUTDIR=$(cd "$OUTDIR" && pwd)
if [ $FULL = 1 ]; then SIZES=(); B=${BUDGET:-$DEVICE_BUDGET}; else SIZES=(--quick); B=${BUDGET:-300}; fi
echo "bench:device: local run on Mesa (RBM_VARIANTS=$RBM_VARIANTS) in a staged copy of what travels ($STAGE, $(du -sm "$STAGE" | cut -f1) MB); results in $OUTDIR"
set +e
(cd "$STAGE" && OUT=$OUTDIR RBM_TOTAL_S=$((B + 100)) bash .device/run.sh "$SCRIPT" "${SIZES[@]}" --budget "$B")
RC=$?
set -e
echo "bench:device: local run finished with status $RC; results in $OUTDIR: $(ls "$OUTDIR" | tr '\n' ' ')"
exit $RC
