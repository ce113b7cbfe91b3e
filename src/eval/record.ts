/**
 * The evaluation record: what `matc eval --out FILE.json` writes after every chunk, and what an
 * interrupted evaluation resumes from. It is a superset of the report's EvalSummary
 * (`{ checkpoint, attacks: { [label]: { accuracy, n } } }`), with per-example flags:
 *  - `robust[i]`: 1 while example i resists every stage of the attack run on it so far, else 0;
 *  - `done[stage][i]`: 1 once that stage has attacked example i (or skipped it as already broken).
 * An attack is complete when every stage is done for every example still robust before it.
 */
import { readFileSync, existsSync, writeFileSync, renameSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export const EVAL_RECORD_FORMAT = 'matc-eval/1';

export interface EvalSettingsRecord {
  norm: 'linf' | 'l2';
  eps: number;
  seed: number;
  /** Examples evaluated (the first n of the split, or of its subset). */
  n: number;
  /** Identifies the weights: checkpoint path and size, or 'in-memory'. */
  weights: string;
  dataset?: string;
  pipeline?: string;
}

export interface AttackRecord {
  id: string;
  label: string;
  stages: string[];
  /** Robust accuracy; null until every stage is complete. */
  accuracy: number | null;
  n: number;
  complete: boolean;
  robust: number[];
  done: Record<string, number[]>;
  /** Examples each stage broke (that every earlier stage had left robust). */
  broken: Record<string, number>;
  seconds: number;
  reduced?: string;
}

export interface SanityRecord {
  /** Two forward passes on the same batch gave different logits (AutoAttack's randomness check). */
  randomized: boolean | null;
  /** Points whose input gradient was exactly zero at an APGD start, and points APGD started on. */
  zeroGradientPoints: number;
  apgdPoints: number;
  warnings: string[];
}

export interface EvalRecord {
  format: typeof EVAL_RECORD_FORMAT;
  /** 'best' | 'final' for a run directory's checkpoints, else the checkpoint path. */
  checkpoint: string;
  settings: EvalSettingsRecord;
  attacks: Record<string, AttackRecord>;
  sanity: SanityRecord;
}

export function newRecord(checkpoint: string, settings: EvalSettingsRecord): EvalRecord {
  return { format: EVAL_RECORD_FORMAT, checkpoint, settings, attacks: {}, sanity: { randomized: null, zeroGradientPoints: 0, apgdPoints: 0, warnings: [] } };
}

export class EvalRecordError extends Error {}

/** A record to resume, if `path` holds one for the same settings; throws if it is for others. */
export function loadRecordForResume(path: string, settings: EvalSettingsRecord): EvalRecord | null {
  if (!existsSync(path)) return null;
  let r: EvalRecord;
  try {
    r = JSON.parse(readFileSync(path, 'utf8')) as EvalRecord;
  } catch (e) {
    throw new EvalRecordError(`${path}: not a readable evaluation record (${(e as Error).message}); remove it or choose another --out`);
  }
  if (r.format !== EVAL_RECORD_FORMAT) throw new EvalRecordError(`${path}: format '${String(r.format)}', expected ${EVAL_RECORD_FORMAT}`);
  const keys: (keyof EvalSettingsRecord)[] = ['norm', 'eps', 'seed', 'n', 'weights'];
  const differs = keys.filter((k) => r.settings[k] !== settings[k]);
  if (differs.length) {
    const what = differs.map((k) => `${k} ${String(r.settings[k])} -> ${String(settings[k])}`).join(', ');
    throw new EvalRecordError(`${path} holds an evaluation with other settings (${what}); remove it or choose another --out`);
  }
  return r;
}

/** Write via a temporary file and rename, so an interruption never leaves a torn record. */
export function saveRecord(path: string, r: EvalRecord): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(r)}\n`);
  renameSync(tmp, path);
}

export function robustCount(a: AttackRecord): number {
  return a.robust.reduce((s, v) => s + (v === 1 ? 1 : 0), 0);
}
