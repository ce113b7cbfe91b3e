/** The training steps `npm run bench` measures (the issue's reference workloads). */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
export interface StepWorkload {
  /** Section name for `--only`. */
  name: string;
  title: string;
  /** Pipeline file, relative to the repository root (or absolute). */
  file: string;
  /** `--set`-style settings overrides. */
  overrides: string[];
  batch: number;
  /** Input [C, H, W] of the synthetic batch. */
  shape: [number, number, number];
  classes: number;
}

export const REFERENCE_CNN_PGD_AT: StepWorkload = {
  name: 'pgd_at',
  title: 'PGD-AT step, reference CNN (pipelines/fmnist/pgd_at.mat), batch 128, K=10',
  file: 'pipelines/fmnist/pgd_at.mat',
  overrides: [],
  batch: 128,
  shape: [1, 28, 28],
  classes: 10,
};

export const REFERENCE_CNN_TRADES: StepWorkload = {
  name: 'trades',
  title: 'TRADES step, reference CNN (pipelines/fmnist/trades.mat), batch 128, K=10',
  file: 'pipelines/fmnist/trades.mat',
  overrides: [],
  batch: 128,
  shape: [1, 28, 28],
  classes: 10,
};

/**
 * ResNet-18 (pipelines/pgd_at.mat) PGD-AT step, K=10, on CIFAR-shaped random data straight into
 * the batch variables: no CIFAR files needed. `width` < 64 narrows every layer (a written copy
 * of the pipeline), only to check the bench itself quickly on a slow adapter.
 */
export function resnet18PgdAt(batch: number, width = 64): StepWorkload {
  return {
    name: 'resnet18',
    title: `PGD-AT step, ResNet-18${width === 64 ? ' (pipelines/pgd_at.mat)' : ` (width ${width})`}, 32x32x3, batch ${batch}, K=10`,
    file: width === 64 ? 'pipelines/pgd_at.mat' : pgdAtPipeline('models/resnet18.mat', `resnet18(classes: 10, width: ${width})`, batch),
    overrides: width === 64 ? [`train.batch=${batch}`] : [],
    batch,
    shape: [3, 32, 32],
    classes: 10,
  };
}

/** The default batch of the ResNet-18 steps: 8 on a software adapter (minutes per step there), 128 (the paper's) on a GPU. */
export const resnetBatch = (software: boolean): number => (software ? 8 : 128);

/** The ResNet-18 workload at the paper's batch (the memory plan's). */
export const RESNET18_PGD_AT: StepWorkload = resnet18PgdAt(128);

/**
 * PreAct ResNet-18 (pipelines/models/preact_resnet18.mat, the robust-overfitting model) PGD-10
 * training step: eps 8/255, step 2/255, uniform start, CE; SGD with momentum and weight decay.
 * `width` < 64 narrows every layer (to check the bench itself quickly on a slow adapter).
 */
export function preactResnet18PgdAt(batch: number, width = 64): StepWorkload {
  const call = width === 64 ? 'preact_resnet18(classes: 10)' : `preact_resnet18(classes: 10, width: ${width})`;
  return {
    name: 'preact_resnet18',
    title: `PGD-10 AT step, PreAct ResNet-18${width === 64 ? '' : ` (width ${width})`}, 32x32x3, batch ${batch}, K=10`,
    file: pgdAtPipeline('models/preact_resnet18.mat', call, batch),
    overrides: [],
    batch,
    shape: [3, 32, 32],
    classes: 10,
  };
}

/** WideResNet-34-10 (pipelines/models/wrn34_10.mat, the paper's large model) PGD-10 training step. */
export function wrn34_10PgdAt(batch: number): StepWorkload {
  return {
    name: 'wrn34_10',
    title: `PGD-10 AT step, WRN-34-10, 32x32x3, batch ${batch}, K=10`,
    file: pgdAtPipeline('models/wrn34_10.mat', 'wrn34_10(classes: 10)', batch),
    overrides: [],
    batch,
    shape: [3, 32, 32],
    classes: 10,
  };
}

/**
 * A PGD-AT pipeline (the CIFAR settings of pipelines/pgd_at.mat) around `model`, written to a
 * temporary file: a model's arguments are not settings, so they cannot be overridden with --set.
 */
function pgdAtPipeline(modelFile: string, model: string, batch: number): string {
  const text = `# Written by bench/matc/workloads.ts for \`npm run bench\`.
import "${modelFile}"

pipeline bench_pgd_at {
  data cifar10 { augment: [crop(4), flip] }
  model f = ${model}

  attack adv = pgd(ball: linf(8/255), step: 2/255, steps: 10, start: uniform) {
    maximize ce(f(x + delta), y)
  }
  minimize ce(f(adv), y)

  train {
    epochs: 1, batch: ${batch}, seed: 1
    optimizer: sgd(lr: 0.1, momentum: 0.9, weight_decay: 5e-4)
  }
}
`;
  const file = join(mkdtempSync(join(tmpdir(), 'matc-bench-')), 'pgd_at.mat');
  writeFileSync(file, text);
  return file;
}
