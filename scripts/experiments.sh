#!/usr/bin/env bash
# `npm run experiments`: every memorization analysis of docs/memorization.md at CPU scale on
# Fashion-MNIST, into runs/experiments/. Sweeps skip finished runs and resume
# interrupted ones, so the script can be stopped and restarted (analyses are recomputed: minutes).
# Expected on lavapipe (2 cores shared with other jobs, from the step times measured there, load 11-19):
# about 4 h 15 min in all: step 1 13 min, 2 6 min, 3 10 min, 4 49 min (PGD-AT 23, TRADES 26), 4b 10 min,
# 5 8 min, 6 ~55 min (two 200-epoch CNN runs side by side), 7 ~30 min (the CNN ~25 min), 8 19 min,
# 9 (three small-CNN runs, 1000 steps each) 53 min. `--quick` leaves step 9 out: about 3 h 20 min.
# Set MATC to another matc command (e.g. MATC="node /tmp/dist/src/cli/bin.js") to use another build.
set -euo pipefail
cd "$(dirname "$0")/.."
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp/matc-xdg}"
if [ -z "${MATC:-}" ]; then
  npm run build --silent
  MATC="node dist/src/cli/bin.js"
fi
QUICK=0
[ "${1:-}" = "--quick" ] && QUICK=1
E=pipelines/experiments
OUT=runs/experiments
step() { echo; echo "== $1 ($(date -u +%H:%M:%S))"; }

step "1. random labels, MLP: standard, PGD-AT, TRADES at label_noise 1.0"
$MATC sweep $E/rl_standard_mlp.mat $E/rl_pgd_mlp.mat $E/rl_trades_mlp.mat --out $OUT/random_labels_mlp

step "2. random labels, second attack step count (2 steps of 0.05)"
$MATC sweep $E/rl_pgd_mlp_k2.mat $E/rl_trades_mlp_k2.mat --out $OUT/random_labels_k2

step "3. random labels, second optimizer (SGD, momentum 0.9)"
$MATC sweep $E/rl_standard_mlp.mat $E/rl_pgd_mlp.mat $E/rl_trades_mlp.mat \
  --grid 'train.optimizer=sgd(lr: 0.05, momentum: 0.9)' --out $OUT/random_labels_sgd

step "4. generalization gap vs label noise (PGD-AT and TRADES, MLP)"
$MATC sweep $E/rl_pgd_mlp.mat $E/rl_trades_mlp.mat --grid 'data.label_noise=0,0.2,0.4,0.6,0.8,1.0' --out $OUT/label_noise

step "4b. squared gradient norm per epoch on random labels (PGD-AT and TRADES, MLP)"
$MATC sweep $E/rl_pgd_mlp.mat $E/rl_trades_mlp.mat --grad-norm --out $OUT/grad_norm

step "5. gradient instability at the random-label PGD-AT and TRADES models"
for m in pgd trades; do
  $MATC analyze gradient $OUT/random_labels_mlp/rl_${m}_mlp/model-final.safetensors \
    --pipeline $E/rl_pgd_mlp.mat --pipeline $E/rl_trades_mlp.mat --n 100 --directions 3 \
    --out $OUT/gradient_at_${m}
done

step "6. smaller perturbation budget: eps 0.1 vs eps/8 (small CNN, 200 epochs, both at once)"
$MATC sweep $E/eps_pgd_cnn.mat $E/eps_small_pgd_cnn.mat --jobs 2 --out $OUT/small_eps_cnn_200

step "7. hard examples: two seeds of the MLP, and the small CNN"
$MATC sweep $E/hard_pgd_mlp.mat --grid 'train.seed=1,2' --out $OUT/hard
$MATC sweep $E/hard_pgd_cnn.mat --out $OUT/hard
$MATC analyze hard-examples $OUT/hard/hard_pgd_mlp__train.seed=1 $OUT/hard/hard_pgd_mlp__train.seed=2 $OUT/hard/hard_pgd_cnn --out $OUT/hard

step "8. complexity measures of the label-noise models vs the robust gap"
$MATC analyze complexity $OUT/label_noise --n 500

if [ "$QUICK" = 0 ]; then
  step "9. random labels, second architecture (small CNN; slow on lavapipe)"
  $MATC sweep $E/rl_standard_cnn.mat $E/rl_pgd_cnn.mat $E/rl_trades_cnn.mat --out $OUT/random_labels_cnn
fi
step "done"
