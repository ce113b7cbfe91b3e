/**
 * Final evaluation results of one checkpoint, `eval/best.json` or `eval/final.json` in the run
 * directory:
 *
 *   { "checkpoint": "best",
 *     "attacks": { "natural": { "accuracy": 0.8412, "n": 10000, "title": "Natural" },
 *                  "pgd":     { "accuracy": 0.5230, "n": 10000, "title": "PGD-1000" } } }
 *
 * Keys of `attacks` are the evaluation's attack labels; `accuracy` is a fraction in [0, 1] over
 * `n` test examples; `title` is the row name in the Best/Final/Diff table (attackTitle() makes it
 * from the attack's settings; without it the label is used).
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { writeBytesAtomic } from '../io/atomic-write.js';
import { runPath } from '../io/run-dir.js';

export type CheckpointKind = 'best' | 'final';

export interface EvalAttackResult {
  accuracy: number;
  n: number;
  title?: string;
}

export interface EvalSummary {
  checkpoint: CheckpointKind;
  attacks: Record<string, EvalAttackResult>;
}

export class EvalSummaryError extends Error {
  constructor(
    readonly path: string,
    problem: string,
  ) {
    super(`${path}: ${problem}`);
    this.name = 'EvalSummaryError';
  }
}

export function evalSummaryPath(runDir: string, checkpoint: CheckpointKind): string {
  return join(runPath(runDir, 'evalDir'), `${checkpoint}.json`);
}

/** What is wrong with a parsed summary, or undefined. */
export function summaryProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not a JSON object';
  const s = value as Record<string, unknown>;
  if (s.checkpoint !== 'best' && s.checkpoint !== 'final') return `checkpoint is ${JSON.stringify(s.checkpoint)}, expected "best" or "final"`;
  if (typeof s.attacks !== 'object' || s.attacks === null || Array.isArray(s.attacks)) return 'attacks is not an object';
  for (const [label, raw] of Object.entries(s.attacks)) {
    const a = raw as Record<string, unknown> | null;
    if (typeof a !== 'object' || a === null) return `attack ${label} is not an object`;
    if (typeof a.accuracy !== 'number' || !(a.accuracy >= 0 && a.accuracy <= 1)) return `attack ${label}: accuracy ${JSON.stringify(a.accuracy)} is not a fraction in [0, 1]`;
    if (typeof a.n !== 'number' || !Number.isSafeInteger(a.n) || a.n < 0) return `attack ${label}: n ${JSON.stringify(a.n)} is not a count`;
    if (a.title !== undefined && typeof a.title !== 'string') return `attack ${label}: title is not a string`;
  }
  return undefined;
}

/** The summary of a checkpoint's final evaluation, or undefined if it has not been written. */
export function readEvalSummary(runDir: string, checkpoint: CheckpointKind): EvalSummary | undefined {
  const path = evalSummaryPath(runDir, checkpoint);
  if (!existsSync(path)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new EvalSummaryError(path, `not JSON (${(e as Error).message})`);
  }
  const problem = summaryProblem(value);
  if (problem) throw new EvalSummaryError(path, problem);
  return value as EvalSummary;
}

export async function writeEvalSummary(runDir: string, summary: EvalSummary): Promise<string> {
  const problem = summaryProblem(summary);
  if (problem) throw new Error(`invalid evaluation summary: ${problem}`);
  const path = evalSummaryPath(runDir, summary.checkpoint);
  mkdirSync(dirname(path), { recursive: true });
  await writeBytesAtomic(path, JSON.stringify(summary, null, 2) + '\n');
  return path;
}

// ---------------------------------------------------------------- titles

/** The parts of an evaluation attack's settings that name it (EvaluationAttackSettings fits). */
export interface AttackDescription {
  kind: string;
  steps?: number;
}

const kindTitles: Record<string, string> = {
  natural: 'Natural',
  pgd: 'PGD',
  cw: 'C&W',
  autoattack: 'AutoAttack',
  apgd_ce: 'APGD-CE',
  apgd_t: 'APGD-T',
  fab_t: 'FAB-T',
  square: 'Square',
};

/** Iterative attacks whose step count is part of their name in the paper (PGD-10, C&W-1000). */
const titledWithSteps = new Set(['pgd', 'cw']);

/** The table row name of an attack: `Natural`, `PGD-10`, `C&W-1000`, `AutoAttack`, ... */
export function attackTitle(attack: AttackDescription): string {
  const base = kindTitles[attack.kind] ?? attack.kind;
  return titledWithSteps.has(attack.kind) && attack.steps !== undefined ? `${base}-${attack.steps}` : base;
}

/** A title from a label alone (`pgd`, `pgd_2`, `cw`): the kind's name without a step count. */
export function titleFromLabel(label: string): string {
  return kindTitles[label.replace(/_\d+$/, '')] ?? label;
}

const rowOrder = ['Natural', 'PGD', 'C&W', 'AutoAttack', 'APGD-CE', 'APGD-T', 'FAB-T', 'Square'];

/** Sort key of a row title: the paper's order (Natural, PGD-k, C&W-k, AutoAttack), then steps, then others. */
export function compareTitles(a: string, b: string): number {
  const parse = (t: string) => {
    // `PGD-10`, `C&W-1000`, `PGD-20x5` (with restarts).
    const m = /^(.*?)-(\d+)(?:x\d+)?$/.exec(t);
    const base = m && rowOrder.includes(m[1]!) ? m[1]! : t;
    const rank = rowOrder.indexOf(base);
    return { rank: rank < 0 ? rowOrder.length : rank, steps: m && rank >= 0 ? Number(m[2]) : -1, t };
  };
  const x = parse(a);
  const y = parse(b);
  return x.rank - y.rank || x.steps - y.steps || (x.t < y.t ? -1 : x.t > y.t ? 1 : 0);
}
