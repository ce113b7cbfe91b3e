#!/usr/bin/env bash
# `npm run bench`: install what is missing and build (scripts/setup.sh), then run matc's
# benchmarks: kernel GFLOP/s, whole training steps, evaluation, per-kernel-family GPU time.
# Extra arguments go to the runner, e.g. `npm run bench -- --quick` or `-- --only pgd_at,trades`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp/matc-xdg}"
exec node dist/bench/run.js "$@"
