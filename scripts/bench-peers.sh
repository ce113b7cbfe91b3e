#!/usr/bin/env bash
# `npm run bench:peers`: build, then run the reference PGD-AT step in TF.js (webgpu backend) and
# in matc, in one process on the same Dawn adapter, and print the ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp/matc-xdg}"
exec node dist/bench/peers/run.js "$@"
