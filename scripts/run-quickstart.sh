#!/usr/bin/env bash
# README command 1: install what is missing, then train the PGD-AT+TE quickstart on Fashion-MNIST
# (software Vulkan when there is no GPU) and print the results table.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp/matc-xdg}"
node dist/src/cli/bin.js doctor
exec node dist/src/cli/bin.js run pipelines/quickstart/pgd_at_te.mat --out runs/quickstart_pgd_at_te "$@"
