#!/usr/bin/env bash
# The main job on a fresh machine: install, start Postgres and Redis if needed, and run an end-to-end search on
# the embedded defaults (scripts/main.ts).
set -euo pipefail
cd "$(dirname "$0")/.."
export ONNXRUNTIME_NODE_INSTALL_CUDA=skip
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
# The real adb server the device lab talks to (the emulated phone attaches to it like a phone over TCP).
# A C compiler builds the emulated phone's flush-to-zero library (packages/devices/tools/flush-subnormals.c).
if ! command -v adb >/dev/null 2>&1 || ! command -v cc >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq adb gcc libc6-dev >/dev/null
fi
bash scripts/services-up.sh mfnas
export DATABASE_URL=${DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/mfnas}
export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379}
exec npm run -s demo
