// Prints the quickstart's result beside its undefended baseline, from the two runs' metrics.jsonl
// (the last epoch's evaluation: natural and PGD-20 on the same test images).
// Usage: node scripts/quickstart-summary.mjs DEFENDED_RUN_DIR BASELINE_RUN_DIR
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

function lastEvaluated(dir) {
  const lines = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').split('\n').filter((l) => l.trim());
  const records = lines.flatMap((l) => { try { return [JSON.parse(l)]; } catch { return []; } });
  const r = records.filter((x) => x.test_natural_acc !== null && x.test_natural_acc !== undefined).at(-1);
  if (!r) throw new Error(`${dir}: no evaluated epoch in metrics.jsonl`);
  return r;
}

const [defended, baseline] = process.argv.slice(2);
if (!defended || !baseline) {
  console.error('usage: node scripts/quickstart-summary.mjs DEFENDED_RUN_DIR BASELINE_RUN_DIR');
  process.exit(1);
}
const rows = [
  ['PGD-AT+TE (pgd_at_te.mat)', lastEvaluated(defended)],
  ['undefended baseline (baseline.mat)', lastEvaluated(baseline)],
];
const pct = (v) => `${(100 * v).toFixed(1)}%`.padStart(7);
const n = rows[0][1].eval_n ?? '?';
// The training subset as the run recorded it (run.json's settings), not as this script assumes.
const subset = JSON.parse(readFileSync(join(defended, 'run.json'), 'utf8')).settings?.data?.subset;
const trainImages = subset?.kind === 'first' ? `first ${subset.count}` : subset ? `${subset.kind} ${subset.count}` : 'all';
console.log('');
console.log(`Quickstart result: small CNN, ${trainImages} Fashion-MNIST training images, ${rows[0][1].epoch} epochs;`);
console.log(`accuracy on the first ${n} test images after the last epoch (PGD-20: L-inf eps 0.1, step 0.025, random start)`);
console.log('');
console.log(`${'model'.padEnd(36)} ${'natural'.padStart(7)} ${'PGD-20'.padStart(7)}`);
for (const [name, r] of rows) console.log(`${name.padEnd(36)} ${pct(r.test_natural_acc)} ${pct(r.test_robust_acc)}`);
console.log('');
