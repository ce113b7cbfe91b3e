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
import { z } from 'zod';
import { firstIssue } from '../util/json-file.js';

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

/** 0/1 flags per example. */
const flags = z.array(z.union([z.literal(0), z.literal(1)]));

/**
 * The shape a record read back from disk must have (it may have been edited, truncated by another
 * tool or written by another version): checked field by field instead of trusted with a cast.
 */
const evalRecordSchema = z.object({
  format: z.literal(EVAL_RECORD_FORMAT),
  checkpoint: z.string(),
  settings: z.object({
    norm: z.enum(['linf', 'l2']),
    eps: z.number(),
    seed: z.number(),
    n: z.number().int().nonnegative(),
    weights: z.string(),
    dataset: z.string().optional(),
    pipeline: z.string().optional(),
  }),
  attacks: z.record(
    z.string(),
    z.object({
      id: z.string(),
      label: z.string(),
      stages: z.array(z.string()),
      accuracy: z.number().nullable(),
      n: z.number().int().nonnegative(),
      complete: z.boolean(),
      robust: flags,
      done: z.record(z.string(), flags),
      broken: z.record(z.string(), z.number()),
      seconds: z.number(),
      reduced: z.string().optional(),
    }),
  ),
  sanity: z.object({ randomized: z.boolean().nullable(), zeroGradientPoints: z.number(), apgdPoints: z.number(), warnings: z.array(z.string()) }),
});


/** A record to resume, if `path` holds one for the same settings; throws if it is for others. */
export function loadRecordForResume(path: string, settings: EvalSettingsRecord): EvalRecord | null {
  if (!existsSync(path)) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new EvalRecordError(`${path}: not a readable evaluation record (${(e as Error).message}); remove it or choose another --out`);
  }
  const format = (raw as { format?: unknown } | null)?.format;
  if (format !== EVAL_RECORD_FORMAT) throw new EvalRecordError(`${path}: format '${String(format)}', expected ${EVAL_RECORD_FORMAT}`);
  const parsed = evalRecordSchema.safeParse(raw);
  if (!parsed.success) throw new EvalRecordError(`${path}: not a valid evaluation record (${firstIssue(parsed.error, 'the record')}); remove it or choose another --out`);
  const r: EvalRecord = parsed.data;
  const keys: (keyof EvalSettingsRecord)[] = ['norm', 'eps', 'seed', 'n', 'weights'];
  const differs = keys.filter((k) => r.settings[k] !== settings[k]);
  if (differs.length) {
    const what = differs.map((k) => `${k} ${String(r.settings[k])} -> ${String(settings[k])}`).join(', ');
    throw new EvalRecordError(`${path} holds an evaluation with other settings (${what}); remove it or choose another --out`);
  }
  for (const a of Object.values(r.attacks)) {
    const short = [a.robust, ...Object.values(a.done)].some((f) => f.length !== r.settings.n);
    if (short) throw new EvalRecordError(`${path}: attack ${a.label} has flags for other than the ${r.settings.n} examples evaluated; remove it or choose another --out`);
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
