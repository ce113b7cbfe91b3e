import type { EpochRecord } from '../../src/io/metrics.js';

/** A plausible epoch record; override any field. */
export function record(epoch: number, overrides: Partial<EpochRecord> = {}): EpochRecord {
  return {
    epoch,
    step: epoch * 40,
    lr: epoch <= 4 ? 0.1 : 0.01,
    schedules: { w: epoch >= 3 ? 30 * (epoch - 2) : 0 },
    train_loss: 2 / epoch,
    train_natural_acc: 0.5 + epoch / 100,
    train_robust_acc: 0.3 + epoch / 100,
    test_natural_acc: 0.6 + epoch / 200,
    test_robust_acc: 0.35 + epoch / 200,
    eval: { natural: 0.6 + epoch / 200, pgd: 0.35 + epoch / 200 },
    seconds: 12.5,
    is_best: false,
    ...overrides,
  };
}
