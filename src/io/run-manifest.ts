/**
 * `run.json`: what a run was started with, written when it starts afresh and compared on --resume
 * so that a resumed run is the same run. It records the pipeline's name and file, a hash of its
 * definition (model, attacks, objective, states, schedules, constants, evaluations; not source
 * positions), and the full settings (seed included). A resume with other settings is refused with
 * every difference named; changing `train.epochs` is the one change allowed (to train a finished run
 * longer), and it is reported.
 */
import { existsSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { ResolvedPipeline } from '../check/resolved.js';
import { runPath } from './run-dir.js';
import { writeBytesAtomic } from './atomic-write.js';
import { RunDirError } from './run-folder.js';
import { readJsonFile } from '../util/json-file.js';

export const MANIFEST_FORMAT = 'matc-run-1';

const manifestSchema = z.object({
  format: z.literal(MANIFEST_FORMAT),
  pipeline: z.string(),
  file: z.string(),
  /** sha256 of the pipeline's definition without its settings (see pipelineHash). */
  pipeline_hash: z.string(),
  seed: z.number(),
  settings: z.unknown(),
  started: z.string(),
  /** Global L2 norm of the trainable weights at initialisation (the divergence watch's reference). */
  initial_weight_norm: z.number().optional(),
});
export type RunManifest = z.infer<typeof manifestSchema>;

/** JSON with sorted keys, without source positions: the same definition always gives the same text. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (key, v) => {
    if (key === 'span') return undefined;
    if (v && typeof v === 'object' && !Array.isArray(v)) return Object.fromEntries(Object.keys(v).sort().map((k) => [k, (v as Record<string, unknown>)[k]]));
    return v;
  });
}

/** The hash of what the pipeline computes, apart from its settings (they are compared key by key). */
export function pipelineHash(p: ResolvedPipeline): string {
  const { model, attacks, objective, states, schedules, constants, evaluations, data } = p;
  return createHash('sha256').update(canonical({ model, attacks, objective, states, schedules, constants, evaluations, data })).digest('hex');
}

export function manifestFor(p: ResolvedPipeline, initialWeightNorm?: number): RunManifest {
  return {
    format: MANIFEST_FORMAT,
    pipeline: p.name,
    file: p.file,
    pipeline_hash: pipelineHash(p),
    seed: p.settings.train.seed,
    settings: JSON.parse(canonical(p.settings)),
    started: new Date().toISOString(),
    ...(initialWeightNorm !== undefined ? { initial_weight_norm: initialWeightNorm } : {}),
  };
}

export async function writeManifest(dir: string, manifest: RunManifest): Promise<void> {
  await writeBytesAtomic(runPath(dir, 'manifest'), `${JSON.stringify(manifest, null, 2)}\n`);
}

/** The manifest, or null when the directory has none (a run made before matc recorded one). */
export function readManifest(dir: string): RunManifest | null {
  const path = runPath(dir, 'manifest');
  if (!existsSync(path)) return null;
  const m = readJsonFile(path, manifestSchema, 'a matc run manifest');
  if (m.ok) return m.value;
  throw new RunDirError(`${m.reason}; cannot tell what the run was started with`);
}

/** Leaves of a settings object as dotted paths (`train.optimizer.lr`) -> canonical JSON text. */
function leaves(value: unknown, prefix: string, out: Map<string, string>): Map<string, string> {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) leaves(v, prefix ? `${prefix}.${k}` : k, out);
  } else out.set(prefix, canonical(value));
  return out;
}

export interface ResumeComparison {
  /** Differences that make the resumed run a different run: resuming is refused. */
  refused: string[];
  /** Allowed differences, said to the user (e.g. more epochs). */
  notes: string[];
}

/** Compare the pipeline about to resume with what the run was started with. */
export function compareWithManifest(old: RunManifest, p: ResolvedPipeline): ResumeComparison {
  const refused: string[] = [];
  const notes: string[] = [];
  if (old.pipeline !== p.name) refused.push(`the pipeline is ${p.name} now but the run was started with ${old.pipeline}`);
  else if (old.pipeline_hash !== pipelineHash(p)) refused.push(`the pipeline ${p.name} is defined differently now (its model, data, attacks, objective, states, schedules or evaluations changed since the run was started)`);
  const before = leaves(old.settings, '', new Map());
  const now = leaves(JSON.parse(canonical(p.settings)), '', new Map());
  for (const key of [...new Set([...before.keys(), ...now.keys()])].sort()) {
    const a = before.get(key);
    const b = now.get(key);
    if (a === b) continue;
    if (key === 'train.epochs' && a !== undefined && b !== undefined) {
      // The one legitimate change: training a finished run longer (or stopping earlier).
      notes.push(`train.epochs is ${b} now (the run was started with ${a}): the run now ends at epoch ${b}; schedules that depend on the epoch count follow the new count from here on`);
      continue;
    }
    refused.push(`${key} is ${b ?? 'not set'} now but the run was started with ${a ?? 'it not set'}`);
  }
  return { refused, notes };
}
