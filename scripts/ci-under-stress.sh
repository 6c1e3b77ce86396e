#!/usr/bin/env bash
# Runs the whole CI (.ci/run) from a fresh clone of HEAD, RUNS times in a row, with BUSY CPU-bound processes
# beside it the whole time, and stops at the first red run. A suite that passes here does not depend on having
# the machine to itself. Usage: bash scripts/ci-under-stress.sh [RUNS=3] [BUSY=2]; logs go to .tmp/stress/.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
busy=${2:-2}
root=$(pwd)
logs="$root/.tmp/stress"
mkdir -p "$logs"
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
for _ in $(seq "$busy"); do
  sh -c 'while :; do :; done' &
  pids+=($!)
done
echo "busy processes: ${pids[*]} (load before the runs: $(cut -d' ' -f1-3 /proc/loadavg))"
for i in $(seq "$runs"); do
  rm -rf "$work/clone"
  git clone -q "$root" "$work/clone"
  start=$(date +%s)
  if bash "$work/clone/.ci/run" >"$logs/run-$i.log" 2>&1; then result=passed; else result=failed; fi
  secs=$(($(date +%s) - start))
  summary=$(grep -E '^tests: ' "$logs/run-$i.log" | tail -1 || true)
  echo "run $i/$runs: $result in $((secs / 60)) min $((secs % 60)) s; ${summary:-no test summary} (load: $(cut -d' ' -f1-3 /proc/loadavg))"
  if [ "$result" = failed ]; then
    echo "see $logs/run-$i.log"
    exit 1
  fi
done
