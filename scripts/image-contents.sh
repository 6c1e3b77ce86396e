#!/usr/bin/env bash
# What each service image holds besides the Node.js base, measured without Docker: for every service, the same
# production install the Dockerfile runs (manifests only, then `npm ci --omit=dev --workspace <its workspace>`)
# in a scratch folder, and the compiled JavaScript and assets the image copies (`npm run build` first).
# Prints a Markdown table (sizes from `du -sh`; packages: `npm ls --all` entries). Usage:
#   npm run build && bash scripts/image-contents.sh [scratch folder]
set -euo pipefail
cd "$(dirname "$0")/.."
scratch=${1:-$(mktemp -d)}
export ONNXRUNTIME_NODE_INSTALL_CUDA=skip
test -d services/api/dist || { echo "run npm run build first" >&2; exit 1; }
# service, the workspace its production dependencies come from (the Dockerfile's prod-<service> stages)
targets="api:services/api searcher:services/searcher trainer:services/trainer evaluator:services/evaluator device-lab:services/device-lab scheduler:services/scheduler migrate:packages/store"
app=$(du -shc packages/*/dist packages/model/assets services/*/dist services/api/dashboard dist prisma | tail -1 | cut -f1)
echo "| image | production dependencies of | packages | node_modules |"
echo "| --- | --- | --- | --- |"
for target in $targets; do
  name=${target%%:*} workspace=${target#*:}
  dir="$scratch/$name"
  rm -rf "$dir" && mkdir -p "$dir"
  cp package.json package-lock.json "$dir/"
  for manifest in packages/*/package.json services/*/package.json; do
    mkdir -p "$dir/$(dirname "$manifest")" && cp "$manifest" "$dir/$manifest"
  done
  (cd "$dir" && npm ci --omit=dev --workspace "$workspace" --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null \
    && rm -rf node_modules/onnxruntime-node/bin/napi-v*/darwin node_modules/onnxruntime-node/bin/napi-v*/win32)
  count=$(cd "$dir" && npm ls --omit=dev --workspace "$workspace" --all --parseable 2>/dev/null | sort -u | wc -l)
  echo "| $name | $workspace | $count | $(du -sh "$dir/node_modules" | cut -f1) |"
done
echo
echo "Compiled JavaScript and assets every image copies (dist/, packages/model/assets, the dashboard, prisma/): $app"
echo "The whole development install (npm ci, what every image carried before): $(du -sh node_modules | cut -f1)"
