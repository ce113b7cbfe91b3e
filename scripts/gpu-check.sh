#!/usr/bin/env bash
# scripts/gpu-check.sh OUTDIR: what matc does on this machine's GPU, in at most ~5 minutes, offline.
#
#   1. build     the TypeScript build, only when dist/ is missing or older than the sources
#   2. doctor    `matc doctor`: adapter name, features, limits, a tiny forward/backward vs the CPU
#   3. tests     kernel checks against the CPU reference: a fast subset of test/ops (vitest)
#   4. bench     `npm run bench -- --quick --resnet` (the runner directly, without setup.sh, which
#                could reach for the network): kernel GFLOP/s, the reference-CNN steps, and one
#                PreAct ResNet-18 PGD-10 training step measured at the bench's batch (128 on a GPU)
#   5. loops     the GEMM with its k loop unrolled and rolled (bench/matmul-ab.ts), 1024^3
#   6. resnet18  a ResNet-18 PGD-AT step (pipelines/pgd_at.mat, K=10) at batch 128 on
#                CIFAR-shaped random data, in images/s (measured, whole steps)
#   7. convshapes every convolution shape of ResNet-18 and WRN-34-10 (forward, input and weight
#                gradients) at the bench's batch, GFLOP/s and share of the matmul (bench/conv-shapes.ts)
#
# Every part runs under `timeout` (and all of them within GPU_CHECK_BUDGET seconds), so one that
# fails or hangs loses only itself. Each part's output goes to OUTDIR/<part>.log; the summary (date,
# GPU name, pass/fail counts, figures, each part's exit status and seconds) is printed and
# written to OUTDIR/gpu-check.json.
#
# Shrink it (to check the script itself on lavapipe, where a full-size ResNet step takes minutes):
#   GPU_CHECK_PREACT_BATCH=2 GPU_CHECK_PREACT_WIDTH=8 GPU_CHECK_RESNET_BATCH=2 GPU_CHECK_RESNET_WIDTH=8 \
#   GPU_CHECK_TESTS=test/ops/matmul.test.ts GPU_CHECK_BUDGET=1800 GPU_CHECK_T_LOOPS=120 GPU_CHECK_T_CONVSHAPES=180 \
#   scripts/gpu-check.sh /tmp/gc
# (loops and convshapes have GPU-sized limits; on lavapipe their cold compiles alone take longer).
# Other knobs: GPU_CHECK_T_<PART> (per-part limit in seconds: BUILD, DOCTOR, TESTS, BENCH, LOOPS, RESNET18, CONVSHAPES).
set -uo pipefail
cd "$(dirname "$0")/.."

OUT="${1:?usage: scripts/gpu-check.sh OUTDIR}"
mkdir -p "$OUT" && OUT="$(cd "$OUT" && pwd)"
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp/matc-xdg}"
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR" 2>/dev/null || true

BUDGET="${GPU_CHECK_BUDGET:-290}"
PREACT_BATCH="${GPU_CHECK_PREACT_BATCH:-}"
PREACT_WIDTH="${GPU_CHECK_PREACT_WIDTH:-64}"
RESNET_BATCH="${GPU_CHECK_RESNET_BATCH:-128}"
RESNET_WIDTH="${GPU_CHECK_RESNET_WIDTH:-64}"
TESTS="${GPU_CHECK_TESTS:-test/ops/matmul.test.ts test/ops/conv.test.ts test/ops/conv-direct.test.ts test/ops/conv-strided.test.ts test/ops/conv-grad-weight-thin.test.ts test/ops/conv-subgroup.test.ts test/ops/elementwise.test.ts test/ops/reduce.test.ts test/ops/softmax.test.ts test/ops/maxpool.test.ts test/ops/losses.test.ts}"

START=$(date +%s)
PARTS="$OUT/parts.tsv"
printf 'part\trc\tseconds\tlimit\n' > "$PARTS"

# part NAME LIMIT CMD...: run CMD with its output in OUTDIR/NAME.log, under min(LIMIT, what is left
# of the budget); rc 124/137 = timed out, -1 = skipped (no budget left).
part() {
  local name="$1" limit="$2"
  shift 2
  local left=$((START + BUDGET - $(date +%s)))
  [ "$left" -lt "$limit" ] && limit="$left"
  if [ "$limit" -lt 5 ]; then
    printf '%s\t-1\t0\t0\n' "$name" >> "$PARTS"
    echo "[gpu-check] $name: skipped (budget spent)" >&2
    return
  fi
  echo "[gpu-check] $name (limit ${limit} s) ..." >&2
  local t0 rc t1
  t0=$(date +%s.%N)
  timeout --kill-after=10 "$limit" "$@" > "$OUT/$name.log" 2>&1
  rc=$?
  t1=$(date +%s.%N)
  printf '%s\t%s\t%s\t%s\n' "$name" "$rc" "$(awk "BEGIN { printf \"%.1f\", $t1 - $t0 }")" "$limit" >> "$PARTS"
  echo "[gpu-check] $name: exit $rc" >&2
}

needs_build() {
  [ -f dist/bench/run.js ] && [ -f dist/src/cli/bin.js ] || return 0
  [ -n "$(find src bench codegen grammar -name '*.ts' -newer dist/bench/run.js -print -quit 2>/dev/null)" ]
}

if needs_build; then
  part build "${GPU_CHECK_T_BUILD:-150}" npx tsc -p tsconfig.json
fi
part doctor "${GPU_CHECK_T_DOCTOR:-60}" node dist/src/cli/bin.js doctor
# shellcheck disable=SC2086
part tests "${GPU_CHECK_T_TESTS:-120}" npx vitest run $TESTS --reporter=default --reporter=json --outputFile.json="$OUT/vitest.json"
part bench "${GPU_CHECK_T_BENCH:-150}" node dist/bench/run.js --quick --resnet --no-profile --no-peer \
  ${PREACT_BATCH:+--resnet-batch "$PREACT_BATCH"} --resnet-width "$PREACT_WIDTH" --json "$OUT/bench.json"
# Loops that stay loops (codegen/wgsl/dispatch.ts rolledCount) were measured on lavapipe only: the
# same GEMM with its k loop unrolled ("u") and rolled, on this GPU.
part loops "${GPU_CHECK_T_LOOPS:-40}" node dist/bench/matmul-ab.js --size 1024 --rounds 3 --robust on \
  --variants gemm8x8r16x16k8u,gemm8x8r16x16k8,gemm8x4r8x16k16u,gemm8x4r8x16k16,gemm8x8r8x8k16u,gemm8x8r8x8k16
part resnet18 "${GPU_CHECK_T_RESNET18:-120}" node dist/bench/run.js --only resnet18 --resnet-batch "$RESNET_BATCH" --resnet-width "$RESNET_WIDTH" --no-profile --json "$OUT/resnet18.json"
part convshapes "${GPU_CHECK_T_CONVSHAPES:-60}" node dist/bench/run.js --only conv_shapes --quick \
  ${PREACT_BATCH:+--resnet-batch "$PREACT_BATCH"} --resnet-width "$PREACT_WIDTH" --json "$OUT/conv-shapes.json"

node scripts/gpu-check-summary.mjs "$OUT"
