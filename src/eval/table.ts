/** Text tables of evaluation results: one checkpoint, or the paper's Best / Final / Diff. */
import type { EvalRecord } from './record.js';

const pct = (v: number | null | undefined) => (v === null || v === undefined ? '-' : (100 * v).toFixed(2));

function labels(records: EvalRecord[]): string[] {
  const out: string[] = [];
  for (const r of records) for (const l of Object.keys(r.attacks)) if (!out.includes(l)) out.push(l);
  return out;
}

export function checkpointTable(r: EvalRecord): string {
  const rows = labels([r]);
  const width = Math.max(12, ...rows.map((l) => l.length));
  const lines = [`${'attack'.padEnd(width)}  ${'acc (%)'.padStart(8)}  ${'n'.padStart(6)}  seconds`];
  for (const l of rows) {
    const a = r.attacks[l]!;
    lines.push(`${l.padEnd(width)}  ${pct(a.accuracy).padStart(8)}  ${String(a.n).padStart(6)}  ${a.seconds.toFixed(1)}`);
  }
  return lines.join('\n');
}

/** Natural, PGD-10, PGD-1000, C&W-1000, AutoAttack (or what ran) x Best, Final, Diff (= Best - Final). */
export function bestFinalTable(best: EvalRecord | undefined, final: EvalRecord | undefined): string {
  const rows = labels([best, final].filter((r): r is EvalRecord => !!r));
  const width = Math.max(12, ...rows.map((l) => l.length));
  const lines = [`${'test acc (%)'.padEnd(width)}  ${'Best'.padStart(7)}  ${'Final'.padStart(7)}  ${'Diff'.padStart(7)}`];
  for (const l of rows) {
    const b = best?.attacks[l]?.accuracy ?? null;
    const f = final?.attacks[l]?.accuracy ?? null;
    const d = b !== null && f !== null ? b - f : null;
    lines.push(`${l.padEnd(width)}  ${pct(b).padStart(7)}  ${pct(f).padStart(7)}  ${pct(d).padStart(7)}`);
  }
  return lines.join('\n');
}
