import { describe, expect, it } from 'vitest';
import { attackTitle, compareTitles, titleFromLabel, type EvalSummary } from '../../src/report/eval-summary.js';
import { bestRecord, diffPercent, formatCount, formatPercent, formatResultTable, resultTable } from '../../src/report/result-table.js';
import { formatEpochLine, formatNumber } from '../../src/report/epoch-line.js';
import { record } from './fixtures.js';

const best: EvalSummary = {
  checkpoint: 'best',
  attacks: {
    natural: { accuracy: 0.8412, n: 10000, title: 'Natural' },
    pgd: { accuracy: 0.5087, n: 10000, title: 'PGD-1000' },
    cw: { accuracy: 0.4951, n: 10000, title: 'C&W-1000' },
    autoattack: { accuracy: 0.4733, n: 10000, title: 'AutoAttack' },
  },
};
const final: EvalSummary = {
  checkpoint: 'final',
  attacks: {
    natural: { accuracy: 0.8631, n: 10000, title: 'Natural' },
    pgd: { accuracy: 0.4302, n: 10000, title: 'PGD-1000' },
    cw: { accuracy: 0.4355, n: 10000, title: 'C&W-1000' },
    autoattack: { accuracy: 0.4118, n: 10000, title: 'AutoAttack' },
  },
};

describe('attack titles', () => {
  it('names attacks as the paper does', () => {
    expect(attackTitle({ kind: 'natural' })).toBe('Natural');
    expect(attackTitle({ kind: 'pgd', steps: 10 })).toBe('PGD-10');
    expect(attackTitle({ kind: 'cw', steps: 1000 })).toBe('C&W-1000');
    expect(attackTitle({ kind: 'autoattack' })).toBe('AutoAttack');
    expect(attackTitle({ kind: 'apgd_t', steps: 100 })).toBe('APGD-T');
    expect(titleFromLabel('pgd_2')).toBe('PGD');
    expect(titleFromLabel('mystery')).toBe('mystery');
  });

  it('orders rows Natural, PGD by steps, C&W, AutoAttack, then others', () => {
    const titles = ['AutoAttack', 'zeta', 'C&W-1000', 'PGD-1000', 'Natural', 'PGD-20x5', 'PGD-10', 'Square'];
    expect(titles.sort(compareTitles)).toEqual(['Natural', 'PGD-10', 'PGD-20x5', 'PGD-1000', 'C&W-1000', 'AutoAttack', 'Square', 'zeta']);
  });
});

describe('Best/Final/Diff table', () => {
  it('takes rows from the final evaluations, completes them from the log, and computes Diff = Best - Final', () => {
    const records = [1, 2, 3, 4].map((e) => record(e, { eval: { natural: 0.5, pgd: [0.40, 0.47, 0.45, 0.41][e - 1]! }, is_best: e === 2 }));
    const table = resultTable({ best, final, records, titles: { natural: 'Natural', pgd: 'PGD-10' } });
    expect(table.bestEpoch).toBe(2);
    expect(table.finalEpoch).toBe(4);
    expect(table.rows.map((r) => r.title)).toEqual(['Natural', 'PGD-10', 'PGD-1000', 'C&W-1000', 'AutoAttack']);
    const diffs = Object.fromEntries(table.rows.map((r) => [r.title, diffPercent(r)]));
    expect(diffs).toEqual({ Natural: '-2.19', 'PGD-10': '6.00', 'PGD-1000': '7.85', 'C&W-1000': '5.96', AutoAttack: '6.15' });
    // Natural comes from eval/*.json, not from the log's 0.5.
    expect(table.rows[0]).toEqual({ title: 'Natural', best: 0.8412, final: 0.8631, nBest: 10000, nFinal: 10000 });
  });

  it('computes Diff from the printed (rounded) values', () => {
    expect(formatPercent(0.84125)).toBe('84.13');
    expect(formatPercent(null)).toBe('-');
    // 84.125 -> 84.13 and 80.004 -> 80.00: the Diff shown is 4.13, not round(4.121) = 4.12.
    expect(diffPercent({ title: 'x', best: 0.84125, final: 0.80004 })).toBe('4.13');
    expect(diffPercent({ title: 'x', best: 0.5, final: null })).toBeNull();
  });

  it('falls back to the training log: best epoch by robust accuracy, ties by natural accuracy', () => {
    const records = [
      record(1, { test_robust_acc: 0.3, test_natural_acc: 0.7, eval: {} }),
      record(2, { test_robust_acc: 0.45, test_natural_acc: 0.7, eval: {} }),
      record(3, { test_robust_acc: 0.45, test_natural_acc: 0.75, eval: {} }),
      record(4, { test_robust_acc: 0.45, test_natural_acc: 0.75, eval: {} }),
      record(5, { test_robust_acc: 0.4, test_natural_acc: 0.8, eval: {} }),
    ];
    expect(bestRecord(records)!.epoch).toBe(3);
    const table = resultTable({ records });
    expect(table.rows).toEqual([
      { title: 'Natural', best: 0.75, final: 0.8, nBest: null, nFinal: null },
      { title: 'Robust', best: 0.45, final: 0.4, nBest: null, nFinal: null },
    ]);
    expect([table.bestEpoch, table.finalEpoch]).toEqual([3, 5]);
  });

  it('prefers the is_best flag the trainer wrote', () => {
    const records = [record(1, { is_best: true }), record(2), record(3, { is_best: true }), record(4)];
    expect(bestRecord(records)!.epoch).toBe(3);
  });

  it('shows only the rows present, with "-" for a missing side', () => {
    const onlyFinal: EvalSummary = { checkpoint: 'final', attacks: { natural: { accuracy: 0.9, n: 100 }, autoattack: { accuracy: 0.4, n: 100 } } };
    const table = resultTable({ final: onlyFinal });
    expect(formatResultTable(table)).toBe(
      ['Accuracy (%)   Best   Final   Diff     n', '------------   ----   -----   ----   ---', 'Natural           -   90.00      -   100', 'AutoAttack        -   40.00      -   100'].join('\n'),
    );
  });

  it('formats the terminal table with aligned columns and the epochs', () => {
    const records = [record(1), record(2, { is_best: true }), record(3)].map((r) => ({ ...r, eval_n: 1000 }));
    const text = formatResultTable(resultTable({ best, final, records, titles: { natural: 'Natural', pgd: 'PGD-10' } }));
    expect(text).toBe(
      [
        'Accuracy (%)    Best   Final    Diff       n',
        '------------   -----   -----   -----   -----',
        'Natural        84.12   86.31   -2.19   10000',
        'PGD-10         36.00   36.50   -0.50    1000',
        'PGD-1000       50.87   43.02    7.85   10000',
        'C&W-1000       49.51   43.55    5.96   10000',
        'AutoAttack     47.33   41.18    6.15   10000',
        'Best = epoch 2, Final = epoch 3; Diff = Best - Final; n = test examples per row.',
      ].join('\n'),
    );
    expect(formatResultTable({ rows: [], bestEpoch: null, finalEpoch: null })).toMatch(/No test accuracies/);
  });

  it('says how many examples each row is over: eval/*.json (--n 50) beside the log (1000)', () => {
    const small = (checkpoint: 'best' | 'final', n: number): EvalSummary => ({ checkpoint, attacks: { natural: { accuracy: 0.5, n, title: 'Natural' }, aa: { accuracy: 0.1, n, title: 'AutoAttack' } } });
    const records = [record(1, { is_best: true, eval_n: 1000 }), record(2, { eval_n: 1000 })];
    const table = resultTable({ best: small('best', 50), final: small('final', 50), records, titles: { natural: 'Natural', pgd: 'PGD-10' } });
    const n = Object.fromEntries(table.rows.map((r) => [r.title, formatCount(r)]));
    expect(n).toEqual({ Natural: '50', 'PGD-10': '1000', AutoAttack: '50' });
    expect(formatResultTable(table).split('\n')[3]).toBe('PGD-10         35.50   36.00   -0.50   1000');
    // Best and final evaluated on different numbers show both; unknown (an old log) is '-'.
    expect(formatCount({ nBest: 50, nFinal: 1000 })).toBe('50/1000');
    expect(formatCount({ nBest: null, nFinal: 1000 })).toBe('1000');
    expect(formatCount({ nBest: null, nFinal: null })).toBe('-');
    const old = resultTable({ records: [record(1, { is_best: true })] });
    expect(old.rows.map(formatCount)).toEqual(['-', '-']);
  });
});

describe('epoch line', () => {
  it('shows the epoch, schedules, loss and accuracies in one line', () => {
    const line = formatEpochLine(record(3, { is_best: true, lr: 0.1, train_loss: 1.23456, seconds: 41.25 }), 8);
    expect(line).toBe('epoch 3/8  step 120  lr 0.1  w 30  loss 1.235  train nat 53.00% rob 33.00%  test nat 61.50% rob 36.50%  41.3s  best');
  });

  it('leaves out what the epoch did not measure', () => {
    const r = record(1, { schedules: {}, train_robust_acc: null, test_natural_acc: null, test_robust_acc: null, eval: {}, te_weight: 0.5, seconds: 2 });
    expect(formatEpochLine(r)).toBe('epoch 1  step 40  lr 0.1  te_weight 0.5  loss 2  train nat 51.00%  2.0s');
  });

  it('formats numbers compactly', () => {
    expect([0, 0.1, 0.0005, 12.3456, 1.5e-7, 123456789, NaN].map(formatNumber)).toEqual(['0', '0.1', '0.0005', '12.35', '1.5e-7', '1.23e+8', 'NaN']);
  });
});
