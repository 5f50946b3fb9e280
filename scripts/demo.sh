#!/usr/bin/env bash
# `npm run demo`: the pod-debugging walkthrough (docs/cilium.md) on a fake Cilium node built in
# namespaces and a private bpffs, then torn down. Installs what is missing and builds first.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
[ -d node_modules/node-addon-api ] || { if [ -f package-lock.json ]; then npm ci --ignore-scripts; else npm install --ignore-scripts; fi; }
node scripts/build-addon.mjs --if-needed
node scripts/build-ts.mjs
exec node scripts/demo.mjs "$@"
