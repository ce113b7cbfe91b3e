#!/usr/bin/env bash
# README command 1: install what is missing, then train the PGD-AT+TE quickstart on Fashion-MNIST
# (software Vulkan when there is no GPU), train the undefended baseline of the same model on the same
# data and schedule, and print both models' natural and PGD-20 accuracy side by side.
# Extra arguments (e.g. --set train.seed=2) go to both runs.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp/matc-xdg}"
node dist/src/cli/bin.js doctor
node dist/src/cli/bin.js run pipelines/quickstart/pgd_at_te.mat --out runs/quickstart_pgd_at_te "$@"
echo
echo "Undefended baseline: the same model, data, seed and schedule, trained without the attack"
node dist/src/cli/bin.js run pipelines/quickstart/baseline.mat --out runs/quickstart_baseline "$@"
node scripts/quickstart-summary.mjs runs/quickstart_pgd_at_te runs/quickstart_baseline
