/** The training steps `npm run bench` measures (the reference workloads). */
export interface StepWorkload {
  /** Section name for `--only`. */
  name: string;
  title: string;
  /** Pipeline file, relative to the repository root. */
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

/** CIFAR-shaped random data straight into the batch variables: no CIFAR files needed. */
export const RESNET18_PGD_AT: StepWorkload = {
  name: 'resnet18',
  title: 'PGD-AT step, ResNet-18 (pipelines/pgd_at.mat), 32x32x3, batch 32, K=10',
  file: 'pipelines/pgd_at.mat',
  overrides: ['train.batch=32'],
  batch: 32,
  shape: [3, 32, 32],
  classes: 10,
};
